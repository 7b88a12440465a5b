"""Reductions: sum, mean, prod, max/min (full, ``amax``, and ``max(dim)`` with indices),
logsumexp, var/std, argmax/argmin, and ``sum_to_size`` (how the engine undoes broadcasting)."""

from __future__ import annotations

import builtins
from collections import namedtuple

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import const, keepdim_shape, norm_dim

__all__ = [
    "Sum",
    "Mean",
    "Std",
    "Prod",
    "Amax",
    "Amin",
    "MaxDim",
    "MinDim",
    "Norm",
    "LogSumExp",
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "logsumexp",
    "norm",
    "var",
    "std",
    "sum_to_size",
    "any",
    "all",
    "aminmax",
    "nansum",
    "nanmean",
    "std_mean",
    "var_mean",
]


class Sum(Node):
    """y = sum of a over ``dims``."""

    def __init__(self, dims, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, a):
        self.in_shape = a.shape
        return a.sum(axis=self.dims, keepdims=self.keepdim)

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return f"{type(self).__name__}Backward{0 if self.dims is None else 1}"  # PyTorch's

    def backward(self, grad):
        if not self.keepdim:
            grad = grad.reshape(keepdim_shape(self.in_shape, self.dims))
        return grad.expand(self.in_shape)

    def backward_arrays(self, grad):
        if not self.keepdim:
            grad = grad.reshape(keepdim_shape(self.in_shape, self.dims))
        return array_backend.get_array_module(grad).broadcast_to(grad, self.in_shape)


class Mean(Node):
    """y = mean of a over ``dims``."""

    def __init__(self, dims, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, a):
        self.in_shape = a.shape
        return a.mean(axis=self.dims, keepdims=self.keepdim)

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return f"{type(self).__name__}Backward{0 if self.dims is None else 1}"  # PyTorch's

    def backward(self, grad):
        shape = self.in_shape
        count = _count(shape, self.dims)
        if not self.keepdim:
            grad = grad.reshape(keepdim_shape(shape, self.dims))
        return divide_by_count(grad.expand(shape), count)


def _count(shape, dims) -> int:
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def divide_by_count(t: Tensor, count: int) -> Tensor:
    """``t / count`` computed in float32 for half-precision ``t`` and rounded once, as
    PyTorch's opmath does: in float16 a count over 65504 is inf, and the quotient would be 0."""
    if t.array.dtype.itemsize < 4 and t.array.dtype.kind == "f":
        return (t.float() / count).to(t.array.dtype)
    return t / count


class Prod(Node):
    """y = product of a over ``dims`` (all, or one dim)."""

    def __init__(self, dims, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        return a.prod(axis=self.dims, keepdims=self.keepdim)

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return f"{type(self).__name__}Backward{0 if self.dims is None else 1}"  # PyTorch's

    def backward(self, grad):
        a, out = self.saved_tensors
        shape = keepdim_shape(a.array.shape, self.dims)
        grad = grad.reshape(shape)
        x = a.array
        if not (x == 0).any():
            return grad * out.reshape(shape) / a
        # NOTE: with zeros present, the product of the other elements is computed directly
        # (a constant: second-order gradients through zeros of prod are not supported).
        return grad * const(_prod_except_self(x, self.dims))


def _prod_except_self(x, dims):
    xp = array_backend.get_array_module(x)
    if dims is None or len(dims) != 1:
        flat = x.reshape(-1)
        return _prod_except_self(flat, (0,)).reshape(x.shape)
    axis = dims[0]
    ones = xp.ones_like(xp.take(x, [0], axis=axis))
    left = xp.concatenate([ones, xp.cumprod(x, axis=axis)], axis=axis)
    rev = xp.flip(xp.cumprod(xp.flip(x, axis=axis), axis=axis), axis=axis)
    right = xp.concatenate([rev, ones], axis=axis)
    n = x.shape[axis]
    return xp.take(left, range(n), axis=axis) * xp.take(right, range(1, n + 1), axis=axis)


class Std(Node):
    """y = sqrt(v) for a variance v."""

    def forward(self, v):
        self.save_output()
        return array_backend.get_array_module(v).sqrt(v)

    def backward(self, grad):
        # NOTE: 0 where v = 0 (PyTorch's std_backward masks it): a constant row has a finite
        # gradient, so a normalization after a dead unit does not poison the weights with NaN.
        (out,) = self.saved_tensors
        nonzero = out != 0
        return (grad / (out.where(nonzero, 1.0) * 2)).where(nonzero, 0.0)


class Amax(Node):
    """y = max of a over ``dims``; ties share the gradient evenly."""

    _backward_name = "AmaxBackward0"

    reduce = "max"

    def __init__(self, dims, keepdim: bool = False, nan_gets_grad: bool = False):
        self.dims, self.keepdim, self.nan_gets_grad = dims, keepdim, nan_gets_grad

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        return getattr(a, self.reduce)(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        # NOTE: the gradient is split evenly among tied extremes, as in torch.amax.
        a, out = self.saved_tensors
        shape = keepdim_shape(a.array.shape, self.dims)
        x = a.array
        y = out.array.reshape(shape)
        mask = x == y
        if self.nan_gets_grad and x.dtype.kind == "f":
            # NOTE: torch's full max()/min() give the gradient to the NaN that is the result;
            # its amax/amin compare with == only, so a NaN result gives NaN gradients there.
            xp = array_backend.get_array_module(x)
            mask |= xp.isnan(x) & xp.isnan(y)
        mask = mask.astype(x.dtype)
        with array_backend.numpy.errstate(invalid="ignore", divide="ignore"):
            mask /= mask.sum(axis=self.dims, keepdims=True)
        return grad.reshape(shape) * const(mask)


class Amin(Amax):
    """y = min of a over ``dims``; ties share the gradient evenly."""

    _backward_name = "AminBackward0"

    reduce = "min"


class MaxDim(Node):
    """y = max of a along one ``dim``; the gradient goes to the returned index."""

    _backward_name = "MaxBackward0"

    arg = "argmax"

    def __init__(self, dim: int, keepdim: bool = False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        idx = xp.expand_dims(getattr(a, self.arg)(axis=self.dim), self.dim)
        self.indices = idx if self.keepdim else idx.squeeze(self.dim)
        self.in_shape = a.shape
        self.save_for_backward(idx)
        out = xp.take_along_axis(a, idx, axis=self.dim)
        return out if self.keepdim else out.squeeze(self.dim)

    def backward(self, grad):
        (idx,) = self.saved_arrays
        xp = array_backend.get_array_module(idx)
        onehot = xp.zeros(self.in_shape, dtype=grad.array.dtype)
        xp.put_along_axis(onehot, idx, 1, axis=self.dim)
        if not self.keepdim:
            grad = grad.unsqueeze(self.dim)
        return grad * const(onehot)


class MinDim(MaxDim):
    """y = min of a along one ``dim``; the gradient goes to the returned index."""

    _backward_name = "MinBackward0"

    arg = "argmin"


class Norm(Node):
    """y = sqrt(sum(a^2)) over ``dims``, the 2-norm."""

    _backward_name = "LinalgVectorNormBackward0"

    def __init__(self, dims, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        xp = array_backend.get_array_module(a)
        return xp.sqrt((a * a).sum(axis=self.dims, keepdims=self.keepdim))

    def backward(self, grad):
        # NOTE: at a zero vector the gradient is 0 (a subgradient), as in PyTorch, not nan.
        a, out = self.saved_tensors
        shape = keepdim_shape(a.array.shape, self.dims)
        out = out.reshape(shape)
        nonzero = const(out.array != 0)
        safe = out + const((out.array == 0).astype(out.array.dtype))
        return grad.reshape(shape) * nonzero / safe * a


class LogSumExp(Node):
    """y = log(sum(e^a)) over ``dims``, shifted by the max for stability."""

    _backward_name = "LogsumexpBackward0"

    def __init__(self, dims, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        xp = array_backend.get_array_module(a)
        if a.size == 0:  # the log of an empty sum: -inf, as PyTorch
            out = xp.full(keepdim_shape(a.shape, self.dims), -xp.inf, dtype=a.dtype)
            return out if self.keepdim else out.reshape(_drop(out.shape, self.dims))
        m = a.max(axis=self.dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(a - m).sum(axis=self.dims, keepdims=True)) + m
        if not self.keepdim:
            out = out.reshape(_drop(out.shape, self.dims))
        return out

    def backward(self, grad):
        a, out = self.saved_tensors
        shape = keepdim_shape(a.array.shape, self.dims)
        return grad.reshape(shape) * (a - out.reshape(shape)).exp()


def _drop(shape, dims):
    """``shape`` without the reduced ``dims`` (all of them when ``dims`` is None)."""
    return tuple(s for i, s in enumerate(shape) if dims is not None and i not in dims)


def _dims(a: Tensor, dim):
    return norm_dim(dim, a.ndim)


def sum(a: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Sum over ``dim`` (int, tuple or None for all) (``torch.sum``)."""
    if dtype is not None:
        a = a.to(dtype)
    elif a.array.dtype.kind in "bi" and a.array.dtype.itemsize < 8:
        a = a.long()
    return Sum(_dims(a, dim), keepdim)(a)


def mean(a: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Mean over ``dim`` (``torch.mean``); needs a floating point tensor, as in PyTorch."""
    if dtype is not None:
        a = a.to(dtype)
    if a.array.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, got "
            f"{a.dtype}. Convert with .float() first."
        )
    return Mean(_dims(a, dim), keepdim)(a)


def prod(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Product over all elements or one ``dim`` (``torch.prod``)."""
    return Prod(_dims(a, dim), keepdim)(a)


MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def max(a: Tensor, dim=None, keepdim: bool = False):
    """``max()`` of all elements (ties share the gradient), ``max(dim)`` -> (values, indices)
    with the gradient to the index, or ``max(other)`` element-wise (``torch.max``)."""
    return _extreme(a, dim, keepdim, "max")


def min(a: Tensor, dim=None, keepdim: bool = False):
    """Like :func:`max`, for the minimum (``torch.min``)."""
    return _extreme(a, dim, keepdim, "min")


_EXTREMES = {"max": (Amax, MaxDim, MaxResult), "min": (Amin, MinDim, MinResult)}


def _extreme(a: Tensor, dim, keepdim: bool, which: str):
    """The body of :func:`max` and :func:`min`."""
    if isinstance(dim, Tensor):
        from .unary import maximum, minimum

        return (maximum if which == "max" else minimum)(a, dim)
    whole, along, result = _EXTREMES[which]
    if dim is None:
        node = whole(None, False, nan_gets_grad=True)
        node._backward_name = f"{which.capitalize()}Backward1"
        return node(a)
    dims = _dims(a, dim)
    if not dims:  # a 0-d tensor: itself, at index 0
        xp = array_backend.get_array_module(a.array)
        return result(a.clone(), const(xp.zeros((), dtype=xp.int64)))
    node = along(dims[0], keepdim)
    values = node(a)
    return result(values, const(node.indices))


def amax(a: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Max over ``dim`` (all if empty); ties share the gradient evenly (``torch.amax``)."""
    return Amax(_dims(a, dim) or None, keepdim)(a)


def amin(a: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Min over ``dim`` (all if empty); ties share the gradient evenly (``torch.amin``)."""
    return Amin(_dims(a, dim) or None, keepdim)(a)


def argmax(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the max (of the flattened tensor if ``dim`` is None) (``torch.argmax``)."""
    return _arg("argmax", a, dim, keepdim)


def argmin(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the min (of the flattened tensor if ``dim`` is None) (``torch.argmin``)."""
    return _arg("argmin", a, dim, keepdim)


def _arg(name: str, a: Tensor, dim, keepdim: bool) -> Tensor:
    x = a.array
    if dim is None or (x.ndim == 0 and not _dims(a, dim)):
        out = getattr(x.reshape(-1), name)()
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        d = _dims(a, dim)[0]
        out = getattr(x, name)(axis=d)
        if keepdim:
            out = array_backend.get_array_module(x).expand_dims(out, d)
    return const(array_backend.get_array_module(x).asarray(out, dtype="int64"))


def logsumexp(a: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(a))) over ``dim``, stable for huge values (``torch.logsumexp``)."""
    return LogSumExp(_dims(a, dim), keepdim)(a)


def norm(a: Tensor, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm over ``dim`` (all elements by default) (``torch.norm``); the 2-norm has
    gradient 0 at the zero vector, as in PyTorch."""
    if p in ("fro", 2):
        return Norm(_dims(a, dim), keepdim)(a)
    if p == 1:
        return a.abs().sum(dim, keepdim)
    if p == float("inf"):
        return a.abs().amax(dim if dim is not None else (), keepdim)
    return (a.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


def _correction(unbiased, correction) -> float:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(a: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (default 1) (``torch.var``); half
    precision is computed in float32 and rounded once, as PyTorch does."""
    if a.array.dtype.itemsize < 4 and a.array.dtype.kind == "f":
        return var(a.float(), dim, unbiased, keepdim, correction=correction).to(a.array.dtype)
    dims = _dims(a, dim)
    n = _count(a.array.shape, dims)
    centered = a - a.mean(dims, keepdim=True)
    dof = builtins.max(n - _correction(unbiased, correction), 0)
    return (centered * centered).sum(dims, keepdim=keepdim) / dof


def std(a: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: the square root of :func:`var` (``torch.std``); its gradient is 0
    where the variance is 0, as PyTorch's."""
    return Std()(var(a, dim, unbiased, keepdim, correction=correction))


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``, an int or tuple) is nonzero (``torch.any``)."""
    x = input.array
    return const(array_backend.ensure_array(x.any(axis=_dims(input, dim), keepdims=keepdim)))


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero (``torch.all``)."""
    x = input.array
    return const(array_backend.ensure_array(x.all(axis=_dims(input, dim), keepdims=keepdim)))


AminmaxResult = namedtuple("aminmax", ["min", "max"])


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all elements by default) (``torch.aminmax``)."""
    if input.array.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")  # fmt: skip
    d = () if dim is None else dim
    return AminmaxResult(amin(input, d, keepdim), amax(input, d, keepdim))


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` treating nan as 0 (``torch.nansum``)."""
    if input.array.dtype.kind == "f":
        nan = const(array_backend.get_array_module(input.array).isnan(input.array))
        input = input.masked_fill(nan, 0.0)
    return sum(input, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the values that are not nan (``torch.nanmean``)."""
    if input.array.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype}"
        )
    keep = const(~array_backend.get_array_module(input.array).isnan(input.array))
    count = sum(keep.to(input.array.dtype), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def var_mean(input: Tensor, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    """``(var, mean)`` over ``dim`` (``torch.var_mean``)."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))  # fmt: skip


def std_mean(input: Tensor, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    """``(std, mean)`` over ``dim`` (``torch.std_mean``)."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))  # fmt: skip


def sum_to_size(a: Tensor, shape) -> Tensor:
    """Sum ``a`` down to ``shape``, undoing broadcasting (``torch.Tensor.sum_to_size``)."""
    shape, have = tuple(shape), a.array.shape
    if have == shape:
        return a
    lead = len(have) - len(shape)
    if lead < 0:
        raise RuntimeError(f"sum_to_size: size {shape} is not expandable to {have}")
    kept = tuple(lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1)
    if not kept:
        return Sum(tuple(range(lead)), False)(a)
    out = Sum(tuple(range(lead)) + kept, True)(a)
    return out.reshape(shape)
