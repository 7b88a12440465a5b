"""``Parameter``: the Tensor subclass that a ``Module`` registers as a learnable weight, and
``Buffer``, the marker for a tensor registered as module state."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


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
        if not isinstance(data, Tensor):
            data = ag.as_tensor(data)  # an array keeps its dtype
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
        if data is None:
            data = ag.empty(0)
        if not isinstance(data, Tensor):
            data = ag.as_tensor(data)  # an array keeps its dtype
        super().__init__(data)
        self.persistent = persistent


class UninitializedTensorMixin:
    """What the uninitialized tensors of lazy modules share: no shape until
    :meth:`materialize` gives them one (``torch.nn.parameter.UninitializedTensorMixin``)."""

    __slots__ = ()
    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate ``shape`` (uninitialized values) on the tensor's device and dtype (or the
        given ones) and become a plain ``cls_to_become`` (Parameter or Tensor) in place."""
        dev = ag.device(device) if device is not None else self.device
        dtype = dtype if dtype is not None else self.array.dtype
        self.array = dev.xp.empty(tuple(int(s) for s in shape), dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter of a lazy module whose shape is not known yet
    (``torch.nn.parameter.UninitializedParameter``); the module's first forward (or
    ``load_state_dict``) materializes it into an ordinary ``Parameter``, the same object."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(ag.empty(0, device=device, dtype=dtype), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.array.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module whose shape is not known yet
    (``torch.nn.parameter.UninitializedBuffer``)."""

    __slots__ = ()  # the layout of a Tensor, so that it can become one in place
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        super().__init__(ag.empty(0, device=device, dtype=dtype).array)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(False, self.device, self.array.dtype)
        return memo[id(self)]
