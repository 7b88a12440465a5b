"""``Size``: the tuple subclass that ``Tensor.shape`` and ``Tensor.size()`` return
(``torch.Size``)."""

from __future__ import annotations

import operator

__all__ = ["Size"]


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``autograd_engine.Size([2, 3])``
    (``torch.Size``). Slicing, ``+`` and ``*`` give a Size; ``numel()`` is the product.

    Example::

        x = ag.zeros(2, 3)
        x.shape             # autograd_engine.Size([2, 3])
        x.shape == (2, 3)   # True: it is a tuple
        x.shape[1:]         # autograd_engine.Size([3])
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        out = []
        for i, s in enumerate(sizes):
            try:
                out.append(operator.index(s))
            except TypeError:
                raise TypeError(
                    f"Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                ) from None
        return tuple.__new__(cls, out)

    def __repr__(self) -> str:
        return f"autograd_engine.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return tuple.__new__(Size, out) if isinstance(index, slice) else out

    def __add__(self, other):
        return tuple.__new__(Size, tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return tuple.__new__(Size, tuple(other) + tuple(self))

    def __mul__(self, n):
        return tuple.__new__(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        n = 1
        for s in self:
            n *= s
        return n

    def __reduce__(self):
        return Size, (tuple(self),)
