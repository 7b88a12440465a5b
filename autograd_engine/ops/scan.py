"""Scans along a dimension: cumsum, cumprod, logcumsumexp, and diff."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import const, norm_dim

__all__ = ["Cumsum", "Cumprod", "cumsum", "cumprod", "logcumsumexp", "diff"]


class Cumsum(Node):
    """y_i = sum of a_j for j <= i along ``dim``."""

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, a):
        return array_backend.get_array_module(a).cumsum(a, axis=self.dim)

    def backward(self, grad):
        # NOTE: the reversed cumulative sum: each input feeds every later output.
        d = self.dim
        return grad.flip(d).cumsum(d).flip(d)


class Cumprod(Node):
    """y_i = product of a_j for j <= i along ``dim``."""

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        return array_backend.get_array_module(a).cumprod(a, axis=self.dim)

    def backward(self, grad):
        a, out = self.saved_tensors
        d = self.dim
        if not (a.array == 0).any():
            return (grad * out).flip(d).cumsum(d).flip(d) / a
        # NOTE: with zeros the division is undefined: the exact gradient is computed on the
        # arrays (a constant: no second order through zeros, as for prod).
        return const(_cumprod_grad(a.array, grad.array, d))


def _cumprod_grad(x, g, axis: int):
    """d/dx_i of sum_k g_k prod_{j<=k} x_j = (prod_{j<i} x_j) * R_i with R_i = g_i + x_{i+1}
    R_{i+1}: one pass backward over the dimension, vectorized over the others."""
    xp = array_backend.get_array_module(x)
    x, g = xp.moveaxis(x, axis, 0), xp.moveaxis(g, axis, 0)
    n = x.shape[0]
    left = xp.concatenate([xp.ones_like(x[:1]), xp.cumprod(x[:-1], axis=0)], axis=0)
    acc = xp.empty_like(g)
    acc[n - 1] = g[n - 1]
    for i in range(n - 2, -1, -1):
        acc[i] = g[i] + x[i + 1] * acc[i + 1]
    return xp.moveaxis(left * acc, 0, axis)


def _scan_input(input: Tensor, dtype):
    if dtype is not None:
        return input.to(dtype)
    if input.array.dtype.kind in "biu":
        return input.long()  # integer scans accumulate in int64, as in PyTorch
    return input


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim`` (``torch.cumsum``); integers accumulate as int64."""
    x = _scan_input(input, dtype)
    if x.ndim == 0:
        return x.clone()
    return Cumsum(norm_dim(dim, x.ndim)[0])(x)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim`` (``torch.cumprod``); exact gradients through zeros."""
    x = _scan_input(input, dtype)
    if x.ndim == 0:
        return x.clone()
    return Cumprod(norm_dim(dim, x.ndim)[0])(x)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, without overflow (``torch.logcumsumexp``)."""
    if input.ndim == 0:
        return input.clone()
    d = norm_dim(dim, input.ndim)[0]
    m = input.detach().amax(d, keepdim=True)
    m = m.where(m.isfinite(), m.new_zeros(()))
    out = (input - m).exp().cumsum(d).log() + m
    if out.grad_fn is not None:
        out.grad_fn._backward_name = "LogcumsumexpBackward0"
    return out


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``torch.diff``)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    from .shape import cat, narrow

    d = norm_dim(dim, input.ndim)[0]
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x.array.shape[d]
        if size == 0:
            break
        if x.array.dtype.kind == "b":
            x = (
                x[tuple([slice(None)] * d + [slice(1, None)])]
                != x[tuple([slice(None)] * d + [slice(0, -1)])]
            )
        else:
            x = narrow(x, d, 1, size - 1) - narrow(x, d, 0, size - 1)
    return x
