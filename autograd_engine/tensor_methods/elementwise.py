"""Tensor methods for arithmetic, element-wise math and comparisons: one-line delegations to
``ops`` (``Tensor`` inherits them from ``ElementwiseMethods``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time

if TYPE_CHECKING:
    pass


class ElementwiseMethods:
    __slots__ = ()

    def add(self, other, alpha=1):
        return _t._ops.add(self, other, alpha=alpha)

    def sub(self, other, alpha=1):
        return _t._ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _t._ops.mul(self, other)

    def div(self, other, rounding_mode=None):
        return _t._ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return _t._ops.pow(self, exponent)

    def neg(self):
        return _t._ops.Neg()(self)

    def matmul(self, other):
        return _t._ops.matmul(self, other)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def exp(self):
        return _t._ops.exp(self)

    def log(self):
        return _t._ops.log(self)

    def log1p(self):
        return _t._ops.log1p(self)

    def expm1(self):
        return _t._ops.expm1(self)

    def sqrt(self):
        return _t._ops.sqrt(self)

    def rsqrt(self):
        return _t._ops.rsqrt(self)

    def square(self):
        return _t._ops.square(self)

    def reciprocal(self):
        return _t._ops.reciprocal(self)

    def abs(self):
        return _t._ops.abs(self)

    def sign(self):
        return _t._ops.sign(self)

    def sin(self):
        return _t._ops.sin(self)

    def cos(self):
        return _t._ops.cos(self)

    def tanh(self):
        return _t._ops.tanh(self)

    def sigmoid(self):
        return _t._ops.sigmoid(self)

    def relu(self):
        return _t._ops.relu(self)

    def clamp(self, min=None, max=None):
        return _t._ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _t._ops.maximum(self, other)

    def minimum(self, other):
        return _t._ops.minimum(self, other)

    def where(self, condition, other):
        return _t._ops.where(condition, self, other)

    def softmax(self, dim, dtype=None):
        return _t._ops.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _t._ops.log_softmax(self, dim, dtype)

    def isnan(self):
        return _t.Tensor._make(_t.get_array_module(self.array).isnan(self.array))

    def isfinite(self):
        return _t.Tensor._make(_t.get_array_module(self.array).isfinite(self.array))
