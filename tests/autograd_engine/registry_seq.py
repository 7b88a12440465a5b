"""Gradient-test registry rows for the sequence ops (``SEQ_SPECS``, loaded by ``registry.py``):
the fused recurrent layer nodes of ``ops/rnn.py`` over packed and plain sequences, both
directions, with and without biases and the LSTM projection; the attention-weights node with
its masks and causal option, and scaled dot-product attention with grouped-query heads."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from registry import OpSpec

import autograd_engine as ag
import nn.functional as F
from autograd_engine import ops


@st.composite
def batch_sizes(draw):
    """Rows per step of a packed sequence: non-increasing, 1 to 3 steps of 1 to 3 rows."""
    steps = draw(st.integers(1, 3))
    sizes = sorted(draw(st.lists(st.integers(1, 3), min_size=steps, max_size=steps)))
    return tuple(reversed(sizes))


@st.composite
def recurrent_case(draw, gates: int, states: int, proj: bool = False):
    """Shapes ``(gx, h0[, c0], w_hh[, b_hh][, w_hr])`` and the layer's keyword arguments."""
    sizes = draw(batch_sizes())
    hidden = draw(st.integers(1, 2))
    out = hidden
    with_proj = proj and hidden > 1 and draw(st.booleans())
    if with_proj:
        out = 1
    bias = draw(st.booleans())
    n, b = sum(sizes), sizes[0]
    shapes = [(n, gates * hidden), (b, out)] + [(b, hidden)] * (states - 1)
    shapes.append((gates * hidden, out))
    if bias:
        shapes.append((gates * hidden,))
    if with_proj:
        shapes.append((out, hidden))
    kwargs = {"batch_sizes": sizes, "reverse": draw(st.booleans()), "bias": bias}
    kwargs["proj"] = with_proj
    return tuple(shapes), kwargs


def _lstm(gx, h0, c0, w_hh, *rest, batch_sizes, reverse, bias, proj):
    b_hh = rest[0] if bias else None
    w_hr = rest[-1] if proj else None
    return ops.lstm_layer(gx, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)


def _gru(gx, h0, w_hh, *rest, batch_sizes, reverse, bias, proj):
    return ops.gru_layer(gx, h0, w_hh, rest[0] if bias else None, batch_sizes, reverse)


def _rnn(nonlinearity):
    def fn(gx, h0, w_hh, *rest, batch_sizes, reverse, bias, proj):
        b_hh = rest[0] if bias else None
        if nonlinearity == "relu":
            assume(_relu_margin(gx, h0, w_hh, b_hh, batch_sizes, reverse) > 1e-3)
        return ops.rnn_layer(gx, h0, w_hh, b_hh, batch_sizes, reverse, nonlinearity)

    return fn


def _relu_margin(gx, h0, w_hh, b_hh, batch_sizes, reverse) -> float:
    """How close a relu RNN's pre-activations come to the kink at 0 (a NumPy replay)."""
    gx, h0, w = gx.numpy(), h0.numpy(), w_hh.numpy()
    b = 0.0 if b_hh is None else b_hh.numpy()
    offsets = np.cumsum((0,) + tuple(batch_sizes))
    order = range(len(batch_sizes))
    h, margin = h0.copy(), np.inf
    for t in reversed(order) if reverse else order:
        rows = batch_sizes[t]
        pre = gx[offsets[t] : offsets[t] + rows] + h[:rows] @ w.T + b
        margin = min(margin, float(np.abs(pre).min()))
        h[:rows] = np.maximum(pre, 0)
    return margin


SEQ_SPECS: list[OpSpec] = [
    OpSpec("lstm_layer", _lstm, (ops.LSTMLayer,), case=recurrent_case(4, 2, proj=True), atol=1e-5),
    OpSpec("gru_layer", _gru, (ops.GRULayer,), case=recurrent_case(3, 1), atol=1e-5),
    OpSpec("rnn_tanh_layer", _rnn("tanh"), (ops.RNNLayer,), case=recurrent_case(1, 1)),
    OpSpec(
        "rnn_relu_layer",
        _rnn("relu"),
        (ops.RNNLayer,),
        case=recurrent_case(1, 1),
        second_order=False,
    ),
]


@st.composite
def attention_case(draw):
    """Queries ``(B, L, E)``, keys ``(B, S, E)`` and maybe an additive float mask (drawn, so
    differentiated) or a bool mask that may remove every key of a row (a constant)."""
    b, length, source, e = (draw(st.integers(1, 3)) for _ in range(4))
    shapes = [(b, length, e), (b, source, e)]
    mask = draw(st.sampled_from(["none", "float", "float_rows", "bool"]))
    if mask == "float":
        shapes.append((length, source))
    elif mask == "float_rows":
        shapes.append((b, 1, source))
    keep = None
    if mask == "bool":
        n = b * length * source
        keep = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        keep = keep.reshape(b, length, source)
    kwargs = {
        "keep": keep,
        "scale": draw(st.sampled_from([None, 0.5])),
        "is_causal": draw(st.booleans()),
    }
    return tuple(shapes), kwargs


def _attention(q, k, *mask, keep, scale, is_causal):
    if keep is not None:
        bias = np.where(keep, 0.0, -np.inf)
        mask = (ag.tensor(bias, device=q.device),)
    return ops.attention_weights(q, k, mask[0] if mask else None, scale, is_causal)


@st.composite
def sdpa_case(draw):
    """Multi-head q ``(B, Hq, L, E)`` with k, v of ``Hq`` or fewer heads (grouped-query)."""
    b, length, source, e = (draw(st.integers(1, 2)) for _ in range(4))
    kv_heads = draw(st.integers(1, 2))
    heads = kv_heads * draw(st.integers(1, 2))
    shapes = ((b, heads, length, e), (b, kv_heads, source, e), (b, kv_heads, source, 2))
    return shapes, {"is_causal": draw(st.booleans())}


SEQ_SPECS += [
    OpSpec("attention_weights", _attention, (ops.AttentionWeights,), case=attention_case()),
    OpSpec(
        "scaled_dot_product_attention",
        lambda q, k, v, is_causal: F.scaled_dot_product_attention(
            q, k, v, is_causal=is_causal, enable_gqa=True
        ),
        (),
        case=sdpa_case(),
    ),
]
