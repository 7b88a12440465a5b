"""Activation functions of ``nn.functional``: the engine's ops under PyTorch's names and
signatures, plus the ones composed from them (relu6, hardtanh, celu, mish, logsigmoid, ...).

``inplace=True`` is accepted for compatibility; the result is always a new tensor (the engine
keeps the graph functional), so write ``x = F.relu(x, inplace=True)``."""

from __future__ import annotations

import warnings

import autograd_engine as ag
from autograd_engine.tensor import Tensor

__all__ = [
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "logsigmoid",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "tanhshrink",
    "threshold",
    "glu",
    "softmax",
    "log_softmax",
    "softmin",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) (``torch.nn.functional.relu``); the gradient at 0 is 0."""
    return ag.relu(input)


def _open_interval(input: Tensor, lo: float, hi: float) -> Tensor:
    """clamp(x, lo, hi) with PyTorch's hardtanh gradient: 1 strictly inside, 0 at the bounds."""
    inside = (input > lo) & (input < hi)
    return ag.where(inside, input, input.detach().clamp(lo, hi))


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val) (``torch.nn.functional.hardtanh``); zero gradient at the
    bounds, as in PyTorch."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _open_interval(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (``torch.nn.functional.relu6``)."""
    return _open_interval(input, 0.0, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x (``torch.nn.functional.leaky_relu``)."""
    return ag.leaky_relu(input, negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, with one learnable slope per channel (dim 1) or one shared
    slope (``torch.nn.functional.prelu``).

    Args:
        input: ``(N, C, *)`` or ``(C,)``-like; a 1-element ``weight`` applies everywhere.
        weight: ``(C,)`` or ``(1,)``.
    """
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else input.shape[0]
        if weight.numel() != channels:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {weight.numel()} and channel size = {channels}."
            )
        if input.ndim >= 2:
            weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    elif input.ndim == 0:
        weight = weight.reshape(())
    return ag.where(input > 0, input, input * weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (e^x - 1) (``torch.nn.functional.elu``)."""
    return ag.elu(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants
    (``torch.nn.functional.selu``)."""
    return ag.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1)) (``torch.nn.functional.celu``)."""
    if alpha == 0:
        raise ValueError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return ag.elu(input / alpha, 1.0) * alpha


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), exact (``approximate='none'``) or with the tanh approximation
    (``torch.nn.functional.gelu``)."""
    return ag.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x), also called swish (``torch.nn.functional.silu``)."""
    return ag.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (``torch.nn.functional.mish``)."""
    return input * ag.softplus(input).tanh()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x) (``torch.nn.functional.sigmoid``)."""
    return ag.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """tanh x (``torch.nn.functional.tanh``)."""
    return ag.tanh(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold
    (``torch.nn.functional.softplus``)."""
    return ag.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (``torch.nn.functional.softsign``)."""
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable (``torch.nn.functional.logsigmoid``)."""
    return -ag.softplus(-input, 1.0, float("inf"))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 (``torch.nn.functional.hardsigmoid``)."""
    return _open_interval(input + 3.0, 0.0, 6.0) / 6.0


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (``torch.nn.functional.hardswish``)."""
    return input * hardsigmoid(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh x (``torch.nn.functional.tanhshrink``)."""
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x if x > threshold else value (``torch.nn.functional.threshold``)."""
    return ag.where(input > threshold, input, ag.full_like(input, value))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``
    (``torch.nn.functional.glu``)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{input.shape[dim]}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """e^x / sum(e^x) along ``dim``, stable for huge values
    (``torch.nn.functional.softmax``).

    Example::

        >>> F.softmax(ag.tensor([[1.0, 2.0, 3.0]]), dim=1)
        tensor([[0.09003057, 0.24472846, 0.66524094]])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    return ag.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``, stable for huge values
    (``torch.nn.functional.log_softmax``)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    return ag.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim`` (``torch.nn.functional.softmin``)."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim)
    return ag.softmax(-input, dim, dtype)
