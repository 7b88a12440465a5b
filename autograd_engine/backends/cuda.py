"""``autograd_engine.backends.cuda`` (``torch.backends.cuda``): the TF32 switch
``matmul.allow_tf32``, applied to CuPy's cuBLAS compute type."""

from __future__ import annotations

import os
import warnings

from .. import array_backend

__all__ = ["matmul", "is_built"]


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
