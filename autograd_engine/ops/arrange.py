"""Rearranging beyond the basics of ``shape.py``: roll, movedim/swapaxes, select/unbind, tile,
repeat_interleave, tensor_split and the h/v/d splits and stacks, meshgrid, broadcast_tensors,
Tensor.unfold (sliding windows), rot90, atleast_*d, block_diag, cartesian_prod."""

from __future__ import annotations

import numbers
import warnings

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import norm_dim
from .shape import GetItem, IndexAdd, cat, expand, narrow, permute, reshape, stack

__all__ = [
    "Roll",
    "roll", "movedim", "moveaxis", "swapaxes", "swapdims", "select", "unbind", "tile",
    "repeat_interleave", "tensor_split", "hsplit", "vsplit", "dsplit", "hstack", "vstack",
    "dstack", "column_stack", "row_stack", "meshgrid", "broadcast_tensors", "broadcast_shapes",
    "ravel", "rot90", "atleast_1d", "atleast_2d", "atleast_3d", "block_diag",
    "cartesian_prod", "fliplr", "flipud", "diagflat", "tril_indices", "triu_indices",
    "combinations", "vander",
]  # fmt: skip


class Roll(Node):
    """y = a shifted cyclically by ``shifts`` along ``dims``."""

    def __init__(self, shifts: tuple, dims: tuple):
        self.shifts, self.dims = shifts, dims

    def forward(self, a):
        return array_backend.get_array_module(a).roll(a, self.shifts, axis=self.dims)

    def backward(self, grad):
        return roll(grad, tuple(-s for s in self.shifts), self.dims)


def _named(out: Tensor, name: str) -> Tensor:
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
    return out


def _ints(x) -> tuple:
    return (int(x),) if isinstance(x, numbers.Integral) else tuple(int(v) for v in x)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically along ``dims``; without ``dims`` the tensor is flattened,
    rolled and given its shape back (``torch.roll``)."""
    shifts = _ints(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(
                f"roll: `shifts` required to be of size 1 when `dims` is empty, got {shifts}"
            )
        flat = input.reshape(-1)
        return Roll(shifts, (0,))(flat).reshape(tuple(input.array.shape))
    dims = _ints(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    dims = tuple(norm_dim(d, input.ndim)[0] for d in dims)
    return Roll(shifts, dims)(input)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` to positions ``destination``, keeping the others in order
    (``torch.movedim``)."""
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    n = input.ndim
    src = tuple(norm_dim(d, n)[0] for d in src)
    dst = tuple(norm_dim(d, n)[0] for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)}) or `destination`")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose(input, axis0, axis1)`` (``torch.swapaxes``)."""
    from .shape import transpose

    return transpose(input, axis0, axis1)


swapdims = swapaxes


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dimension (``torch.select``)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, input.ndim)[0]
    n = input.array.shape[d]
    if not -n <= int(index) < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return GetItem((slice(None),) * d + (int(index), Ellipsis))(input)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, as a tuple (``torch.unbind``)."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = norm_dim(dim, input.ndim)[0]
    return tuple(
        _named(select(input, d, i), "UnbindBackward0") for i in range(input.array.shape[d])
    )


def tile(input: Tensor, dims) -> Tensor:
    """``input`` repeated ``dims`` times along each dimension; fewer ``dims`` than dimensions
    are padded with 1s in front (``torch.tile``)."""
    reps = _ints(dims)
    if len(reps) < input.ndim:
        reps = (1,) * (input.ndim - len(reps)) + reps
    return input.repeat(*reps)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place
    (``torch.repeat_interleave``); ``repeat_interleave(counts)`` gives 0 ``counts[0]`` times,
    1 ``counts[1]`` times, ..."""
    xp = array_backend.get_array_module(input.array)
    if repeats is None:
        counts = input.array
        if counts.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return Tensor._make(xp.repeat(xp.arange(counts.shape[0]), counts).astype("int64"))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = norm_dim(dim, input.ndim)[0]
    n = input.array.shape[d] if input.ndim else 1
    reps = repeats.array if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if reps.ndim == 0:
        reps = xp.full(n, int(reps))
    if reps.shape[0] != n:
        raise RuntimeError("repeats must have the same size as input along dim")
    if reps.size and int(reps.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    index = xp.repeat(xp.arange(n), reps)
    out = GetItem((slice(None),) * d + (index,))(input)
    return _named(out, "IndexSelectBackward0")


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``n`` nearly equal parts (the first ``size % n`` one larger) or at the given
    indices, along ``dim`` (``torch.tensor_split``)."""
    d = norm_dim(dim, input.ndim)[0]
    size = input.array.shape[d]
    if isinstance(indices_or_sections, Tensor) and indices_or_sections.ndim == 0:
        indices_or_sections = int(indices_or_sections.item())
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        big, small = size % n, size // n
        bounds, start = [], 0
        for i in range(n):
            start += small + (1 if i < big else 0)
            bounds.append(start)
        bounds = bounds[:-1]
    else:
        bounds = list(_ints(indices_or_sections))
    out, start = [], 0
    for stop in bounds + [size]:
        lo, hi = min(max(start, 0), size), min(max(stop, 0), size)
        out.append(narrow(input, d, lo, max(hi - lo, 0)))
        start = stop
    return tuple(out)


def _split_dims(name: str, input: Tensor, sections, dim: int, min_ndim: int):
    if input.ndim < min_ndim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a "
            f"tensor with {input.ndim} dimensions!"
        )
    if isinstance(sections, numbers.Integral) and input.array.shape[dim] % sections:
        raise RuntimeError(
            f"torch.{name} attempted to split along dimension {dim}, but the size of the "
            f"dimension {input.array.shape[dim]} is not divisible by the split_size {sections}!"
        )
    return tensor_split(input, sections, dim)


def hsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """Split along columns (dim 1, or 0 for a 1-D tensor) (``torch.hsplit``)."""
    return _split_dims("hsplit", input, sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """Split along rows, dim 0 (``torch.vsplit``)."""
    return _split_dims("vsplit", input, sections, 0, 2)


def dsplit(input: Tensor, sections) -> tuple[Tensor, ...]:
    """Split along depth, dim 2 (``torch.dsplit``)."""
    return _split_dims("dsplit", input, sections, 2, 3)


def atleast_1d(*tensors):
    """Each tensor with at least one dimension (``torch.atleast_1d``)."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least two dimensions (``torch.atleast_2d``)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least three dimensions (``torch.atleast_3d``)."""
    return _atleast(tensors, 3)


def _atleast(tensors, n: int):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        shape = tuple(t.array.shape)
        if len(shape) < n:
            if n == 3 and len(shape) == 2:
                shape = shape + (1,)
            elif n == 3 and len(shape) == 1:
                shape = (1,) + shape + (1,)
            else:
                shape = (1,) * (n - len(shape)) + shape
        out.append(reshape(t, *shape))
    return out[0] if single else tuple(out)


def hstack(tensors) -> Tensor:
    """Concatenate column-wise (dim 1; dim 0 for 1-D tensors) (``torch.hstack``)."""
    ts = atleast_1d(*tensors)
    ts = (ts,) if isinstance(ts, Tensor) else ts
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate row-wise after making each at least 2-D (``torch.vstack``)."""
    ts = atleast_2d(*tensors)
    return cat((ts,) if isinstance(ts, Tensor) else ts, 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Concatenate along dim 2 after making each at least 3-D (``torch.dstack``)."""
    ts = atleast_3d(*tensors)
    return cat((ts,) if isinstance(ts, Tensor) else ts, 2)


def column_stack(tensors) -> Tensor:
    """Stack 1-D tensors as columns (and 2-D ones as they are) (``torch.column_stack``)."""
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(ts, 1)


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``torch.meshgrid``): ``indexing="ij"`` (matrix,
    the default, with PyTorch's warning when it is not given) or ``"xy"`` (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{t.ndim}D tensor at position {i}"
            )
    ts = [t.reshape(-1) for t in tensors]
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.array.shape[0] for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        out.append(expand(t.reshape(*view), *shape))
    if indexing == "xy" and len(ts) >= 2:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def broadcast_shapes(*shapes) -> tuple:
    """The shape ``shapes`` broadcast to (``torch.broadcast_shapes``)."""
    from ..size import Size

    norm = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    try:
        return Size(array_backend.numpy.broadcast_shapes(*norm))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{norm}") from None  # fmt: skip


def broadcast_tensors(*tensors) -> tuple[Tensor, ...]:
    """The tensors expanded to their common shape (``torch.broadcast_tensors``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.array.shape for t in tensors])
    return tuple(expand(t, *shape) for t in tensors)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements along ``dimension``, every ``step``, as a new last
    dimension (``torch.Tensor.unfold``)."""
    xp = array_backend.get_array_module(input.array)
    d = norm_dim(dimension, input.ndim)[0] if input.ndim else 0
    n = input.array.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    starts = xp.arange(count) * step
    window = starts[:, None] + xp.arange(size)[None, :]
    source = input.reshape(1) if input.ndim == 0 else input
    index = (slice(None),) * d + (window,)
    out = GetItem(index)(source)  # (..., count, size, ...) with the window dims at d, d+1
    out = movedim(out, d + 1, -1) if d + 1 != out.ndim - 1 else out
    return _named(out, "UnfoldBackward0")


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to 1-D (``torch.ravel``)."""
    return input.reshape(-1)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (``torch.rot90``)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = (norm_dim(d, input.ndim)[0] for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")  # fmt: skip
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip((d0, d1))
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dim 1) (``torch.fliplr``)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dim 0) (``torch.flipud``)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given (0-, 1- or 2-D) tensors (``torch.block_diag``)."""
    mats = []
    for t in tensors:
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{len(mats)} has {t.ndim} dimensions"
            )
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    rows = sum(m.array.shape[0] for m in mats)
    cols = sum(m.array.shape[1] for m in mats)
    xp = array_backend.get_array_module(mats[0].array)
    out, r, c = None, 0, 0
    for m in mats:
        h, w = m.array.shape
        index = (slice(r, r + h), slice(c, c + w))
        part = IndexAdd((rows, cols), index)(m)
        out = part if out is None else out + part
        r, c = r + h, c + w
    if out is None:
        return Tensor._make(xp.zeros((0, 0)))
    return out


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the elements of 1-D tensors, one per row
    (``torch.cartesian_prod``)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with ``input`` flattened on the ``offset`` diagonal
    (``torch.diagflat``)."""
    from .matrix import diag_embed

    return diag_embed(input.reshape(-1), offset, 0, 1)


def _indices(op: str, row: int, col: int, offset: int, upper: bool, dtype, device):
    from ..creation import _dev
    from ..dtypes import as_dtype

    xp = _dev(device).xp
    rows, cols = (xp.triu_indices if upper else xp.tril_indices)(row, offset, col)
    return Tensor._make(xp.stack([rows, cols]).astype(as_dtype(dtype) or "int64"))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the lower triangle of a row x col matrix, row by row
    (``torch.tril_indices``)."""
    return _indices("tril_indices", row, col, offset, False, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the upper triangle of a row x col matrix, row by row
    (``torch.triu_indices``)."""
    return _indices("triu_indices", row, col, offset, True, dtype, device)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of the elements of a 1-D tensor, one per row
    (``torch.combinations``, as ``itertools.combinations``)."""
    import itertools

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = list(pick(range(input.array.shape[0]), r))
    xp = array_backend.get_array_module(input.array)
    if not index:
        return input[xp.zeros((0,), dtype="int64")].reshape(0, r) if r else input[:0]
    cols = xp.asarray(index, dtype="int64")
    return GetItem((cols,))(input)


def vander(x: Tensor, N=None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor: columns x^(N-1), ..., x^0 (or increasing)
    (``torch.vander``)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.array.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        return x.new_zeros(x.array.shape[0], 0)
    powers = [x.new_ones(x.array.shape[0])] + [x**k for k in range(1, n)]
    cols = powers if increasing else powers[::-1]
    return stack(cols, 1)
