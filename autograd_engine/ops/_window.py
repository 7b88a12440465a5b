"""Sliding windows over a 2-D plane, shared by convolution and pooling: the window geometry,
padding, the strided im2col view and its adjoint, output sizes, and the argument parsing both
families use (ints or tuples per spatial dim, batched or unbatched input, 1-D as a plane of
height 1)."""

from __future__ import annotations

import numbers
from typing import NamedTuple

from .. import array_backend
from ..tensor import Tensor

__all__ = [
    "Geometry", "out_size", "natural_out", "pad_plane", "windows", "window_slice", "col2im",
    "ntuple", "check_input", "lift_1d",
]  # fmt: skip


class Geometry(NamedTuple):
    """How windows slide over a (padded) 2-D plane: ``pads`` is (top, bottom, left, right)."""

    stride: tuple[int, int]
    pads: tuple[int, int, int, int]
    dilation: tuple[int, int]
    groups: int = 1


def out_size(size: int, lo: int, hi: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows fit along one axis of ``size`` padded by ``lo`` and ``hi``."""
    return (size + lo + hi - dilation * (kernel - 1) - 1) // stride + 1


def pad_plane(x, pads, value=0):
    """``x`` (N, C, H, W) padded on its last two axes by ``pads`` = (top, bottom, left, right)."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    xp = array_backend.get_array_module(x)
    n, c, h, w = x.shape
    out = xp.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top : top + h, left : left + w] = x
    return out


def windows(xpad, kernel, stride, dilation, out_hw):
    """A strided view (N, C, kh, kw, oh, ow) with ``[n, c, i, j, y, x] = xpad[n, c, y*sh + i*dh,
    x*sw + j*dw]`` (no copy: reshaping it is im2col)."""
    xp = array_backend.get_array_module(xpad)
    n, c = xpad.shape[:2]
    s_n, s_c, s_h, s_w = xpad.strides
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    shape = (n, c, kh, kw, out_hw[0], out_hw[1])
    strides = (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw)
    return xp.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


def window_slice(i: int, j: int, stride, dilation, out_hw) -> tuple:
    """The index of kernel position (i, j) of every window in the padded plane."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (
        slice(None),
        slice(None),
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
    )


def col2im(cols, kernel, stride, dilation, pads, in_hw):
    """The adjoint of ``windows``: add ``cols`` (N, C, kh, kw, oh, ow) back onto a zero padded
    plane, then crop the padding; returns (N, C, H, W)."""
    # NOTE: one strided add per kernel position (kh*kw of them) measured 2-10x faster than the
    # loop-free scatters (np.add.at, bincount, or a convolution of the dilated gradient); see
    # benchmarks/conv_notes.md.
    xp = array_backend.get_array_module(cols)
    n, c, kh, kw, oh, ow = cols.shape
    top, bottom, left, right = pads
    h, w = in_hw
    out = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[window_slice(i, j, stride, dilation, (oh, ow))] += cols[:, :, i, j]
    if top or bottom or left or right:
        out = out[:, :, top : top + h, left : left + w]
    return out


def natural_out(in_hw, kernel, geom: Geometry):
    top, bottom, left, right = geom.pads
    return (
        out_size(in_hw[0], top, bottom, kernel[0], geom.stride[0], geom.dilation[0]),
        out_size(in_hw[1], left, right, kernel[1], geom.stride[1], geom.dilation[1]),
    )


def ntuple(value, n: int, name: str, op: str) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(isinstance(v, numbers.Integral) for v in value):
        if len(value) == n:
            return tuple(int(v) for v in value)
        if len(value) == 1:
            return (int(value[0]),) * n
    raise RuntimeError(
        f"{op}: expected {name} to be a single integer value or a list of {n} values to match "
        f"the convolution dimensions, but got {name}={value!r}"
    )


def check_input(op: str, x: Tensor, dims: int, layout: str) -> bool:
    """Raise unless ``x`` has ``dims`` (batched) or ``dims - 1`` (unbatched) dimensions;
    return whether it is unbatched."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (dims - 1, dims):
        raise RuntimeError(
            f"{op}: expected a {dims}-D (N, {layout}) input or a {dims - 1}-D ({layout}) "
            f"unbatched input, but got input of shape {tuple(x.shape)}"
        )
    if x.array.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point input, got dtype {x.dtype}; convert it with "
            ".float() first"
        )
    return x.ndim == dims - 1


def lift_1d(value, name: str, op: str, fill: int):
    """A 1-D argument (an int or a 1-tuple) as the pair ``(fill, value)`` for the 2-D code that
    runs 1-D ops over a plane of height 1; a padding string passes through unchanged."""
    if isinstance(value, str):
        return value
    (v,) = ntuple(value, 1, name, op)
    return (fill, v)
