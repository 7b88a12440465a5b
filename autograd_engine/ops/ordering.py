"""Ordering: sort/argsort/msort, topk, kthvalue, median/nanmedian, mode, cummax/cummin,
unique/unique_consecutive, searchsorted/bucketize, bincount/histc/histogram. Values come out
through ``gather`` (the gradient goes to the selected positions); sorting is stable, with nan
largest, as PyTorch's CPU sort."""

from __future__ import annotations

from collections import namedtuple

from .. import array_backend
from ..dtypes import default_float, torch_name
from ..tensor import Tensor
from ._util import const, norm_dim
from .index import gather
from .shape import GetItem

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
    "cummin", "unique", "unique_consecutive", "searchsorted", "bucketize", "bincount", "histc",
    "histogram",
]  # fmt: skip

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])


def _xp(x):
    return array_backend.get_array_module(x)


def _named(out: Tensor, name: str) -> Tensor:
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
    return out


def _dim(input: Tensor, dim) -> int:
    return norm_dim(dim, input.ndim)[0] if input.ndim else 0


def _argsort(x, axis: int, descending: bool):
    """Stable argsort along ``axis`` with nan largest; descending keeps equal elements in their
    original order (PyTorch's CPU sort)."""
    xp = _xp(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = xp.flip(xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)
    return (n - 1) - rev


def _take(input: Tensor, dim: int, idx, name: str) -> Tensor:
    """``input`` gathered at the index array ``idx`` along ``dim``, named for PyTorch."""
    index = const(idx.astype("int64", copy=False))
    if input.ndim == 0:
        return _named(input.clone(), name) if input.requires_grad else input.clone()
    return _named(gather(input, dim, index), name)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim`` (``torch.sort``); stable, nan largest."""
    d = _dim(input, dim)
    if input.ndim == 0:
        return SortResult(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    idx = _argsort(input.array, d, descending)
    return SortResult(_take(input, d, idx, "SortBackward0"), const(idx.astype("int64")))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (``torch.argsort``)."""
    if input.ndim == 0:
        return const(_xp(input.array).zeros((), dtype="int64"))
    return const(_argsort(input.array, _dim(input, dim), descending).astype("int64"))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension (``torch.msort``)."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, in order
    (``torch.topk``; which of several tied elements is taken may differ from PyTorch's)."""
    d = _dim(input, dim)
    n = input.array.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k={k}, size {n} along dim {d})")
    if input.ndim == 0:
        return TopkResult(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    idx = _argsort(input.array, d, largest)
    idx = _xp(idx).take(idx, _xp(idx).arange(k), axis=d)
    return TopkResult(_take(input, d, idx, "TopkBackward0"), const(idx.astype("int64")))


def _select(input: Tensor, d: int, pos, keepdim: bool, name: str, result):
    """Values and indices at the sorted positions ``pos`` (one per row along ``d``)."""
    xp = _xp(input.array)
    idx = xp.expand_dims(pos, d).astype("int64")
    values = _take(input, d, idx, name)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return result(values, const(idx))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (1-based) and its index
    (``torch.kthvalue``)."""
    d = _dim(input, dim)
    n = input.array.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:
        return KthvalueResult(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    order = _argsort(input.array, d, False)
    pos = _xp(order).take(order, k - 1, axis=d)
    return _select(input, d, pos, keepdim, "KthvalueBackward0", KthvalueResult)


def _median_positions(x, d: int, ignore_nan: bool):
    xp = _xp(x)
    order = _argsort(x, d, False)
    n = x.shape[d]
    nan = xp.isnan(x) if x.dtype.kind == "f" else xp.zeros(x.shape, dtype=bool)
    valid = n - nan.sum(axis=d)
    if ignore_nan:
        k = xp.maximum(valid - 1, 0) // 2
    else:
        k = xp.full(valid.shape, (n - 1) // 2)
    pos = xp.take_along_axis(order, xp.expand_dims(k, d), axis=d).squeeze(d)
    if not ignore_nan and x.dtype.kind == "f":
        first_nan = xp.argmax(nan, axis=d)
        pos = xp.where(valid < n, first_nan, pos)
    return pos


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``; nan if there
    is a nan (``torch.median``)."""
    return _median(input, dim, keepdim, False)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """:func:`median` ignoring nan values (``torch.nanmedian``)."""
    return _median(input, dim, keepdim, True)


def _median(input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    result = NanmedianResult if ignore_nan else MedianResult
    name = "NanmedianBackward" if ignore_nan else "MedianBackward"
    if dim is None and input.array.size == 0:
        return Tensor._make(_xp(input.array).asarray(float("nan"), dtype=input.array.dtype))
    if dim is not None and input.ndim and input.array.shape[_dim(input, dim)] == 0:
        raise IndexError(
            f"{'nan' if ignore_nan else ''}median(): Expected reduction dim {_dim(input, dim)} "
            "to have non-zero size."
        )
    if dim is None:
        flat = input.reshape(-1)
        pos = _xp(flat.array).asarray(_median_positions(flat.array, 0, ignore_nan))
        return _named(GetItem((pos,))(flat), name + "0")
    d = _dim(input, dim)
    if input.ndim == 0:
        return result(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    pos = _median_positions(input.array, d, ignore_nan)
    return _select(input, d, pos, keepdim, name + "1", result)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence (``torch.mode``)."""
    d = _dim(input, dim)
    if input.ndim == 0:
        return ModeResult(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    x = array_backend.to_device(input.array, array_backend.CPU)
    np = array_backend.numpy
    moved = np.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    pos = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        pos[r] = np.flatnonzero(row == best)[-1] if best == best else np.flatnonzero(row != row)[-1]
    pos = array_backend.asarray(pos.reshape(moved.shape[:-1]), input.device)
    return _select(input, d, pos, keepdim, "ModeBackward0", ModeResult)


def _accumulate(ufunc_name: str, x, axis: int):
    """``numpy.<ufunc>.accumulate(x, axis)`` for maximum/minimum. CuPy's ufuncs accumulate
    only add and multiply (``cupy_maximum.accumulate is not supported yet``), so on CuPy this
    is a log-step scan: after the step with shift ``s``, every position holds the extremum of
    the ``2 s`` positions ending there (``ceil(log2 n)`` element-wise kernels)."""
    xp = _xp(x)
    f = getattr(xp, ufunc_name)
    if xp is array_backend.numpy:
        return f.accumulate(x, axis=axis)
    out = x.copy()
    n, step = x.shape[axis], 1
    lead = (slice(None),) * axis
    while step < n:
        hi, lo = lead + (slice(step, None),), lead + (slice(None, n - step),)
        out[hi] = f(out[hi], out[lo])  # the right side is computed before the write
        step *= 2
    return out


def _cumulative(input: Tensor, dim, upper: bool, result, name: str):
    d = _dim(input, dim)
    if input.ndim == 0:
        return result(input.clone(), const(_xp(input.array).zeros((), dtype="int64")))
    x = input.array
    xp = _xp(x)
    running = _accumulate("maximum" if upper else "minimum", x, d)
    hit = x == running
    if x.dtype.kind == "f":
        hit |= xp.isnan(x)
    shape = [1] * x.ndim
    shape[d] = x.shape[d]
    positions = xp.arange(x.shape[d]).reshape(shape)
    idx = _accumulate("maximum", xp.where(hit, positions, 0), d)
    return result(_take(input, d, idx, name), const(idx.astype("int64")))


def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim`` and where it was attained (the latest position on ties)
    (``torch.cummax``)."""
    return _cumulative(input, dim, True, CummaxResult, "CummaxBackward0")


def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` and where it was attained (``torch.cummin``)."""
    return _cumulative(input, dim, False, CumminResult, "CumminBackward0")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):  # fmt: skip
    """The distinct values (sorted), with the inverse indices and counts if asked
    (``torch.unique``); with ``dim``, the distinct slices along it."""
    x = input.array
    xp = _xp(x)
    axis = None if dim is None else _dim(input, dim)
    out = xp.unique(x, return_inverse=True, return_counts=True, axis=axis)
    values, inverse, counts = out[0], out[1], out[2]
    if axis is None:
        inverse = inverse.reshape(x.shape)
    result = [const(values)]
    if return_inverse:
        result.append(const(inverse.astype("int64").reshape(-1 if axis is not None else x.shape)))
    if return_counts:
        result.append(const(counts.astype("int64")))
    return result[0] if len(result) == 1 else tuple(result)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):  # fmt: skip
    """The values with consecutive repeats collapsed (``torch.unique_consecutive``)."""
    x = input.array
    xp = _xp(x)
    if dim is None:
        flat = x.reshape(-1)
        change = xp.concatenate([xp.ones(min(flat.size, 1), dtype=bool), flat[1:] != flat[:-1]])
        values = flat[change]
    else:
        d = _dim(input, dim)
        moved = xp.moveaxis(x, d, 0).reshape(x.shape[d], -1)
        differs = (moved[1:] != moved[:-1]).any(axis=1)
        change = xp.concatenate([xp.ones(min(moved.shape[0], 1), dtype=bool), differs])
        values = xp.take(x, xp.nonzero(change)[0], axis=d)
    starts = xp.nonzero(change)[0]
    result = [const(values)]
    if return_inverse:
        inverse = xp.cumsum(change) - 1
        result.append(const(inverse.reshape(x.shape if dim is None else -1).astype("int64")))
    if return_counts:
        ends = xp.concatenate([starts[1:], xp.asarray([change.size])])
        result.append(const((ends - starts).astype("int64")))
    return result[0] if len(result) == 1 else tuple(result)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:  # fmt: skip
    """Where ``input``'s values would be inserted into ``sorted_sequence`` (sorted along its
    last dimension) to keep it sorted (``torch.searchsorted``)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("side and right can't be set to opposites, got side of left "
                               "while right was True")  # fmt: skip
        right = side == "right"
    seq = sorted_sequence.array
    xp = _xp(seq)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter.array, axis=-1)
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input) if scalar else input.array
    which = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=which)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(values.shape)}"
            )
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=which) for s, v in zip(rows_s, rows_v)])
        out = out.reshape(values.shape)
    return const(xp.asarray(out).astype("int32" if out_int32 else "int64"))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value: ``i`` with boundaries[i-1] < x <= boundaries[i] (or < with
    ``right``) (``torch.bucketize``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative ints, or the
    sum of ``weights`` per value (``torch.bincount``)."""
    x = input.array
    if x.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{torch_name(x.dtype)}'")
    if x.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and int(x.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = _xp(x)
    if weights is None:
        return const(xp.bincount(x, minlength=minlength).astype("int64"))
    w = weights.array
    if w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = xp.bincount(x, weights=w, minlength=minlength)
    dtype = w.dtype if w.dtype.kind == "f" else "float64"
    return const(out.astype(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored (``torch.histc``)."""
    x = input.array
    if x.dtype.kind != "f":
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    xp = _xp(x)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    counts, _ = xp.histogram(x, bins=bins, range=(lo, hi))
    return const(counts.astype(x.dtype))


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """``(hist, bin_edges)`` of ``input`` (``torch.histogram``): ``bins`` equal bins over
    ``range`` (the data's by default) or the given edges."""
    x = input.array
    xp = _xp(x)
    edges = bins.array if isinstance(bins, Tensor) else bins
    w = weight.array if weight is not None else None
    counts, bin_edges = xp.histogram(x, bins=edges, range=range, weights=w, density=density)
    dtype = x.dtype if x.dtype.kind == "f" else default_float()
    return HistogramResult(const(counts.astype(dtype)), const(bin_edges.astype(dtype)))
