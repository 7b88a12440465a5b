"""Recurrent layers as fused nodes: one node runs a whole layer (one direction) over a packed
sequence, the step math on backend arrays, and backpropagates through time in one backward.

Layout: a sequence is *packed* as PyTorch packs it, time-major with ``batch_sizes[t]`` rows
at step ``t`` (non-increasing), so a plain ``(T, B, *)`` batch is ``(T * B, *)`` with every
batch size ``B``. The input projection ``x W_ih^T + b_ih`` of every step is one matmul done
before the node (``gx``, ``(N, G)``); the node adds ``h W_hh^T + b_hh`` step by step. Gate
order is PyTorch's: LSTM ``(i, f, g, o)``, GRU ``(r, z, n)``.

The same step code runs on arrays and on Tensors. ``backward_arrays`` (what the engine runs
outside ``create_graph``) backpropagates through time on the arrays forward kept;
``backward``, the reference and the ``create_graph`` path, replays the layer with Tensor ops
from its saved inputs and backpropagates with Tensor ops, so second derivatives are exact.
Both do the same arithmetic in the same order: their gradients agree bit for bit.
"""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor

__all__ = [
    "LSTMLayer",
    "GRULayer",
    "RNNLayer",
    "lstm_layer",
    "gru_layer",
    "rnn_layer",
]


class _ArrayMath:
    """The few functions the step code needs, on backend arrays."""

    def __init__(self, xp):
        self.xp = xp

    def sigmoid(self, a):
        # NOTE: s(a) = (1 + tanh(a / 2)) / 2: one tanh (cheaper than exp, never overflows),
        # exact to an ulp of 1/2 (absolute, as every use here needs).
        out = a * 0.5
        self.xp.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def tanh(self, a):
        return self.xp.tanh(a)

    @staticmethod
    def add_(a, b):
        a += b
        return a

    def relu(self, a):
        return self.xp.maximum(a, 0)

    def relu_grad(self, g, out):
        return g * (out > 0)

    def cat(self, parts, dim):
        return parts[0] if len(parts) == 1 else self.xp.concatenate(parts, axis=dim)


class _TensorMath:
    """The same functions on Tensors (recorded: used when backward is differentiated)."""

    @staticmethod
    def sigmoid(a):
        # NOTE: the array form's arithmetic, so that both backwards agree bit for bit
        return (a * 0.5).tanh() * 0.5 + 0.5

    @staticmethod
    def tanh(a):
        return a.tanh()

    @staticmethod
    def add_(a, b):
        return a + b

    @staticmethod
    def relu(a):
        return a.relu()

    @staticmethod
    def relu_grad(g, out):
        from ._util import const

        return g * const((out.array > 0).astype(out.array.dtype))

    @staticmethod
    def cat(parts, dim):
        from .shape import cat

        return parts[0] if len(parts) == 1 else cat(parts, dim)


def schedule(batch_sizes: tuple[int, ...], reverse: bool) -> list[tuple[int, int, int]]:
    """The steps of one direction in processing order, as ``(offset, rows, carried)``:
    the step's rows are ``offset:offset + rows`` of the packed data, and its first ``carried``
    rows continue the previous step's state (the others start from ``h0``)."""
    offsets, off = [], 0
    for bs in batch_sizes:
        offsets.append(off)
        off += bs
    steps = []
    if not reverse:
        for t, bs in enumerate(batch_sizes):
            steps.append((offsets[t], bs, bs if t else 0))
    else:
        prev = 0
        for t in reversed(range(len(batch_sizes))):
            steps.append((offsets[t], batch_sizes[t], prev))
            prev = batch_sizes[t]
    return steps


def _prev_state(m, state, init, rows: int, carried: int):
    """The state entering a step: the carried rows of the last step, then rows of ``init``."""
    if carried >= rows:
        return state if state.shape[0] == rows else state[:rows]
    if carried == 0:
        return init if init.shape[0] == rows else init[:rows]
    return m.cat([state[:carried], init[carried:rows]], 0)


def _in_time_order(pieces: list, steps) -> list:
    """Per-step pieces (processing order) sorted by their offset in the packed data."""
    return [p for _, p in sorted(zip((s[0] for s in steps), pieces), key=lambda x: x[0])]


def _split_back(d_prev, carried: int, rows: int, init_parts: list):
    """Route a step's state gradient: its first ``carried`` rows go on to the previous step
    (returned; ``None`` if none), the rest to the initial state's rows ``carried:rows``."""
    if carried < rows:
        init_parts.append((carried, d_prev[carried:rows] if carried else d_prev))
        return d_prev[:carried] if carried else None
    return d_prev


def _assemble_init(m, parts: list):
    """The initial state's gradient from the pieces ``_split_back`` routed to it (every row
    starts exactly one sequence, so the pieces tile it)."""
    parts.sort(key=lambda p: p[0])
    return m.cat([p for _, p in parts], 0)


def _add_carry(m, d, carry):
    """``d`` (the step's own output gradient) plus the gradient carried from the next step,
    which covers its first ``carry.shape[0]`` rows."""
    if carry is None:
        return d
    n = carry.shape[0]
    if n == d.shape[0]:
        return d + carry
    return m.cat([d[:n] + carry, d[n:]], 0)


# --- LSTM ------------------------------------------------------------------------------------
def _lstm_forward(m, steps, gx, h0, c0, w_hh, b_hh, w_hr):
    H = c0.shape[1]
    w_hh_t = w_hh.T
    if b_hh is not None:
        gx = gx + b_hh  # NOTE: once for every step, not once per step
    h, c = h0, c0
    hs, cs, cache = [], [], []
    for off, rows, carried in steps:
        hp = _prev_state(m, h, h0, rows, carried)
        cp = _prev_state(m, c, c0, rows, carried)
        g = m.add_(hp @ w_hh_t, gx[off : off + rows])
        sig_if = m.sigmoid(g[:, : 2 * H])
        i, f = sig_if[:, :H], sig_if[:, H:]
        gg = m.tanh(g[:, 2 * H : 3 * H])
        o = m.sigmoid(g[:, 3 * H :])
        c = f * cp + i * gg
        tc = m.tanh(c)
        hf = o * tc
        h = hf @ w_hr.T if w_hr is not None else hf
        hs.append(h)
        cs.append(c)
        cache.append((hp, cp, i, f, gg, o, tc, hf))
    out = m.cat([m.cat(_in_time_order(hs, steps), 0), m.cat(_in_time_order(cs, steps), 0)], 1)
    return out, cache


def _lstm_backward(m, steps, dout, h0, w_hh, w_hr, cache):
    P = h0.shape[1]
    dh_carry = dc_carry = None
    dgs, hps, dhs, hfs, dh0_parts, dc0_parts = [], [], [], [], [], []
    back = steps[::-1]
    for (off, rows, carried), (hp, cp, i, f, gg, o, tc, hf) in zip(back, reversed(cache)):
        dh = _add_carry(m, dout[off : off + rows, :P], dh_carry)
        dc = _add_carry(m, dout[off : off + rows, P:], dc_carry)
        if w_hr is not None:
            dhs.append(dh)
            hfs.append(hf)
            dh = dh @ w_hr
        dc = dc + dh * o * (1 - tc * tc)
        dg = m.cat(
            [
                dc * gg * i * (1 - i),
                dc * cp * f * (1 - f),
                dc * i * (1 - gg * gg),
                dh * tc * o * (1 - o),
            ],
            1,
        )
        dgs.append(dg)
        hps.append(hp)
        dh_carry = _split_back(dg @ w_hh, carried, rows, dh0_parts)
        dc_carry = _split_back(dc * f, carried, rows, dc0_parts)
    dgx, dw_hh, db_hh = _recurrent_grads(m, back, dgs, hps)
    dw_hr = None
    if w_hr is not None:
        dw_hr = m.cat(dhs, 0).T @ m.cat(hfs, 0)
    dh0 = _assemble_init(m, dh0_parts)
    dc0 = _assemble_init(m, dc0_parts)
    return dgx, dh0, dc0, dw_hh, db_hh, dw_hr


def _recurrent_grads(m, back, dgs, hps):
    """``(dgx, dW_hh, db_hh)`` from the per-step gate gradients (processing order ``back``)."""
    dg = m.cat(_in_time_order(dgs, back), 0)
    hp = m.cat(_in_time_order(hps, back), 0)
    return dg, dg.T @ hp, dg.sum(0)


# --- GRU -------------------------------------------------------------------------------------
def _gru_forward(m, steps, gx, h0, w_hh, b_hh):
    H = h0.shape[1]
    w_hh_t = w_hh.T
    h = h0
    hs, cache = [], []
    for off, rows, carried in steps:
        hp = _prev_state(m, h, h0, rows, carried)
        gh = hp @ w_hh_t
        if b_hh is not None:
            gh = gh + b_hh
        x = gx[off : off + rows]
        rz = m.sigmoid(x[:, : 2 * H] + gh[:, : 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        ghn = gh[:, 2 * H :]
        n = m.tanh(x[:, 2 * H :] + r * ghn)
        h = n + z * (hp - n)
        hs.append(h)
        cache.append((hp, r, z, n, ghn))
    return m.cat(_in_time_order(hs, steps), 0), cache


def _gru_backward(m, steps, dout, h0, w_hh, cache):
    carry = None
    dgxs, dghs, hps, dh0_parts = [], [], [], []
    back = steps[::-1]
    for (off, rows, carried), (hp, r, z, n, ghn) in zip(back, reversed(cache)):
        dh = _add_carry(m, dout[off : off + rows], carry)
        dn = dh * (1 - z) * (1 - n * n)
        dr = dn * ghn * r * (1 - r)
        dz = dh * (hp - n) * z * (1 - z)
        dgxs.append(m.cat([dr, dz, dn], 1))
        dgh = m.cat([dr, dz, dn * r], 1)
        dghs.append(dgh)
        hps.append(hp)
        carry = _split_back(dh * z + dgh @ w_hh, carried, rows, dh0_parts)
    dgx = m.cat(_in_time_order(dgxs, back), 0)
    _, dw_hh, db_hh = _recurrent_grads(m, back, dghs, hps)
    return dgx, _assemble_init(m, dh0_parts), dw_hh, db_hh


# --- Elman RNN -------------------------------------------------------------------------------
def _rnn_forward(m, steps, gx, h0, w_hh, b_hh, relu: bool):
    w_hh_t = w_hh.T
    if b_hh is not None:
        gx = gx + b_hh
    h = h0
    hs, cache = [], []
    for off, rows, carried in steps:
        hp = _prev_state(m, h, h0, rows, carried)
        pre = m.add_(hp @ w_hh_t, gx[off : off + rows])
        h = m.relu(pre) if relu else m.tanh(pre)
        hs.append(h)
        cache.append((hp, h))
    return m.cat(_in_time_order(hs, steps), 0), cache


def _rnn_backward(m, steps, dout, h0, w_hh, cache, relu: bool):
    carry = None
    dgs, hps, dh0_parts = [], [], []
    back = steps[::-1]
    for (off, rows, carried), (hp, h) in zip(back, reversed(cache)):
        dh = _add_carry(m, dout[off : off + rows], carry)
        dg = m.relu_grad(dh, h) if relu else dh * (1 - h * h)
        dgs.append(dg)
        hps.append(hp)
        carry = _split_back(dg @ w_hh, carried, rows, dh0_parts)
    dgx, dw_hh, db_hh = _recurrent_grads(m, back, dgs, hps)
    return dgx, _assemble_init(m, dh0_parts), dw_hh, db_hh


# --- the nodes -------------------------------------------------------------------------------
class _RecurrentLayer(Node):
    """Shared by the layer nodes: the schedule, the optional inputs, and the two backwards
    (``backward_arrays`` on what forward kept, ``backward`` replaying with Tensor ops)."""

    n_states = 1  # h0 (and c0 for LSTM) after gx

    def __init__(self, batch_sizes, reverse: bool = False, has_bias: bool = True):
        self.batch_sizes = tuple(int(b) for b in batch_sizes)
        self.reverse = bool(reverse)
        self.has_bias = bool(has_bias)
        self.steps = schedule(self.batch_sizes, self.reverse)

    def _parts(self, values):
        """``(gx, states, w_hh, b_hh, rest)`` from the node's inputs in order."""
        k = 1 + self.n_states
        b_hh = values[k + 1] if self.has_bias else None
        return values[0], values[1:k], values[k], b_hh, values[k + 1 + self.has_bias :]

    def _arrays(self):
        """The array math, the saved inputs as arrays and what forward kept, for
        ``backward_arrays``."""
        values = self.saved_values
        (cache,) = self.saved_arrays
        return _ArrayMath(array_backend.get_array_module(values[0])), values, cache

    def _result(self, grads) -> tuple:
        """The gradients in input order (``None`` where an input needs none)."""
        return tuple(g if need else None for g, need in zip(grads, self.needs_input_grad))


class LSTMLayer(_RecurrentLayer):
    """One LSTM layer over a packed sequence: with g = gx_t + h_{t-1} W_hh^T + b_hh split
    (i, f, g, o), c_t = s(f) c_{t-1} + s(i) tanh(g), h_t = (s(o) tanh(c_t)) W_hr^T (W_hr only
    with a projection). Inputs ``(gx, h0, c0, w_hh[, b_hh][, w_hr])``; output rows
    ``[h_t | c_t]`` of the packed data."""

    n_states = 2

    def __init__(self, batch_sizes, reverse=False, has_bias=True, has_proj=False):
        super().__init__(batch_sizes, reverse, has_bias)
        self.has_proj = bool(has_proj)

    def forward(self, *arrays):
        self.save_inputs(*range(len(arrays)))
        gx, (h0, c0), w_hh, b_hh, rest = self._parts(arrays)
        m = _ArrayMath(array_backend.get_array_module(gx))
        out, cache = _lstm_forward(m, self.steps, gx, h0, c0, w_hh, b_hh, rest[0] if rest else None)
        self.save_for_backward(cache)
        return out

    def _backward(self, m, values, grad, cache):
        gx, (h0, c0), w_hh, b_hh, rest = self._parts(values)
        w_hr = rest[0] if rest else None
        if cache is None:  # the Tensor path: replay the layer from the saved inputs
            _, cache = _lstm_forward(m, self.steps, gx, h0, c0, w_hh, b_hh, w_hr)
        dgx, dh0, dc0, dw_hh, db_hh, dw_hr = _lstm_backward(
            m, self.steps, grad, h0, w_hh, w_hr, cache
        )
        grads = [dgx, dh0, dc0, dw_hh] + ([db_hh] if self.has_bias else []) + [dw_hr]
        return self._result(grads)

    def backward(self, grad):
        return self._backward(_TensorMath, self.saved_tensors, grad, None)

    def backward_arrays(self, grad):
        m, values, cache = self._arrays()
        return self._backward(m, values, grad, cache)


class GRULayer(_RecurrentLayer):
    """One GRU layer over a packed sequence: with gh = h_{t-1} W_hh^T + b_hh and gates
    (r, z, n), r = s(gx_r + gh_r), z = s(gx_z + gh_z), n = tanh(gx_n + r gh_n),
    h_t = (1 - z) n + z h_{t-1}. Inputs ``(gx, h0, w_hh[, b_hh])``; output rows ``h_t``."""

    def forward(self, *arrays):
        self.save_inputs(*range(len(arrays)))
        gx, (h0,), w_hh, b_hh, _ = self._parts(arrays)
        m = _ArrayMath(array_backend.get_array_module(gx))
        out, cache = _gru_forward(m, self.steps, gx, h0, w_hh, b_hh)
        self.save_for_backward(cache)
        return out

    def _backward(self, m, values, grad, cache):
        gx, (h0,), w_hh, b_hh, _ = self._parts(values)
        if cache is None:
            _, cache = _gru_forward(m, self.steps, gx, h0, w_hh, b_hh)
        return self._result(_gru_backward(m, self.steps, grad, h0, w_hh, cache))

    def backward(self, grad):
        return self._backward(_TensorMath, self.saved_tensors, grad, None)

    def backward_arrays(self, grad):
        m, values, cache = self._arrays()
        return self._backward(m, values, grad, cache)


class RNNLayer(_RecurrentLayer):
    """One Elman RNN layer over a packed sequence: h_t = act(gx_t + h_{t-1} W_hh^T + b_hh)
    with act tanh or relu. Inputs ``(gx, h0, w_hh[, b_hh])``; output rows ``h_t``."""

    def __init__(self, batch_sizes, reverse=False, has_bias=True, nonlinearity="tanh"):
        super().__init__(batch_sizes, reverse, has_bias)
        self.relu = nonlinearity == "relu"

    def forward(self, *arrays):
        self.save_inputs(*range(len(arrays)))
        gx, (h0,), w_hh, b_hh, _ = self._parts(arrays)
        m = _ArrayMath(array_backend.get_array_module(gx))
        out, cache = _rnn_forward(m, self.steps, gx, h0, w_hh, b_hh, self.relu)
        self.save_for_backward(cache)
        return out

    def _backward(self, m, values, grad, cache):
        gx, (h0,), w_hh, b_hh, _ = self._parts(values)
        if cache is None:
            _, cache = _rnn_forward(m, self.steps, gx, h0, w_hh, b_hh, self.relu)
        return self._result(_rnn_backward(m, self.steps, grad, h0, w_hh, cache, self.relu))

    def backward(self, grad):
        return self._backward(_TensorMath, self.saved_tensors, grad, None)

    def backward_arrays(self, grad):
        m, values, cache = self._arrays()
        return self._backward(m, values, grad, cache)


# --- functions -------------------------------------------------------------------------------
def _check_layer(op, gx, states, w_hh, b_hh, gate_size, batch_sizes):
    n = sum(batch_sizes)
    if gx.ndim != 2 or gx.shape != (n, gate_size):
        raise RuntimeError(
            f"{op}: expected the input projection gx of shape ({n}, {gate_size}) "
            f"(the packed rows by gate_size), got {tuple(gx.shape)}"
        )
    if any(b > a for a, b in zip(batch_sizes, batch_sizes[1:])) or min(batch_sizes) < 1:
        raise ValueError(
            f"{op}: batch_sizes must be positive and non-increasing (a packed sequence sorted "
            f"by decreasing length), got {list(batch_sizes)}"
        )
    for name, s in states:
        if s.ndim != 2 or s.shape[0] != batch_sizes[0]:
            raise RuntimeError(
                f"{op}: expected {name} of shape ({batch_sizes[0]}, hidden), got {tuple(s.shape)}"
            )
    for t in (gx, *(s for _, s in states), w_hh, b_hh):
        if t is not None and (t.dtype != gx.dtype or t.device != gx.device):
            raise RuntimeError(
                f"{op}: all inputs must share one dtype and device; gx is {gx.dtype} on "
                f"{gx.device} but another input is {t.dtype} on {t.device}"
            )


def _sizes(gx: Tensor, batch_sizes) -> tuple[int, ...]:
    return (gx.shape[0],) if batch_sizes is None else tuple(int(b) for b in batch_sizes)


def lstm_layer(
    gx: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_hh: Tensor,
    b_hh: Tensor | None = None,
    w_hr: Tensor | None = None,
    batch_sizes=None,
    reverse: bool = False,
) -> Tensor:
    """One LSTM layer (one direction) over packed rows; see :class:`LSTMLayer`.

    Args:
        gx: ``(N, 4 * hidden)``, the input projection ``x W_ih^T + b_ih`` of every packed row.
        h0: ``(B, proj or hidden)``; c0: ``(B, hidden)``; ``B = batch_sizes[0]``.
        w_hh: ``(4 * hidden, proj or hidden)``; b_hh: ``(4 * hidden,)``;
        w_hr: ``(proj, hidden)`` or ``None``.
        batch_sizes: rows per step (non-increasing, summing to N); ``None`` is one step.
        reverse: run from the last step to the first.

    Returns:
        ``(N, proj_or_hidden + hidden)``: ``[h_t | c_t]`` for every packed row.
    """
    sizes = _sizes(gx, batch_sizes)
    _check_layer("lstm_layer", gx, [("h0", h0), ("c0", c0)], w_hh, b_hh, 4 * c0.shape[1], sizes)
    node = LSTMLayer(sizes, reverse, b_hh is not None, w_hr is not None)
    extra = ([b_hh] if b_hh is not None else []) + ([w_hr] if w_hr is not None else [])
    return node(gx, h0, c0, w_hh, *extra)


def gru_layer(gx, h0, w_hh, b_hh=None, batch_sizes=None, reverse=False) -> Tensor:
    """One GRU layer (one direction) over packed rows; see :class:`GRULayer`. ``gx`` is
    ``(N, 3 * hidden)``; returns ``h_t`` for every packed row, ``(N, hidden)``."""
    sizes = _sizes(gx, batch_sizes)
    _check_layer("gru_layer", gx, [("h0", h0)], w_hh, b_hh, 3 * h0.shape[1], sizes)
    node = GRULayer(sizes, reverse, b_hh is not None)
    return node(gx, h0, w_hh, *([b_hh] if b_hh is not None else []))


def rnn_layer(gx, h0, w_hh, b_hh=None, batch_sizes=None, reverse=False, nonlinearity="tanh"):
    """One Elman RNN layer (one direction, ``'tanh'`` or ``'relu'``) over packed rows; see
    :class:`RNNLayer`. ``gx`` is ``(N, hidden)``; returns ``h_t`` per packed row."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    sizes = _sizes(gx, batch_sizes)
    _check_layer("rnn_layer", gx, [("h0", h0)], w_hh, b_hh, h0.shape[1], sizes)
    node = RNNLayer(sizes, reverse, b_hh is not None, nonlinearity)
    return node(gx, h0, w_hh, *([b_hh] if b_hh is not None else []))
