"""Statistics and integration composed from the ops (so they are differentiable): quantile and
nanquantile (PyTorch's interpolation modes), cov, corrcoef, dist, trapezoid and
cumulative_trapezoid."""

from __future__ import annotations

import math

from .. import array_backend
from ..tensor import Tensor
from ._util import as_float, const, norm_dim

__all__ = [
    "quantile", "nanquantile", "cov", "corrcoef", "dist", "trapezoid", "trapz",
    "cumulative_trapezoid",
]  # fmt: skip

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool):
    from .ordering import sort

    op = "nanquantile" if ignore_nan else "quantile"
    if interpolation not in _MODES:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation}"
        )
    if input.array.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    xp = array_backend.get_array_module(input.array)
    q_scalar = not isinstance(q, Tensor)
    qs = xp.asarray(q, dtype=input.array.dtype).reshape(-1)
    if bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else norm_dim(dim, input.ndim)[0]
    if x.ndim == 0:
        x, d = x.reshape(1), 0
    values = sort(x, d).values  # nan last
    n = x.array.shape[d]
    nan = xp.isnan(x.array)
    count = (n - nan.sum(axis=d, keepdims=True)) if ignore_nan else xp.full(
        nan.sum(axis=d, keepdims=True).shape, n)  # fmt: skip
    outs = []
    for qv in qs.tolist():
        rank = qv * (count - 1)
        lo = xp.floor(rank).astype("int64")
        hi = xp.ceil(rank).astype("int64")
        lo, hi = xp.clip(lo, 0, n - 1), xp.clip(hi, 0, n - 1)
        if interpolation == "nearest":
            # NOTE: round half to even, as PyTorch's nearest (torch.round).
            lo = hi = xp.clip(xp.round(rank).astype("int64"), 0, n - 1)
        elif interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        a = values.gather(d, const(lo))
        b = values.gather(d, const(hi))
        if interpolation == "midpoint":
            out = (a + b) * 0.5
        elif interpolation == "linear":
            w = const((rank - xp.floor(rank)).astype(input.array.dtype))
            out = a.lerp(b, w) if hi is not lo else a
        else:
            out = a
        if not ignore_nan:
            has_nan = const(nan.any(axis=d, keepdims=True))
            out = out.where(~has_nan, out.new_full((), math.nan))
        else:
            empty = const(count == 0)
            out = out.where(~empty, out.new_full((), math.nan))
        if not keepdim or dim is None:
            out = out.squeeze(d) if dim is not None else out.reshape(())
        if keepdim and dim is None:
            out = out.reshape(*([1] * input.ndim))
        outs.append(out)
    if q_scalar:
        return outs[0]
    from .shape import stack

    return stack(outs, 0)


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:  # fmt: skip
    """The ``q``-th quantiles (a number or a 1-D tensor of them in [0, 1]) over ``dim`` (all
    elements by default); nan if the reduced values contain nan (``torch.quantile``)."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:  # fmt: skip
    """:func:`quantile` ignoring nan values (``torch.nanquantile``)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), optionally weighted (``torch.cov``)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")  # fmt: skip
    x = as_float(input)
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n = x.array.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.array.dtype)
    if aweights is not None:
        w = aweights.to(x.array.dtype) if w is None else w * aweights.to(x.array.dtype)
    if w is None:
        mean = x.mean(1, keepdim=True)
        total = float(n)
        norm = total - correction
    else:
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights.to(x.array.dtype)).sum() / total
    centered = x - mean
    weighted = centered if w is None else centered * w
    out = weighted @ centered.mT / norm
    return out.reshape(()) if input.ndim < 2 else out


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1]
    (``torch.corrcoef``)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    out = c / d.unsqueeze(1) / d.unsqueeze(0)
    return out.clamp(-1, 1)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (``torch.dist``)."""
    from .reduce import norm

    return norm(input - other, p)


def _spacing(y: Tensor, x, dx, d: int):
    if x is not None:
        if not isinstance(x, Tensor):
            x = Tensor._make(array_backend.get_array_module(y.array).asarray(x))
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[d] = -1
            x = x.reshape(*shape)
        n = x.array.shape[d] if x.ndim else 1
        return x.narrow(d, 1, n - 1) - x.narrow(d, 0, n - 1)
    return 1.0 if dx is None else dx


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``, with sample points ``x`` or spacing ``dx``
    (``torch.trapezoid``)."""
    d = norm_dim(dim, y.ndim)[0]
    n = y.array.shape[d]
    if n == 0:
        return as_float(y).sum(d)
    spacing = _spacing(y, x, dx, d)
    mids = (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) * 0.5
    return (mids * spacing).sum(d)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim`` (``torch.cumulative_trapezoid``)."""
    d = norm_dim(dim, y.ndim)[0]
    n = y.array.shape[d]
    spacing = _spacing(y, x, dx, d)
    mids = (y.narrow(d, 1, max(n - 1, 0)) + y.narrow(d, 0, max(n - 1, 0))) * 0.5
    return (mids * spacing).cumsum(d)
