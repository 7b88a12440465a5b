"""``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` as ONNX's LSTM, GRU and RNN ops, one per layer: the
weights' gate blocks reordered from PyTorch's order to ONNX's, the layers chained, and the
outputs shaped as the module returns them."""

from __future__ import annotations

import numpy as np

from autograd_engine.onnx._graph import Graph, unsupported

__all__ = ["convert_recurrent"]

# ONNX's gate order, as indices of PyTorch's gate blocks: LSTM i,o,f,c from i,f,g,o; GRU z,r,h
# from r,z,n; RNN has one block.
_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _rows(g: Graph, name: str, blocks: list[int], size: int) -> str:
    """The gate blocks of a (gates * size, ...) weight or bias in ONNX's order."""
    rows = np.concatenate([np.arange(b * size, (b + 1) * size) for b in blocks])
    if g.constant_folding and name in g.initializers:
        folded = g.fresh(f"{name}.onnx_gates")
        g.initializers[folded] = np.ascontiguousarray(g.initializers[name][rows])
        return folded
    return g.add("Gather", [name, g.ints(rows, "gate_rows")], axis=0)


def _stack(g: Graph, names: list[str]) -> str:
    """(num_directions, ...) from one tensor per direction."""
    parts = [g.axes_input("Unsqueeze", [n], [0], 13) for n in names]
    return parts[0] if len(parts) == 1 else g.add("Concat", parts, axis=0)


def convert_recurrent(g: Graph, op) -> None:
    """Convert a recorded recurrent-module call and bind its outputs."""
    from autograd_engine.tensor import Tensor

    m = op.module
    mode = m.mode
    name = type(m).__name__
    args = list(op.inputs)
    x = args[0]
    hx = args[1] if len(args) > 1 else None
    if not isinstance(x, Tensor):
        raise unsupported(f"{name} on a PackedSequence", "export it on a padded batch tensor")
    if x.ndim != 3:
        raise unsupported(f"{name} on an unbatched (2-D) input", "add a batch dimension")
    if getattr(m, "proj_size", 0):
        raise unsupported("LSTM with proj_size > 0 (ONNX's LSTM has no projection)")
    if m.training and m.dropout > 0 and m.num_layers > 1:
        raise unsupported(f"{name} with dropout between layers in training mode")
    lstm = mode == "LSTM"
    H, D, L = m.hidden_size, 2 if m.bidirectional else 1, m.num_layers
    gates = _GATES[mode]
    states = []  # the graph names of h0 (and c0), or None for zeros
    if hx is not None:
        states = [g.value(t) for t in (hx if isinstance(hx, tuple) else (hx,))]
    seq = g.value(x)
    if m.batch_first:
        seq = g.add("Transpose", [seq], perm=[1, 0, 2])
    h_n, c_n = [], []
    for layer in range(L):
        ks = [layer * D + d for d in range(D)]
        weights = [m.all_weights[k] for k in ks]
        W = _stack(g, [_rows(g, g.value(w[0]), gates, H) for w in weights])
        R = _stack(g, [_rows(g, g.value(w[1]), gates, H) for w in weights])
        inputs = [seq, W, R]
        if m.bias:
            biases = [g.add("Concat", [_rows(g, g.value(w[2]), gates, H),
                                       _rows(g, g.value(w[3]), gates, H)], axis=0)
                      for w in weights]  # fmt: skip
            inputs.append(_stack(g, biases))
        else:
            inputs.append("")
        inputs.append("")  # sequence_lens: every sequence is full length
        for s in states:  # rows layer*D .. layer*D + D - 1 of the (L*D, B, H) state
            inputs.append(g.add("Slice", [s, g.ints([layer * D], "starts"),
                                          g.ints([layer * D + D], "ends"),
                                          g.ints([0], "axes")]))  # fmt: skip
        attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
        if mode == "GRU":
            attrs["linear_before_reset"] = 1  # PyTorch applies r after the hidden matmul
        if mode.startswith("RNN"):
            attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * D
        onnx_op = "LSTM" if lstm else ("GRU" if mode == "GRU" else "RNN")
        outs = g.add(onnx_op, _trim(inputs), outputs=3 if lstm else 2,
                     hint=f"{name}_l{layer}", **attrs)  # fmt: skip
        y, yh = outs[0], outs[1]
        h_n.append(yh)
        if lstm:
            c_n.append(outs[2])
        # Y (T, D, B, H) -> (T, B, D * H), the next layer's input and the module's output
        y = g.add("Transpose", [y], perm=[0, 2, 1, 3])
        seq = g.add("Reshape", [y, g.ints([0, 0, -1], "shape")])
    output = seq
    if m.batch_first:
        output = g.add("Transpose", [output], perm=[1, 0, 2])
    h = h_n[0] if L == 1 else g.add("Concat", h_n, axis=0)
    result = op.output
    g.bind(result[0], g.add("Identity", [output]))
    if lstm:
        c = c_n[0] if L == 1 else g.add("Concat", c_n, axis=0)
        g.bind(result[1][0], g.add("Identity", [h]))
        g.bind(result[1][1], g.add("Identity", [c]))
    else:
        g.bind(result[1], g.add("Identity", [h]))


def _trim(inputs: list[str]) -> list[str]:
    """Optional inputs left out at the end are dropped (ONNX allows trailing omissions)."""
    while inputs and inputs[-1] == "":
        inputs.pop()
    return inputs
