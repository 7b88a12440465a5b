"""Tensor methods for arithmetic, element-wise math and comparisons: one-line delegations to
``ops`` (``Tensor`` inherits them from ``ElementwiseMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time
from .._args import dim_aliases


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

    @dim_aliases
    def softmax(self, dim, dtype=None):
        return _t._ops.softmax(self, dim, dtype)

    @dim_aliases
    def log_softmax(self, dim, dtype=None):
        return _t._ops.log_softmax(self, dim, dtype)

    # --- more arithmetic -------------------------------------------------------------------------
    def true_divide(self, other):
        return _t._ops.div(self, other)

    def floor_divide(self, other):
        return _t._ops.div(self, other, rounding_mode="floor")

    def negative(self):
        return _t._ops.Neg()(self)

    def absolute(self):
        return _t._ops.abs(self)

    def sgn(self):
        return _t._ops.sign(self)

    def clamp_min(self, min):
        return _t._ops.clamp(self, min=min)

    def clamp_max(self, max):
        return _t._ops.clamp(self, max=max)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _t._ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _t._ops.addcdiv(self, tensor1, tensor2, value=value)

    def lerp(self, end, weight):
        return _t._ops.lerp(self, end, weight)

    def fmod(self, other):
        return _t._ops.fmod(self, other)

    def remainder(self, other):
        return _t._ops.remainder(self, other)

    def fmax(self, other):
        return _t._ops.fmax(self, other)

    def fmin(self, other):
        return _t._ops.fmin(self, other)

    def hypot(self, other):
        return _t._ops.hypot(self, other)

    def atan2(self, other):
        return _t._ops.atan2(self, other)

    arctan2 = atan2

    def xlogy(self, other):
        return _t._ops.xlogy(self, other)

    def logaddexp(self, other):
        return _t._ops.logaddexp(self, other)

    def float_power(self, exponent):
        return _t._ops.float_power(self, exponent)

    # --- trigonometric, hyperbolic and special functions -----------------------------------------
    def tan(self):
        return _t._ops.tan(self)

    def sinh(self):
        return _t._ops.sinh(self)

    def cosh(self):
        return _t._ops.cosh(self)

    def asin(self):
        return _t._ops.asin(self)

    def acos(self):
        return _t._ops.acos(self)

    def atan(self):
        return _t._ops.atan(self)

    def asinh(self):
        return _t._ops.asinh(self)

    def acosh(self):
        return _t._ops.acosh(self)

    def atanh(self):
        return _t._ops.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def erf(self):
        return _t._ops.erf(self)

    def erfc(self):
        return _t._ops.erfc(self)

    def erfinv(self):
        return _t._ops.erfinv(self)

    def lgamma(self):
        return _t._ops.lgamma(self)

    def digamma(self):
        return _t._ops.digamma(self)

    def polygamma(self, n):
        return _t._ops.polygamma(n, self)

    def log2(self):
        return _t._ops.log2(self)

    def log10(self):
        return _t._ops.log10(self)

    def exp2(self):
        return _t._ops.exp2(self)

    def logit(self, eps=None):
        return _t._ops.logit(self, eps)

    def sinc(self):
        return _t._ops.sinc(self)

    def deg2rad(self):
        return _t._ops.deg2rad(self)

    def rad2deg(self):
        return _t._ops.rad2deg(self)

    # --- rounding --------------------------------------------------------------------------------
    def floor(self):
        return _t._ops.floor(self)

    def ceil(self):
        return _t._ops.ceil(self)

    def round(self, decimals=0):
        return _t._ops.round(self, decimals=decimals)

    def trunc(self):
        return _t._ops.trunc(self)

    fix = trunc

    def frac(self):
        return _t._ops.frac(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _t._ops.nan_to_num(self, nan, posinf, neginf)

    # --- comparisons, tests, logical and bitwise (no gradient) -----------------------------------
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _t._ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _t._ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return _t._ops.equal(self, other)

    def isnan(self):
        return _t._ops.isnan(self)

    def isfinite(self):
        return _t._ops.isfinite(self)

    def isinf(self):
        return _t._ops.isinf(self)

    def isposinf(self):
        return _t._ops.isposinf(self)

    def isneginf(self):
        return _t._ops.isneginf(self)

    def isreal(self):
        return _t._ops.isreal(self)

    def signbit(self):
        return _t._ops.signbit(self)

    def is_nonzero(self):
        return _t._ops.is_nonzero(self)

    def logical_and(self, other):
        return _t._ops.logical_and(self, other)

    def logical_or(self, other):
        return _t._ops.logical_or(self, other)

    def logical_xor(self, other):
        return _t._ops.logical_xor(self, other)

    def logical_not(self):
        return _t._ops.logical_not(self)

    def bitwise_and(self, other):
        return _t._ops.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _t._ops.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _t._ops.bitwise_xor(self, other)

    def bitwise_not(self):
        return _t._ops.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _t._ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _t._ops.bitwise_right_shift(self, other)

    def nonzero(self, *, as_tuple=False):
        return _t._ops.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _t._ops.argwhere(self)

    # --- sampling with this tensor's values as parameters ----------------------------------------
    def bernoulli(self, p=None, *, generator=None):
        return _t._ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _t._ops.multinomial(self, num_samples, replacement, generator=generator)
