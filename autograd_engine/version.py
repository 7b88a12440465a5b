"""``autograd_engine.version`` (``torch.version``): the engine's version and the CUDA version of
the CuPy runtime (None without CuPy, as PyTorch's CPU builds report)."""

from __future__ import annotations

from . import array_backend

__all__ = ["__version__", "cuda", "hip", "debug", "git_version"]

__version__ = "0.1.0"
hip = None
debug = False
git_version = None


def _cuda_version():
    if array_backend.cupy is None:
        return None
    try:
        v = array_backend.cupy.cuda.runtime.runtimeGetVersion()
    except Exception:  # pragma: no cover - depends on the machine
        return None
    return f"{v // 1000}.{(v % 1000) // 10}"


cuda = _cuda_version()
