"""``autograd.Variable`` (``torch.autograd.Variable``): the pre-1.0 wrapper, which is a Tensor
constructor today."""

from __future__ import annotations

import warnings

from ..tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)`` returns a Tensor: a new leaf sharing
    ``tensor``'s memory (detached from its history) with ``requires_grad`` set, as PyTorch's
    legacy constructor does. ``isinstance(t, Variable)`` is true of every Tensor.

    Example::

        x = Variable(ag.randn(3), requires_grad=True)   # the same as ag.randn(3).requires_grad_()
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with autograd_engine.no_grad():` "
                "instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            data = Tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        return t
