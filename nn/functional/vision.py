"""Resampling and rearranging for ``nn.functional``: ``interpolate`` (nearest, nearest-exact,
linear, bilinear, trilinear, area), ``pixel_shuffle``/``pixel_unshuffle``, and
``unfold``/``fold`` from the engine. Interpolation along each axis is a matmul with a small
interpolation matrix built with PyTorch's source-index rules, so it is exact, linear and
differentiable to any order."""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd_engine.ops import fold, unfold
from autograd_engine.ops.pool import adaptive_avg_pool2d
from autograd_engine.tensor import Tensor

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _source_scale(in_size: int, out_size: int, scale, align_corners: bool, dtype):
    """PyTorch's ``area_pixel_compute_scale``, in the interpolation's precision."""
    if align_corners:
        return dtype.type((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(in_size) / dtype.type(out_size)


def _nearest_matrix(in_size: int, out_size: int, scale, exact: bool, dtype) -> np.ndarray:
    """(out, in) 0/1 rows picking PyTorch's nearest source (its float32 index arithmetic)."""
    if scale is not None and scale > 0:
        ratio = np.float32(1.0 / scale)
    else:
        ratio = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32)
    if exact:
        src = np.floor((dst + np.float32(0.5)) * ratio)
    else:
        src = np.floor(dst * ratio)
    src = np.minimum(src.astype(np.int64), in_size - 1)
    if out_size == in_size:
        src = np.arange(out_size)
    m = np.zeros((out_size, in_size), dtype=dtype)
    m[np.arange(out_size), src] = 1
    return m


def _linear_matrix(in_size: int, out_size: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """(out, in) rows with the two linear weights of PyTorch's source position."""
    ratio = _source_scale(in_size, out_size, scale, align_corners, dtype)
    dst = np.arange(out_size, dtype=dtype)
    if align_corners:
        src = ratio * dst
    else:
        src = np.maximum(ratio * (dst + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    lo = np.minimum(src.astype(np.int64), in_size - 1)
    hi = np.minimum(lo + 1, in_size - 1)
    lam = (src - lo).astype(dtype)
    m = np.zeros((out_size, in_size), dtype=dtype)
    rows = np.arange(out_size)
    np.add.at(m, (rows, lo), dtype.type(1) - lam)
    np.add.at(m, (rows, hi), lam)
    return m


def _apply_along(x: Tensor, axis: int, matrix: np.ndarray) -> Tensor:
    """Multiply ``x`` along ``axis`` (a spatial axis) by ``matrix`` (out, in)."""
    m = Tensor._make(x.device.xp.asarray(matrix))
    if axis == x.ndim - 1:
        return x @ m.mT
    if axis == x.ndim - 2:
        return m @ x
    moved = x.transpose(axis, -1)
    return (moved @ m.mT).transpose(axis, -1)


def _output_size(op, input, size, scale_factor, recompute_scale_factor):
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = [int(size)] * dims if isinstance(size, numbers.Integral) else list(size)
        if len(sizes) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                f"{sizes}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format."
            )
        return [int(s) for s in sizes], [None] * dims
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, numbers.Number):
        scales = [float(scale_factor)] * dims
    else:
        scales = [float(s) for s in scale_factor]
        if len(scales) != dims:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(input.shape[2:])} and "
                f"scale_factor of shape {scales}. Please provide input tensor in (N, C, d1, "
                "d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
    sizes = [int(math.floor(float(n) * s)) for n, s in zip(input.shape[2:], scales)]
    if recompute_scale_factor:
        scales = [None] * dims
    return sizes, scales


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize ``(N, C, *spatial)`` input (``torch.nn.functional.interpolate``).

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        size: the output's spatial size (an int or one per spatial dim), or
        scale_factor: a multiplier (one or per dim); the size is ``floor(in * scale)``.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'`` (4-D),
            ``'trilinear'`` (5-D) or ``'area'`` (adaptive average pooling).
        align_corners: for the linear modes: align the corner pixels' centers (``True``) or
            their edges (``False``, the default).
        recompute_scale_factor: compute the source positions from the sizes instead of the
            given ``scale_factor``.

    Returns:
        The resized tensor, with PyTorch's values (its source-index formulas).

    Example::

        >>> F.interpolate(ag.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape
        (1, 3, 16, 16)
    """
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | "
                "bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if mode == "bicubic":
        raise NotImplementedError(
            "interpolate: mode='bicubic' is not supported; use 'bilinear' or 'nearest'"
        )
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if mode in _LINEAR_DIMS and input.ndim - 2 != _LINEAR_DIMS[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_DIMS[mode] + 2}D input"
        )
    sizes, scales = _output_size("interpolate", input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        if input.ndim == 5:
            raise NotImplementedError("interpolate: mode='area' supports 3-D and 4-D input")
        if input.ndim == 3:
            return adaptive_avg_pool2d(input.unsqueeze(-2), (1, sizes[0])).squeeze(-2)
        return adaptive_avg_pool2d(input, tuple(sizes))
    if input.array.dtype.kind != "f":
        raise NotImplementedError(f"interpolate: integer input ({input.dtype}) is not supported")
    dtype = np.dtype(input.dtype)
    out = input
    for d, (n_in, n_out, scale) in enumerate(zip(input.shape[2:], sizes, scales)):
        if mode in ("nearest", "nearest-exact"):
            m = _nearest_matrix(n_in, n_out, scale, mode == "nearest-exact", dtype)
        else:
            m = _linear_matrix(n_in, n_out, scale, align_corners, dtype)
        out = _apply_along(out, 2 + d, m)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (``torch.nn.functional.upsample``)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)`` (``torch.nn.functional.pixel_shuffle``)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)`` (``torch.nn.functional.pixel_unshuffle``)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, "
            f"but got input of shape {tuple(input.shape)} and downscale_factor={r}"
        )
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
