"""Tensor methods that reshape, view, join, split and index: one-line delegations to ``ops``
(``Tensor`` inherits them from ``ShapeMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time
from .._args import dim_aliases


class ShapeMethods:
    __slots__ = ()

    def sum_to_size(self, *size):
        """Summed down to ``size``, undoing a broadcast (``torch.Tensor.sum_to_size``)."""
        return _t._ops.sum_to_size(self, _t._ops.shape._shape_arg(size))

    def reshape(self, *shape):
        """The same elements in ``shape`` (-1 infers one size); a view when possible
        (``torch.Tensor.reshape``)."""
        return _t._ops.reshape(self, *shape)

    def view(self, *shape):
        """The same memory with a new shape; raises where a copy would be needed (use
        ``reshape`` there), as ``torch.Tensor.view``."""
        return _t._ops.view(self, *shape)

    def view_as(self, other):
        """A view with ``other``'s shape (``torch.Tensor.view_as``)."""
        return _t._ops.view(self, other.shape)

    def reshape_as(self, other):
        """Reshaped to ``other``'s shape (``torch.Tensor.reshape_as``)."""
        return _t._ops.reshape(self, other.shape)

    def permute(self, *dims):
        """A view with the dimensions reordered as ``dims`` (``torch.Tensor.permute``)."""
        return _t._ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        """A view with ``dim0`` and ``dim1`` swapped (``torch.Tensor.transpose``)."""
        return _t._ops.transpose(self, dim0, dim1)

    def t(self):
        """The transpose of a tensor of at most 2 dimensions, a view (``torch.Tensor.t``)."""
        return _t._ops.transpose(self, 0, 1) if self.ndim == 2 else self

    @dim_aliases
    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions ``start_dim`` to ``end_dim`` merged into one (``torch.Tensor.flatten``)."""
        return _t._ops.flatten(self, start_dim, end_dim)

    @dim_aliases
    def unflatten(self, dim, sizes):
        """Dimension ``dim`` split into ``sizes`` (``torch.Tensor.unflatten``)."""
        return _t._ops.unflatten(self, dim, sizes)

    @dim_aliases
    def unsqueeze(self, dim):
        """A view with a dimension of size 1 inserted at ``dim`` (``torch.Tensor.unsqueeze``)."""
        return _t._ops.unsqueeze(self, dim)

    @dim_aliases
    def squeeze(self, dim=None):
        """A view without the dimensions of size 1 (only ``dim``'s, if given)
        (``torch.Tensor.squeeze``)."""
        return _t._ops.squeeze(self, dim)

    def expand(self, *sizes):
        """A read-only view broadcast to ``sizes`` (-1 keeps a size) (``torch.Tensor.expand``)."""
        return _t._ops.expand(self, *sizes)

    def expand_as(self, other):
        """A read-only view broadcast to ``other``'s shape (``torch.Tensor.expand_as``)."""
        return _t._ops.expand(self, *other.shape)

    def broadcast_to(self, shape):
        """A read-only view broadcast to ``shape`` (``torch.Tensor.broadcast_to``)."""
        return _t._ops.broadcast_to(self, shape)

    @dim_aliases
    def narrow(self, dim, start, length):
        """A view of ``length`` entries from ``start`` along ``dim`` (``torch.Tensor.narrow``)."""
        return _t._ops.narrow(self, dim, start, length)

    @dim_aliases
    def split(self, split_size, dim=0):
        """Views of ``split_size`` entries (or of the sizes in a list) along ``dim``
        (``torch.Tensor.split``)."""
        return _t._ops.split(self, split_size, dim)

    @dim_aliases
    def chunk(self, chunks, dim=0):
        """``chunks`` views of equal size along ``dim``, the last smaller
        (``torch.Tensor.chunk``)."""
        return _t._ops.chunk(self, chunks, dim)

    def flip(self, dims):
        """The entries in reverse order along ``dims`` (``torch.Tensor.flip``)."""
        return _t._ops.flip(self, dims)

    def repeat(self, *sizes):
        """The tensor tiled ``sizes`` times along each dimension (``torch.Tensor.repeat``)."""
        return _t._ops.repeat(self, *sizes)

    def ravel(self):
        """``input`` flattened to 1-D (``torch.Tensor.ravel``). The method form of
        ``autograd_engine.ravel``."""
        return _t._ops.ravel(self)

    def tile(self, *dims):
        """``input`` repeated ``dims`` times along each dimension; fewer ``dims`` than dimensions
        are padded with 1s in front (``torch.Tensor.tile``). The method form of
        ``autograd_engine.tile``."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = dims[0]
        return _t._ops.tile(self, dims)

    def roll(self, shifts, dims=None):
        """Shift elements cyclically along ``dims``; without ``dims`` the tensor is flattened,
        rolled and given its shape back (``torch.Tensor.roll``). The method form of
        ``autograd_engine.roll``."""
        return _t._ops.roll(self, shifts, dims)

    def movedim(self, source, destination):
        """Move dimensions ``source`` to positions ``destination``, keeping the others in order
        (``torch.Tensor.movedim``). The method form of ``autograd_engine.movedim``."""
        return _t._ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        """``transpose(input, axis0, axis1)`` (``torch.Tensor.swapaxes``). The method form of
        ``autograd_engine.swapaxes``."""
        return _t._ops.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (``torch.Tensor.rot90``). The
        method form of ``autograd_engine.rot90``."""
        return _t._ops.rot90(self, k, dims)

    def fliplr(self):
        """Reverse the columns (dim 1) (``torch.Tensor.fliplr``). The method form of
        ``autograd_engine.fliplr``."""
        return _t._ops.fliplr(self)

    def flipud(self):
        """Reverse the rows (dim 0) (``torch.Tensor.flipud``). The method form of
        ``autograd_engine.flipud``."""
        return _t._ops.flipud(self)

    @dim_aliases
    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, without that dimension (``torch.Tensor.select``).
        The method form of ``autograd_engine.select``."""
        return _t._ops.select(self, dim, index)

    @dim_aliases
    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple (``torch.Tensor.unbind``). The method form of
        ``autograd_engine.unbind``."""
        return _t._ops.unbind(self, dim)

    @dim_aliases
    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place
        (``torch.Tensor.repeat_interleave``); ``repeat_interleave(counts)`` gives 0 ``counts[0]``
        times, 1 ``counts[1]`` times, ... The method form of
        ``autograd_engine.repeat_interleave``."""
        return _t._ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    @dim_aliases
    def tensor_split(self, indices_or_sections, dim=0):
        """Split into ``n`` nearly equal parts (the first ``size % n`` one larger) or at the given
        indices, along ``dim`` (``torch.Tensor.tensor_split``). The method form of
        ``autograd_engine.tensor_split``."""
        return _t._ops.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections):
        """Split along columns (dim 1, or 0 for a 1-D tensor) (``torch.Tensor.hsplit``). The method
        form of ``autograd_engine.hsplit``."""
        return _t._ops.hsplit(self, sections)

    def vsplit(self, sections):
        """Split along rows, dim 0 (``torch.Tensor.vsplit``). The method form of
        ``autograd_engine.vsplit``."""
        return _t._ops.vsplit(self, sections)

    def dsplit(self, sections):
        """Split along depth, dim 2 (``torch.Tensor.dsplit``). The method form of
        ``autograd_engine.dsplit``."""
        return _t._ops.dsplit(self, sections)

    def unfold(self, dimension, size, step):
        """All windows of ``size`` elements along ``dimension``, every ``step``, as a new last
        dimension (``torch.Tensor.unfold``)."""
        return _t._ops.arrange.unfold(self, dimension, size, step)

    # --- indexing along a dimension (ops/index.py) -----------------------------------------------
    @dim_aliases
    def gather(self, dim, index, *, sparse_grad=False):
        """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and so on), as
        ``torch.Tensor.gather``; ``index`` has ``input``'s number of dimensions and int64 values.
        The method form of ``autograd_engine.gather``."""
        return _t._ops.gather(self, dim, index)

    @dim_aliases
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy of ``input`` with ``src`` (a tensor, or a number ``value``) written at the
        positions ``index`` names along ``dim`` (``torch.Tensor.scatter``); ``reduce="add"`` or
        ``"multiply"`` combines instead of overwriting. The method form of
        ``autograd_engine.scatter``."""
        return _t._ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    @dim_aliases
    def scatter_add(self, dim, index, src):
        """A copy of ``input`` with ``src`` added at the positions ``index`` names along ``dim``;
        repeated positions accumulate (``torch.Tensor.scatter_add``). The method form of
        ``autograd_engine.scatter_add``."""
        return _t._ops.scatter_add(self, dim, index, src)

    @dim_aliases
    def index_select(self, dim, index):
        """The slices of ``input`` at ``index`` (a 1-D int64 tensor) along ``dim``
        (``torch.Tensor.index_select``). The method form of ``autograd_engine.index_select``."""
        return _t._ops.index_select(self, dim, index)

    @dim_aliases
    def index_fill(self, dim, index, value):
        """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number
        or a 0-d tensor) (``torch.Tensor.index_fill``). The method form of
        ``autograd_engine.index_fill``."""
        return _t._ops.index_fill(self, dim, index, value)

    @dim_aliases
    def index_add(self, dim, index, source, *, alpha=1):
        """A copy of ``input`` with ``alpha * source`` added to the slices at ``index`` along
        ``dim``; repeated indices accumulate (``torch.Tensor.index_add``). The method form of
        ``autograd_engine.index_add``."""
        return _t._ops.index_add(self, dim, index, source, alpha=alpha)

    @dim_aliases
    def index_copy(self, dim, index, source):
        """A copy of ``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s
        (``torch.Tensor.index_copy``). The method form of ``autograd_engine.index_copy``."""
        return _t._ops.index_copy(self, dim, index, source)

    def index_put(self, indices, values, accumulate=False):
        """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index
        tensors); with ``accumulate`` repeated positions add up (``torch.Tensor.index_put``). The
        method form of ``autograd_engine.index_put``."""
        return _t._ops.index_put(self, indices, values, accumulate)

    def masked_fill(self, mask, value):
        """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` (broadcast)
        is true (``torch.Tensor.masked_fill``). The method form of
        ``autograd_engine.masked_fill``."""
        return _t._ops.masked_fill(self, mask, value)

    def masked_select(self, mask):
        """The elements of ``input`` where the bool ``mask`` is true, as a 1-D tensor (both are
        broadcast first) (``torch.Tensor.masked_select``). The method form of
        ``autograd_engine.masked_select``."""
        return _t._ops.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        """``input`` with the first elements of ``source`` (in row-major order) written where the
        bool ``mask`` (broadcast to ``input``) is true (``torch.Tensor.masked_scatter``). The method
        form of ``autograd_engine.masked_scatter``."""
        return _t._ops.masked_scatter(self, mask, source)

    def take(self, index):
        """The elements of ``input`` viewed as 1-D, at ``index`` (of any shape)
        (``torch.Tensor.take``). The method form of ``autograd_engine.take``."""
        return _t._ops.take(self, index)

    @dim_aliases
    def take_along_dim(self, indices, dim=None):
        """``gather`` with broadcasting: the values of ``input`` at ``indices`` along ``dim``; with
        ``dim=None`` both are flattened first (``torch.Tensor.take_along_dim``). The method form of
        ``autograd_engine.take_along_dim``."""
        return _t._ops.take_along_dim(self, indices, dim)
