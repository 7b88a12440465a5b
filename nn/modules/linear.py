"""Affine layers: ``Identity``, ``Linear``, ``Bilinear`` and the course's ``Maxout``."""

from __future__ import annotations

import math

import autograd_engine as ag

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "Maxout"]


def _factory(device, dtype) -> dict:
    return {"device": device, "dtype": dtype if dtype is not None else ag.get_default_dtype()}


class Identity(Module):
    """Returns its input; takes and ignores any arguments (``torch.nn.Identity``).

    Example::

        >>> model.fc = nn.Identity()      # drop a classifier head
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _check_last_dim(module: Module, input, size: int, what: str = "") -> None:
    if input.ndim == 0 or input.shape[-1] != size:
        raise RuntimeError(
            f"{module!r}: expected input with last dimension {size}{what}, got shape "
            f"{tuple(input.shape)}"
        )


def reset_weight_and_bias(weight, bias) -> None:
    """The default initialization of PyTorch's ``Linear`` and convolution layers:
    ``kaiming_uniform_(weight, a=sqrt(5))`` (U(-k, k), k = 1/sqrt(fan_in)) and the bias
    U(-k, k) with the same k."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """y = x W^T + b (``torch.nn.Linear``).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to learn an additive bias (default ``True``).
        device, dtype: where and how to create the parameters (default CPU, float32).

    Shapes:
        input ``(*, in_features)`` -> output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialized U(-k, k) with k = 1/sqrt(in_features)
            (PyTorch's ``kaiming_uniform_(a=sqrt(5))``).
        bias: ``(out_features,)``, initialized U(-k, k).

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(ag.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        factory = _factory(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ag.empty(out_features, in_features, **factory))
        if bias:
            self.bias = Parameter(ag.empty(out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        _check_last_dim(self, input, self.in_features)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class NonDynamicallyQuantizableLinear(Linear):
    """``MultiheadAttention.out_proj``: a ``Linear`` under PyTorch's class name and module
    (``torch.nn.modules.linear``, where code such as a ``safe_globals`` list names it)."""


class Bilinear(Module):
    """y = x1^T A x2 + b (``torch.nn.Bilinear``).

    Args:
        in1_features, in2_features: sizes of the two inputs.
        out_features: size of the output.
        bias: whether to learn an additive bias.

    Shapes:
        input1 ``(*, in1_features)``, input2 ``(*, in2_features)`` -> ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, U(-k, k) with
            k = 1/sqrt(in1_features); bias: ``(out_features,)``, the same.
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory = _factory(device, dtype)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(ag.empty(out_features, in1_features, in2_features, **factory))
        if bias:
            self.bias = Parameter(ag.empty(out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as PyTorch."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        _check_last_dim(self, input1, self.in1_features, " (in1_features) for input1")
        _check_last_dim(self, input2, self.in2_features, " (in2_features) for input2")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Maxout(Module):
    """Maxout layer (Goodfellow et al. 2013): each output is the max of ``pieces`` affine maps
    of the input. Beyond PyTorch (the course's Maxout); follows ``nn.Linear``'s conventions.

    y_k = max_{j < pieces} (x W_{k, j}^T + b_{k, j})

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        pieces: number of affine maps per output (2 or more makes it non-linear).
        bias: whether to learn the biases.

    Shapes:
        input ``(*, in_features)`` -> output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features * pieces, in_features)``; rows ``k * pieces`` to
            ``(k + 1) * pieces - 1`` are the pieces of output k. Initialized like
            ``nn.Linear`` (U(-k, k), k = 1/sqrt(in_features)).
        bias: ``(out_features * pieces,)``, initialized like ``nn.Linear``'s.

    Example::

        >>> m = nn.Maxout(784, 128, pieces=3)
        >>> m(ag.randn(32, 784)).shape
        (32, 128)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be a positive integer, got {pieces}")
        factory = _factory(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.pieces = pieces
        self.weight = Parameter(ag.empty(out_features * pieces, in_features, **factory))
        if bias:
            self.bias = Parameter(ag.empty(out_features * pieces, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = Linear.reset_parameters

    def forward(self, input):
        _check_last_dim(self, input, self.in_features)
        return F.maxout(input, self.weight, self.bias, self.pieces)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"pieces={self.pieces}, bias={self.bias is not None}"
        )
