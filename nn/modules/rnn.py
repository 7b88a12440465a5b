"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (multi-layer, bidirectional, packed sequences)
and the single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``. Parameter names, shapes, gate
order and initialization are PyTorch's, so state_dicts load both ways. Each layer and direction
is one input projection (one matmul over every step) and one fused node from
``autograd_engine.ops.rnn`` for the recurrence."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import autograd_engine as ag
from autograd_engine.ops import gru_layer, lstm_layer, rnn_layer
from autograd_engine.tensor import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .linear import _factory
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``torch.nn.RNNBase``):
    parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
    (and ``weight_hr_l{k}`` for a projected LSTM), with ``_reverse`` for the second direction,
    all initialized U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_config(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout)
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        factory = _factory(device, dtype)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input))]
                shapes.append(("weight_hh", (gate_size, real_hidden)))
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ag.empty(*shape, **factory)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias U(-k, k) with k = 1/sqrt(hidden_size), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code (it packs cuDNN's weights there)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- forward --------------------------------------------------------------------------
    def _name(self) -> str:
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _prepare(self, input):
        """``(packed rows, batch_sizes, sorted_indices, unsorted_indices, layout)`` where
        ``layout`` says how to shape the output back (``None`` for a packed input)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = tuple(int(b) for b in batch_sizes.tolist())
            self._check_input(data, 2)
            return data, sizes, sorted_indices, unsorted_indices, None
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{self._name()}: expected a Tensor or a PackedSequence as input, got "
                f"{type(input).__name__}"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead"
            )
        batched = input.ndim == 3
        x = input.unsqueeze(1) if not batched else input
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        self._check_input(x, 3)
        steps, batch = x.shape[0], x.shape[1]
        data = x.reshape(steps * batch, x.shape[2])
        return data, (batch,) * steps, None, None, (steps, batch, batched)

    def _check_input(self, x: Tensor, dims: int) -> None:
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). Convert "
                f"input: input.to({w.dtype}), or convert model: model.to({x.dtype})"
            )
        if x.ndim != dims:
            raise RuntimeError(f"input must have {dims} dimensions, got {x.ndim}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{x.shape[-1]}"
            )

    def _state(self, hx, layout, batch: int, size: int, data: Tensor, sorted_indices, what):
        """One initial state ``(layers * directions, batch, size)``: zeros, or ``hx`` checked,
        unsqueezed for an unbatched input and permuted into the packed order."""
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, size)
        if hx is None:
            return ag.zeros(*expected, dtype=data.dtype, device=data.device)
        if layout is not None and not layout[2]:
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(hx.shape)}")
        if sorted_indices is not None:
            hx = hx[:, sorted_indices.array]
        return hx

    def _check_hx_dims(self, hx, layout) -> None:
        if layout is None or hx is None:
            return
        batched = layout[2]
        states = hx if isinstance(hx, tuple) else (hx,)
        want = 3 if batched else 2
        if all(s.ndim == want for s in states):
            return
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if isinstance(hx, tuple):
            dims = ", ".join(f"{s.ndim}-D" for s in states)
            raise RuntimeError(
                f"For {kind} input, hx and cx should also be {want}-D but got ({dims}) tensors"
            )
        raise RuntimeError(
            f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D tensor"
        )

    def _run(self, input, hx):
        """Run every layer and direction; returns ``(output, h_n, c_n or None)`` shaped as
        PyTorch returns them."""
        data, sizes, sorted_indices, unsorted_indices, layout = self._prepare(input)
        self._check_hx_dims(hx, layout)
        lstm = self.mode == "LSTM"
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        batch = sizes[0]
        if lstm:
            h0, c0 = (None, None) if hx is None else hx
            h0 = self._state(h0, layout, batch, out_size, data, sorted_indices, "hidden[0]")
            c0 = self._state(c0, layout, batch, self.hidden_size, data, sorted_indices, "hidden[1]")
        else:
            h0 = self._state(hx, layout, batch, out_size, data, sorted_indices, "hidden")
            c0 = None
        last = _final_rows(sizes, data.device)
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        x = data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                weights = self.all_weights[k]
                w_ih, w_hh = weights[0], weights[1]
                b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
                gx = F.linear(x, w_ih, b_ih)
                reverse = direction == 1
                if lstm:
                    w_hr = weights[-1] if self.proj_size > 0 else None
                    y = lstm_layer(gx, h0[k], c0[k], w_hh, b_hh, w_hr, sizes, reverse)
                    final = y[last[direction]]
                    h_n.append(final[:, :out_size])
                    c_n.append(final[:, out_size:])
                    y = y[:, :out_size]
                elif self.mode == "GRU":
                    y = gru_layer(gx, h0[k], w_hh, b_hh, sizes, reverse)
                    h_n.append(y[last[direction]])
                else:
                    relu = self.mode == "RNN_RELU"
                    nonlinearity = "relu" if relu else "tanh"
                    y = rnn_layer(gx, h0[k], w_hh, b_hh, sizes, reverse, nonlinearity)
                    h_n.append(y[last[direction]])
                outputs.append(y)
            x = outputs[0] if directions == 1 else ag.cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = ag.stack(h_n, 0)
        c_n = ag.stack(c_n, 0) if lstm else None
        if layout is None:
            output = PackedSequence(x, ag.tensor(np.array(sizes)), sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n[:, unsorted_indices.array]
                c_n = c_n[:, unsorted_indices.array] if lstm else None
            return output, h_n, c_n
        steps, batch, batched = layout
        output = x.reshape(steps, batch, x.shape[-1])
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n


def _check_config(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout) -> None:
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + str(mode))
    if (
        not isinstance(dropout, numbers.Number)
        or not 0 <= dropout <= 1
        or isinstance(dropout, bool)
    ):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            "dropout expects num_layers greater than 1, but got "
            f"dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")


def _final_rows(sizes: tuple[int, ...], device) -> tuple:
    """The packed row of each sequence's last step, per direction: the forward direction ends
    at each sequence's last step, the reverse one at step 0. Slices when every sequence has
    the same length (views, no copy)."""
    batch, n = sizes[0], sum(sizes)
    if all(s == batch for s in sizes):
        return slice(n - batch, n), slice(0, batch)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lengths = (np.array(sizes)[None, :] > np.arange(batch)[:, None]).sum(1)
    rows = offsets[lengths - 1] + np.arange(batch)
    return device.xp.asarray(rows), slice(0, batch)


class RNN(RNNBase):
    """A multi-layer Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with act
    tanh or relu (``torch.nn.RNN``).

    Args:
        input_size: features of each step of the input.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (default 1).
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.
        bias: whether to learn ``b_ih`` and ``b_hh`` (default ``True``).
        batch_first: input and output as ``(N, L, H)`` instead of ``(L, N, H)`` (not the
            hidden state).
        dropout: dropout on the outputs of every layer but the last, in training.
        bidirectional: also run every layer from the last step to the first.
        device, dtype: where and how to create the parameters.

    Shapes:
        input ``(L, N, H_in)``, ``(N, L, H_in)`` with batch_first, ``(L, H_in)`` unbatched, or
        a :class:`~nn.utils.rnn.PackedSequence`; hx ``(D * num_layers, N, H_out)`` (default
        zeros). Returns ``(output, h_n)``: output ``(L, N, D * H_out)`` (packed for a packed
        input), h_n ``(D * num_layers, N, H_out)``.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(ag.randn(5, 3, 10), ag.randn(2, 3, 20))
        >>> output.shape, hn.shape
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self_nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self_nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self_nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self_nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self_nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nonlinearity

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """A multi-layer LSTM (``torch.nn.LSTM``): gates (i, f, g, o) from
    x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
    (times W_hr^T with ``proj_size > 0``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as :class:`RNN`.
        proj_size: if > 0, project h_t to this size with ``weight_hr_l{k}`` (default 0).
        device, dtype: where and how to create the parameters.

    Shapes:
        input as :class:`RNN`; ``(h_0, c_0)`` of ``(D * num_layers, N, H_out)`` and
        ``(D * num_layers, N, H_cell)`` (default zeros), where ``H_out`` is ``proj_size`` or
        ``hidden_size``. Returns ``(output, (h_n, c_n))``.

    Example::

        >>> lstm = nn.LSTM(10, 20, 2, batch_first=True)
        >>> output, (hn, cn) = lstm(ag.randn(3, 5, 10))
        >>> output.shape, hn.shape, cn.shape
        ((3, 5, 20), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
        output, h_n, c_n = self._run(input, tuple(hx) if hx is not None else None)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer GRU (``torch.nn.GRU``): gates (r, z, n) with
    r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in +
    r (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1}.

    Args and shapes as :class:`RNN` (without ``nonlinearity``). Returns ``(output, h_n)``.

    Example::

        >>> gru = nn.GRU(10, 20, bidirectional=True)
        >>> output, hn = gru(ag.randn(5, 3, 10))
        >>> output.shape, hn.shape
        ((5, 3, 40), (2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class RNNCellBase(Module):
    """The parameters of a single-step cell (``torch.nn.RNNCellBase``): ``weight_ih``
    ``(chunks * hidden, input)``, ``weight_hh`` ``(chunks * hidden, hidden)``, ``bias_ih``,
    ``bias_hh``, all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        factory = _factory(device, dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ag.empty(num_chunks * hidden_size, input_size, **factory))
        self.weight_hh = Parameter(ag.empty(num_chunks * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = Parameter(ag.empty(num_chunks * hidden_size, **factory))
            self.bias_hh = Parameter(ag.empty(num_chunks * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as
        PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _step_input(self, input: Tensor, states, name: str):
        """Checks; returns ``(input as 2-D, states as 2-D, batched)``."""
        cls = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{cls}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, s in enumerate(states):
            if s is not None and s.ndim not in (1, 2):
                what = name if len(states) == 1 else f"{name}[{i}]"
                raise ValueError(f"{cls}: Expected {what} to be 1D or 2D, got {s.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{cls}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(
                f"{cls}: input dtype {input.dtype} and weight dtype {self.weight_ih.dtype} "
                "should be the same"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = []
        for s in states:
            if s is None:
                s = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            elif not batched:
                s = s.unsqueeze(0)
            if tuple(s.shape) != (x.shape[0], self.hidden_size):
                raise RuntimeError(
                    f"{cls}: hidden state has shape {tuple(s.shape)}, expected "
                    f"({x.shape[0]}, {self.hidden_size}) for an input of shape "
                    f"{tuple(input.shape)}"
                )
            out.append(s)
        return x, out, batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN, h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)
    (``torch.nn.RNNCell``).

    Args:
        input_size, hidden_size: feature sizes.
        bias: learn ``bias_ih`` and ``bias_hh`` (default ``True``).
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.

    Shapes:
        input ``(N, H_in)`` or ``(H_in,)``; hx ``(N, H)`` or ``(H,)`` (default zeros);
        returns h' of hx's shape.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> h = ag.zeros(3, 20)
        >>> for x in ag.randn(6, 3, 10):
        ...     h = cell(x, h)
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._step_input(input, [hx], "hidden")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        out = rnn_layer(gx, h, self.weight_hh, self.bias_hh, nonlinearity=self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (``torch.nn.LSTMCell``): gates (i, f, g, o) from
    x W_ih^T + b_ih + h W_hh^T + b_hh; c' = f c + i g, h' = o tanh(c').

    Shapes:
        input ``(N, H_in)`` or ``(H_in,)``; hx a tuple ``(h, c)`` of ``(N, H)`` or ``(H,)``
        (default zeros). Returns ``(h', c')``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(ag.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._step_input(input, list(hx) if hx else [None, None], "hx")
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        out = lstm_layer(gx, h, c, self.weight_hh, self.bias_hh)
        h, c = out[:, : self.hidden_size], out[:, self.hidden_size :]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (``torch.nn.GRUCell``): gates (r, z, n) with
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.

    Shapes as :class:`RNNCell`.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> h = cell(ag.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._step_input(input, [hx], "hidden")
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        out = gru_layer(gx, h, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
