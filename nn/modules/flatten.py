"""Shape layers: ``Flatten`` and ``Unflatten``."""

from __future__ import annotations

from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dims ``start_dim`` to ``end_dim`` into one (``torch.nn.Flatten``); by default
    everything but the batch dim.

    Example::

        >>> nn.Flatten()(ag.zeros(32, 1, 5, 5)).shape
        (32, 25)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        n = max(input.ndim, 1)
        for d in (self.start_dim, self.end_dim):
            if not -n <= d < n:
                raise IndexError(
                    f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                    f"got {d}): {self!r} on input of shape {tuple(input.shape)}"
                )
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into ``unflattened_size`` (``torch.nn.Unflatten``).

    Example::

        >>> nn.Unflatten(1, (2, 5, 5))(ag.zeros(2, 50)).shape
        (2, 2, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        size = input.shape[self.dim]
        known = 1
        for s in self.unflattened_size:
            known *= s if s != -1 else 1
        product = known if -1 not in self.unflattened_size else size
        if product != size or (-1 in self.unflattened_size and size % known):
            raise RuntimeError(
                f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up to "
                f"the size of dim {self.dim} ({size}) in the input tensor of shape "
                f"{tuple(input.shape)}"
            )
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
