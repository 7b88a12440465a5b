"""``autograd_engine.cuda``: whether a GPU is usable, as ``torch.cuda`` reports it."""

from __future__ import annotations

from . import array_backend


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA GPU."""
    return array_backend.cuda_available()


def device_count() -> int:
    return array_backend.cuda_device_count()


def synchronize() -> None:
    """Wait for all GPU work to finish (a no-op without a GPU)."""
    if array_backend.cuda_available():
        array_backend.cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    array_backend.manual_seed(seed)
