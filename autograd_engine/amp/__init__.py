"""``autograd_engine.amp`` (``torch.amp``): mixed precision -- ``autocast`` regions with
PyTorch's per-op cast policy, and ``GradScaler`` for loss scaling."""

from .autocast_mode import autocast, custom_bwd, custom_fwd, get_autocast_dtype, is_autocast_enabled
from .grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_enabled",
]
