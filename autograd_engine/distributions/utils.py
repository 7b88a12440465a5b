"""Helpers shared by the distributions (``torch.distributions.utils``): broadcasting the
parameters, converting between probabilities and logits, cached properties."""

from __future__ import annotations

import functools
import numbers

from .. import array_backend
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["broadcast_all", "lazy_property", "logits_to_probs", "probs_to_logits", "clamp_probs"]


def _default_dtype():
    import autograd_engine as ag

    get = getattr(ag, "get_default_dtype", None)
    return get() if get is not None else ag.float32


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Numbers and tensors as tensors of one broadcast shape (``broadcast_all``); numbers take
    the dtype and device of the first tensor (the default dtype if there is none)."""
    import autograd_engine as ag

    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or Tensor.")
    tensors = [v for v in values if isinstance(v, Tensor)]
    if tensors:
        dtype, device = tensors[0].dtype, tensors[0].device
    else:
        dtype, device = _default_dtype(), array_backend.CPU
    values = [v if isinstance(v, Tensor) else ag.tensor(v, dtype=dtype, device=device)
              for v in values]  # fmt: skip
    shape = array_backend.numpy.broadcast_shapes(*(tuple(v.shape) for v in values))
    return tuple(v if tuple(v.shape) == shape else v.expand(*shape) for v in values)


def broadcast_shape(*shapes) -> tuple[int, ...]:
    return tuple(array_backend.numpy.broadcast_shapes(*shapes))


class lazy_property:
    """A property computed on first access (with grad enabled, so that it keeps its history)
    and then stored on the instance (``torch.distributions.utils.lazy_property``)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _finfo(dtype):
    return array_backend.numpy.finfo(dtype)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped into [eps, 1 - eps] (eps the dtype's machine epsilon)."""
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: sigmoid for one binary event, softmax over the last dim."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities (clamped away from 0 and 1 first)."""
    ps = clamp_probs(probs)
    if is_binary:
        return ps.log() - (-ps).log1p()
    return ps.log()


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.ndim - dim]) + (-1,)).sum(-1)
