"""``autograd_engine.cpu.amp`` (``torch.cpu.amp``): the deprecated device-specific forms of
``autocast`` and ``GradScaler``; they warn and forward to ``autograd_engine.amp``, as PyTorch's
do."""

from __future__ import annotations

from ..amp._deprecated import device_forms

__all__ = ["autocast", "GradScaler"]

autocast, GradScaler = device_forms("cpu", "bfloat16")
