"""A strict CuPy stand-in for the test suite: ``import cupy`` backed by NumPy on the host, with
CuPy's rules (see ``cupy/_core/core.py``) and two or more simulated devices.

It exists so that every commit runs the CUDA path on the CPU. It is put first on ``sys.path``
by ``tests/conftest.py`` when ``AUTOGRAD_ENGINE_CUPY_STANDIN=1``. What it cannot model (the
numerics of cuBLAS/cuDNN/cuRAND, asynchrony, memory limits, speed, custom kernels) is listed in
``docs/gpu.md``. Anything it does not implement raises AttributeError or NotImplementedError
naming the missing piece; nothing falls back to NumPy silently.
"""

from __future__ import annotations

import numpy as _numpy

from cupy import _routines, _util, cuda, lib, linalg, random
from cupy._core.core import ndarray
from cupy._kernels import ElementwiseKernel, RawKernel, RawModule, ReductionKernel, fuse
from cupy._routines import (
    arange,
    array,
    asanyarray,
    asarray,
    ascontiguousarray,
    asnumpy,
    broadcast_arrays,
    broadcast_to,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    get_array_module,
    identity,
    linspace,
    max,
    min,
    ndim,
    ones,
    ones_like,
    put_along_axis,
    ravel,
    reshape,
    result_type,
    shape,
    size,
    take,
    take_along_axis,
    tri,
    ufunc,
    zeros,
    zeros_like,
)
from cupy.cuda import MemoryPool as _MemoryPool
from cupy.cuda import PinnedMemoryPool as _PinnedMemoryPool

__version__ = "14.0.1"
_IS_STANDIN = True  # for the test suite only; project code must not look at it

globals().update(_routines.namespace())
amax, amin = max, min

# CuPy re-exports NumPy's scalar types and dtype machinery.
for _name in (
    "bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 "
    "complex64 complex128 intp uintp byte ubyte short ushort intc uintc longlong ulonglong "
    "half single double csingle cdouble dtype finfo iinfo can_cast promote_types "
    "min_scalar_type broadcast_shapes issubdtype integer floating signedinteger "
    "unsignedinteger number "
    "complexfloating generic inexact newaxis inf nan pi e euler_gamma"
).split():
    globals()[_name] = getattr(_numpy, _name)
del _name
bool = _numpy.bool_  # noqa: A001 - CuPy exports cupy.bool

_default_pool = _MemoryPool()
_default_pinned_pool = _PinnedMemoryPool()


def get_default_memory_pool() -> _MemoryPool:
    return _default_pool


def get_default_pinned_memory_pool() -> _PinnedMemoryPool:
    return _default_pinned_pool


def is_available() -> bool:
    return cuda.is_available()


def __getattr__(name: str):
    raise AttributeError(
        f"module 'cupy' has no attribute {name!r} (the CuPy stand-in in tests/_cupy_standin "
        "implements only what the project uses; model the missing piece on CuPy's source)"
    )


__all__ = [
    "ElementwiseKernel",
    "RawKernel",
    "RawModule",
    "ReductionKernel",
    "arange",
    "array",
    "asanyarray",
    "asarray",
    "ascontiguousarray",
    "asnumpy",
    "broadcast_arrays",
    "broadcast_to",
    "cuda",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "fuse",
    "get_array_module",
    "get_default_memory_pool",
    "get_default_pinned_memory_pool",
    "identity",
    "lib",
    "linalg",
    "linspace",
    "ndarray",
    "ndim",
    "ones",
    "ones_like",
    "put_along_axis",
    "random",
    "ravel",
    "reshape",
    "result_type",
    "shape",
    "size",
    "take",
    "take_along_axis",
    "tri",
    "ufunc",
    "zeros",
    "zeros_like",
]
