"""Indexing along a dimension: gather/scatter/scatter_add, index_select/index_fill/index_add/
index_copy, masked_fill/masked_select/masked_scatter, take/take_along_dim, and their in-place
forms. They reuse the indexing nodes (``GetItem``/``IndexAdd``, ``IndexPut``) with index arrays
built from the arguments, plus ``ScatterAdd`` for accumulating writes; each result carries
PyTorch's ``grad_fn`` name."""

from __future__ import annotations

import numbers

from .. import array_backend
from ..dtypes import torch_name
from ..grad_mode import grad_enabled
from ..node import Node
from ..tensor import Tensor
from . import inplace as _inplace
from ._util import norm_dim, operand
from .inplace import IndexPut
from .shape import GetItem

__all__ = [
    "ScatterAdd",
    "gather", "scatter", "scatter_add", "index_select", "index_fill", "index_add",
    "index_copy", "masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim",
    "scatter_", "scatter_add_", "index_fill_", "index_add_", "index_copy_", "masked_fill_",
    "masked_scatter_", "index_put", "index_put_",
]  # fmt: skip


class ScatterAdd(Node):
    """y = a with v added at ``index`` (repeated positions accumulate)."""

    def __init__(self, index):
        self.index = index

    def forward(self, a, v):
        out = a.copy()
        array_backend.scatter_add(out, self.index, v)
        return out

    def backward(self, grad):
        need_a, need_v = self.needs_input_grad
        gv = None
        if need_v:
            gv = grad[self.index]
            shape = self.in_shapes[1]
            if tuple(gv.shape) != tuple(shape):  # v broadcast over the index positions
                gv = gv.sum_to_size(*shape)
        return (grad if need_a else None), gv


def _named(out: Tensor, name: str) -> Tensor:
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
    return out


def _xp(t: Tensor):
    return array_backend.get_array_module(t.array)


def _index_array(op: str, index, device, what: str = "index"):
    """The backend array of an index tensor, checked to be int64 as PyTorch requires."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(index).__name__}")
    x = index.array
    if x.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for {what}")
    if index.device != device:
        raise RuntimeError(
            f"{op}(): expected {what} and self on the same device, but got {what} on "
            f"{index.device} and self on {device}"
        )
    return x


def _along(x, dim: int, ndim: int):
    """An advanced index placing ``x`` along ``dim`` and an arange along every other axis (the
    positions ``t[..., x[i, j, k], ...]`` that gather and scatter address)."""
    xp = array_backend.get_array_module(x)
    out = []
    for d in range(ndim):
        if d == dim:
            out.append(x)
        else:
            shape = [1] * ndim
            shape[d] = x.shape[d]
            out.append(xp.arange(x.shape[d]).reshape(shape))
    return tuple(out)


def _check_bounds(op: str, x, size: int, dim: int, error=RuntimeError) -> None:
    if x.size and (int(x.max()) >= size or int(x.min()) < -size):
        bad = int(x.max()) if int(x.max()) >= size else int(x.min())
        if op in ("index_select", "index_add"):
            raise IndexError("index out of range in self")
        raise error(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _scatter_gather_index(op: str, input: Tensor, dim, index: Tensor, src_shape=None):
    x = _index_array(op, index, input.device)
    ndim = input.ndim
    if x.ndim != max(ndim, 1) and not (ndim == 0 and x.ndim <= 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {tuple(x.shape)}, input {tuple(input.shape)})"
        )
    if ndim == 0:
        _check_bounds(op, x, 1, 0)
        return (), x.reshape(())
    d = norm_dim(dim, ndim)[0]
    for k in range(ndim):
        if k != d and x.shape[k] > input.array.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(x.shape)} to be no "
                f"larger than self {list(input.shape)} apart from dimension {d}"
            )
        if src_shape is not None and x.shape[k] > src_shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(x.shape)} to be no "
                f"larger than src {list(src_shape)}"
            )
    _check_bounds(op, x, input.array.shape[d], d)
    return _along(x, d, ndim), x


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and so on), as ``torch.gather``;
    ``index`` has ``input``'s number of dimensions and int64 values."""
    positions, x = _scatter_gather_index("gather", input, dim, index)
    if input.ndim == 0:
        return _named(GetItem((Ellipsis,))(input), "GatherBackward0").reshape(x.shape)
    return _named(GetItem(positions)(input), "GatherBackward0")


def _src_block(src: Tensor, shape) -> Tensor:
    """The leading block of ``src`` of ``shape`` (scatter reads only that part of src)."""
    if tuple(src.array.shape) == tuple(shape):
        return src
    return GetItem(tuple(slice(0, n) for n in shape))(src)


def _value_operand(op: str, value, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return value.to(like.array.dtype) if value.array.dtype != like.array.dtype else value
    return Tensor._make(_xp(like).asarray(value).astype(like.array.dtype))


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor, or a number ``value``) written at the
    positions ``index`` names along ``dim`` (``torch.scatter``); ``reduce="add"`` or
    ``"multiply"`` combines instead of overwriting."""
    if src is None and value is None:
        raise TypeError("scatter() missing the 'src' tensor or a 'value'")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None:
        return _scatter_reduce(input, dim, index, src, value, reduce)
    if src is not None:
        if src.array.dtype != input.array.dtype:
            raise RuntimeError(
                f"scatter(): Expected self.dtype to be equal to src.dtype (got "
                f"{input.dtype} and {src.dtype})"
            )
        positions, x = _scatter_gather_index("scatter", input, dim, index, src.array.shape)
        v = _src_block(src, x.shape)
        return _named(IndexPut(positions or (Ellipsis,))(input, v), "ScatterBackward0")
    positions, x = _scatter_gather_index("scatter", input, dim, index)
    v = _value_operand("scatter", value, input)
    return _named(IndexPut(positions or (Ellipsis,))(input, v), "ScatterBackward1")


def _scatter_reduce(input, dim, index, src, value, reduce: str) -> Tensor:
    if reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    if grad_enabled() and (input.requires_grad or (src is not None and src.requires_grad)):
        raise RuntimeError(
            f"scatter(): the derivative for 'scatter' with reduce='{reduce}' is not implemented "
            "(as in PyTorch); use scatter_add for a differentiable sum"
        )
    if reduce == "add":
        if src is None:
            positions, x = _scatter_gather_index("scatter", input, dim, index)
            src = Tensor._make(_xp(input).full(x.shape, value, dtype=input.array.dtype))
        return scatter_add(input, dim, index, src)
    shape = src.array.shape if src is not None else None
    positions, x = _scatter_gather_index("scatter", input, dim, index, shape)
    out = input.array.copy()
    values = _src_block(src, x.shape).array if src is not None else value
    _xp(input).multiply.at(out, positions or (Ellipsis,), values)
    return Tensor._make(out)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at the positions ``index`` names along ``dim``;
    repeated positions accumulate (``torch.scatter_add``)."""
    if src.array.dtype != input.array.dtype:
        raise RuntimeError(
            f"scatter_add(): Expected self.dtype to be equal to src.dtype (got {input.dtype} "
            f"and {src.dtype})"
        )
    positions, x = _scatter_gather_index("scatter_add", input, dim, index, src.array.shape)
    v = _src_block(src, x.shape)
    return ScatterAdd(positions or (Ellipsis,))(input, v)


def _select_index(op: str, input: Tensor, dim, index: Tensor):
    """``(d, positions)``: the index tuple selecting ``index`` along dimension ``d``."""
    x = _index_array(op, index, input.device)
    if x.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    x = x.reshape(-1)
    d = norm_dim(dim, input.ndim)[0]
    size = input.array.shape[d] if input.ndim else 1
    _check_bounds(op, x, size, d, IndexError)
    if input.ndim == 0:
        return 0, (Ellipsis,)
    return d, (slice(None),) * d + (x,)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at ``index`` (a 1-D int64 tensor) along ``dim``
    (``torch.index_select``)."""
    d, positions = _select_index("index_select", input, dim, index)
    if input.ndim == 0:
        return _named(GetItem((None,))(input), "IndexSelectBackward0").reshape(
            index.array.reshape(-1).shape
        )
    return _named(GetItem(positions)(input), "IndexSelectBackward0")


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number
    or a 0-d tensor) (``torch.index_fill``)."""
    _, positions = _select_index("index_fill", input, dim, index)
    v = _value_operand("index_fill", value, input)
    return _named(IndexPut(positions)(input, v), "IndexFillBackward0")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added to the slices at ``index`` along
    ``dim``; repeated indices accumulate (``torch.index_add``)."""
    d, positions = _select_index("index_add", input, dim, index)
    _check_source("index_add", input, d, index, source)
    if alpha != 1:
        source = source * alpha
    return _named(ScatterAdd(positions)(input, source), "IndexAddBackward0")


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s
    (``torch.index_copy``)."""
    d, positions = _select_index("index_copy", input, dim, index)
    _check_source("index_copy", input, d, index, source)
    return _named(IndexPut(positions)(input, source), "IndexCopyBackward0")


def _check_source(op: str, input: Tensor, d: int, index: Tensor, source: Tensor) -> None:
    want = list(input.array.shape)
    if want:
        want[d] = index.array.size
    if list(source.array.shape) != want and not (not want and source.array.size == 1):
        raise RuntimeError(
            f"{op}(): source of shape {tuple(source.shape)} does not match the indexed slices "
            f"of shape {tuple(want)} (self {tuple(input.shape)}, dim {d}, {index.array.size} "
            "indices)"
        )
    if source.array.dtype != input.array.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have the same "
            "scalar type"
        )


def _mask_array(op: str, mask) -> object:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.array.dtype.kind != "b":
        dtype = {"int64": "long int", "float32": "float"}.get(mask.array.dtype.name)
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype "
            f"{dtype or torch_name(mask.dtype).lower()}"
        )
    return mask.array


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` (broadcast)
    is true (``torch.masked_fill``)."""
    from .unary import Where

    m = _mask_array("masked_fill_", mask)
    v = _value_operand("masked_fill_", value, input)
    try:
        out = Where(m)(v, input)
    except RuntimeError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"input of shape {tuple(input.shape)}"
        ) from None
    return _named(out, "MaskedFillBackward0")


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where the bool ``mask`` is true, as a 1-D tensor (both are
    broadcast first) (``torch.masked_select``)."""
    m = _mask_array("masked_select", mask)
    xp = _xp(input)
    try:
        shape = array_backend.numpy.broadcast_shapes(input.array.shape, m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"input of shape {tuple(input.shape)}"
        ) from None
    source = input if tuple(input.array.shape) == shape else input.expand(*shape)
    if not shape:  # 0-d: as 1-d of one element
        source, shape = source.reshape(1), (1,)
    positions = xp.nonzero(xp.broadcast_to(m, shape))
    return _named(GetItem(positions)(source), "MaskedSelectBackward0")


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the first elements of ``source`` (in row-major order) written where the
    bool ``mask`` (broadcast to ``input``) is true (``torch.masked_scatter``)."""
    m = _mask_array("masked_scatter_", mask)
    xp = _xp(input)
    m = xp.broadcast_to(m, input.array.shape)
    count = int(m.sum())
    if source.array.size < count:
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {count} elements (the number of "
            f"true values in mask), got {source.array.size}"
        )
    values = source.reshape(-1)[:count] if count else source.reshape(-1)[:0]
    return _named(IndexPut(xp.nonzero(m))(input, values), "MaskedScatterBackward0")


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` viewed as 1-D, at ``index`` (of any shape) (``torch.take``)."""
    x = _index_array("take", index, input.device)
    n = input.array.size
    if x.size and (int(x.max()) >= n or int(x.min()) < -n):
        bad = int(x.max()) if int(x.max()) >= n else int(x.min())
        raise IndexError(f"take(): index {bad} out of range for tensor of size {n}.")
    return _named(GetItem((x,))(input.reshape(-1)), "TakeBackward0")


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` with broadcasting: the values of ``input`` at ``indices`` along ``dim``; with
    ``dim=None`` both are flattened first (``torch.take_along_dim``)."""
    x = _index_array("take_along_dim", indices, input.device, "indices")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != x.ndim:
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {x.ndim} dimensions "
            "for indices"
        )
    d = norm_dim(dim, input.ndim)[0]
    a_shape, i_shape = list(input.array.shape), list(x.shape)
    a_shape[d] = i_shape[d] = 1
    try:
        common = list(array_backend.numpy.broadcast_shapes(tuple(a_shape), tuple(i_shape)))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): shapes {tuple(input.shape)} and {tuple(x.shape)} do not "
            f"broadcast outside dimension {d}"
        ) from None
    want_a = common[:d] + [input.array.shape[d]] + common[d + 1 :]
    want_i = common[:d] + [x.shape[d]] + common[d + 1 :]
    source = input if list(input.array.shape) == want_a else input.expand(*want_a)
    if list(x.shape) != want_i:
        indices = Tensor._make(_xp(input).broadcast_to(x, tuple(want_i)))
    return gather(source, d, indices)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index
    tensors); with ``accumulate`` repeated positions add up (``torch.index_put``)."""
    from .shape import _to_index

    index = _to_index(tuple(indices), _xp(input))
    v = values if isinstance(values, Tensor) else operand(values, input)
    if accumulate:
        region = input.array[index].shape
        if tuple(v.array.shape) != tuple(region):
            v = v.expand(*region)
        return _named(ScatterAdd(index)(input, v), "IndexPutBackward0")
    return _named(IndexPut(index)(input, v), "IndexPutBackward0")


# --- in place -----------------------------------------------------------------------------------
def _inplace_op(t: Tensor, compute, others=()) -> Tensor:
    return _inplace.apply_(t, compute, others)


def scatter_(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """In-place :func:`scatter` (``torch.Tensor.scatter_``)."""
    if isinstance(src, Tensor):
        return _inplace_op(input, lambda a, s: scatter(a, dim, index, s, reduce=reduce), (src,))
    v = value if src is None else src
    return _inplace_op(input, lambda a: scatter(a, dim, index, value=v, reduce=reduce))


def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In-place :func:`scatter_add` (``torch.Tensor.scatter_add_``)."""
    return _inplace_op(input, lambda a, s: scatter_add(a, dim, index, s), (src,))


def index_fill_(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """In-place :func:`index_fill` (``torch.Tensor.index_fill_``)."""
    if isinstance(value, Tensor):
        return _inplace_op(input, lambda a, v: index_fill(a, dim, index, v), (value,))
    return _inplace_op(input, lambda a: index_fill(a, dim, index, value))


def index_add_(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """In-place :func:`index_add` (``torch.Tensor.index_add_``)."""
    return _inplace_op(input, lambda a, s: index_add(a, dim, index, s, alpha=alpha), (source,))


def index_copy_(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """In-place :func:`index_copy` (``torch.Tensor.index_copy_``)."""
    return _inplace_op(input, lambda a, s: index_copy(a, dim, index, s), (source,))


def masked_fill_(input: Tensor, mask: Tensor, value) -> Tensor:
    """In-place :func:`masked_fill`; ``mask`` must broadcast to ``input``'s shape
    (``torch.Tensor.masked_fill_``)."""
    m = _mask_array("masked_fill_", mask)
    shape = tuple(input.array.shape)
    try:
        full = array_backend.numpy.broadcast_shapes(shape, m.shape)
    except ValueError:
        full = None
    if full != shape:
        raise RuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape "
            f"{list(full) if full is not None else list(m.shape)}"
        )
    if isinstance(value, Tensor):
        return _inplace_op(input, lambda a, v: masked_fill(a, mask, v), (value,))
    if not isinstance(value, numbers.Number):
        raise TypeError(f"masked_fill_(): value must be a number or a 0-d tensor, got {value!r}")
    return _inplace.apply_(
        input, lambda a: masked_fill(a, mask, value), (), lambda a: _fill_where(a, m, value)
    )


def _fill_where(a, mask, value) -> None:
    a[array_backend.get_array_module(a).broadcast_to(mask, a.shape)] = value


def masked_scatter_(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In-place :func:`masked_scatter` (``torch.Tensor.masked_scatter_``)."""
    return _inplace_op(input, lambda a, s: masked_scatter(a, mask, s), (source,))


def index_put_(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put` (``torch.Tensor.index_put_``)."""
    if isinstance(values, Tensor):
        return _inplace_op(input, lambda a, v: index_put(a, indices, v, accumulate), (values,))
    return _inplace_op(input, lambda a: index_put(a, indices, values, accumulate))
