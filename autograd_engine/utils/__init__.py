"""Utilities that mirror ``torch.utils``: ``autograd_engine.utils.data`` (datasets, samplers,
DataLoader), ``utils.hooks``, ``utils.tensorboard``, ``utils._pytree``, ``utils.benchmark`` and
``utils.model_zoo``. All but ``tensorboard`` are reachable as attributes
(``ag.utils.data.DataLoader``) and imported on first use; ``tensorboard`` needs an explicit
import, as in PyTorch."""

from __future__ import annotations

import importlib

_LAZY = frozenset({"data", "hooks", "_pytree", "benchmark", "model_zoo"})


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
