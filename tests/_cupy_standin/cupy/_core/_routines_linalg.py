"""``cupy._core._routines_linalg``: cuBLAS compute types per dtype (bfloat16, float16,
float32, float64). The stand-in records them and ``get_compute_type`` reads ``CUPY_TF32`` as
CuPy does; its matmuls are NumPy's whatever the setting (TF32 rounding is not modelled)."""

from __future__ import annotations

import os
import warnings

import numpy

COMPUTE_TYPE_TBD = 0
COMPUTE_TYPE_DEFAULT = 1
COMPUTE_TYPE_PEDANTIC = 2
COMPUTE_TYPE_FP16 = 3
COMPUTE_TYPE_FP32 = 4
COMPUTE_TYPE_FP64 = 5
COMPUTE_TYPE_BF16 = 6
COMPUTE_TYPE_TF32 = 7

compute_types = [COMPUTE_TYPE_TBD] * 4


def to_compute_type_index(dtype) -> int:
    dtype = numpy.dtype(dtype)
    if dtype.char == "e":
        return 1
    if dtype.char in "fF":
        return 2
    if dtype.char in "dD":
        return 3
    if dtype.name == "bfloat16":
        return 0
    raise TypeError(f"dtype is not supported: {dtype}")


def set_compute_type(dtype, compute_type) -> None:
    from cupy import cuda

    if compute_type in (0, 1, 2, 3, 4, 5):
        compute_types[to_compute_type_index(dtype)] = compute_type
    elif compute_type in (COMPUTE_TYPE_BF16, COMPUTE_TYPE_TF32):
        if int(cuda.Device().compute_capability) >= 80:
            compute_types[to_compute_type_index(dtype)] = compute_type
        else:  # pragma: no cover - the stand-in reports compute capability 8.0
            warnings.warn("TF32 and BF16 need compute capability 8.0", stacklevel=2)
            compute_types[to_compute_type_index(dtype)] = COMPUTE_TYPE_DEFAULT
    else:
        raise ValueError(f"Unknown compute type: {compute_type}")


def get_compute_type(dtype) -> int:
    index = to_compute_type_index(dtype)
    if compute_types[index] == COMPUTE_TYPE_TBD:
        compute_type = COMPUTE_TYPE_DEFAULT
        if numpy.dtype(dtype).char in "fF" and int(os.getenv("CUPY_TF32", "0")) > 0:
            compute_type = COMPUTE_TYPE_TF32
        set_compute_type(dtype, compute_type)
    return compute_types[index]
