"""Dtypes: PyTorch's names for the NumPy dtypes the engine uses (``float32``, ``long``, ...)
and ``as_dtype``, which turns any accepted spelling into a NumPy dtype."""

from __future__ import annotations

from . import array_backend

__all__ = [
    "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool_",
    "half", "double", "long", "int_", "as_dtype", "torch_name",
]  # fmt: skip

_numpy = array_backend.numpy

float16 = _numpy.dtype("float16")
float32 = _numpy.dtype("float32")
float64 = _numpy.dtype("float64")
int8 = _numpy.dtype("int8")
uint8 = _numpy.dtype("uint8")
int16 = _numpy.dtype("int16")
int32 = _numpy.dtype("int32")
int64 = _numpy.dtype("int64")
bool_ = _numpy.dtype("bool")
half, double, long, int_ = float16, float64, int64, int32

_DTYPE_NAMES = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int8": int8, "uint8": uint8, "int16": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64, "bool": bool_,
}  # fmt: skip


def as_dtype(dtype):
    """Turn ``ag.float32``, ``"float32"``, ``numpy.float32`` or ``float`` into a NumPy dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        try:
            return _DTYPE_NAMES[dtype]
        except KeyError:
            raise TypeError(f"Unknown dtype {dtype!r}; use one of {sorted(_DTYPE_NAMES)}") from None
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    return _numpy.dtype(dtype)


_TORCH_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
    "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
}  # fmt: skip


def torch_name(dtype) -> str:
    """PyTorch's scalar-type name of ``dtype`` (``Float``, ``Long``, ...), used in messages."""
    return _TORCH_NAMES.get(str(dtype), str(dtype))
