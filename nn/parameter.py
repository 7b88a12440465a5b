"""``Parameter``: the Tensor subclass that a ``Module`` registers as a learnable weight, and
``Buffer``, the marker for a tensor registered as module state."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that is a module parameter (``torch.nn.Parameter``).

    Assigning a ``Parameter`` to a ``Module`` attribute registers it: it then appears in
    ``parameters()``, ``named_parameters()`` and ``state_dict()``. It shares its data with
    the tensor it is made from and requires grad by default.

    Args:
        data: a Tensor or array-like (``None`` gives an empty float32 parameter).
        requires_grad: whether the parameter requires gradient (default ``True``).

    Example::

        >>> w = nn.Parameter(ag.randn(3, 2))
        >>> w.requires_grad
        True
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = ag.empty(0)
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.array, self.requires_grad, self.grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.array.copy(), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor._make(self.grad.array.copy())
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad, grad):
    p = Parameter(data, requires_grad)
    p.grad = grad
    return p


class Buffer(Tensor):
    """A Tensor that a ``Module`` registers as a buffer when assigned (``torch.nn.Buffer``).

    ``module.name = nn.Buffer(t)`` is ``module.register_buffer("name", t)``; the stored buffer
    is a plain Tensor sharing ``t``'s data.

    Args:
        data: a Tensor or array-like.
        persistent: whether the buffer is part of ``state_dict()`` (default ``True``).
    """

    def __init__(self, data=None, *, persistent: bool = True):
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data if data is not None else ag.empty(0).array)
        self.persistent = persistent
