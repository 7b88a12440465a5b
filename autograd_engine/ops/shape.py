"""Shape and indexing: reshape/view, permute/transpose, expand, cat/stack/split/chunk, pad,
flip, repeat, and ``__getitem__`` (basic, integer-array and boolean indexing)."""

from __future__ import annotations

import numbers

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import norm_dim

__all__ = [
    "Reshape",
    "Permute",
    "Expand",
    "Cat",
    "Pad",
    "Flip",
    "Repeat",
    "GetItem",
    "IndexAdd",
    "getitem",
    "reshape",
    "view",
    "permute",
    "transpose",
    "flatten",
    "unflatten",
    "unsqueeze",
    "squeeze",
    "expand",
    "broadcast_to",
    "cat",
    "stack",
    "narrow",
    "split",
    "chunk",
    "pad",
    "flip",
    "repeat",
]


class Reshape(Node):
    """y = a viewed with another shape."""

    _backward_name = "ViewBackward0"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        return a.reshape(self.shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)

    def backward_arrays(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Node):
    """y = a with its axes reordered."""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, a):
        return a.transpose(self.dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.permute(*inverse)

    def backward_arrays(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.transpose(inverse)


class Expand(Node):
    """y = a broadcast to ``shape`` (a read-only view); backward sums it back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return array_backend.get_array_module(a).broadcast_to(a, self.shape)

    def backward(self, grad):
        return grad  # the engine sums it back to the input's shape

    def backward_arrays(self, grad):
        return grad


class Cat(Node):
    """y = the inputs joined along ``dim``."""

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, *arrays):
        self.sizes = [x.shape[self.dim] for x in arrays]
        return array_backend.get_array_module(arrays[0]).concatenate(arrays, axis=self.dim)

    def backward(self, grad):
        grads, start = [], 0
        for size, need in zip(self.sizes, self.needs_input_grad):
            grads.append(grad.narrow(self.dim, start, size) if need else None)
            start += size
        return tuple(grads)


class Pad(Node):
    """y = a padded with a constant (``pad`` as in ``torch.nn.functional.pad``)."""

    _backward_name = "ConstantPadNdBackward0"

    def __init__(self, widths, value: float = 0.0):
        self.widths, self.value = widths, value

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        return xp.pad(a, self.widths, mode="constant", constant_values=self.value)

    def backward(self, grad):
        index = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return grad[index]


class Flip(Node):
    """y = a reversed along ``dims``."""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, a):
        return array_backend.get_array_module(a).flip(a, axis=self.dims)

    def backward(self, grad):
        return grad.flip(self.dims)


class Repeat(Node):
    """y = a tiled ``repeats`` times along each dim (``torch.Tensor.repeat``)."""

    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, a):
        self.in_shape = a.shape
        return array_backend.get_array_module(a).tile(a, self.repeats)

    def backward(self, grad):
        lead = len(self.repeats) - len(self.in_shape)
        shape = (1,) * lead + tuple(self.in_shape)
        split = []
        for r, s in zip(self.repeats, shape):
            split += [r, s]
        summed = grad.reshape(split).sum(tuple(range(0, len(split), 2)))
        return summed.reshape(self.in_shape)


def _is_advanced(index) -> bool:
    return any(not isinstance(i, (slice, numbers.Integral, type(None), type(Ellipsis)))
               for i in index)  # fmt: skip


class GetItem(Node):
    """y = a[index]."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        self.in_shape = a.shape
        return a[self.index]

    def name(self) -> str:
        """PyTorch's name: that of the last indexing step (select, slice, index, unsqueeze)."""
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        if _is_advanced(self.index):
            return "IndexBackward0"
        for i in reversed(self.index):
            if i is None:
                return "UnsqueezeBackward0"
            if isinstance(i, numbers.Integral):
                return "SelectBackward0"
            if i is not Ellipsis and i != slice(None):
                return "SliceBackward0"
        return "AliasBackward0"

    def backward(self, grad):
        return IndexAdd(self.in_shape, self.index)(grad)


class IndexAdd(Node):
    """y = zeros(shape) with a added at ``index`` (repeated indices accumulate)."""

    def __init__(self, shape, index):
        self.shape, self.index = shape, index

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        out = xp.zeros(self.shape, dtype=a.dtype)
        if _is_advanced(self.index):
            array_backend.scatter_add(out, self.index, a)
        else:
            out[self.index] = a
        return out

    def backward(self, grad):
        return grad[self.index]


def _to_index(index, xp, shape=None):
    """``index`` as a tuple NumPy and CuPy index with: Tensors as arrays, masks as their
    nonzero positions, a trailing Ellipsis; integer index arrays on a GPU are bounds-checked
    against ``shape`` (CuPy would wrap them around)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.array
        elif isinstance(i, (list, range)):
            i = xp.asarray(i)
            if i.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int or bool")
        elif isinstance(i, numbers.Integral) and not isinstance(i, bool):
            i = int(i)
        if getattr(i, "dtype", None) is not None and i.dtype.kind == "b" and i.ndim > 0:
            out.extend(i.nonzero())  # a mask is its nonzero positions (add.at needs integers)
            continue
        out.append(i)
    if not any(i is Ellipsis for i in out):
        # NOTE: a trailing Ellipsis changes nothing but makes NumPy return a 0-d view rather
        # than a scalar copy when every dim is indexed by an int (t[0] of a 1-d tensor).
        out.append(Ellipsis)
    out = tuple(out)
    if shape is not None and xp is not array_backend.numpy:
        array_backend.check_index_bounds(out, shape)
    return out


def index_error(exc: IndexError) -> IndexError:
    """NumPy's out-of-bounds message in PyTorch's words ("dimension", not "axis")."""
    return IndexError(str(exc).replace(" for axis ", " for dimension "))


def getitem(a: Tensor, index) -> Tensor:
    """``a[index]`` with slices, ints, None, Ellipsis, integer arrays and boolean masks."""
    xp = array_backend.get_array_module(a.array)
    index = _to_index(index, xp, a.array.shape)
    try:
        return GetItem(index)(a)
    except IndexError as exc:
        raise index_error(exc) from None
    except RuntimeError as exc:
        raise IndexError(f"index {index} is invalid for a tensor of shape {tuple(a.shape)}: "
                         f"{exc}") from None  # fmt: skip


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(a: Tensor, *shape) -> Tensor:
    """``a`` with a new shape of the same number of elements; one size may be -1."""
    return _reshape(a, _shape_arg(shape))


def _reshape(a: Tensor, shape: tuple, name: str | None = None) -> Tensor:
    """``reshape`` whose node carries PyTorch's ``name`` (``unsqueeze`` is UnsqueezeBackward0)."""
    if shape == a.array.shape:
        return a
    node = Reshape(shape)
    if name is not None:
        node._backward_name = name
    try:
        return node(a)
    except RuntimeError:
        raise RuntimeError(
            f"shape {list(shape)} is invalid for input of size {a.numel()} (shape {tuple(a.shape)})"
        ) from None


def view(a: Tensor, *shape) -> Tensor:
    """``a`` with a new shape, sharing its memory (``torch.Tensor.view``): unlike
    :func:`reshape` it never copies, and raises where the layout does not allow a view."""
    out = reshape(a, *shape)
    if out is not a and out._base is None and a.array.size > 1:  # reshape had to copy
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces): cannot view a tensor of shape "
            f"{tuple(a.shape)} and strides {tuple(a.array.strides)} as {tuple(out.shape)}. Use "
            ".reshape(...) instead (it copies when it must), or .contiguous() first."
        )
    return out


def permute(a: Tensor, *dims) -> Tensor:
    """A view with the dimensions reordered as ``dims`` (``torch.permute``)."""
    dims = _shape_arg(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(d % a.ndim for d in dims)
    if dims == tuple(range(a.ndim)):
        return a
    return Permute(dims)(a)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dimensions ``dim0`` and ``dim1`` swapped (``torch.transpose``)."""
    dims = list(range(a.ndim))
    d0, d1 = norm_dim(dim0, a.ndim)[0], norm_dim(dim1, a.ndim)[0]
    dims[d0], dims[d1] = dims[d1], dims[d0]
    if d0 == d1:
        return a
    node = Permute(tuple(dims))
    node._backward_name = "TransposeBackward0"
    return node(a)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions ``start_dim`` to ``end_dim`` merged into one (``torch.flatten``)."""
    if a.ndim == 0:
        return reshape(a, 1)
    (s,), (e,) = norm_dim(start_dim, a.ndim), norm_dim(end_dim, a.ndim)
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim {start_dim} > end_dim {end_dim}")
    n = 1
    for size in a.array.shape[s : e + 1]:
        n *= size
    return reshape(a, *a.array.shape[:s], n, *a.array.shape[e + 1 :])


def unflatten(a: Tensor, dim: int, sizes) -> Tensor:
    d = dim % a.ndim
    return reshape(a, *a.array.shape[:d], *sizes, *a.array.shape[d + 1 :])


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """A view with a dimension of size 1 inserted at ``dim`` (``torch.unsqueeze``)."""
    shape = a.array.shape
    d = dim % (len(shape) + 1)
    return _reshape(a, (*shape[:d], 1, *shape[d:]), "UnsqueezeBackward0")


def squeeze(a: Tensor, dim=None) -> Tensor:
    """A view without the dimensions of size 1 (only ``dim``'s, if given) (``torch.squeeze``)."""
    shape = a.array.shape
    if dim is None:
        return _reshape(a, tuple(s for s in shape if s != 1), "SqueezeBackward0")
    dims = norm_dim(dim, a.ndim)
    kept = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return _reshape(a, kept, "SqueezeBackward1")


def expand(a: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a size) without copying (``torch.Tensor.expand``)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - a.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({a.ndim})"
        )
    shape = tuple(a.array.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    if shape == a.array.shape:
        return a
    return Expand(shape)(a)


def broadcast_to(a: Tensor, shape) -> Tensor:
    """A read-only view broadcast to ``shape`` (``torch.broadcast_to``)."""
    return expand(a, *shape)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing ``dim`` (``torch.cat``)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    d = norm_dim(dim, tensors[0].ndim)[0]
    try:
        return Cat(d)(*tensors)
    except RuntimeError:
        if len({t.device for t in tensors}) > 1:
            raise  # the node's device error
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise RuntimeError(
            f"cat(): sizes of tensors must match except in dimension {d}; got shapes {shapes}"
        ) from None


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors along a new ``dim`` (``torch.stack``)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack(): expected a non-empty list of Tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got {sorted(shapes)}")
    d = dim % (tensors[0].ndim + 1)
    out = cat([unsqueeze(t, d) for t in tensors], d)
    if out.grad_fn is not None:
        out.grad_fn._backward_name = "StackBackward0"
    return out


def narrow(a: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of ``length`` entries from ``start`` along ``dim`` (``torch.narrow``)."""
    d = norm_dim(dim, a.ndim)[0]
    index = (slice(None),) * d + (slice(start, start + length),)
    return GetItem(index)(a)


def split(a: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of a size, or of the listed sizes (``torch.split``)."""
    d = norm_dim(dim, a.ndim)[0]
    n = a.array.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for size in sizes:
        out.append(narrow(a, d, start, size))
        start += size
    return tuple(out)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` views of equal size along ``dim`` (the last smaller)
    (``torch.chunk``)."""
    d = norm_dim(dim, a.ndim)[0]
    step = -(-a.array.shape[d] // chunks)
    return split(a, step, d)


def pad(a: Tensor, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)`` (``F.pad``)."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use 'constant'")
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2*{a.ndim}, got {pad}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        raise NotImplementedError("pad: negative padding is not supported")
    return Pad(tuple(widths), value)(a)


def flip(a: Tensor, dims) -> Tensor:
    """The entries in reverse order along ``dims`` (``torch.flip``)."""
    return Flip(norm_dim(dims, a.ndim))(a)


def repeat(a: Tensor, *sizes) -> Tensor:
    """The tensor tiled ``sizes`` times along each dimension (``torch.Tensor.repeat``)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < a.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            f"of tensor (repeat dims {sizes}, tensor shape {tuple(a.shape)})"
        )
    return Repeat(sizes)(a)
