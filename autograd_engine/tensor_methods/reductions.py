"""Tensor methods that reduce, sort or scan along dimensions: one-line delegations to ``ops``
(``Tensor`` inherits them from ``ReductionMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time
from .._args import dim_aliases


class ReductionMethods:
    __slots__ = ()

    @dim_aliases
    def sum(self, dim=None, keepdim=False, dtype=None):
        return _t._ops.sum(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def mean(self, dim=None, keepdim=False, dtype=None):
        return _t._ops.mean(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def prod(self, dim=None, keepdim=False):
        return _t._ops.prod(self, dim, keepdim)

    @dim_aliases
    def max(self, dim=None, keepdim=False):
        return _t._ops.max(self, dim, keepdim)

    @dim_aliases
    def min(self, dim=None, keepdim=False):
        return _t._ops.min(self, dim, keepdim)

    @dim_aliases
    def amax(self, dim=(), keepdim=False):
        return _t._ops.amax(self, dim, keepdim)

    @dim_aliases
    def amin(self, dim=(), keepdim=False):
        return _t._ops.amin(self, dim, keepdim)

    @dim_aliases
    def argmax(self, dim=None, keepdim=False):
        return _t._ops.argmax(self, dim, keepdim)

    @dim_aliases
    def argmin(self, dim=None, keepdim=False):
        return _t._ops.argmin(self, dim, keepdim)

    @dim_aliases
    def logsumexp(self, dim, keepdim=False):
        return _t._ops.logsumexp(self, dim, keepdim)

    @dim_aliases
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _t._ops.var(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _t._ops.std(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def norm(self, p=2, dim=None, keepdim=False):
        return _t._ops.norm(self, p, dim, keepdim)

    @dim_aliases
    def any(self, dim=None, keepdim=False):
        return _t._ops.any(self, dim, keepdim)

    @dim_aliases
    def all(self, dim=None, keepdim=False):
        return _t._ops.all(self, dim, keepdim)

    @dim_aliases
    def aminmax(self, *, dim=None, keepdim=False):
        return _t._ops.aminmax(self, dim=dim, keepdim=keepdim)

    @dim_aliases
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _t._ops.nansum(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _t._ops.nanmean(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def count_nonzero(self, dim=None):
        return _t._ops.count_nonzero(self, dim)

    # --- scans -----------------------------------------------------------------------------------
    @dim_aliases
    def cumsum(self, dim, *, dtype=None):
        return _t._ops.cumsum(self, dim, dtype=dtype)

    @dim_aliases
    def cumprod(self, dim, *, dtype=None):
        return _t._ops.cumprod(self, dim, dtype=dtype)

    @dim_aliases
    def logcumsumexp(self, dim):
        return _t._ops.logcumsumexp(self, dim)

    @dim_aliases
    def cummax(self, dim):
        return _t._ops.cummax(self, dim)

    @dim_aliases
    def cummin(self, dim):
        return _t._ops.cummin(self, dim)

    @dim_aliases
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _t._ops.diff(self, n, dim, prepend, append)

    # --- ordering --------------------------------------------------------------------------------
    @dim_aliases
    def sort(self, dim=-1, descending=False, *, stable=False):
        return _t._ops.sort(self, dim, descending, stable)

    @dim_aliases
    def argsort(self, dim=-1, descending=False, *, stable=False):
        return _t._ops.argsort(self, dim, descending, stable)

    def msort(self):
        return _t._ops.msort(self)

    @dim_aliases
    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _t._ops.topk(self, k, dim, largest, sorted)

    @dim_aliases
    def kthvalue(self, k, dim=-1, keepdim=False):
        return _t._ops.kthvalue(self, k, dim, keepdim)

    @dim_aliases
    def median(self, dim=None, keepdim=False):
        return _t._ops.median(self, dim, keepdim)

    @dim_aliases
    def nanmedian(self, dim=None, keepdim=False):
        return _t._ops.nanmedian(self, dim, keepdim)

    @dim_aliases
    def mode(self, dim=-1, keepdim=False):
        return _t._ops.mode(self, dim, keepdim)

    @dim_aliases
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _t._ops.unique(self, sorted, return_inverse, return_counts, dim)

    @dim_aliases
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _t._ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _t._ops.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return _t._ops.histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return _t._ops.histogram(self, bins, range=range, weight=weight, density=density)
