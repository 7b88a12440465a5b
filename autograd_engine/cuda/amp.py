"""``autograd_engine.cuda.amp`` (``torch.cuda.amp``): the deprecated device-specific forms of
``autocast`` and ``GradScaler``; they warn and forward to ``autograd_engine.amp``, as PyTorch's
do."""

from __future__ import annotations

import warnings

from .. import amp as _amp

__all__ = ["autocast", "GradScaler"]


class autocast(_amp.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``: deprecated
    in PyTorch for ``autocast("cuda", ...)``."""

    def __init__(self, enabled: bool = True, dtype="float16", cache_enabled: bool = True):
        warnings.warn(
            "`autograd_engine.cuda.amp.autocast(args...)` is deprecated. Please use "
            "`autograd_engine.amp.autocast('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``torch.cuda.amp.GradScaler``: deprecated in PyTorch for ``amp.GradScaler("cuda")``."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`autograd_engine.cuda.amp.GradScaler(args...)` is deprecated. Please use "
            "`autograd_engine.amp.GradScaler('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            "cuda",
            init_scale=init_scale,
            growth_factor=growth_factor,
            backoff_factor=backoff_factor,
            growth_interval=growth_interval,
            enabled=enabled,
        )
