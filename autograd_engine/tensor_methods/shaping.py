"""Tensor methods that reshape, view, join, split and index: one-line delegations to ``ops``
(``Tensor`` inherits them from ``ShapeMethods``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time

if TYPE_CHECKING:
    pass


class ShapeMethods:
    __slots__ = ()

    def sum_to_size(self, *size):
        return _t._ops.sum_to_size(self, _t._ops.shape._shape_arg(size))

    def reshape(self, *shape):
        return _t._ops.reshape(self, *shape)

    def view(self, *shape):
        """The same memory with a new shape; raises where a copy would be needed (use
        ``reshape`` there), as ``torch.Tensor.view``."""
        return _t._ops.view(self, *shape)

    def view_as(self, other):
        return _t._ops.view(self, other.shape)

    def reshape_as(self, other):
        return _t._ops.reshape(self, other.shape)

    def permute(self, *dims):
        return _t._ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return _t._ops.transpose(self, dim0, dim1)

    def t(self):
        return _t._ops.transpose(self, 0, 1) if self.ndim == 2 else self

    def flatten(self, start_dim=0, end_dim=-1):
        return _t._ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _t._ops.unflatten(self, dim, sizes)

    def unsqueeze(self, dim):
        return _t._ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _t._ops.squeeze(self, dim)

    def expand(self, *sizes):
        return _t._ops.expand(self, *sizes)

    def expand_as(self, other):
        return _t._ops.expand(self, *other.shape)

    def broadcast_to(self, shape):
        return _t._ops.broadcast_to(self, shape)

    def narrow(self, dim, start, length):
        return _t._ops.narrow(self, dim, start, length)

    def split(self, split_size, dim=0):
        return _t._ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _t._ops.chunk(self, chunks, dim)

    def flip(self, dims):
        return _t._ops.flip(self, dims)

    def repeat(self, *sizes):
        return _t._ops.repeat(self, *sizes)
