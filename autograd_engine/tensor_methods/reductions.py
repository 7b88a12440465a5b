"""Tensor methods that reduce, sort or scan along dimensions: one-line delegations to ``ops``
(``Tensor`` inherits them from ``ReductionMethods``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time

if TYPE_CHECKING:
    pass


class ReductionMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, dtype=None):
        return _t._ops.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return _t._ops.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False):
        return _t._ops.prod(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        return _t._ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _t._ops.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _t._ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _t._ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _t._ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _t._ops.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _t._ops.logsumexp(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _t._ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _t._ops.std(self, dim, unbiased, keepdim, correction=correction)

    def norm(self, p=2, dim=None, keepdim=False):
        return _t._ops.norm(self, p, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _t.Tensor._make(_t._as_array(self.array.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        return _t.Tensor._make(_t._as_array(self.array.all(axis=dim, keepdims=keepdim)))
