"""Random operations as nodes: dropout. The forward draws its mask from the device's default
generator, so the random stream advances once per application wherever the forward runs (in
eager mode, or replayed by ``autograd_engine.compile``)."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import const

__all__ = ["Dropout", "dropout"]


class Dropout(Node):
    """y = a * m with m = keep / (1 - p), keep ~ Bernoulli(1 - p) drawn in ``shape`` (a's own
    shape, or (N, C, 1, ...) to drop whole channels) and broadcast over a."""

    def __init__(self, p: float, shape: tuple | None = None):
        self.p, self.shape = p, shape

    def forward(self, a):
        gen = array_backend.generator_for(array_backend.device_of(a))
        dtype = a.dtype
        work = dtype if dtype.itemsize >= 4 else array_backend.numpy.dtype("float32")
        shape = a.shape if self.shape is None else self.shape
        keep = gen.random(shape, dtype=work) >= self.p  # P(keep) = 1 - p
        mask = (keep * (1.0 / (1.0 - self.p))).astype(dtype)
        self.save_for_backward(mask)
        return a * mask

    def backward(self, grad):
        (mask,) = self.saved_arrays
        return grad * const(mask)


def dropout(input: Tensor, p: float, train: bool, shape: tuple | None = None) -> Tensor:
    """Inverted dropout (``torch.dropout``): in training, zero each element (or, with ``shape``,
    each slice of that mask shape) with probability ``p`` and scale the rest by 1 / (1 - p)."""
    if not train or p == 0.0:
        return input
    return Dropout(p, shape)(input)
