"""Tensor methods for arithmetic, element-wise math and comparisons: one-line delegations to
``ops`` (``Tensor`` inherits them from ``ElementwiseMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time
from .._args import dim_aliases


class ElementwiseMethods:
    __slots__ = ()

    def add(self, other, alpha=1):
        """self + alpha * other, broadcast (``torch.Tensor.add``)."""
        return _t._ops.add(self, other, alpha=alpha)

    def sub(self, other, alpha=1):
        """self - alpha * other, broadcast (``torch.Tensor.sub``)."""
        return _t._ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        """self * other, broadcast (``torch.Tensor.mul``)."""
        return _t._ops.mul(self, other)

    def div(self, other, rounding_mode=None):
        """self / other, broadcast; ``rounding_mode`` ``'trunc'`` or ``'floor'`` rounds
        (``torch.Tensor.div``)."""
        return _t._ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        """self ** exponent, element-wise (``torch.Tensor.pow``)."""
        return _t._ops.pow(self, exponent)

    def neg(self):
        """-self (``torch.Tensor.neg``)."""
        return _t._ops.Neg()(self)

    def matmul(self, other):
        """The matrix product self @ other, batched and broadcast as ``autograd_engine.matmul``
        (``torch.Tensor.matmul``)."""
        return _t._ops.matmul(self, other)

    def eq(self, other):
        """self == other, element-wise, as a bool tensor (``torch.Tensor.eq``)."""
        return self == other

    def ne(self, other):
        """self != other, element-wise, as a bool tensor (``torch.Tensor.ne``)."""
        return self != other

    def lt(self, other):
        """self < other, element-wise, as a bool tensor (``torch.Tensor.lt``)."""
        return self < other

    def le(self, other):
        """self <= other, element-wise, as a bool tensor (``torch.Tensor.le``)."""
        return self <= other

    def gt(self, other):
        """self > other, element-wise, as a bool tensor (``torch.Tensor.gt``)."""
        return self > other

    def ge(self, other):
        """self >= other, element-wise, as a bool tensor (``torch.Tensor.ge``)."""
        return self >= other

    def exp(self):
        """e^self, element-wise (``torch.Tensor.exp``)."""
        return _t._ops.exp(self)

    def log(self):
        """The natural logarithm, element-wise (``torch.Tensor.log``)."""
        return _t._ops.log(self)

    def log1p(self):
        """log(1 + self), accurate for small values (``torch.Tensor.log1p``)."""
        return _t._ops.log1p(self)

    def expm1(self):
        """e^self - 1, accurate for small values (``torch.Tensor.expm1``)."""
        return _t._ops.expm1(self)

    def sqrt(self):
        """The square root, element-wise (``torch.Tensor.sqrt``)."""
        return _t._ops.sqrt(self)

    def rsqrt(self):
        """1 / sqrt(self), element-wise (``torch.Tensor.rsqrt``)."""
        return _t._ops.rsqrt(self)

    def square(self):
        """self * self, element-wise (``torch.Tensor.square``)."""
        return _t._ops.square(self)

    def reciprocal(self):
        """1 / self, element-wise (``torch.Tensor.reciprocal``)."""
        return _t._ops.reciprocal(self)

    def abs(self):
        """The absolute value, element-wise (``torch.Tensor.abs``)."""
        return _t._ops.abs(self)

    def sign(self):
        """-1, 0 or 1 by the sign of each element (``torch.Tensor.sign``)."""
        return _t._ops.sign(self)

    def sin(self):
        """The sine, element-wise (``torch.Tensor.sin``)."""
        return _t._ops.sin(self)

    def cos(self):
        """The cosine, element-wise (``torch.Tensor.cos``)."""
        return _t._ops.cos(self)

    def tanh(self):
        """The hyperbolic tangent, element-wise (``torch.Tensor.tanh``)."""
        return _t._ops.tanh(self)

    def sigmoid(self):
        """1 / (1 + e^-self), element-wise (``torch.Tensor.sigmoid``)."""
        return _t._ops.sigmoid(self)

    def relu(self):
        """max(self, 0), element-wise (``torch.Tensor.relu``)."""
        return _t._ops.relu(self)

    def clamp(self, min=None, max=None):
        """Each element clamped into [min, max] (``torch.Tensor.clamp``; ``clip`` is the same)."""
        return _t._ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """The element-wise maximum with ``other`` (``torch.Tensor.maximum``)."""
        return _t._ops.maximum(self, other)

    def minimum(self, other):
        """The element-wise minimum with ``other`` (``torch.Tensor.minimum``)."""
        return _t._ops.minimum(self, other)

    def where(self, condition, other):
        """self where ``condition`` is true, else ``other`` (``torch.Tensor.where``)."""
        return _t._ops.where(condition, self, other)

    @dim_aliases
    def softmax(self, dim, dtype=None):
        """The softmax along ``dim`` (``torch.Tensor.softmax``)."""
        return _t._ops.softmax(self, dim, dtype)

    @dim_aliases
    def log_softmax(self, dim, dtype=None):
        """The log of the softmax along ``dim``, computed stably (``torch.Tensor.log_softmax``)."""
        return _t._ops.log_softmax(self, dim, dtype)

    # --- more arithmetic -------------------------------------------------------------------------
    def true_divide(self, other):
        """a / b, true division (``torch.Tensor.true_divide``, an alias of ``div``). The method form
        of ``autograd_engine.true_divide``."""
        return _t._ops.div(self, other)

    def floor_divide(self, other):
        """a // b rounded toward minus infinity (``torch.Tensor.floor_divide``). The method form of
        ``autograd_engine.floor_divide``."""
        return _t._ops.div(self, other, rounding_mode="floor")

    def negative(self):
        """-self (``torch.Tensor.negative``, the same as ``neg``)."""
        return _t._ops.Neg()(self)

    def absolute(self):
        """The absolute value, element-wise (``torch.Tensor.absolute``, the same as ``abs``)."""
        return _t._ops.abs(self)

    def sgn(self):
        """-1, 0 or 1 by the sign of each element (``torch.Tensor.sgn``; for real tensors the same
        as ``sign``)."""
        return _t._ops.sign(self)

    def clamp_min(self, min):
        """Each element clamped to at least ``min`` (``torch.Tensor.clamp_min``)."""
        return _t._ops.clamp(self, min=min)

    def clamp_max(self, max):
        """Each element clamped to at most ``max`` (``torch.Tensor.clamp_max``)."""
        return _t._ops.clamp(self, max=max)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """input + value * tensor1 * tensor2 (``torch.Tensor.addcmul``). The method form of
        ``autograd_engine.addcmul``."""
        return _t._ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """input + value * tensor1 / tensor2 (``torch.Tensor.addcdiv``); integer division is
        refused, as in PyTorch. The method form of ``autograd_engine.addcdiv``."""
        return _t._ops.addcdiv(self, tensor1, tensor2, value=value)

    def lerp(self, end, weight):
        """input + weight * (end - input), with a tensor or number weight (``torch.Tensor.lerp``).
        The method form of ``autograd_engine.lerp``."""
        return _t._ops.lerp(self, end, weight)

    def fmod(self, other):
        """The remainder of division with the sign of the dividend, C's fmod
        (``torch.Tensor.fmod``). The method form of ``autograd_engine.fmod``."""
        return _t._ops.fmod(self, other)

    def remainder(self, other):
        """The remainder with the sign of the divisor, Python's % (``torch.Tensor.remainder``). The
        method form of ``autograd_engine.remainder``."""
        return _t._ops.remainder(self, other)

    def fmax(self, other):
        """Element-wise maximum that ignores nan (the other value wins) (``torch.Tensor.fmax``). The
        method form of ``autograd_engine.fmax``."""
        return _t._ops.fmax(self, other)

    def fmin(self, other):
        """Element-wise minimum that ignores nan (the other value wins) (``torch.Tensor.fmin``). The
        method form of ``autograd_engine.fmin``."""
        return _t._ops.fmin(self, other)

    def hypot(self, other):
        """sqrt(input^2 + other^2) without overflow (``torch.Tensor.hypot``). The method form of
        ``autograd_engine.hypot``."""
        return _t._ops.hypot(self, other)

    def atan2(self, other):
        """The angle of the point (other, input), in (-pi, pi] (``torch.Tensor.atan2``). The method
        form of ``autograd_engine.atan2``."""
        return _t._ops.atan2(self, other)

    arctan2 = atan2

    def xlogy(self, other):
        """input * ln(other), 0 where input is 0 (``torch.Tensor.xlogy``). The method form of
        ``autograd_engine.xlogy``."""
        return _t._ops.xlogy(self, other)

    def logaddexp(self, other):
        """ln(e^input + e^other), stable for large values (``torch.Tensor.logaddexp``). The method
        form of ``autograd_engine.logaddexp``."""
        return _t._ops.logaddexp(self, other)

    def float_power(self, exponent):
        """input ** exponent computed in float64 (``torch.Tensor.float_power``). The method form of
        ``autograd_engine.float_power``."""
        return _t._ops.float_power(self, exponent)

    # --- trigonometric, hyperbolic and special functions -----------------------------------------
    def tan(self):
        """Element-wise tangent (``torch.Tensor.tan``). The method form of
        ``autograd_engine.tan``."""
        return _t._ops.tan(self)

    def sinh(self):
        """Element-wise hyperbolic sine (``torch.Tensor.sinh``). The method form of
        ``autograd_engine.sinh``."""
        return _t._ops.sinh(self)

    def cosh(self):
        """Element-wise hyperbolic cosine (``torch.Tensor.cosh``). The method form of
        ``autograd_engine.cosh``."""
        return _t._ops.cosh(self)

    def asin(self):
        """Element-wise arcsine, nan outside [-1, 1] (``torch.Tensor.asin``). The method form of
        ``autograd_engine.asin``."""
        return _t._ops.asin(self)

    def acos(self):
        """Element-wise arccosine, nan outside [-1, 1] (``torch.Tensor.acos``). The method form of
        ``autograd_engine.acos``."""
        return _t._ops.acos(self)

    def atan(self):
        """Element-wise arctangent (``torch.Tensor.atan``). The method form of
        ``autograd_engine.atan``."""
        return _t._ops.atan(self)

    def asinh(self):
        """Element-wise inverse hyperbolic sine (``torch.Tensor.asinh``). The method form of
        ``autograd_engine.asinh``."""
        return _t._ops.asinh(self)

    def acosh(self):
        """Element-wise inverse hyperbolic cosine, nan below 1 (``torch.Tensor.acosh``). The method
        form of ``autograd_engine.acosh``."""
        return _t._ops.acosh(self)

    def atanh(self):
        """Element-wise inverse hyperbolic tangent (``torch.Tensor.atanh``). The method form of
        ``autograd_engine.atanh``."""
        return _t._ops.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def erf(self):
        """The error function (``torch.Tensor.erf``). The method form of ``autograd_engine.erf``."""
        return _t._ops.erf(self)

    def erfc(self):
        """The complementary error function 1 - erf (``torch.Tensor.erfc``). The method form of
        ``autograd_engine.erfc``."""
        return _t._ops.erfc(self)

    def erfinv(self):
        """The inverse error function on (-1, 1) (``torch.Tensor.erfinv``). The method form of
        ``autograd_engine.erfinv``."""
        return _t._ops.erfinv(self)

    def lgamma(self):
        """ln |Gamma(input)| (``torch.Tensor.lgamma``). The method form of
        ``autograd_engine.lgamma``."""
        return _t._ops.lgamma(self)

    def digamma(self):
        """The logarithmic derivative of Gamma (``torch.Tensor.digamma``). The method form of
        ``autograd_engine.digamma``."""
        return _t._ops.digamma(self)

    def polygamma(self, n):
        """The n-th derivative of digamma (``torch.Tensor.polygamma``). The method form of
        ``autograd_engine.polygamma``."""
        return _t._ops.polygamma(n, self)

    def log2(self):
        """Base-2 logarithm (``torch.Tensor.log2``). The method form of ``autograd_engine.log2``."""
        return _t._ops.log2(self)

    def log10(self):
        """Base-10 logarithm (``torch.Tensor.log10``). The method form of
        ``autograd_engine.log10``."""
        return _t._ops.log10(self)

    def exp2(self):
        """2 to the power ``input`` (``torch.Tensor.exp2``). The method form of
        ``autograd_engine.exp2``."""
        return _t._ops.exp2(self)

    def logit(self, eps=None):
        """ln(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]
        (``torch.Tensor.logit``). The method form of ``autograd_engine.logit``."""
        return _t._ops.logit(self, eps)

    def sinc(self):
        """sin(pi x) / (pi x), and 1 at 0 (``torch.Tensor.sinc``). The method form of
        ``autograd_engine.sinc``."""
        return _t._ops.sinc(self)

    def i0(self):
        """The modified Bessel function of the first kind, order 0 (``torch.Tensor.i0``).
        The method form of ``autograd_engine.i0``."""
        return _t._ops.i0(self)

    def copysign(self, other):
        """The magnitude of this tensor with the sign of ``other``
        (``torch.Tensor.copysign``). The method form of ``autograd_engine.copysign``."""
        return _t._ops.copysign(self, other)

    def heaviside(self, values):
        """The Heaviside step: 0 below zero, 1 above, ``values`` at zero
        (``torch.Tensor.heaviside``). The method form of ``autograd_engine.heaviside``."""
        return _t._ops.heaviside(self, values)

    def gcd(self, other):
        """The elementwise greatest common divisor of integer tensors
        (``torch.Tensor.gcd``). The method form of ``autograd_engine.gcd``."""
        return _t._ops.gcd(self, other)

    def lcm(self, other):
        """The elementwise least common multiple of integer tensors
        (``torch.Tensor.lcm``). The method form of ``autograd_engine.lcm``."""
        return _t._ops.lcm(self, other)

    def positive(self):
        """The tensor itself (``torch.Tensor.positive``, unary plus)."""
        return self

    def deg2rad(self):
        """Degrees to radians (``torch.Tensor.deg2rad``). The method form of
        ``autograd_engine.deg2rad``."""
        return _t._ops.deg2rad(self)

    def rad2deg(self):
        """Radians to degrees (``torch.Tensor.rad2deg``). The method form of
        ``autograd_engine.rad2deg``."""
        return _t._ops.rad2deg(self)

    # --- rounding --------------------------------------------------------------------------------
    def floor(self):
        """Round down; the gradient is zero (``torch.Tensor.floor``). The method form of
        ``autograd_engine.floor``."""
        return _t._ops.floor(self)

    def ceil(self):
        """Round up; the gradient is zero (``torch.Tensor.ceil``). The method form of
        ``autograd_engine.ceil``."""
        return _t._ops.ceil(self)

    def round(self, decimals=0):
        """Round half to even, optionally to ``decimals`` places (``torch.Tensor.round``). The
        method form of ``autograd_engine.round``."""
        return _t._ops.round(self, decimals=decimals)

    def trunc(self):
        """Round toward zero; the gradient is zero (``torch.Tensor.trunc``). The method form of
        ``autograd_engine.trunc``."""
        return _t._ops.trunc(self)

    fix = trunc

    def frac(self):
        """input - trunc(input), with the sign of input (``torch.Tensor.frac``). The method form of
        ``autograd_engine.frac``."""
        return _t._ops.frac(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
        largest and smallest values) (``torch.Tensor.nan_to_num``). The method form of
        ``autograd_engine.nan_to_num``."""
        return _t._ops.nan_to_num(self, nan, posinf, neginf)

    # --- comparisons, tests, logical and bitwise (no gradient) -----------------------------------
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|input - other| <= atol + rtol |other| element-wise (``torch.Tensor.isclose``). The
        method form of ``autograd_engine.isclose``."""
        return _t._ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Whether every element is close (``isclose``), a Python bool (``torch.Tensor.allclose``).
        The method form of ``autograd_engine.allclose``."""
        return _t._ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        """True if both tensors have the same size and elements (``torch.Tensor.equal``). The method
        form of ``autograd_engine.equal``."""
        return _t._ops.equal(self, other)

    def isnan(self):
        """Which elements are NaN, as a bool tensor (``torch.Tensor.isnan``)."""
        return _t._ops.isnan(self)

    def isfinite(self):
        """Which elements are finite, as a bool tensor (``torch.Tensor.isfinite``)."""
        return _t._ops.isfinite(self)

    def isinf(self):
        """Whether each element is +inf or -inf (``torch.Tensor.isinf``). The method form of
        ``autograd_engine.isinf``."""
        return _t._ops.isinf(self)

    def isposinf(self):
        """Whether each element is +inf (``torch.Tensor.isposinf``). The method form of
        ``autograd_engine.isposinf``."""
        return _t._ops.isposinf(self)

    def isneginf(self):
        """Whether each element is -inf (``torch.Tensor.isneginf``). The method form of
        ``autograd_engine.isneginf``."""
        return _t._ops.isneginf(self)

    def isreal(self):
        """All true: tensors here are real (``torch.Tensor.isreal``). The method form of
        ``autograd_engine.isreal``."""
        return _t._ops.isreal(self)

    def signbit(self):
        """Whether each sign bit is set, -0.0 included (``torch.Tensor.signbit``). The method form
        of ``autograd_engine.signbit``."""
        return _t._ops.signbit(self)

    def is_nonzero(self):
        """The truth value of a one-element tensor (``torch.Tensor.is_nonzero``). The method form of
        ``autograd_engine.is_nonzero``."""
        return _t._ops.is_nonzero(self)

    def logical_and(self, other):
        """Element-wise ``input and other`` on truth values, a bool tensor
        (``torch.Tensor.logical_and``). The method form of ``autograd_engine.logical_and``."""
        return _t._ops.logical_and(self, other)

    def logical_or(self, other):
        """Element-wise ``input or other`` on truth values (``torch.Tensor.logical_or``). The method
        form of ``autograd_engine.logical_or``."""
        return _t._ops.logical_or(self, other)

    def logical_xor(self, other):
        """Element-wise exclusive or on truth values (``torch.Tensor.logical_xor``). The method form
        of ``autograd_engine.logical_xor``."""
        return _t._ops.logical_xor(self, other)

    def logical_not(self):
        """Element-wise ``not input``, a bool tensor (``torch.Tensor.logical_not``). The method form
        of ``autograd_engine.logical_not``."""
        return _t._ops.logical_not(self)

    def bitwise_and(self, other):
        """Element-wise bitwise and of integer or bool tensors (``torch.Tensor.bitwise_and``). The
        method form of ``autograd_engine.bitwise_and``."""
        return _t._ops.bitwise_and(self, other)

    def bitwise_or(self, other):
        """Element-wise bitwise or of integer or bool tensors (``torch.Tensor.bitwise_or``). The
        method form of ``autograd_engine.bitwise_or``."""
        return _t._ops.bitwise_or(self, other)

    def bitwise_xor(self, other):
        """Element-wise bitwise xor of integer or bool tensors (``torch.Tensor.bitwise_xor``). The
        method form of ``autograd_engine.bitwise_xor``."""
        return _t._ops.bitwise_xor(self, other)

    def bitwise_not(self):
        """Bitwise not of an integer tensor, logical not of a bool one
        (``torch.Tensor.bitwise_not``). The method form of ``autograd_engine.bitwise_not``."""
        return _t._ops.bitwise_not(self)

    def bitwise_left_shift(self, other):
        """input << other for integer tensors (``torch.Tensor.bitwise_left_shift``). The method form
        of ``autograd_engine.bitwise_left_shift``."""
        return _t._ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        """input >> other for integer tensors (``torch.Tensor.bitwise_right_shift``). The method
        form of ``autograd_engine.bitwise_right_shift``."""
        return _t._ops.bitwise_right_shift(self, other)

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero elements: an int64 tensor (n, ndim), or a tuple of one index
        tensor per dimension with ``as_tuple=True`` (``torch.Tensor.nonzero``). The method form of
        ``autograd_engine.nonzero``."""
        return _t._ops.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        """Indices of the nonzero elements, (n, ndim) int64 (``torch.Tensor.argwhere``). The method
        form of ``autograd_engine.argwhere``."""
        return _t._ops.argwhere(self)

    # --- sampling with this tensor's values as parameters ----------------------------------------
    def bernoulli(self, p=None, *, generator=None):
        """0/1 samples, 1 with probability ``input`` (or the number ``p``), in ``input``'s dtype
        (``torch.Tensor.bernoulli``). The method form of ``autograd_engine.bernoulli``."""
        return _t._ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn from the categorical distributions whose (unnormalized) weights are the
        rows of ``input`` (1-D or 2-D), with or without replacement (``torch.Tensor.multinomial``).
        The method form of ``autograd_engine.multinomial``."""
        return _t._ops.multinomial(self, num_samples, replacement, generator=generator)
