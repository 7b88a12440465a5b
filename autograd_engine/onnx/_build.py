"""From a model and example inputs to an ``onnx.ModelProto``: two traces (the example, and
one with the dynamic axes one larger and other values), the converters applied to the first,
the graph's inputs, outputs and initializers, and the onnx checker."""

from __future__ import annotations

import numpy as np

import autograd_engine as ag
from autograd_engine.onnx._graph import Graph, dynamic_dims, unsupported
from autograd_engine.onnx._ops import CONVERTERS, onnx_dtype
from autograd_engine.onnx._rnn import convert_recurrent
from autograd_engine.onnx._trace import flatten, trace
from autograd_engine.tensor import Tensor

__all__ = ["build_model"]


def _varied(args, names, dynamic: dict):
    """``args`` with each dynamic axis one larger and other values (rotated by one place;
    floats also scaled and shifted), for the second trace."""
    it = iter(names)

    def vary(t):
        if not isinstance(t, Tensor):
            if isinstance(t, (tuple, list)):
                return type(t)(vary(v) for v in t)
            return t
        name = next(it)
        out = t.detach()
        for axis in sorted(dynamic.get(name, {})):
            if axis >= out.ndim or axis < -out.ndim:
                raise ValueError(
                    f"onnx.export: dynamic_axes[{name!r}] names axis {axis} of an input of "
                    f"shape {tuple(t.shape)}"
                )
            out = ag.cat([out, out.narrow(axis, 0, 1)], dim=axis)
        kind = out.array.dtype.kind
        if kind == "b" or out.numel() == 0:
            return out
        flat = out.reshape(-1)
        rotated = ag.cat([flat[1:], flat[:1]]).reshape(tuple(out.shape))
        return rotated * 0.75 + 0.125 if kind in "fc" else rotated

    return tuple(vary(a) for a in args)


def _pair(ops_a, ops_b) -> None:
    if len(ops_a) != len(ops_b) or any(
        type(a.node) is not type(b.node) or a.module is not b.module for a, b in zip(ops_a, ops_b)
    ):
        raise unsupported(
            "the forward pass ran different operations for the second trace (other input "
            "values, and dynamic axes one larger): its control flow depends on the input",
            "export a forward whose operations do not depend on the input's values or on the "
            "dynamic sizes",
        )


def _check_constants(g: Graph, op, twin) -> None:
    """A tensor an op reads that is no value of the graph is a constant: it must be the same
    in both traces."""
    for k, (a, b) in enumerate(zip(op.inputs, twin.inputs)):
        if g.known(a):
            continue
        same = a.shape == b.shape and np.array_equal(a.numpy(), b.numpy(), equal_nan=True)
        if not same:
            raise unsupported(
                f"input {k} of {type(op.node).__name__} (shape {tuple(a.shape)}) changes with "
                "the model's input but was computed outside the recorded operations (e.g. "
                "through .numpy(), .item() or a tensor made from a shape), so it cannot be a "
                "constant of the graph",
                "compute it from the inputs with tensor operations",
            )


def _value_info(onnx, name, array, dims_named: dict, changed: list[bool]):
    shape = []
    for axis, size in enumerate(array.shape):
        if axis in dims_named:
            shape.append(dims_named[axis])
        elif changed and changed[axis]:
            shape.append(f"{name}_dim_{axis}")
        else:
            shape.append(int(size))
    dtype = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype))
    return onnx.helper.make_tensor_value_info(name, dtype, shape)


def build_model(
    onnx, model, args, kwargs, names_in, output_names, opset, export_params,
    keep_initializers_as_inputs, dynamic, constant_folding,
):  # fmt: skip
    inputs = flatten(args)
    for name in dynamic:
        if name not in names_in and (output_names is None or name not in output_names):
            if output_names is not None or not name.startswith("output"):
                raise ValueError(
                    f"onnx.export: dynamic_axes names {name!r}, which is neither an input "
                    f"({names_in}) nor an output ({output_names or 'output, output_1, ...'})"
                )
    with ag.no_grad():
        first, outputs = trace(model, args, kwargs)
        second, outputs_b = trace(model, _varied(args, names_in, dynamic), kwargs)
    _pair(first.ops, second.ops)
    g = Graph(onnx, opset, constant_folding)
    g.export_params = export_params
    graph_inputs = []
    for t, name in zip(inputs, names_in):
        g.names.add(name)
        g.bind(t, name)
        graph_inputs.append(_value_info(onnx, name, t.array, dynamic.get(name, {}), []))
    if hasattr(model, "named_parameters"):
        for pname, p in model.named_parameters():
            g.name_parameter(p, pname)
        for bname, b in model.named_buffers():
            if b is not None:
                g.name_parameter(b, bname)
    for a, b in zip(first.ops, second.ops):
        g.twin_of[id(a)] = b
    for op in first.ops:
        if op.module is not None:
            convert_recurrent(g, op)
            continue
        convert = CONVERTERS.get(type(op.node))
        if convert is None:
            cls = type(op.node)
            raise unsupported(
                f"the operation {cls.__name__} ({cls.__module__}) has no ONNX conversion",
                "the exporter converts " + ", ".join(_supported()),
            )
        _check_constants(g, op, g.twin(op))
        ins = [g.value(t) for t in op.inputs]
        out = convert(g, op, ins)
        g.bind(op.output, out)
    results = flatten(outputs)
    results_b = flatten(outputs_b)
    if not results:
        raise unsupported("the model returned no tensor")
    if output_names is None:
        many = len(results) > 1
        output_names = [f"output_{i}" for i in range(len(results))] if many else ["output"]
    output_names = list(output_names)
    if len(output_names) > len(results):
        raise ValueError(
            f"onnx.export: {len(output_names)} output_names for {len(results)} outputs"
        )
    output_names += [f"output_{i}" for i in range(len(output_names), len(results))]
    graph_outputs = []
    for t, tb, name in zip(results, results_b, output_names):
        g.names.add(name)
        g.nodes.append(onnx.helper.make_node("Identity", [g.value(t)], [name],
                                             name=g.fresh(f"/{name}_identity")))  # fmt: skip
        changed = dynamic_dims(t.shape, tb.shape) if t.ndim == tb.ndim else []
        graph_outputs.append(_value_info(onnx, name, t.array, dynamic.get(name, {}), changed))
    used = {name for node in g.nodes for name in node.input}
    g.initializers = {n: a for n, a in g.initializers.items() if n in used}  # folded away
    initializers = [
        # NOTE: not np.ascontiguousarray, which makes a 0-d array 1-d
        onnx.numpy_helper.from_array(array if array.flags.c_contiguous else array.copy(), name)
        for name, array in g.initializers.items()
    ]
    extra_inputs = [
        onnx.helper.make_tensor_value_info(n, onnx_dtype(g, a.dtype), list(a.shape))
        for n, a in g.param_inputs
    ]
    if keep_initializers_as_inputs:
        extra_inputs += [
            onnx.helper.make_tensor_value_info(n, onnx_dtype(g, a.dtype), list(a.shape))
            for n, a in g.initializers.items()
        ]
    graph = onnx.helper.make_graph(g.nodes, "main_graph", graph_inputs + extra_inputs,
                                   graph_outputs, initializers)  # fmt: skip
    proto = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="autograd_engine",
        producer_version=_version(),
    )
    onnx.checker.check_model(proto)
    return proto


def _supported() -> list[str]:
    return sorted({cls.__name__ for cls in CONVERTERS} | {"LSTM", "GRU", "RNN"})


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("autograd_engine")
    except Exception:  # noqa: BLE001 - not installed: no version to report
        return "0"
