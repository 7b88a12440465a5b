"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d`` and ``adaptive_max_pool2d``,
and their 1-D forms run over a plane of height 1. Each pool node's backward is its adjoint
node (``MaxPool2dGrad``, ``AvgPool2dGrad``), whose backward is the pool again."""

from __future__ import annotations

import math
import numbers

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import const
from ._window import Geometry, check_input, lift_1d, ntuple, pad_plane, window_slice, windows


def _window_max(view):
    """The max of each window of ``view`` (N, C, kh, kw, oh, ow); NaN propagates."""
    xp = array_backend.get_array_module(view)
    kh, kw = view.shape[2:4]
    best = view[:, :, 0, 0].copy()
    for k in range(1, kh * kw):
        # NOTE: the running max comes second: NumPy returns it on ties (-0.0 vs 0.0), so the
        # result keeps the bits of the first maximum, which is where the gradient goes.
        xp.maximum(view[:, :, k // kw, k % kw], best, out=best)
    return best


def _bits(a):
    """``a`` viewed as integers of its width: equality of bits, so that NaN matches itself."""
    return a.view(f"int{a.dtype.itemsize * 8}")


def _first_max_index(view, out):
    """The kernel position (row-major) of the first element of each window equal to its max
    ``out``; the windows are scanned backwards so that the earliest match is written last.
    A window with several NaNs gives its first NaN (PyTorch's CPU kernel picks the last)."""
    kh, kw = view.shape[2:4]
    xp = array_backend.get_array_module(view)
    index = xp.full(out.shape, kh * kw - 1, dtype="int8" if kh * kw < 128 else "int32")
    target = _bits(out)
    for k in range(kh * kw - 2, -1, -1):
        hit = _bits(view[:, :, k // kw, k % kw]) == target
        index -= hit * (index - k)  # branch-free: boolean masks in where/copyto are slower
    return index


def _take(view, index):
    """The element of each window of ``view`` at the kernel position ``index``."""
    xp = array_backend.get_array_module(view)
    kh, kw = view.shape[2:4]
    out = view[:, :, 0, 0]
    for k in range(1, kh * kw):
        out = xp.where(index == k, view[:, :, k // kw, k % kw], out)
    return out.copy() if out.base is not None else out


class MaxPool2d(Node):
    """y[n, c, p, q] = max_{i, j} x_pad[n, c, p*sh + i*dh, q*sw + j*dw] (padded with -inf);
    with ``indices`` given, y takes the element at those kernel positions instead."""

    _backward_name = "MaxPool2DWithIndicesBackward0"

    def __init__(self, kernel, geom: Geometry, out_hw, indices=None):
        self.kernel, self.geom, self.out_hw, self.indices = kernel, geom, out_hw, indices

    def windows(self, x):
        xpad = pad_plane(x, self.geom.pads, -math.inf)
        return windows(xpad, self.kernel, self.geom.stride, self.geom.dilation, self.out_hw)

    def forward(self, x):
        self.in_hw = x.shape[2:]
        if self.indices is not None:
            return _take(self.windows(x), self.indices)
        self.save_inputs(0)
        self.save_output()
        return _window_max(self.windows(x))

    def backward(self, grad):
        # NOTE: the whole gradient of a window goes to its first maximum, as in PyTorch (the
        # positions are found here, from the saved input and output, not during forward).
        index = self.indices
        if index is None:
            x, out = self.saved_tensors
            index = _first_max_index(self.windows(x.array), out.array)
        return MaxPool2dGrad(self.kernel, self.geom, self.out_hw, index, self.in_hw)(grad)


class MaxPool2dGrad(Node):
    """gx[n, c, p*sh + i*dh, q*sw + j*dw] += g[n, c, p, q] where (i, j) is the window's
    maximum position ``indices`` (the adjoint of ``MaxPool2d``)."""

    def __init__(self, kernel, geom: Geometry, out_hw, indices, in_hw):
        self.kernel, self.geom, self.out_hw = kernel, geom, out_hw
        self.indices, self.in_hw = indices, tuple(in_hw)

    def forward(self, g):
        xp = array_backend.get_array_module(g)
        (kh, kw), (top, bottom, left, right), (h, w) = self.kernel, self.geom.pads, self.in_hw
        stride, dilation = self.geom.stride, self.geom.dilation
        disjoint = dilation == (1, 1) and stride[0] >= kh and stride[1] >= kw
        n, c = g.shape[:2]
        out = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=g.dtype)
        for k in range(kh * kw):
            at = out[window_slice(k // kw, k % kw, stride, dilation, self.out_hw)]
            if disjoint:  # each input element is in one window at most: write, not add
                xp.multiply(g, self.indices == k, out=at)
            else:
                at += g * (self.indices == k)
        if top or bottom or left or right:
            out = out[:, :, top : top + h, left : left + w]
        return out

    def backward(self, grad):
        return MaxPool2d(self.kernel, self.geom, self.out_hw, self.indices)(grad)


def _box_sum(xpad, kernel, geom: Geometry, out_hw):
    """Sum of every window of ``xpad``, rows first then columns (kh + kw strided adds)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, geom.stride, geom.dilation, out_hw
    rows = xpad[:, :, 0 : sh * (oh - 1) + 1 : sh, :].copy()
    for i in range(1, kh):
        rows += xpad[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, :]
    out = rows[..., 0 : sw * (ow - 1) + 1 : sw].copy()
    for j in range(1, kw):
        out += rows[..., j * dw : j * dw + sw * (ow - 1) + 1 : sw]
    return out


def _box_spread(g, kernel, geom: Geometry, in_hw):
    """The adjoint of ``_box_sum``: each value added over its whole window, padding cropped."""
    xp = array_backend.get_array_module(g)
    (kh, kw), (sh, sw), (dh, dw) = kernel, geom.stride, geom.dilation
    (top, bottom, left, right), (h, w) = geom.pads, in_hw
    n, c, oh, ow = g.shape
    rows = xp.zeros((n, c, oh, w + left + right), dtype=g.dtype)
    for j in range(kw):
        rows[..., j * dw : j * dw + sw * (ow - 1) + 1 : sw] += g
    out = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=g.dtype)
    for i in range(kh):
        out[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, :] += rows
    if top or bottom or left or right:
        out = out[:, :, top : top + h, left : left + w]
    return out


class AvgPool2d(Node):
    """y[n, c, p, q] = sum_{i, j} x_pad[n, c, p*sh + i, q*sw + j] * scale[p, q] (zero padding;
    ``scale`` is 1 / the divisor of each window)."""

    _backward_name = "AvgPool2DBackward0"

    def __init__(self, kernel, geom: Geometry, out_hw, scale):
        self.kernel, self.geom, self.out_hw, self.scale = kernel, geom, out_hw, scale

    def forward(self, x):
        self.in_hw = x.shape[2:]
        xp = array_backend.get_array_module(x)
        out = _box_sum(pad_plane(x, self.geom.pads), self.kernel, self.geom, self.out_hw)
        out *= xp.asarray(self.scale, dtype=x.dtype)
        return out

    def backward(self, grad):
        return AvgPool2dGrad(self.kernel, self.geom, self.scale, self.in_hw)(grad)


class AvgPool2dGrad(Node):
    """gx[n, c, p*sh + i, q*sw + j] += g[n, c, p, q] * scale[p, q] (the adjoint of
    ``AvgPool2d``)."""

    def __init__(self, kernel, geom: Geometry, scale, in_hw):
        self.kernel, self.geom, self.scale, self.in_hw = kernel, geom, scale, tuple(in_hw)

    def forward(self, g):
        xp = array_backend.get_array_module(g)
        self.out_hw = g.shape[2:]
        return _box_spread(g * xp.asarray(self.scale, dtype=g.dtype), self.kernel, self.geom,
                           self.in_hw)  # fmt: skip

    def backward(self, grad):
        return AvgPool2d(self.kernel, self.geom, self.out_hw, self.scale)(grad)


# --- geometry and checks ---------------------------------------------------------------------
def _pool_out(size, k, s, p, d, ceil_mode) -> int:
    """PyTorch's ``pooling_output_shape``: ceil mode may add a window that starts inside."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Parse and check the arguments; returns (kernel, geometry, output size)."""
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else stride
    stride = ntuple(stride, 2, "stride", op)
    padding = ntuple(padding, 2, "padding", op)
    dilation = ntuple(dilation, 2, "dilation", op)
    if min(kernel) <= 0:
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {kernel}")
    if min(stride) <= 0:
        raise RuntimeError(f"{op}: stride must be greater than zero, but got {stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got {dilation}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got "
                f"padding={padding}, kernel_size={kernel} and dilation={dilation}"
            )
    h, w = x.shape[2:]
    out_hw = tuple(
        _pool_out(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
    )
    if min(out_hw) < 1:
        raise RuntimeError(
            f"{op}: given input of shape {tuple(x.shape)}, the calculated output size "
            f"{out_hw} is too small; use a smaller kernel_size or more padding"
        )
    extra = [
        max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)
        for o, s, d, k, n, p in zip(out_hw, stride, dilation, kernel, (h, w), padding)
    ]
    pads = (padding[0], extra[0], padding[1], extra[1])
    return kernel, Geometry(stride, pads, dilation), out_hw


def _batched(op, input):
    unbatched = check_input(op, input, 4, "C, H, W")
    if min(input.shape[-3:]) < 1:
        raise RuntimeError(f"{op}: expected a non-empty input, but got shape {tuple(input.shape)}")
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _flat_indices(index, kernel, geom: Geometry, in_hw):
    """PyTorch's ``return_indices``: the flat position of each maximum in the input plane."""
    xp = array_backend.get_array_module(index)
    kw = kernel[1]
    oh, ow = index.shape[2:]
    index = index.astype("int64")
    rows = (
        xp.arange(oh, dtype="int64")[:, None] * geom.stride[0]
        - geom.pads[0]
        + (index // kw) * geom.dilation[0]
    )
    cols = xp.arange(ow, dtype="int64") * geom.stride[1] - geom.pads[2]
    cols = cols + (index % kw) * geom.dilation[1]
    return rows * in_hw[1] + cols


# --- functions ---------------------------------------------------------------------------------
def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input (``torch.nn.functional.max_pool2d``).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) pads with
    -inf. The gradient of each window goes to its first maximum. With ``return_indices`` also
    returns the flat index (into H*W) of each maximum, as an int64 tensor.

    Example::

        y = max_pool2d(x, 2)               # (64, 8, 28, 28) -> (64, 8, 14, 14)
    """
    op = "max_pool2d"
    x, unbatched = _batched(op, input)
    kernel, geom, out_hw = _pool_args(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    node = MaxPool2d(kernel, geom, out_hw)
    out = node(x)
    if return_indices:
        index = _first_max_index(node.windows(x.array), out.array)
        flat = const(_flat_indices(index, kernel, geom, x.shape[2:]))
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    return out, (flat.squeeze(0) if unbatched else flat)


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W) input
    (``torch.nn.functional.avg_pool2d``).

    Zero ``padding`` (at most half the kernel) counts in the divisor when
    ``count_include_pad``; windows that ``ceil_mode`` lets run past the padded input never count
    the overhang. ``divisor_override`` replaces the divisor.
    """
    op = "avg_pool2d"
    x, unbatched = _batched(op, input)
    kernel, geom, out_hw = _pool_args(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Number) or divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero (got {divisor_override!r})")
        scale = array_backend.numpy.full(out_hw, 1.0 / divisor_override)
    else:
        counts = []
        for ax in range(2):
            o = array_backend.numpy.arange(out_hw[ax])
            size, k, p = x.shape[2 + ax], kernel[ax], geom.pads[2 * ax]
            start = o * geom.stride[ax] - p
            end = array_backend.numpy.minimum(start + k, size + p)
            if count_include_pad:
                counts.append(end - start)
            else:
                counts.append(
                    array_backend.numpy.minimum(end, size) - array_backend.numpy.maximum(start, 0)
                )
        scale = 1.0 / array_backend.numpy.multiply.outer(counts[0], counts[1])
    out = AvgPool2d(kernel, geom, out_hw, scale)(x)
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(size: int, out: int, xp, dtype):
    """(out, size): row i averages PyTorch's adaptive window [floor(i*size/out),
    ceil((i+1)*size/out))."""
    m = array_backend.numpy.zeros((out, size))
    for i in range(out):  # out is small: one row of the pooling matrix per output position
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return const(xp.asarray(m, dtype=dtype))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``output_size`` (an int, or a pair whose None entries keep the
    input size) over (N, C, H, W) or (C, H, W) input (``torch.nn.functional.adaptive_avg_pool2d``).

    Window i along an axis of length L spans [floor(i*L/out), ceil((i+1)*L/out)).
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(op, input)
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ValueError(
            f"{op}: output_size must be an int or a pair of ints (or None), got {output_size!r}"
        )
    h, w = x.shape[2:]
    oh, ow = (s if o is None else int(o) for o, s in zip(output_size, (h, w)))
    if oh < 1 or ow < 1:
        raise RuntimeError(f"{op}: output_size must be positive, got {(oh, ow)}")
    if (oh, ow) == (1, 1):
        out = x.mean((2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = avg_pool2d(x, (h // oh, w // ow))
    else:  # windows of different sizes: the pooling is separable, two small matmuls
        xp = array_backend.get_array_module(x.array)
        rows = _adaptive_matrix(h, oh, xp, x.dtype)
        cols = _adaptive_matrix(w, ow, xp, x.dtype)
        out = rows @ x @ cols.mT
    return out.squeeze(0) if unbatched else out


def _plane(op: str, input: Tensor) -> Tensor:
    """A 1-D pooling input, (N, C, L) or (C, L), as a plane of height 1."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            f"{op}: expected a 3-D (N, C, L) input or a 2-D (C, L) unbatched input, but got "
            f"input of shape {got}"
        )
    return input.unsqueeze(-2)


def _stride_1d(stride, kernel, op: str):
    if stride is None or stride == [] or stride == ():
        return kernel
    return lift_1d(stride, "stride", op, 1)


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)`` input
    (``torch.nn.functional.max_pool1d``); with ``return_indices`` also the index of each
    maximum along L."""
    op = "max_pool1d"
    kernel = lift_1d(kernel_size, "kernel_size", op, 1)
    stride = _stride_1d(stride, kernel, op)
    padding, dilation = lift_1d(padding, "padding", op, 0), lift_1d(dilation, "dilation", op, 1)
    out = max_pool2d(_plane(op, input), kernel, stride, padding, dilation, ceil_mode,
                     return_indices)  # fmt: skip
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)`` input
    (``torch.nn.functional.avg_pool1d``)."""
    op = "avg_pool1d"
    kernel = lift_1d(kernel_size, "kernel_size", op, 1)
    stride = _stride_1d(stride, kernel, op)
    padding = lift_1d(padding, "padding", op, 0)
    out = avg_pool2d(_plane(op, input), kernel, stride, padding, ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` input to length ``output_size``
    (``torch.nn.functional.adaptive_avg_pool1d``)."""
    op = "adaptive_avg_pool1d"
    size = lift_1d(output_size, "output_size", op, 1)
    return adaptive_avg_pool2d(_plane(op, input), size).squeeze(-2)


def _adaptive_sizes(op: str, output_size, spatial) -> tuple[int, ...]:
    n = len(spatial)
    if isinstance(output_size, numbers.Integral):
        output_size = (output_size,) * n
    if not isinstance(output_size, (tuple, list)) or len(output_size) != n:
        raise ValueError(
            f"{op}: output_size must be an int or {n} ints (None keeps the input size), got "
            f"{output_size!r}"
        )
    sizes = tuple(s if o is None else int(o) for o, s in zip(output_size, spatial))
    if min(sizes) < 1:
        raise RuntimeError(f"{op}: output_size must be positive, got {sizes}")
    return sizes


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` input to a fixed ``output_size``
    (``torch.nn.functional.adaptive_max_pool2d``).

    Window i along an axis of length L spans [floor(i*L/out), ceil((i+1)*L/out)); the gradient
    goes to each window's first maximum. With ``return_indices`` also returns the flat index
    (into H*W) of each maximum.
    """
    op = "adaptive_max_pool2d"
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    x = input if input.ndim == 4 else input.unsqueeze(0)
    n, c, h, w = x.shape
    oh, ow = _adaptive_sizes(op, output_size, (h, w))
    if h % oh == 0 and w % ow == 0:
        out = max_pool2d(x, (h // oh, w // ow), return_indices=True)
        values, index = out
    else:
        xp = array_backend.get_array_module(x.array)
        flat = xp.empty((n, c, oh, ow), dtype="int64")
        for i in range(oh):
            h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
            for j in range(ow):
                w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
                window = x.array[:, :, h0:h1, w0:w1].reshape(n, c, -1)
                local = window.argmax(-1)  # the first maximum (NaN counts as the maximum)
                flat[:, :, i, j] = (h0 + local // (w1 - w0)) * w + w0 + local % (w1 - w0)
        rows = xp.arange(n).reshape(n, 1, 1, 1)
        chans = xp.arange(c).reshape(1, c, 1, 1)
        values = x.reshape(n, c, h * w)[rows, chans, flat]
        index = Tensor._make(flat)
    if input.ndim == 3:
        values, index = values.squeeze(0), index.squeeze(0)
    return (values, index) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` input to length ``output_size``
    (``torch.nn.functional.adaptive_max_pool1d``)."""
    op = "adaptive_max_pool1d"
    size = lift_1d(output_size, "output_size", op, 1)
    out = adaptive_max_pool2d(_plane(op, input), size, True)
    values, index = out[0].squeeze(-2), out[1].squeeze(-2)
    return (values, index) if return_indices else values


__all__ = [
    "MaxPool2d",
    "MaxPool2dGrad",
    "AvgPool2d",
    "AvgPool2dGrad",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
]
