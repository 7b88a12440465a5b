"""Trigonometric, hyperbolic and special functions: tan, sinh, cosh, the inverse functions,
atan2, hypot, erf/erfc/erfinv, lgamma/digamma, log2/log10/exp2, logit, xlogy, logaddexp and
lerp, each with PyTorch's gradient."""

from __future__ import annotations

import math

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import as_float as _float
from ._util import binary, const

__all__ = [
    "Tan", "Sinh", "Cosh", "Asin", "Acos", "Atan", "Asinh", "Acosh", "Atanh", "Atan2", "Hypot",
    "Erf", "Erfc", "Erfinv", "Lgamma", "Digamma", "Polygamma", "Log2", "Log10", "Exp2", "Logit",
    "Xlogy", "Lerp", "I0", "I1", "Entr",
    "tan", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arcsin",
    "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "atan2", "hypot", "erf",
    "erfc", "erfinv", "lgamma", "digamma", "polygamma", "log2", "log10", "exp2", "logit",
    "xlogy", "logaddexp", "logaddexp2", "lerp", "deg2rad", "rad2deg", "float_power", "sinc",
    "i0", "i1", "entr",
]  # fmt: skip


def _xp(a):
    return array_backend.get_array_module(a)


class Tan(Node):
    """y = tan a; dy/da = 1 + y^2."""

    def forward(self, a):
        self.save_output()
        return _xp(a).tan(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (out * out + 1)


class Sinh(Node):
    """y = sinh a."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).sinh(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * a.cosh()


class Cosh(Node):
    """y = cosh a."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).cosh(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * a.sinh()


class Asin(Node):
    """y = arcsin a; dy/da = 1 / sqrt(1 - a^2)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arcsin(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * (1 - a * a).rsqrt()


class Acos(Node):
    """y = arccos a; dy/da = -1 / sqrt(1 - a^2)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arccos(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return -grad * (1 - a * a).rsqrt()


class Atan(Node):
    """y = arctan a; dy/da = 1 / (1 + a^2)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arctan(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / (a * a + 1)


class Asinh(Node):
    """y = arsinh a; dy/da = 1 / sqrt(a^2 + 1)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arcsinh(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * (a * a + 1).rsqrt()


class Acosh(Node):
    """y = arcosh a; dy/da = 1 / sqrt(a^2 - 1)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arccosh(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * (a * a - 1).rsqrt()


class Atanh(Node):
    """y = artanh a; dy/da = 1 / (1 - a^2)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).arctanh(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / (1 - a * a)


class Atan2(Node):
    """y = atan2(a, b), the angle of the point (b, a)."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).arctan2(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        scale = grad / (a * a + b * b)
        return (scale * b if need_a else None), (-scale * a if need_b else None)


class Hypot(Node):
    """y = sqrt(a^2 + b^2), without overflow."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        self.save_output()
        return _xp(a).hypot(a, b)

    def backward(self, grad):
        a, b, out = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (grad * a / out if need_a else None), (grad * b / out if need_b else None)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Node):
    """y = erf a; dy/da = 2 / sqrt(pi) e^(-a^2)."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.erf(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * (-(a * a)).exp() * _TWO_OVER_SQRT_PI


class Erfc(Node):
    """y = 1 - erf a, accurate for large a."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.special("erfc")(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return -grad * (-(a * a)).exp() * _TWO_OVER_SQRT_PI


class Erfinv(Node):
    """y = erf^-1(a); dy/da = sqrt(pi) / 2 e^(y^2)."""

    def forward(self, a):
        self.save_output()
        return array_backend.erfinv(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (out * out).exp() * (math.sqrt(math.pi) / 2)


class Lgamma(Node):
    """y = ln |Gamma(a)|; dy/da = digamma(a)."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.special("gammaln")(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * digamma(a)


class Digamma(Node):
    """y = digamma(a) = d/da ln Gamma(a); dy/da = polygamma(1, a)."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.special("psi")(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * polygamma(1, a)


class Polygamma(Node):
    """y = polygamma(n, a), the n-th derivative of digamma; dy/da = polygamma(n + 1, a)."""

    def __init__(self, n: int):
        self.n = n

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return "PolygammaBackward0"

    def forward(self, a):
        self.save_inputs(0)
        # NOTE: CuPy's polygamma takes n as an array (a Python int fails in its cupy.where)
        n = _xp(a).asarray(self.n)
        return array_backend.special("polygamma")(n, a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * polygamma(self.n + 1, a)


class Log2(Node):
    """y = log2 a (exact at powers of two)."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).log2(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / (a * math.log(2.0))


class Log10(Node):
    """y = log10 a."""

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).log10(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / (a * math.log(10.0))


class Exp2(Node):
    """y = 2^a (exact at integers)."""

    def forward(self, a):
        self.save_output()
        return _xp(a).exp2(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * out * math.log(2.0)


class Logit(Node):
    """y = ln(a / (1 - a)), with ``a`` clamped to [eps, 1 - eps] when ``eps`` is given (the
    gradient is then 0 outside that range, as in PyTorch)."""

    def __init__(self, eps=None):
        self.eps = eps

    def forward(self, a):
        self.save_inputs(0)
        xp = _xp(a)
        if self.eps is not None:
            a = xp.clip(a, self.eps, 1 - self.eps)
        return xp.log(a / (1 - a))

    def backward(self, grad):
        (a,) = self.saved_tensors
        out = grad / (a * (1 - a))
        if self.eps is None:
            return out
        x = a.array
        inside = (x >= self.eps) & (x <= 1 - self.eps)
        return out * const(inside.astype(x.dtype))


class Xlogy(Node):
    """y = a ln b, and 0 where a == 0 (unless b is nan), as in PyTorch."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        xp = _xp(a)
        with array_backend.numpy.errstate(divide="ignore", invalid="ignore"):
            out = a * xp.log(b)
        return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), a.dtype), out)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            nonzero = const((a.array != 0).astype(a.array.dtype))
            ga = grad * xlogy(nonzero, b)
        if need_b:
            gb = grad * a / b
        return ga, gb


class Lerp(Node):
    """y = start + weight (end - start), in PyTorch's two-sided form (exact at weight 1)."""

    def forward(self, start, end, weight):
        self.save_inputs(0, 1, 2)
        xp = _xp(start)
        diff = end - start
        return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, grad):
        start, end, weight = self.saved_tensors
        need_s, need_e, need_w = self.needs_input_grad
        gs = grad * (1 - weight) if need_s else None
        ge = grad * weight if need_e else None
        gw = grad * (end - start) if need_w else None
        return gs, ge, gw


class I0(Node):
    """y = I0(a), the modified Bessel function of the first kind of order 0; dy/da = I1(a)."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.special("i0")(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * i1(a)


class I1(Node):
    """y = I1(a); dy/da = I0(a) - I1(a) / a (1/2 for |a| <= eps of the dtype, as PyTorch: the
    quotient loses all precision there)."""

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        return array_backend.special("i1")(a).astype(a.dtype, copy=False)

    def backward(self, grad):
        a, out = self.saved_tensors
        eps = array_backend.numpy.finfo(a.array.dtype).eps
        tiny = const(abs(a.array) <= eps)
        safe = a.where(~tiny, a.new_ones(()))
        return grad * (i0(a) - out / safe).where(~tiny, a.new_full((), 0.5))


class Entr(Node):
    """y = -a ln a (0 at a = 0, -inf for a < 0); dy/da = -(1 + ln a), as PyTorch's (inf at 0,
    nan below)."""

    def forward(self, a):
        self.save_inputs(0)
        xp = _xp(a)
        with array_backend.numpy.errstate(divide="ignore", invalid="ignore"):
            out = -a * xp.log(a)
        out = xp.where(a == 0, xp.zeros((), a.dtype), out)
        return xp.where(a < 0, xp.asarray(-xp.inf, dtype=a.dtype), out)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return -grad * (a.log() + 1)


# --- functions ----------------------------------------------------------------------------------
def tan(input: Tensor) -> Tensor:
    """Element-wise tangent (``torch.tan``)."""
    return Tan()(_float(input))


def sinh(input: Tensor) -> Tensor:
    """Element-wise hyperbolic sine (``torch.sinh``)."""
    return Sinh()(_float(input))


def cosh(input: Tensor) -> Tensor:
    """Element-wise hyperbolic cosine (``torch.cosh``)."""
    return Cosh()(_float(input))


def asin(input: Tensor) -> Tensor:
    """Element-wise arcsine, nan outside [-1, 1] (``torch.asin``)."""
    return Asin()(_float(input))


def acos(input: Tensor) -> Tensor:
    """Element-wise arccosine, nan outside [-1, 1] (``torch.acos``)."""
    return Acos()(_float(input))


def atan(input: Tensor) -> Tensor:
    """Element-wise arctangent (``torch.atan``)."""
    return Atan()(_float(input))


def asinh(input: Tensor) -> Tensor:
    """Element-wise inverse hyperbolic sine (``torch.asinh``)."""
    return Asinh()(_float(input))


def acosh(input: Tensor) -> Tensor:
    """Element-wise inverse hyperbolic cosine, nan below 1 (``torch.acosh``)."""
    return Acosh()(_float(input))


def atanh(input: Tensor) -> Tensor:
    """Element-wise inverse hyperbolic tangent (``torch.atanh``)."""
    return Atanh()(_float(input))


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input), in (-pi, pi] (``torch.atan2``)."""
    a, b = binary(input, other)
    return Atan2()(_float(a), _float(b))


def hypot(input, other) -> Tensor:
    """sqrt(input^2 + other^2) without overflow (``torch.hypot``)."""
    return Hypot()(*binary(input, other))


def erf(input: Tensor) -> Tensor:
    """The error function (``torch.erf``)."""
    return Erf()(_float(input))


def erfc(input: Tensor) -> Tensor:
    """The complementary error function 1 - erf (``torch.erfc``)."""
    return Erfc()(_float(input))


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on (-1, 1) (``torch.erfinv``)."""
    return Erfinv()(_float(input))


def lgamma(input: Tensor) -> Tensor:
    """ln |Gamma(input)| (``torch.lgamma``)."""
    return Lgamma()(_float(input))


def digamma(input: Tensor) -> Tensor:
    """The logarithmic derivative of Gamma (``torch.digamma``)."""
    return Digamma()(_float(input))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (``torch.polygamma``)."""
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    if n == 0:
        return digamma(input)
    return Polygamma(int(n))(_float(input))


def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm (``torch.log2``)."""
    return Log2()(_float(input))


def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm (``torch.log10``)."""
    return Log10()(_float(input))


def exp2(input: Tensor) -> Tensor:
    """2 to the power ``input`` (``torch.exp2``)."""
    return Exp2()(_float(input))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """ln(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps] (``torch.logit``)."""
    return Logit(eps)(_float(input))


def xlogy(input, other) -> Tensor:
    """input * ln(other), 0 where input is 0 (``torch.xlogy``)."""
    a, b = binary(input, other)
    return Xlogy()(_float(a), _float(b))


def logaddexp(input, other) -> Tensor:
    """ln(e^input + e^other), stable for large values (``torch.logaddexp``)."""
    a, b = binary(input, other)
    m = a.detach().maximum(b.detach())
    m = m.where(m.isfinite(), m.new_zeros(()))
    return m + ((a - m).exp() + (b - m).exp()).log()


def logaddexp2(input, other) -> Tensor:
    """log2(2^input + 2^other) (``torch.logaddexp2``)."""
    ln2 = math.log(2.0)
    return logaddexp(input * ln2, other * ln2) / ln2


def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input), with a tensor or number weight (``torch.lerp``)."""
    start, end = binary(input, end)
    if not isinstance(weight, Tensor):
        weight = Tensor._make(_xp(start.array).asarray(weight, dtype=start.array.dtype))
    if weight.array.dtype != start.array.dtype:
        raise RuntimeError(
            f"lerp: expected dtype {start.dtype} for `weight` but got dtype {weight.dtype}"
        )
    return Lerp()(start, end, weight)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0 (``torch.i0``)."""
    return I0()(_float(input))


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1 (``torch.special.i1``)."""
    return I1()(_float(input))


def entr(input: Tensor) -> Tensor:
    """-x ln x elementwise: 0 at 0, -inf below 0 (``torch.special.entr``)."""
    return Entr()(_float(input))


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians (``torch.deg2rad``)."""
    return _float(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees (``torch.rad2deg``)."""
    return _float(input) * (180.0 / math.pi)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64 (``torch.float_power``)."""
    base = input.double() if isinstance(input, Tensor) else input
    exp = exponent.double() if isinstance(exponent, Tensor) else exponent
    if not isinstance(base, Tensor):
        base = Tensor._make(_xp(exp.array).asarray(base, dtype="float64"))
    return base**exp


def sinc(input: Tensor) -> Tensor:
    """sin(pi x) / (pi x), and 1 at 0 (``torch.sinc``)."""
    x = _float(input)
    px = x * math.pi
    zero = const(x.array == 0)
    safe = px.where(~zero, px.new_ones(()))
    return (safe.sin() / safe).where(~zero, safe.new_ones(()))


arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2 = (
    asin, acos, atan, asinh, acosh, atanh, atan2
)  # fmt: skip
