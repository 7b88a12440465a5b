"""Dtypes: ``autograd_engine.dtype`` objects with PyTorch's names (``float32``, ``long``, ...),
the default floating dtype, ``finfo``/``iinfo``, and ``as_dtype``, which turns any accepted
spelling into the NumPy dtype that the arrays use."""

from __future__ import annotations

import builtins

from . import array_backend

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64",
    "uint16", "uint32", "uint64", "bool_", "half", "float", "double", "short", "int", "long",
    "as_dtype", "torch_dtype", "torch_name", "set_default_dtype", "get_default_dtype",
    "default_float", "finfo", "iinfo", "promote_types", "is_floating_point",
]  # fmt: skip

_numpy = array_backend.numpy


class dtype:  # noqa: N801  (torch.dtype)
    """The element type of a tensor (``torch.dtype``): ``autograd_engine.float32``, ...

    ``t.dtype`` is one of these. It prints as ``autograd_engine.float32`` and compares equal
    to the same dtype spelled the NumPy way (``ag.float32 == numpy.float32``), so it can be
    passed wherever NumPy expects a dtype. Attributes as PyTorch's: ``is_floating_point``,
    ``is_complex``, ``is_signed``, ``itemsize``.

    Example::

        x = ag.zeros(2, dtype=ag.float64)
        x.dtype                    # autograd_engine.float64
        x.dtype.is_floating_point  # True
    """

    __slots__ = ("_name", "_np", "is_floating_point", "is_signed", "itemsize", "__weakref__")
    is_complex = False

    def __init__(self, name: str, np_dtype):
        self._name = name
        self._np = _numpy.dtype(np_dtype)
        self.is_floating_point = self._np.kind == "f"
        self.is_signed = self._np.kind in "fi"
        self.itemsize = self._np.itemsize

    @property
    def dtype(self):
        """The NumPy dtype (what NumPy reads from an object passed as ``dtype=``)."""
        return self._np

    def to_real(self) -> dtype:
        """The real dtype of this one: itself, since every dtype here is real
        (``torch.dtype.to_real``)."""
        return self

    def to_complex(self) -> dtype:
        """The complex counterpart; complex dtypes are not supported here, so it raises
        ``TypeError`` (``torch.dtype.to_complex``)."""
        raise TypeError(
            f"to_complex(): complex dtypes are not supported by autograd_engine ({self})"
        )

    def __eq__(self, other) -> builtins.bool:
        if other.__class__ is dtype:
            return other is self
        if isinstance(other, _numpy.dtype) or (
            isinstance(other, type) and issubclass(other, _numpy.generic)
        ):
            return self._np == other
        return NotImplemented

    def __hash__(self) -> builtins.int:
        return hash(self._np)  # NOTE: equal to the NumPy dtype's, as the two compare equal

    def __repr__(self) -> str:
        return f"autograd_engine.{self._name}"

    def __reduce__(self):
        return _by_name, (self._name,)


float16 = dtype("float16", "float16")
float32 = dtype("float32", "float32")
float64 = dtype("float64", "float64")
int8 = dtype("int8", "int8")
uint8 = dtype("uint8", "uint8")
int16 = dtype("int16", "int16")
int32 = dtype("int32", "int32")
int64 = dtype("int64", "int64")
uint16 = dtype("uint16", "uint16")
uint32 = dtype("uint32", "uint32")
uint64 = dtype("uint64", "uint64")
bool_ = dtype("bool", "bool")
half, float, double = float16, float32, float64  # noqa: A001  (torch.float, ...)
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, uint16, uint32, uint64, bool_)
_BY_NUMPY = {d._np: d for d in _ALL}
_NAMES = {d._name: d for d in _ALL}
_NAMES.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)
_COMPLEX = ("complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf")


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def torch_dtype(np_dtype) -> dtype:
    """The ``dtype`` object for a NumPy dtype (what ``Tensor.dtype`` returns)."""
    d = _BY_NUMPY.get(np_dtype)
    if d is None:
        d = _BY_NUMPY[np_dtype] = dtype(_numpy.dtype(np_dtype).name, np_dtype)
    return d


# --- the default floating dtype ---------------------------------------------------------------
_default = [float32._np]  # NOTE: a list, so that modules reading it see updates


def default_float():
    """The NumPy dtype that Python floats become (``get_default_dtype``'s)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Make ``d`` (float32 or float64) the dtype of Python floats in new tensors, of the
    floating creation functions and of new layers' parameters (``torch.set_default_dtype``)."""
    np_d = as_dtype(d)
    if np_d.kind != "f" or np_d.itemsize < 4:
        raise TypeError(
            f"set_default_dtype: only floating-point types are supported as the default type "
            f"(float32 or float64 here), got {torch_dtype(np_d)}"
        )
    _default[0] = np_d


def get_default_dtype() -> dtype:
    """The default floating dtype, ``float32`` unless changed (``torch.get_default_dtype``)."""
    return _BY_NUMPY[_default[0]]


# --- conversion -------------------------------------------------------------------------------
def as_dtype(d):
    """The NumPy dtype for ``d``: an ``ag`` dtype, a NumPy dtype or type, a name
    (``"float32"``, ``"long"``) or a Python type (``float`` -> float64, ``int`` -> int64, as in
    PyTorch); None stays None."""
    if d.__class__ is dtype:
        return d._np
    if d is None:
        return None
    if isinstance(d, str):
        name = d[len("torch.") :] if d.startswith("torch.") else d
        name = name[len("autograd_engine.") :] if name.startswith("autograd_engine.") else name
        if name in _NAMES:
            return _NAMES[name]._np
        if name in _COMPLEX:
            raise TypeError(_complex_message(name))
        raise TypeError(f"Unknown dtype {d!r}; use one of {sorted(_NAMES)}")
    if d is builtins.float:
        return float64._np
    if d is builtins.int:
        return int64._np
    if d is builtins.bool:
        return bool_._np
    legacy = getattr(d, "_legacy_dtype", None)
    if legacy is not None:
        return legacy._np
    try:
        np_d = _numpy.dtype(d)
    except TypeError:
        raise TypeError(f"expected a dtype (such as autograd_engine.float32), got {d!r}") from None
    if np_d.kind == "c":
        raise TypeError(_complex_message(np_d.name))
    return np_d


def _complex_message(name: str) -> str:
    return (
        f"complex dtypes ({name}) are not supported by autograd_engine: tensors hold real "
        "numbers only. Keep the real and imaginary parts in two real tensors (or a trailing "
        "dimension of size 2)."
    )


def is_floating_point(t) -> builtins.bool:
    """Whether ``t``'s dtype is a floating point type (``torch.is_floating_point``)."""
    return t.array.dtype.kind == "f"


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote_types(type1, type2) -> dtype:
    """The dtype both promote to (``torch.promote_types``): across kinds (bool < integer <
    floating) the higher kind's dtype wins as it is (int64 with float16 is float16); within a
    kind, the wider one."""
    a, b = as_dtype(type1), as_dtype(type2)
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra != rb:
        return torch_dtype(a if ra > rb else b)
    return torch_dtype(_numpy.promote_types(a, b))


_TORCH_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
    "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
}  # fmt: skip


def torch_name(d) -> str:
    """PyTorch's scalar-type name of ``d`` (``Float``, ``Long``, ...), used in messages."""
    name = as_dtype(d).name
    return _TORCH_NAMES.get(name, name)


# --- finfo / iinfo ----------------------------------------------------------------------------
class finfo:  # noqa: N801  (torch.finfo)
    """Machine limits of a floating dtype (``torch.finfo``): ``bits``, ``eps``, ``max``,
    ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, ``dtype``. With no argument, of
    the default dtype."""

    def __init__(self, type=None):  # noqa: A002  (PyTorch's argument name)
        np_d = as_dtype(type) if type is not None else default_float()
        if np_d.kind != "f":
            raise TypeError(f"finfo() requires a floating point input type. Use iinfo to "
                            f"handle '{torch_dtype(np_d)}'")  # fmt: skip
        info = _numpy.finfo(np_d)
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0**-info.precision
        self.dtype = np_d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801  (torch.iinfo)
    """Machine limits of an integer dtype (``torch.iinfo``): ``bits``, ``max``, ``min``,
    ``dtype``."""

    def __init__(self, type):  # noqa: A002
        np_d = as_dtype(type)
        if np_d.kind == "b":
            raise TypeError(f"{torch_dtype(np_d)} is not supported by iinfo")
        if np_d.kind not in "iu":
            raise TypeError(f"iinfo() requires an integer input type. Use finfo to handle "
                            f"'{torch_dtype(np_d)}'")  # fmt: skip
        info = _numpy.iinfo(np_d)
        self.bits = info.bits
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)
        self.dtype = np_d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
