"""The deprecated device-specific forms of ``autocast`` and ``GradScaler``
(``torch.cpu.amp`` and ``torch.cuda.amp``): they warn and forward to ``autograd_engine.amp``,
as PyTorch's do. One factory makes both devices' classes."""

from __future__ import annotations

import warnings

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def device_forms(device_type: str, default_dtype: str) -> tuple[type, type]:
    """``(autocast, GradScaler)`` of ``autograd_engine.<device_type>.amp``."""

    def deprecated(name: str) -> None:
        warnings.warn(
            f"`autograd_engine.{device_type}.amp.{name}(args...)` is deprecated. Please use "
            f"`autograd_engine.amp.{name}('{device_type}', args...)` instead.",
            FutureWarning,
            stacklevel=3,
        )

    class autocast(_autocast):
        def __init__(self, enabled: bool = True, dtype=default_dtype, cache_enabled: bool = True):
            deprecated("autocast")
            super().__init__(device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        def __init__(
            self,
            init_scale: float = 2.0**16,
            growth_factor: float = 2.0,
            backoff_factor: float = 0.5,
            growth_interval: int = 2000,
            enabled: bool = True,
        ) -> None:
            deprecated("GradScaler")
            super().__init__(
                device_type,
                init_scale=init_scale,
                growth_factor=growth_factor,
                backoff_factor=backoff_factor,
                growth_interval=growth_interval,
                enabled=enabled,
            )

    autocast.__doc__ = (
        f"``torch.{device_type}.amp.autocast(enabled=True, dtype={default_dtype}, "
        f'cache_enabled=True)``: deprecated in PyTorch for ``autocast("{device_type}", ...)``.'
    )
    GradScaler.__doc__ = (
        f"``torch.{device_type}.amp.GradScaler``: deprecated in PyTorch for "
        f'``amp.GradScaler("{device_type}")``.'
    )
    for cls in (autocast, GradScaler):
        cls.__module__ = f"autograd_engine.{device_type}.amp"
        cls.__qualname__ = cls.__name__
    return autocast, GradScaler
