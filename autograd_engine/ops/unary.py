"""Element-wise math: exp, log, powers and roots, trigonometry, sign, clamp, maximum/minimum
and where."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import as_float, binary, const, operand

__all__ = [
    "Exp",
    "Log",
    "Log1p",
    "Expm1",
    "Sqrt",
    "Abs",
    "Sign",
    "Sin",
    "Cos",
    "Clamp",
    "Maximum",
    "Minimum",
    "Where",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "square",
    "reciprocal",
    "clamp",
    "maximum",
    "minimum",
    "where",
]


class Exp(Node):
    """y = e^a."""

    _save_out = True  # what forward saves (see Node)

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        return xp.exp(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * out

    def backward_arrays(self, grad):
        (out,) = self.saved_values
        return grad * out


class Log(Node):
    """y = ln a."""

    _saved = (0,)  # what forward saves (see Node)

    def forward(self, a):
        return array_backend.get_array_module(a).log(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / a

    def backward_arrays(self, grad):
        (a,) = self.saved_values
        return grad / a


class Log1p(Node):
    """y = ln(1 + a)."""

    _backward_name = "Log1PBackward0"

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.get_array_module(a).log1p(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad / (a + 1)


class Expm1(Node):
    """y = e^a - 1."""

    def forward(self, a):
        self.save_output()
        return array_backend.get_array_module(a).expm1(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad * (out + 1)


class Sqrt(Node):
    """y = sqrt(a)."""

    def forward(self, a):
        self.save_output()
        return array_backend.get_array_module(a).sqrt(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad / (out * 2)


class Abs(Node):
    """y = |a|."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.get_array_module(a).abs(a)

    def backward(self, grad):
        # NOTE: the subgradient at 0 is 0, as in PyTorch (sign(0) = 0).
        (a,) = self.saved_tensors
        return grad * a.sign()


class Sign(Node):
    """y = sign(a); its gradient is zero everywhere."""

    def forward(self, a):
        return array_backend.get_array_module(a).sign(a)

    def backward(self, grad):
        return grad * 0


class Sin(Node):
    """y = sin a."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.get_array_module(a).sin(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * a.cos()


class Cos(Node):
    """y = cos a."""

    def forward(self, a):
        self.save_inputs(0)
        return array_backend.get_array_module(a).cos(a)

    def backward(self, grad):
        (a,) = self.saved_tensors
        return -grad * a.sin()


class Clamp(Node):
    """y = min(max(a, min), max)."""

    _backward_name = "ClampBackward1"

    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def forward(self, a):
        self.save_inputs(0)
        xp = array_backend.get_array_module(a)
        return xp.clip(a, self.min, self.max)

    def backward(self, grad):
        # NOTE: the gradient passes at the bounds themselves, as in PyTorch.
        (a,) = self.saved_tensors
        x = a.array
        mask = x == x  # True everywhere except NaN
        if self.min is not None:
            mask &= x >= self.min
        if self.max is not None:
            mask &= x <= self.max
        return grad * const(mask.astype(x.dtype))


class Maximum(Node):
    """y = max(a, b) element-wise."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return array_backend.get_array_module(a).maximum(a, b)

    def backward(self, grad):
        # NOTE: ties split the gradient 0.5 / 0.5, as in PyTorch.
        a, b = self.saved_tensors
        return _split_ties(grad, a.array, b.array, self.needs_input_grad)


class Minimum(Node):
    """y = min(a, b) element-wise."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return array_backend.get_array_module(a).minimum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_ties(grad, b.array, a.array, self.needs_input_grad)


def _split_ties(grad: Tensor, win, lose, needs) -> tuple:
    """Gradients of max(win, lose): all to the larger, half each on ties."""
    dtype = grad.array.dtype
    tie = (win == lose).astype(dtype) * 0.5
    wa = const((win > lose).astype(dtype) + tie)
    wb = const((lose > win).astype(dtype) + tie)
    return (grad * wa if needs[0] else None), (grad * wb if needs[1] else None)


class Where(Node):
    """y = a where condition else b."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return array_backend.get_array_module(a).where(self.condition, a, b)

    def backward(self, grad):
        cond = const(self.condition)
        zero = grad * 0
        need_a, need_b = self.needs_input_grad
        ga = where(cond, grad, zero) if need_a else None
        gb = where(cond, zero, grad) if need_b else None
        return ga, gb


def exp(a: Tensor) -> Tensor:
    """e^a, element-wise (``torch.exp``)."""
    return Exp()(a if a.array.dtype.kind == "f" else as_float(a))


def log(a: Tensor) -> Tensor:
    """The natural logarithm, element-wise (``torch.log``)."""
    return Log()(a if a.array.dtype.kind == "f" else as_float(a))


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate for small ``a`` (``torch.log1p``)."""
    return Log1p()(a if a.array.dtype.kind == "f" else as_float(a))


def expm1(a: Tensor) -> Tensor:
    """e^a - 1, accurate for small ``a`` (``torch.expm1``)."""
    return Expm1()(a if a.array.dtype.kind == "f" else as_float(a))


def sqrt(a: Tensor) -> Tensor:
    """The square root, element-wise (``torch.sqrt``)."""
    return Sqrt()(a if a.array.dtype.kind == "f" else as_float(a))


def rsqrt(a: Tensor) -> Tensor:
    """1 / sqrt(a), composed."""
    return 1.0 / sqrt(a)


def abs(a: Tensor) -> Tensor:
    """The absolute value, element-wise; its gradient at 0 is 0 (``torch.abs``)."""
    return Abs()(a)


def sign(a: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element; zero gradient (``torch.sign``)."""
    return Sign()(a)


def sin(a: Tensor) -> Tensor:
    """The sine, element-wise (``torch.sin``)."""
    return Sin()(a if a.array.dtype.kind == "f" else as_float(a))


def cos(a: Tensor) -> Tensor:
    """The cosine, element-wise (``torch.cos``)."""
    return Cos()(a if a.array.dtype.kind == "f" else as_float(a))


def square(a: Tensor) -> Tensor:
    """a * a, element-wise (``torch.square``)."""
    return a * a


def reciprocal(a: Tensor) -> Tensor:
    return 1.0 / a


def clamp(a: Tensor, min=None, max=None) -> Tensor:
    """Clamp into [min, max] (``torch.clamp``); the gradient passes at the bounds."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = a
        if min is not None:
            out = maximum(out, operand(min, a))
        if max is not None:
            out = minimum(out, operand(max, a))
        return out
    return Clamp(min, max)(a)


def maximum(a, b) -> Tensor:
    """The element-wise maximum of ``a`` and ``b``, broadcast; ties split the gradient evenly
    (``torch.maximum``)."""
    return Maximum()(*binary(a, b))


def minimum(a, b) -> Tensor:
    """The element-wise minimum of ``a`` and ``b``, broadcast; ties split the gradient evenly
    (``torch.minimum``)."""
    return Minimum()(*binary(a, b))


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (``torch.where``)."""
    if not isinstance(input, Tensor):
        input = operand(input, other if isinstance(other, Tensor) else operand(0.0, condition))
    input, other = binary(input, other)
    cond = condition.array if isinstance(condition, Tensor) else condition
    xp = array_backend.get_array_module(input.array)
    cond = xp.asarray(cond, dtype=bool)
    return Where(cond)(input, other)
