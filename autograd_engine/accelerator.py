"""``autograd_engine.accelerator`` (``torch.accelerator``): the device-agnostic view of the
GPU. The only accelerator here is CUDA through CuPy; without one, ``is_available()`` is False,
``current_accelerator()`` None, ``device_count()`` 0, and everything that needs a device raises
PyTorch's ``RuntimeError``."""

from __future__ import annotations

import warnings

from . import cuda
from .array_backend import Device

__all__ = [
    "is_available",
    "current_accelerator",
    "device_count",
    "current_device_index",
    "current_device_idx",
    "set_device_index",
    "set_device_idx",
    "device_index",
    "synchronize",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
]


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def is_available() -> bool:
    """True when a CUDA GPU is usable (``torch.accelerator.is_available``)."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Device | None:
    """The accelerator's device type as a device (``cuda``), or None when there is none
    (``torch.accelerator.current_accelerator``). NOTE: it prints as ``cuda:0`` (devices here
    always carry a number); ``.type`` is ``"cuda"`` as in PyTorch."""
    return Device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """The number of GPUs; 0 without one (``torch.accelerator.device_count``)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The number of the current GPU (``torch.accelerator.current_device_index``)."""
    _require()
    return cuda.current_device()


def current_device_idx() -> int:
    """Deprecated alias of ``current_device_index`` (``torch.accelerator.current_device_idx``)."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_index(device) -> None:
    """Make ``device`` (a number, ``"cuda:N"`` or a device) the current GPU
    (``torch.accelerator.set_device_index``)."""
    _require()
    cuda.set_device(device)


def set_device_idx(device) -> None:
    """Deprecated alias of ``set_device_index`` (``torch.accelerator.set_device_idx``)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


class device_index:
    """Context manager that makes a GPU current inside it; ``None`` does nothing
    (``torch.accelerator.device_index``)."""

    def __init__(self, device):
        self.idx = device
        self.prev = None

    def __enter__(self) -> None:
        if self.idx is None:
            return
        _require()
        self.prev = cuda.current_device()
        cuda.set_device(self.idx)

    def __exit__(self, *exc) -> bool:
        if self.idx is not None:
            cuda.set_device(self.prev)
        return False


def synchronize(device=None) -> None:
    """Wait for all work on the GPU (``torch.accelerator.synchronize``)."""
    _require()
    cuda.synchronize(device)


def empty_cache() -> None:
    """Release the GPU memory CuPy caches (``torch.accelerator.empty_cache``)."""
    _require()
    cuda.empty_cache()


def memory_allocated(device_index=None) -> int:
    """Bytes held by tensors on the GPU (``torch.accelerator.memory_allocated``)."""
    _require()
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None) -> int:
    """Peak bytes held by tensors (``torch.accelerator.max_memory_allocated``)."""
    _require()
    return cuda.max_memory_allocated(device_index)


def memory_reserved(device_index=None) -> int:
    """Bytes CuPy's pool holds (``torch.accelerator.memory_reserved``)."""
    _require()
    return cuda.memory_reserved(device_index)


def max_memory_reserved(device_index=None) -> int:
    """Peak bytes CuPy's pool held (``torch.accelerator.max_memory_reserved``)."""
    _require()
    return cuda.max_memory_reserved(device_index)


def reset_peak_memory_stats(device_index=None) -> None:
    """Start the peaks afresh (``torch.accelerator.reset_peak_memory_stats``)."""
    _require()
    cuda.reset_peak_memory_stats(device_index)
