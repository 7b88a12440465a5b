"""Dropout layers: ``Dropout`` (element-wise), ``Dropout1d`` and ``Dropout2d`` (whole
channels). Inverted dropout: active in training mode only, survivors scaled by 1 / (1 - p)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training and scale the rest by
    1 / (1 - p); the identity in eval mode (``torch.nn.Dropout``).

    Draws from the default generator of the input's device: ``ag.manual_seed`` makes it
    reproducible.

    Args:
        p: the probability of zeroing an element (default 0.5).
        inplace: accepted for compatibility (the result is a new tensor).

    Example::

        >>> m = nn.Dropout(p=0.2)
        >>> y = m(ag.ones(4, 5))          # entries 0 or 1.25
        >>> m.eval(); m(x) is x
        True
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``
    (``torch.nn.Dropout1d``)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) of ``(N, C, H, W)`` input with probability ``p``,
    scaling the rest by 1 / (1 - p) (``torch.nn.Dropout2d``). Use it after convolutions, whose
    neighbouring activations are correlated."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)
