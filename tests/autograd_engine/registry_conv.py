"""Gradient-test registry rows for the convolution, pooling and normalization ops
(``CONV_SPECS``, loaded by ``registry.py``): small random geometries drawn by hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from registry import OpSpec

import autograd_engine as ag
from autograd_engine.ops import conv, pool
from autograd_engine.ops import normalization as norm
from nn.modules._functions import SyncBatchNorm


@st.composite
def conv_case(draw, transposed: bool = False, dims: int = 2):
    """(shapes, kwargs) for conv{1,2}d or conv_transpose{1,2}d, bias or not."""
    n = draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    if transposed:
        padding = tuple(draw(st.integers(0, 1)) for _ in range(dims))
        output_padding = tuple(
            draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)
        )
        size = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        for n_in, k, s, d, p, q in zip(size, kernel, stride, dilation, padding, output_padding):
            assume((n_in - 1) * s - 2 * p + d * (k - 1) + q >= 0)  # output size >= 1
        kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding}
        kwargs.update(groups=groups, dilation=dilation)
        w_shape = (c_in, c_out // groups, *kernel)
    else:
        padding = draw(st.sampled_from(["same", "valid", 0, 1]))
        if padding == "same":
            stride = (1,) * dims
        pad = padding if isinstance(padding, int) else 0
        low = [d * (k - 1) + 1 - 2 * pad for k, d in zip(kernel, dilation)]
        size = tuple(draw(st.integers(max(lo, 1), max(lo, 1) + 2)) for lo in low)
        kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        w_shape = (c_out, c_in // groups, *kernel)
    if dims == 1:
        kwargs = {k: (v[0] if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    shapes = ((n, c_in, *size), w_shape)
    if draw(st.booleans()):
        shapes += ((c_out,),)
    return shapes, kwargs


@st.composite
def pool_case(draw, kind: str):
    """(shapes, kwargs) for max_pool2d (with dilation) or avg_pool2d (with its two flags)."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2)) if kind == "max" else (1, 1)
    padding = tuple(draw(st.integers(0, ((k - 1) * d + 1) // 2)) for k, d in zip(kernel, dilation))
    size = tuple(
        draw(st.integers(max(1, (k - 1) * d + 1 - 2 * p), 5))
        for k, d, p in zip(kernel, dilation, padding)
    )
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding}
    kwargs["ceil_mode"] = draw(st.booleans())
    if kind == "max":
        kwargs["dilation"] = dilation
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *size)
    if kind == "max":  # with dilation a window can fall entirely in the padding: -inf
        assume(np.isfinite(pool.max_pool2d(ag.ones(*shape), **kwargs).numpy()).all())
    if draw(st.booleans()):
        shape = shape[1:]  # unbatched (C, H, W)
    return (shape,), kwargs


@st.composite
def adaptive_case(draw):
    shape = (1, draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    out = (draw(st.integers(1, 4)), draw(st.sampled_from([None, 1, 2, 3])))
    return (shape,), {"output_size": out}


def _spread(axes_of):
    """A ``valid`` predicate: the first input's values vary (variance > 0.05) over ``axes_of(x)``
    = (view, axes), a subset of every normalized group, so each group's variance is at least as
    big (near-constant groups make 1/std huge and finite differences meaningless)."""

    def valid(arrays) -> bool:
        x = arrays[0]
        view, axes = axes_of(x)
        return bool(np.all(x.reshape(view).var(axis=axes) > 0.05))

    return valid


@st.composite
def running_norm_case(draw, flag: str, n_min: int, dims_min: int, size_min: int):
    """(shapes, kwargs) for batch_norm (``flag="training"``) or instance_norm
    (``"use_input_stats"``): at least ``n_min`` samples, ``dims_min`` spatial dims of at least
    ``size_min``; with or without weight/bias and running statistics."""
    shape = (draw(st.integers(n_min, n_min + 2)), draw(st.integers(1, 2)))
    dims = draw(st.integers(dims_min, 2))
    shape += tuple(draw(st.integers(size_min, size_min + 1)) for _ in range(dims))
    uses_input_stats = draw(st.booleans())
    affine = draw(st.sampled_from([0, 1, 2]))  # no weight/bias, weight only, both
    shapes = (shape,) + ((shape[1],),) * affine
    return shapes, {flag: uses_input_stats, "running": draw(st.booleans()) or not uses_input_stats}


def _with_running_stats(fn):
    """``fn(x, running_mean, running_var, weight, bias, ...)`` with fixed running statistics
    (a fresh copy per call, as ``fn`` updates them) when ``running``."""

    def call(x, *params, running, **kwargs):
        c = x.shape[1]
        mean = np.linspace(-0.5, 0.5, c) if running else None
        var = np.linspace(0.5, 1.5, c) if running else None
        stats = [None if a is None else ag.tensor(a.copy(), device=x.device) for a in (mean, var)]
        weight, bias = (list(params) + [None, None])[:2]
        return fn(x, *stats, weight, bias, momentum=0.3, **kwargs)

    return call


def _sync_batch_norm(x, *params, training, running):
    """SyncBatchNorm's Function on a group of one process (it then talks to no one)."""

    def call(x, running_mean, running_var, weight, bias, momentum):
        args = (running_mean, running_var, 1e-5, momentum, None, 1)
        return SyncBatchNorm.apply(x, weight, bias, *args)

    return _with_running_stats(call)(x, *params, running=running)


@st.composite
def layer_norm_case(draw):
    shape = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3))))
    k = draw(st.integers(1, len(shape)))
    shape = shape[:-1] + (max(shape[-1], 2),)
    normalized = shape[len(shape) - k :]
    affine = draw(st.sampled_from([0, 1, 2]))
    return (shape,) + (normalized,) * affine, {"normalized_shape": normalized}


@st.composite
def group_norm_case(draw):
    groups = draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)))
    shape += (draw(st.integers(2, 3)),) * draw(st.integers(1, 2))
    affine = draw(st.sampled_from([0, 1, 2]))
    return (shape,) + ((shape[1],),) * affine, {"num_groups": groups}


def _bn_axes(x):
    return x.shape, (0,) + tuple(range(2, x.ndim))


CONV_NODES = (conv.Conv2d, conv.ConvTranspose2d, conv.Conv2dWeightGrad)

CONV_SPECS: list[OpSpec] = [
    OpSpec("conv2d", conv.conv2d, CONV_NODES, case=conv_case()),
    OpSpec("conv1d", conv.conv1d, CONV_NODES, case=conv_case(dims=1)),
    OpSpec("conv_transpose2d", conv.conv_transpose2d, CONV_NODES, case=conv_case(True)),
    OpSpec("conv_transpose1d", conv.conv_transpose1d, CONV_NODES, case=conv_case(True, 1)),
    OpSpec(
        "max_pool2d",
        pool.max_pool2d,
        (pool.MaxPool2d, pool.MaxPool2dGrad),
        case=pool_case("max"),
        unique=True,  # a tie inside a window is a kink
    ),
    OpSpec(
        "avg_pool2d", pool.avg_pool2d, (pool.AvgPool2d, pool.AvgPool2dGrad), case=pool_case("avg")
    ),
    OpSpec("adaptive_avg_pool2d", pool.adaptive_avg_pool2d, (), case=adaptive_case()),
    OpSpec(
        "batch_norm",
        _with_running_stats(norm.batch_norm),
        (norm.BatchNorm,),
        case=running_norm_case("training", 2, 0, 1),
        unique=True,
        valid=_spread(_bn_axes),
    ),
    OpSpec(
        "sync_batch_norm",
        _sync_batch_norm,
        (SyncBatchNorm._backward_cls,),
        case=running_norm_case("training", 2, 0, 1).filter(lambda c: c[1]["training"]),
        unique=True,
        valid=_spread(_bn_axes),
        second_order=False,  # once_differentiable, as PyTorch's
    ),
    OpSpec(
        "instance_norm",
        _with_running_stats(norm.instance_norm),
        (norm.BatchNorm,),
        case=running_norm_case("use_input_stats", 1, 1, 2),
        unique=True,
        valid=_spread(lambda x: ((x.shape[0], x.shape[1], -1), 2)),  # each sample's channel
    ),
    OpSpec(
        "layer_norm",
        lambda x, *p, normalized_shape: norm.layer_norm(x, normalized_shape, *p),
        (norm.LayerNorm,),
        case=layer_norm_case(),
        unique=True,
        valid=_spread(lambda x: ((-1, x.shape[-1]), 1)),  # rows of the last dim
    ),
    OpSpec(
        "group_norm",
        lambda x, *p, num_groups: norm.group_norm(x, num_groups, *p),
        (norm.GroupNorm,),
        case=group_norm_case(),
        unique=True,
        valid=_spread(lambda x: ((x.shape[0], x.shape[1], -1), 2)),  # each channel
    ),
]
