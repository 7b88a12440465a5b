"""Helpers shared by the op families: turning Python scalars and arrays into constant tensors
of the right dtype, and normalizing ``dim`` arguments."""

from __future__ import annotations

import numbers

from .. import array_backend
from ..dtypes import default_float
from ..tensor import Tensor

_INT64 = array_backend.numpy.dtype("int64")


def operand(x, like: Tensor) -> Tensor:
    """``x`` as a Tensor for a binary op with ``like``: a Python scalar becomes a constant of
    ``like``'s dtype (no upcasting), as in PyTorch's type promotion."""
    if isinstance(x, Tensor):
        return x
    kind, t = like.array.dtype.kind, type(x)
    if (t is float or t is int) and (kind == "f" or (t is int and kind in "iu")):
        # NOTE: the common cases first; the checks below go through the numbers ABCs (~2 us).
        return Tensor._make(array_backend.scalar_array(x, like.array, like.array.dtype))
    if isinstance(x, numbers.Number):
        if isinstance(x, bool):
            dtype = like.array.dtype
        elif isinstance(x, numbers.Integral):
            dtype = like.array.dtype if kind != "b" else _INT64
        elif isinstance(x, numbers.Real):
            dtype = like.array.dtype if kind == "f" else default_float()
        else:
            raise TypeError(f"complex numbers are not supported (got {x!r})")
        return Tensor._make(array_backend.scalar_array(x, like.array, dtype))
    dev = array_backend.device_of(like.array)
    array = array_backend.asarray(x, dev)
    if array.dtype.kind == "f" and not hasattr(x, "dtype"):
        dtype = like.array.dtype if like.array.dtype.kind == "f" else default_float()
        array = array_backend.run_on(dev, array.astype, dtype)
    return Tensor._make(array)


def binary(a, b) -> tuple[Tensor, Tensor]:
    """The operands of a binary op as tensors of a common kind: an integer tensor meets a float
    one as that float dtype (PyTorch's promotion; NumPy would pick float64)."""
    if isinstance(b, Tensor) and isinstance(a, Tensor):
        if a.array.dtype.kind == b.array.dtype.kind:
            return a, b  # the common case, first
    else:
        if not isinstance(a, Tensor):
            a = operand(a, b)
        b = operand(b, a)
    ka, kb = a.array.dtype.kind, b.array.dtype.kind
    if ka != kb:  # NOTE: bool needs no cast: NumPy's float32 * bool is already float32
        if kb == "f" and ka in "iu":
            a = a.to(b.array.dtype)
        elif ka == "f" and kb in "iu":
            b = b.to(a.array.dtype)
    return a, b


def norm_dim(dim, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                f"{max(ndim, 1) - 1}], but got {d})"
            )
        if ndim:  # NOTE: a 0-d tensor takes dim 0 or -1 and reduces over nothing (PyTorch's)
            out.append(d % ndim)
    return tuple(sorted(set(out)))


def keepdim_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``dims`` has with ``keepdim=True``."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def const(array) -> Tensor:
    """A constant tensor (no grad) wrapping a backend array, for masks in backward."""
    return Tensor._make(array)


def as_float(a: Tensor) -> Tensor:
    """``a`` for a floating-point function: integer and bool tensors become the default float
    dtype, as in PyTorch (``torch.sin(int_tensor)`` is float32, NumPy's would be float64)."""
    if a.array.dtype.kind in "biu":
        return a.to(default_float())
    return a
