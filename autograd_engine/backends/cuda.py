"""``autograd_engine.backends.cuda`` (``torch.backends.cuda``): the TF32 switch
``matmul.allow_tf32``, applied to CuPy's cuBLAS compute type, and the switches of the
scaled-dot-product-attention backends (``enable_flash_sdp``... and the deprecated
``sdp_kernel``), read by ``nn.functional.scaled_dot_product_attention``."""

from __future__ import annotations

import contextlib
import os
import warnings

from .. import array_backend

__all__ = [
    "matmul", "is_built", "flash_sdp_enabled", "enable_flash_sdp", "mem_efficient_sdp_enabled",
    "enable_mem_efficient_sdp", "math_sdp_enabled", "enable_math_sdp", "cudnn_sdp_enabled",
    "enable_cudnn_sdp", "sdp_kernel",
]  # fmt: skip


def _apply_matmul_tf32(allow: bool) -> None:
    """Make CuPy's float32 (and complex64) GEMMs use TF32 tensor cores, or not.

    NOTE: CuPy keeps one compute type per dtype in ``cupy._core._routines_linalg``
    (``set_compute_type(dtype, COMPUTE_TYPE_TF32 | COMPUTE_TYPE_DEFAULT)``); every matmul reads
    it (``tensordot_core_v11`` maps TF32 to ``CUBLAS_COMPUTE_32F_FAST_TF32`` in
    ``cublasGemmEx``). Until it is set, CuPy takes it from the ``CUPY_TF32`` environment
    variable at the first float32 matmul. On GPUs older than Ampere CuPy falls back to the
    default with a warning, silenced here: PyTorch's flag is a no-op there too.
    """
    cupy = array_backend.cupy
    if cupy is None or not array_backend.cuda_available():
        return
    from cupy._core import _routines_linalg as linalg  # type: ignore[import-not-found]

    compute_type = linalg.COMPUTE_TYPE_TF32 if allow else linalg.COMPUTE_TYPE_DEFAULT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linalg.set_compute_type(array_backend.numpy.float32, compute_type)


class _Matmul:
    """``backends.cuda.matmul``: ``allow_tf32`` (default False, as in PyTorch >= 1.12, unless
    the ``CUPY_TF32`` environment variable asks CuPy for TF32)."""

    def __init__(self) -> None:
        self._allow_tf32 = int(os.environ.get("CUPY_TF32", "0") or 0) > 0

    @property
    def allow_tf32(self) -> bool:
        return self._allow_tf32

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        self._allow_tf32 = bool(value)
        _apply_matmul_tf32(self._allow_tf32)


def is_built() -> bool:
    """True when CuPy is installed (``torch.backends.cuda.is_built``)."""
    return array_backend.cupy is not None


matmul = _Matmul()


# The attention backends that may run (PyTorch's global flags, all on by default). This engine
# has one implementation of scaled_dot_product_attention, the math one; the flags decide only
# whether a call may run at all, as PyTorch's do (see nn.functional.scaled_dot_product_attention
# and nn.attention.sdpa_kernel).
_sdp_enabled = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
                "overrideable": True}  # fmt: skip


def flash_sdp_enabled() -> bool:
    """Whether the flash attention backend may run (``torch.backends.cuda.flash_sdp_enabled``)."""
    return _sdp_enabled["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Allow or forbid the flash attention backend (``torch.backends.cuda.enable_flash_sdp``)."""
    _sdp_enabled["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    """Whether the memory-efficient attention backend may run
    (``torch.backends.cuda.mem_efficient_sdp_enabled``)."""
    return _sdp_enabled["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allow or forbid the memory-efficient attention backend
    (``torch.backends.cuda.enable_mem_efficient_sdp``)."""
    _sdp_enabled["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    """Whether the math attention backend may run (``torch.backends.cuda.math_sdp_enabled``)."""
    return _sdp_enabled["math"]


def enable_math_sdp(enabled: bool) -> None:
    """Allow or forbid the math attention backend (``torch.backends.cuda.enable_math_sdp``)."""
    _sdp_enabled["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    """Whether the cuDNN attention backend may run (``torch.backends.cuda.cudnn_sdp_enabled``)."""
    return _sdp_enabled["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allow or forbid the cuDNN attention backend (``torch.backends.cuda.enable_cudnn_sdp``)."""
    _sdp_enabled["cudnn"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(
    enable_flash: bool = True,
    enable_math: bool = True,
    enable_mem_efficient: bool = True,
    enable_cudnn: bool = True,
):
    """Deprecated (a FutureWarning, as PyTorch): the attention backends allowed inside the
    block; use ``nn.attention.sdpa_kernel`` (``torch.backends.cuda.sdp_kernel``)."""
    warnings.warn(
        "`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager "
        "will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context "
        "manager, with updated signature.",
        FutureWarning,
        stacklevel=3,
    )
    previous = dict(_sdp_enabled)
    _sdp_enabled.update(
        flash=bool(enable_flash),
        mem_efficient=bool(enable_mem_efficient),
        math=bool(enable_math),
        cudnn=bool(enable_cudnn),
        overrideable=False,
    )
    try:
        yield {}
    finally:
        _sdp_enabled.update(previous)
