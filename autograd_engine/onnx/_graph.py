"""The ONNX graph being built from a trace: value names for tensors, initializers for
parameters, buffers and constants, and the nodes; plus what a second trace (another batch
size, other input values) says about which sizes are dynamic."""

from __future__ import annotations

import numpy as np

from autograd_engine.onnx.errors import UnsupportedOperatorError
from autograd_engine.tensor import Tensor

__all__ = ["Graph"]


class Graph:
    """The nodes, initializers and value names of the ONNX graph under construction.

    ``value(t)`` is the name of tensor ``t`` in the graph: a graph input, the output of a
    converted op, a parameter or buffer (an initializer named by its ``state_dict`` key) or,
    for anything else, a constant initializer holding its value at trace time.
    """

    def __init__(self, onnx, opset: int, constant_folding: bool = True):
        self.onnx, self.opset, self.constant_folding = onnx, opset, constant_folding
        self.nodes: list = []
        self.initializers: dict[str, np.ndarray] = {}
        self.names: set[str] = set()
        self.by_tensor: dict[int, str] = {}  # id(tensor) -> value name
        self.by_array: dict[int, str] = {}  # id(backend array) -> value name
        self.named: dict[int, tuple[str, object]] = {}  # params/buffers not yet used
        self.param_inputs: list[tuple[str, np.ndarray]] = []  # export_params=False
        self.export_params = True
        self.keep: list = []
        self.twin_of: dict[int, object] = {}  # id(op) -> the same op in the second trace

    # --- names ----------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        name, n = hint, 1
        while name in self.names:
            n += 1
            name = f"{hint}_{n}"
        self.names.add(name)
        return name

    def bind(self, t, name: str) -> None:
        """``t`` (a Tensor) is the value ``name``."""
        self.by_tensor[id(t)] = name
        self.by_array[id(t.array)] = name
        self.keep.append(t)

    def name_parameter(self, t: Tensor, name: str) -> None:
        """A parameter or buffer: an initializer named ``name`` once an op uses it."""
        if id(t) not in self.named and id(t) not in self.by_tensor:
            self.named[id(t)] = (name, t)
            self.named[id(t.array)] = (name, t)

    def known(self, t) -> bool:
        """Whether ``t`` is a value of the graph (an input, an op's output, a parameter)."""
        return (
            id(t) in self.by_tensor
            or id(t.array) in self.by_array
            or id(t) in self.named
            or id(t.array) in self.named
        )

    def known_array(self, array) -> bool:
        return id(array) in self.by_array or id(array) in self.named

    def value(self, t) -> str:
        """The graph's name for tensor ``t`` (a constant initializer if it is new)."""
        if id(t) in self.by_tensor:
            return self.by_tensor[id(t)]
        if id(t.array) in self.by_array:
            return self.by_array[id(t.array)]
        return self.array_value(t.array)

    def array_value(self, array, hint: str = "const") -> str:
        """The graph's name for a backend array (an index, a condition, a statistic)."""
        if id(array) in self.by_array:
            return self.by_array[id(array)]
        if id(array) in self.named:
            name, t = self.named.pop(id(array))
            self.named.pop(id(t), None)
            host = _host(t.array)
            if self.export_params:
                name = self._initializer(name, host)
            else:
                self.names.add(name)
                self.param_inputs.append((name, host))
            self.by_tensor[id(t)] = name
            self.by_array[id(t.array)] = name
            return name
        name = self.const(_host(array), hint)
        self.by_array[id(array)] = name
        self.keep.append(array)
        return name

    # --- building -------------------------------------------------------------------------
    def _initializer(self, name: str, array: np.ndarray) -> str:
        name = self.fresh(name)
        self.initializers[name] = np.asarray(array)
        return name

    def const(self, array, hint: str = "const") -> str:
        """A new initializer holding ``array``."""
        return self._initializer(hint, np.asarray(array))

    def ints(self, values, hint: str = "ints") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def scalar(self, value, dtype, hint: str = "scalar") -> str:
        return self.const(np.asarray(value, dtype=dtype), hint)

    def add(self, op_type: str, inputs: list, outputs: int = 1, hint: str | None = None, **attrs):
        """Append an ONNX node; returns its output name (a list for several outputs).
        An input of ``""`` is an omitted optional input."""
        base = hint or op_type
        outs = [self.fresh(f"{base}_out" if outputs == 1 else f"{base}_out{i}")
                for i in range(outputs)]  # fmt: skip
        node = self.onnx.helper.make_node(
            op_type, list(inputs), outs, name=self.fresh(f"/{base}"), **attrs
        )
        self.nodes.append(node)
        return outs[0] if outputs == 1 else outs

    def transposed(self, name: str) -> str:
        """``name`` (a matrix) transposed: folded into a new initializer when it is one and
        constant folding is on, else a Transpose node."""
        if self.constant_folding and name in self.initializers:
            folded = f"{name}.T"
            if folded not in self.initializers:
                self.initializers[folded] = np.ascontiguousarray(self.initializers[name].T)
                self.names.add(folded)
            return folded
        return self.add("Transpose", [name], perm=[1, 0])

    def axes_input(self, op_type: str, inputs: list, axes, since: int, **attrs) -> str:
        """An op whose ``axes`` became an input at opset ``since`` (Squeeze, ReduceSum, ...)."""
        if axes is None:
            return self.add(op_type, inputs, **attrs)
        if self.opset >= since:
            return self.add(op_type, [*inputs, self.ints(axes, "axes")], **attrs)
        return self.add(op_type, inputs, axes=list(axes), **attrs)

    # --- the second trace -----------------------------------------------------------------
    def twin(self, op):
        """The same op in the second trace (another batch size and other input values), or
        None when there is none."""
        return self.twin_of.get(id(op))


def _host(array) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array
    from autograd_engine import array_backend

    return array_backend.to_device(array, array_backend.CPU)


def dynamic_dims(a_shape, b_shape) -> list[bool]:
    """Per dim, whether it changed between the two traces (a dynamic size)."""
    return [x != y for x, y in zip(a_shape, b_shape)]


def unsupported(what: str, fix: str = "") -> UnsupportedOperatorError:
    return UnsupportedOperatorError(f"onnx.export: {what}" + (f"; {fix}" if fix else ""))
