"""Activations and the softmax family: relu, leaky_relu, elu, selu, gelu, silu, sigmoid, tanh,
softplus, softmax, log_softmax (both stable for huge logits)."""

from __future__ import annotations

import math

from .. import array_backend, kernels
from ..node import Node
from ..tensor import Tensor
from ._util import as_float, const, norm_dim

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "GELUCdf",
    "Sigmoid",
    "SigmoidGrad",
    "Tanh",
    "TanhGrad",
    "SiLU",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "silu",
    "softplus",
    "softmax",
    "log_softmax",
    "SELU_ALPHA",
    "SELU_SCALE",
]


def _sigmoid_grad(g, s):
    """g * s * (1 - s) on arrays (s the sigmoid's output), fused on a GPU."""
    if (k := kernels.fused("sigmoid_backward", s, g)) is not None:
        return k(g, s)
    return g * s * (1 - s)


def _tanh_grad(g, t):
    """g * (1 - t^2) on arrays (t the tanh's output), fused on a GPU."""
    if (k := kernels.fused("tanh_backward", t, g)) is not None:
        return k(g, t)
    return g * (1 - t * t)


class ReLU(Node):
    """y = max(a, 0)."""

    _save_out = True  # what forward saves (see Node)

    _backward_name = "ReluBackward0"

    def forward(self, a):
        if (k := kernels.fused("relu", a)) is not None:
            return k(a)
        xp = array_backend.get_array_module(a)
        return xp.maximum(a, 0)

    def backward(self, grad):
        # NOTE: relu'(0) = 0 and relu'(NaN) = 1, as in PyTorch.
        (out,) = self.saved_tensors
        y = out.array
        if (k := kernels.fused_grad("relu_backward", y, grad.array)) is not None:
            return const(k(grad.array, y))
        return grad * const(~(y <= 0))  # NOTE: passes at NaN, as PyTorch's threshold_backward

    def backward_arrays(self, grad):
        (y,) = self.saved_values
        if (k := kernels.fused_grad("relu_backward", y, grad)) is not None:
            return k(grad, y)
        return grad * ~(y <= 0)


class LeakyReLU(Node):
    """y = a if a > 0 else negative_slope * a."""

    _backward_name = "LeakyReluBackward0"

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = negative_slope

    def forward(self, a):
        self.save_inputs(0)
        if (k := kernels.fused("leaky_relu", a)) is not None:
            return k(a, self.negative_slope)
        xp = array_backend.get_array_module(a)
        return xp.where(a > 0, a, a * a.dtype.type(self.negative_slope))

    def backward(self, grad):
        (a,) = self.saved_tensors
        x = a.array
        if (k := kernels.fused_grad("leaky_relu_backward", x, grad.array)) is not None:
            return const(k(grad.array, x, self.negative_slope))
        xp = array_backend.get_array_module(x)
        slope = xp.where(x > 0, x.dtype.type(1), x.dtype.type(self.negative_slope))
        return grad * const(slope)


class ELU(Node):
    """y = a if a > 0 else alpha * (e^a - 1)."""

    _backward_name = "EluBackward0"

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def forward(self, a):
        self.save_inputs(0)
        xp = array_backend.get_array_module(a)
        return xp.where(a > 0, a, a.dtype.type(self.alpha) * xp.expm1(xp.minimum(a, 0)))

    def backward(self, grad):
        (a,) = self.saved_tensors
        pos = const((a.array > 0).astype(a.array.dtype))
        # d/da = 1 for a > 0, alpha * e^a otherwise (written with tensors for higher orders)
        neg_part = a.clamp(max=0).exp() * self.alpha
        return grad * (pos + (1 - pos) * neg_part)


class GELU(Node):
    """y = a * Phi(a) (exact, with erf) or its tanh approximation."""

    _backward_name = "GeluBackward0"

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, a):
        self.save_inputs(0)
        xp = array_backend.get_array_module(a)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            return 0.5 * a * (1 + xp.tanh(k * (a + 0.044715 * a**3)))
        if (k := kernels.fused("gelu", a)) is not None:
            return k(a)
        one_plus_erf = 1 + array_backend.erf(a / math.sqrt(2))
        self.save_for_backward(one_plus_erf)  # NOTE: erf is most of GELU's cost: kept, not redone
        return 0.5 * a * one_plus_erf

    def backward(self, grad):
        (a,) = self.saved_tensors
        x = a.array
        k = kernels.fused_grad("gelu_backward", x, grad.array)
        if k is not None and self.approximate == "none":
            return const(k(grad.array, x))
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            inner = (a + a * a * a * 0.044715) * k
            t = inner.tanh()
            d_inner = (a * a * (3 * 0.044715) + 1) * k
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner)
        cdf = GELUCdf()(a)
        pdf = (a * a * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + a * pdf)

    def backward_arrays(self, grad):
        # The same arithmetic as ``backward`` on arrays, with the forward's erf.
        (x,) = self.saved_values
        if (k := kernels.fused_grad("gelu_backward", x, grad)) is not None:
            if self.approximate == "none":
                return k(grad, x)
        xp = array_backend.get_array_module(x)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            inner = (x + x * x * x * 0.044715) * k
            t = xp.tanh(inner)
            d_inner = (x * x * (3 * 0.044715) + 1) * k
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        extra = self._extra
        cdf = 0.5 * (extra[0] if extra else 1 + array_backend.erf(x / math.sqrt(2)))
        pdf = xp.exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


class GELUCdf(Node):
    """y = Phi(a) = (1 + erf(a / sqrt 2)) / 2, the normal CDF (GELU's backward needs it)."""

    def forward(self, a):
        self.save_inputs(0)
        return 0.5 * (1 + array_backend.erf(a / math.sqrt(2)))

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad * (a * a * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


class Sigmoid(Node):
    """y = 1 / (1 + e^-a), computed without overflow."""

    _save_out = True  # what forward saves (see Node)

    def forward(self, a):
        if (k := kernels.fused("sigmoid", a)) is not None:
            return k(a)
        xp = array_backend.get_array_module(a)
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, grad):
        (out,) = self.saved_tensors
        return SigmoidGrad()(grad, out)

    def backward_arrays(self, grad):
        (s,) = self.saved_values
        return _sigmoid_grad(grad, s)


class SigmoidGrad(Node):
    """y = g * s * (1 - s): sigmoid's backward in one node (s the sigmoid's output)."""

    _backward_name = "SigmoidBackwardBackward0"

    def forward(self, g, s):
        self.save_inputs(0, 1)
        return _sigmoid_grad(g, s)

    def backward(self, grad):
        g, s = self.saved_tensors
        need_g, need_s = self.needs_input_grad
        dg = grad * s * (1 - s) if need_g else None
        ds = grad * g * (1 - 2 * s) if need_s else None
        return dg, ds


class Tanh(Node):
    """y = tanh a."""

    _save_out = True  # what forward saves (see Node)

    def forward(self, a):
        return array_backend.get_array_module(a).tanh(a)

    def backward(self, grad):
        (out,) = self.saved_tensors
        return TanhGrad()(grad, out)

    def backward_arrays(self, grad):
        (t,) = self.saved_values
        return _tanh_grad(grad, t)


class TanhGrad(Node):
    """y = g * (1 - t^2): tanh's backward in one node (t the tanh's output)."""

    _backward_name = "TanhBackwardBackward0"

    def forward(self, g, t):
        self.save_inputs(0, 1)
        return _tanh_grad(g, t)

    def backward(self, grad):
        g, t = self.saved_tensors
        need_g, need_t = self.needs_input_grad
        dg = grad * (1 - t * t) if need_g else None
        dt = grad * g * t * -2 if need_t else None
        return dg, dt


class SiLU(Node):
    """y = a * sigmoid(a)."""

    _backward_name = "SiluBackward0"

    def forward(self, a):
        self.save_inputs(0)
        if (k := kernels.fused("silu", a)) is not None:
            return k(a)
        xp = array_backend.get_array_module(a)
        e = xp.exp(-xp.abs(a))
        return a * xp.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, grad):
        (a,) = self.saved_tensors
        x = a.array
        if (k := kernels.fused_grad("silu_backward", x, grad.array)) is not None:
            return const(k(grad.array, x))
        s = a.sigmoid()
        return grad * s * (1 + a * (1 - s))


class Softplus(Node):
    """y = log(1 + e^(beta a)) / beta, linear where beta * a > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, a):
        self.save_inputs(0)
        xp = array_backend.get_array_module(a)
        z = a * a.dtype.type(self.beta)
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / a.dtype.type(self.beta)
        return xp.where(z > self.threshold, a, soft)

    def backward(self, grad):
        (a,) = self.saved_tensors
        linear = const((a.array * self.beta > self.threshold).astype(a.array.dtype))
        return grad * (linear + (1 - linear) * (a * self.beta).sigmoid())


class Softmax(Node):
    """y = e^a / sum(e^a) along ``dim``, shifted by the max for stability."""

    _save_out = True  # what forward saves (see Node)

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        if a.shape[self.dim] == 0:  # nothing to normalize over: an empty result, as PyTorch
            return a.copy()
        e = xp.exp(a - a.max(axis=self.dim, keepdims=True))
        e /= e.sum(axis=self.dim, keepdims=True)
        return e

    def backward(self, grad):
        (out,) = self.saved_tensors
        return out * (grad - (grad * out).sum(self.dim, keepdim=True))


class LogSoftmax(Node):
    """y = a - logsumexp(a) along ``dim``, shifted by the max for stability."""

    _save_out = True  # what forward saves (see Node)

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        if a.shape[self.dim] == 0:
            return a.copy()
        shifted = a - a.max(axis=self.dim, keepdims=True)
        shifted -= xp.log(xp.exp(shifted).sum(axis=self.dim, keepdims=True))
        return shifted

    def backward(self, grad):
        (out,) = self.saved_tensors
        return grad - out.exp() * grad.sum(self.dim, keepdim=True)

    def backward_arrays(self, grad):
        (out,) = self.saved_values
        xp = array_backend.get_array_module(out)
        return grad - xp.exp(out) * grad.sum(self.dim, keepdims=True)


def relu(a: Tensor) -> Tensor:
    """max(a, 0), element-wise; the gradient at 0 is 0 (``torch.relu``)."""
    return ReLU()(a)


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, else ``negative_slope * a`` (``torch.nn.functional.leaky_relu``)."""
    return LeakyReLU(negative_slope)(a)


def elu(a: Tensor, alpha: float = 1.0) -> Tensor:
    """a where a > 0, else ``alpha * (e^a - 1)`` (``torch.nn.functional.elu``)."""
    return ELU(alpha)(a)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(a: Tensor) -> Tensor:
    """scale * elu(a, alpha) with the self-normalizing constants (composed)."""
    return ELU(SELU_ALPHA)(a) * SELU_SCALE


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    """a * Φ(a), the Gaussian error linear unit; ``approximate='tanh'`` for the tanh form
    (``torch.nn.functional.gelu``)."""
    return GELU(approximate)(a)


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a), element-wise (``torch.sigmoid``)."""
    return Sigmoid()(a if a.array.dtype.kind == "f" else as_float(a))


def tanh(a: Tensor) -> Tensor:
    """The hyperbolic tangent, element-wise (``torch.tanh``)."""
    return Tanh()(a if a.array.dtype.kind == "f" else as_float(a))


def silu(a: Tensor) -> Tensor:
    """a * sigmoid(a), the sigmoid linear unit (``torch.nn.functional.silu``)."""
    return SiLU()(a)


def softplus(a: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta * a)) / beta, linear above ``threshold``
    (``torch.nn.functional.softplus``)."""
    return Softplus(beta, threshold)(a)


def _softmax_dim(dim, ndim: int) -> int:
    if dim is None:
        # PyTorch's legacy implicit choice.
        return 0 if ndim in (0, 1, 3) else 1
    return norm_dim(dim, ndim)[0] if ndim else 0


def softmax(a: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """Softmax along ``dim`` (``torch.softmax``)."""
    if dtype is not None:
        a = a.to(dtype)
    return Softmax(_softmax_dim(dim, a.ndim))(a)


def log_softmax(a: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """Log-softmax along ``dim`` (``torch.log_softmax``)."""
    if dtype is not None:
        a = a.to(dtype)
    return LogSoftmax(_softmax_dim(dim, a.ndim))(a)
