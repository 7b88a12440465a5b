"""Activation layers: the modules around ``nn.functional``'s activations (ReLU, LeakyReLU,
PReLU with its learnable slope, ELU, SELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax,
LogSoftmax and a few more), with PyTorch's arguments and reprs."""

from __future__ import annotations

import autograd_engine as ag

from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Tanhshrink",
    "Threshold",
    "GLU",
    "Softmax",
    "LogSoftmax",
    "Softmin",
]


class _Inplace(Module):
    """An activation whose only option is ``inplace`` (accepted; results are new tensors)."""

    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """max(x, 0) element-wise (``torch.nn.ReLU``).

    Example::

        >>> nn.ReLU()(ag.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    _fn = staticmethod(F.relu)


class ReLU6(_Inplace):
    """min(max(x, 0), 6) (``torch.nn.ReLU6``)."""

    _fn = staticmethod(F.relu6)


class SELU(_Inplace):
    """scale * elu(x, alpha) with the self-normalizing constants (``torch.nn.SELU``); pair it
    with ``nn.init.kaiming_normal_(w, nonlinearity='linear')``."""

    _fn = staticmethod(F.selu)


class SiLU(_Inplace):
    """x * sigmoid(x), also called swish (``torch.nn.SiLU``)."""

    _fn = staticmethod(F.silu)


class Mish(_Inplace):
    """x * tanh(softplus(x)) (``torch.nn.Mish``)."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_Inplace):
    """relu6(x + 3) / 6 (``torch.nn.Hardsigmoid``)."""

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Inplace):
    """x * relu6(x + 3) / 6 (``torch.nn.Hardswish``)."""

    _fn = staticmethod(F.hardswish)


class _Plain(Module):
    """An activation without options."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class Sigmoid(_Plain):
    """1 / (1 + e^-x) (``torch.nn.Sigmoid``)."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Plain):
    """tanh x (``torch.nn.Tanh``)."""

    _fn = staticmethod(F.tanh)


class Softsign(_Plain):
    """x / (1 + |x|) (``torch.nn.Softsign``)."""

    _fn = staticmethod(F.softsign)


class LogSigmoid(_Plain):
    """log(sigmoid(x)), stable (``torch.nn.LogSigmoid``)."""

    _fn = staticmethod(F.logsigmoid)


class Tanhshrink(_Plain):
    """x - tanh x (``torch.nn.Tanhshrink``)."""

    _fn = staticmethod(F.tanhshrink)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x (``torch.nn.LeakyReLU``).

    Args:
        negative_slope: the slope for negative inputs (default 0.01).
        inplace: accepted for compatibility.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x if x > 0 else a * x with a learnable slope ``a`` (``torch.nn.PReLU``).

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of channels
            (dim 1 of the input).
        init: the initial slope (default 0.25).

    Attributes:
        weight: ``(num_parameters,)``.

    Example::

        >>> m = nn.PReLU(num_parameters=16)
        >>> m(ag.randn(8, 16, 5, 5)).shape
        (8, 16, 5, 5)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(
            ag.empty(
                num_parameters, device=device, dtype=dtype if dtype is not None else ag.float32
            )
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        from .. import init as nn_init

        nn_init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1) (``torch.nn.ELU``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(Module):
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1)) (``torch.nn.CELU``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x) (``torch.nn.GELU``); ``approximate='tanh'`` uses the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear above ``threshold`` (``torch.nn.Softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val) (``torch.nn.Hardtanh``)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class Threshold(Module):
    """x if x > threshold else value (``torch.nn.Threshold``)."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim`` (``torch.nn.GLU``)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _SoftmaxLike(Module):
    _fn = None

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxLike):
    """Softmax along ``dim``: outputs in (0, 1) summing to 1 (``torch.nn.Softmax``).

    For classification losses give ``nn.CrossEntropyLoss`` the logits instead: it fuses a
    stable log-softmax.

    Example::

        >>> nn.Softmax(dim=1)(ag.tensor([[1.0, 1.0]]))
        tensor([[0.5, 0.5]])
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxLike):
    """log(softmax(x)) along ``dim``, computed stably (``torch.nn.LogSoftmax``); pair with
    ``nn.NLLLoss``."""

    _fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxLike):
    """softmax(-x) along ``dim`` (``torch.nn.Softmin``)."""

    _fn = staticmethod(F.softmin)
