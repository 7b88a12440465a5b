"""``autograd_engine.cuda``: whether a GPU is usable, as ``torch.cuda`` reports it."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA GPU."""
    return backend.cuda_available()


def device_count() -> int:
    return backend.cuda_device_count()


def synchronize() -> None:
    """Wait for all GPU work to finish (a no-op without a GPU)."""
    if backend.cuda_available():
        backend.cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    backend.manual_seed(seed)
