"""One converter per node class: the ONNX nodes that compute what the engine's node computed.

A converter takes ``(g, op, ins)`` -- the graph being built, the recorded op (its ``node``,
input tensors and output tensor) and the graph's names of its inputs -- and returns the name
of its output. ``CONVERTERS`` maps each node class to its converter; a node class that is not
in it cannot be exported.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd_engine.onnx._graph import Graph, dynamic_dims, unsupported
from autograd_engine.ops import (
    activation,
    arith,
    attention,
    conv,
    linalg,
    normalization,
    pool,
    reduce,
    shape,
    unary,
)

__all__ = ["CONVERTERS", "onnx_dtype"]

CONVERTERS: dict = {}


def converts(*classes):
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register


def onnx_dtype(g: Graph, dtype) -> int:
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _dtype(op):
    return op.output.array.dtype


# --- arithmetic -------------------------------------------------------------------------------
def _simple(onnx_op: str):
    def convert(g, op, ins):
        return g.add(onnx_op, ins)

    return convert


for _cls, _name in [
    (arith.Add, "Add"), (arith.Sub, "Sub"), (arith.Mul, "Mul"), (arith.Div, "Div"),
    (arith.Neg, "Neg"), (arith.Pow, "Pow"), (linalg.MatMul, "MatMul"),
    (activation.ReLU, "Relu"), (activation.Sigmoid, "Sigmoid"), (activation.Tanh, "Tanh"),
    (unary.Exp, "Exp"), (unary.Log, "Log"), (unary.Sqrt, "Sqrt"), (unary.Abs, "Abs"),
    (unary.Sign, "Sign"), (unary.Sin, "Sin"), (unary.Cos, "Cos"), (unary.Maximum, "Max"),
    (unary.Minimum, "Min"), (arith.Clone, "Identity"), (arith.ToDevice, "Identity"),
]:  # fmt: skip
    CONVERTERS[_cls] = _simple(_name)


@converts(arith.Constant)
def _constant(g, op, ins):
    return g.array_value(op.output.array, "constant")


@converts(arith.Cast)
def _cast(g, op, ins):
    return g.add("Cast", ins, to=onnx_dtype(g, _dtype(op)))


@converts(unary.Log1p)
def _log1p(g, op, ins):
    return g.add("Log", [g.add("Add", [ins[0], g.scalar(1, _dtype(op))])])


@converts(unary.Expm1)
def _expm1(g, op, ins):
    return g.add("Sub", [g.add("Exp", ins), g.scalar(1, _dtype(op))])


@converts(unary.Clamp)
def _clamp(g, op, ins):
    node, dtype = op.node, _dtype(op)
    low = "" if node.min is None else g.scalar(node.min, dtype, "min")
    high = "" if node.max is None else g.scalar(node.max, dtype, "max")
    return g.add("Clip", [ins[0], low, high])


@converts(unary.Where)
def _where(g, op, ins):
    cond = op.node.condition
    twin = g.twin(op)
    if twin is not None and not g.known_array(cond):
        other = twin.node.condition
        if cond.shape != other.shape or not np.array_equal(_np(cond), _np(other)):
            raise unsupported(
                f"a where() condition of shape {tuple(cond.shape)} that depends on the input "
                "(comparisons are not recorded operations)",
                "use a mask that does not depend on the input, or compute the result "
                "arithmetically",
            )
    name = g.array_value(cond, "condition")
    if cond.dtype != np.bool_:
        name = g.add("Cast", [name], to=g.onnx.TensorProto.BOOL)
    return g.add("Where", [name, *ins])


# --- activations ------------------------------------------------------------------------------
@converts(activation.LeakyReLU)
def _leaky_relu(g, op, ins):
    return g.add("LeakyRelu", ins, alpha=float(op.node.negative_slope))


@converts(activation.ELU)
def _elu(g, op, ins):
    return g.add("Elu", ins, alpha=float(op.node.alpha))


@converts(activation.SiLU)
def _silu(g, op, ins):
    return g.add("Mul", [ins[0], g.add("Sigmoid", ins)])


@converts(activation.Softplus)
def _softplus(g, op, ins):
    beta, dtype = float(op.node.beta), _dtype(op)
    if beta == 1.0:
        return g.add("Softplus", ins)
    scaled = g.add("Mul", [ins[0], g.scalar(beta, dtype)])
    return g.add("Div", [g.add("Softplus", [scaled]), g.scalar(beta, dtype)])


@converts(activation.GELU)
def _gelu(g, op, ins):
    approximate, dtype = op.node.approximate, _dtype(op)
    if g.opset >= 20:
        return g.add("Gelu", ins, approximate=approximate)
    x = ins[0]
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.add("Mul", [g.add("Mul", [x, x]), x])
        inner = g.add("Add", [x, g.add("Mul", [cube, g.scalar(0.044715, dtype)])])
        inner = g.add("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dtype)])
        cdf = g.add("Add", [g.add("Tanh", [inner]), g.scalar(1.0, dtype)])
    else:  # the erf form: 0.5 x (1 + erf(x / sqrt 2))
        erf = g.add("Erf", [g.add("Div", [x, g.scalar(math.sqrt(2.0), dtype)])])
        cdf = g.add("Add", [erf, g.scalar(1.0, dtype)])
    return g.add("Mul", [g.add("Mul", [x, cdf]), g.scalar(0.5, dtype)])


@converts(activation.Softmax)
def _softmax(g, op, ins):
    return g.add("Softmax", ins, axis=int(op.node.dim))


@converts(activation.LogSoftmax)
def _log_softmax(g, op, ins):
    return g.add("LogSoftmax", ins, axis=int(op.node.dim))


@converts(attention.AttentionWeights)
def _attention_weights(g, op, ins):
    """softmax(q k^T * scale + mask [+ causal -inf above the diagonal]) as MatMul, Mul, Add
    and Softmax."""
    node, dtype = op.node, _dtype(op)
    q, k = ins[0], ins[1]
    ndim = op.inputs[1].ndim
    perm = list(range(ndim - 2)) + [ndim - 1, ndim - 2]
    scores = g.add("MatMul", [q, g.add("Transpose", [k], perm=perm)], hint="attn_scores")
    scores = g.add("Mul", [scores, g.scalar(node.scale, dtype, "attn_scale")])
    if len(ins) > 2:
        scores = g.add("Add", [scores, ins[2]])
    if node.causal:
        rows, cols = op.output.shape[-2], op.output.shape[-1]
        bias = np.where(np.tri(rows, cols, dtype=bool), 0.0, -np.inf).astype(dtype)
        scores = g.add("Add", [scores, g.const(bias, "causal_mask")])
    return g.add("Softmax", [scores], axis=-1)


# --- linear algebra, convolution, pooling, normalization ----------------------------------------
@converts(linalg.Linear)
def _linear(g, op, ins):
    x, w = ins[0], ins[1]
    if op.inputs[0].ndim == 2:
        return g.add("Gemm", ins, transB=1)
    out = g.add("MatMul", [x, g.transposed(w)])
    return g.add("Add", [out, ins[2]]) if len(ins) > 2 else out


@converts(linalg.Einsum)
def _einsum(g, op, ins):
    equation = ",".join(op.node.inputs) + "->" + op.node.output
    return g.add("Einsum", ins, equation=equation)


@converts(conv.Conv2d)
def _conv2d(g, op, ins):
    geom = op.node.geom
    top, bottom, left, right = geom.pads
    kernel = list(op.inputs[1].shape[2:])
    return g.add("Conv", ins, kernel_shape=kernel, strides=list(geom.stride),
                 pads=[top, left, bottom, right], dilations=list(geom.dilation),
                 group=int(geom.groups))  # fmt: skip


@converts(pool.MaxPool2d)
def _max_pool2d(g, op, ins):
    node = op.node
    if node.indices is not None:
        raise unsupported("max_unpool-style MaxPool2d with given indices")
    geom = node.geom
    top, bottom, left, right = geom.pads  # ceil_mode's overhang is already in bottom/right
    return g.add("MaxPool", ins, kernel_shape=list(node.kernel), strides=list(geom.stride),
                 pads=[top, left, bottom, right], dilations=list(geom.dilation))  # fmt: skip


@converts(pool.AvgPool2d)
def _avg_pool2d(g, op, ins):
    node = op.node
    kh, kw = node.kernel
    if any(node.geom.pads) or not np.allclose(node.scale, 1.0 / (kh * kw)):
        raise unsupported(
            "AvgPool2d with padding, ceil_mode or divisor_override",
            "use avg_pool2d without padding",
        )
    return g.add("AveragePool", ins, kernel_shape=[kh, kw], strides=list(node.geom.stride))


@converts(normalization.BatchNorm)
def _batch_norm(g, op, ins):
    node, x = op.node, op.inputs[0]
    if node.running is None:
        raise unsupported(
            "BatchNorm normalizing by the batch's own statistics (training mode)",
            "export in eval mode (training=TrainingMode.EVAL, the default) or build the layer "
            "with track_running_stats=True",
        )
    channels, dtype = x.shape[1], x.array.dtype
    scale = ins[1] if node.has_weight else g.const(np.ones(channels, dtype), "bn_ones")
    bias = ins[-1] if node.has_bias else g.const(np.zeros(channels, dtype), "bn_zeros")
    mean, var = (g.array_value(a, "bn_stat") for a in node.running)
    mean, var = (_as_dtype(g, name, a, dtype) for name, a in zip((mean, var), node.running))
    return g.add("BatchNormalization", [ins[0], scale, bias, mean, var], epsilon=float(node.eps))


def _as_dtype(g, name, array, dtype):
    return name if array.dtype == dtype else g.add("Cast", [name], to=onnx_dtype(g, dtype))


@converts(normalization.LayerNorm)
def _layer_norm(g, op, ins):
    node, x = op.node, op.inputs[0]
    if g.opset < 17:
        raise unsupported(
            f"LayerNorm needs ONNX's LayerNormalization, added in opset 17 (opset_version "
            f"{g.opset} was asked for)",
            "pass opset_version=17 or later",
        )
    k = len(node.axes)
    shape, dtype = tuple(x.shape[x.ndim - k :]), x.array.dtype
    scale = ins[1] if node.has_weight else g.const(np.ones(shape, dtype), "ln_ones")
    inputs = [ins[0], scale] + ([ins[-1]] if node.has_bias else [])
    return g.add("LayerNormalization", inputs, axis=-k, epsilon=float(node.eps))


# --- reductions ---------------------------------------------------------------------------------
def _reduce(onnx_op: str, since: int):
    def convert(g, op, ins):
        dims = op.node.dims
        axes = None if dims is None else [int(d) for d in np.atleast_1d(dims)]
        return g.axes_input(onnx_op, ins, axes, since, keepdims=int(bool(op.node.keepdim)))

    return convert


CONVERTERS[reduce.Sum] = _reduce("ReduceSum", 13)
CONVERTERS[reduce.Mean] = _reduce("ReduceMean", 18)
CONVERTERS[reduce.Amax] = _reduce("ReduceMax", 18)
CONVERTERS[reduce.Amin] = _reduce("ReduceMin", 18)
CONVERTERS[reduce.LogSumExp] = _reduce("ReduceLogSumExp", 18)
CONVERTERS[reduce.Prod] = _reduce("ReduceProd", 18)


# --- shapes -------------------------------------------------------------------------------------
@converts(shape.Reshape)
def _reshape(g, op, ins):
    """The target shape with dynamic sizes (those that differ in the second trace) as 0 (copy
    the input's size at that position) or -1 (infer); refuses when two would need -1."""
    src, out = tuple(op.inputs[0].shape), tuple(op.output.shape)
    target = list(out)
    twin = g.twin(op)
    if twin is not None:
        src2, out2 = tuple(twin.inputs[0].shape), tuple(twin.output.shape)
        inferred = 0
        for i, dynamic in enumerate(dynamic_dims(out, out2)):
            if not dynamic:
                continue
            if i < len(src) and src[i] == out[i] and src2[i] == out2[i]:
                target[i] = 0
            else:
                target[i] = -1
                inferred += 1
        if inferred > 1:
            raise unsupported(
                f"a reshape from {src} to {out} whose dynamic sizes cannot be written as one "
                "inferred (-1) dimension",
                "keep the dynamic (batch) dimension in place across the reshape",
            )
    if 0 in out:
        raise unsupported(f"a reshape to the empty shape {out}")
    return g.add("Reshape", [ins[0], g.ints(target, "shape")])


@converts(shape.Permute)
def _permute(g, op, ins):
    return g.add("Transpose", ins, perm=[int(d) for d in op.node.dims])


@converts(shape.Expand)
def _expand(g, op, ins):
    target = list(op.output.shape)
    twin = g.twin(op)
    if twin is not None:  # a dynamic size is the input's own: 1 keeps it (broadcasting)
        for i, dynamic in enumerate(dynamic_dims(op.output.shape, twin.output.shape)):
            if dynamic:
                target[i] = 1
    return g.add("Expand", [ins[0], g.ints(target, "shape")])


@converts(shape.Cat)
def _cat(g, op, ins):
    return g.add("Concat", ins, axis=int(op.node.dim))


@converts(shape.Pad)
def _pad(g, op, ins):
    widths = op.node.widths
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    value = g.scalar(op.node.value, _dtype(op), "pad_value")
    return g.add("Pad", [ins[0], g.ints(pads, "pads"), value], mode="constant")


@converts(shape.Flip)
def _flip(g, op, ins):
    dims = [int(d) for d in np.atleast_1d(op.node.dims)]
    n = len(dims)
    big = np.iinfo(np.int64)
    return g.add("Slice", [ins[0], g.ints([-1] * n, "starts"), g.ints([big.min] * n, "ends"),
                           g.ints(dims, "axes"), g.ints([-1] * n, "steps")])  # fmt: skip


@converts(shape.Repeat)
def _repeat(g, op, ins):
    repeats = [int(r) for r in op.node.repeats]
    x = ins[0]
    lead = len(repeats) - op.inputs[0].ndim
    if lead:
        x = g.axes_input("Unsqueeze", [x], list(range(lead)), 13)
    return g.add("Tile", [x, g.ints(repeats, "repeats")])


@converts(shape.GetItem)
def _getitem(g, op, ins):
    """NumPy indexing as Slice (slices), Gather (an integer or one integer array per axis,
    processed from the last axis so earlier axes keep their numbers) and Unsqueeze (None)."""
    index = op.node.index
    items = list(index) if isinstance(index, tuple) else [index]
    ndim = op.inputs[0].ndim
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if any(i is Ellipsis for i in items):
        at = next(k for k, i in enumerate(items) if i is Ellipsis)
        items[at : at + 1] = [slice(None)] * (ndim - consumed)
    items += [slice(None)] * (ndim - sum(1 for i in items if i is not None))
    arrays = [i for i in items if _is_array(i)]
    if any(i.dtype == np.bool_ for i in arrays):
        raise unsupported(
            "indexing with a boolean mask (the output's shape depends on the data)",
            "index with slices, integers or one integer index array",
        )
    if len(arrays) > 1:
        raise unsupported(
            "indexing with several index arrays",
            "index with slices, integers or one integer index array",
        )
    twin = g.twin(op)
    if twin is not None:
        _check_same_index(g, op, twin, items)
    x = ins[0]
    axes = [k for k, i in enumerate(i for i in items if i is not None)]
    located = [(a, i) for a, i in zip(axes, [i for i in items if i is not None])]
    for axis, item in reversed(located):
        if isinstance(item, slice):
            if item == slice(None):
                continue
            start, stop, step = item.start, item.stop, item.step
            step = 1 if step is None else int(step)
            big = np.iinfo(np.int64)
            start = (0 if step > 0 else -1) if start is None else int(start)
            stop = (big.max if step > 0 else big.min) if stop is None else int(stop)
            x = g.add("Slice", [x, g.ints([start], "starts"), g.ints([stop], "ends"),
                                g.ints([axis], "axes"), g.ints([step], "steps")])  # fmt: skip
        elif isinstance(item, numbers.Integral):
            x = g.add("Gather", [x, g.scalar(int(item), np.int64, "index")], axis=axis)
        else:
            name = g.array_value(item, "indices")
            if item.dtype != np.int64:
                name = g.add("Cast", [name], to=g.onnx.TensorProto.INT64)
            x = g.add("Gather", [x, name], axis=axis)
    new_axes, position = [], 0
    for item in items:
        if item is None:
            new_axes.append(position)
            position += 1
        elif isinstance(item, slice):
            position += 1
        elif _is_array(item):
            position += item.ndim
    if new_axes:
        x = g.axes_input("Unsqueeze", [x], new_axes, 13)
    return x if x != ins[0] else g.add("Identity", [x])


def _is_array(item) -> bool:
    return hasattr(item, "dtype") and hasattr(item, "ndim")


def _check_same_index(g, op, twin, items) -> None:
    """An index that changed between the traces must be a value of the graph (an input)."""
    theirs = twin.node.index
    theirs = list(theirs) if isinstance(theirs, tuple) else [theirs]
    ours = op.node.index
    ours = list(ours) if isinstance(ours, tuple) else [ours]
    for a, b in zip(ours, theirs):
        if _is_array(a):
            if g.known_array(a) or (
                _is_array(b) and a.shape == b.shape and np.array_equal(_np(a), _np(b))
            ):
                continue
        elif a == b:
            continue
        raise unsupported(
            f"an index of shape {getattr(a, 'shape', a)} that depends on the batch size or on "
            "the input's values, computed outside the recorded operations",
            "compute indices from tensors with tensor operations, or index with constants",
        )


def _np(array):
    from autograd_engine import array_backend

    return array_backend.to_device(array, array_backend.CPU)
