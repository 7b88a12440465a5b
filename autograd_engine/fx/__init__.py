"""``autograd_engine.fx`` (``torch.fx``): FX traces a module's Python code into a graph of
PyTorch calls (``symbolic_trace``, ``GraphModule``, ``Graph``, ``Node``, ``Proxy``,
``Tracer``) to be rewritten and recompiled. This engine has no FX tracer or graph IR, so
building any of them raises RuntimeError saying so. What code uses FX for, and what to use:

- to speed up a training step: ``autograd_engine.compile`` (docs/compile.md);
- to export a model: ``autograd_engine.onnx.export`` (docs/onnx.md);
- to look at the graph autograd records: ``tensor.grad_fn`` and ``next_functions``.

What keeps its meaning: ``wrap`` (mark a function as a leaf for FX tracing) returns its
argument, since nothing is traced here, and ``isinstance(x, fx.Proxy)`` is False for every
object, as it is in PyTorch outside tracing.
"""

from __future__ import annotations

from . import node, proxy
from ._graph import Graph, GraphModule, Interpreter, Node, Proxy, Tracer, Transformer, _no_fx
from .node import map_arg

__all__ = [
    "symbolic_trace", "wrap", "Graph", "GraphModule", "Interpreter", "Node", "Proxy",
    "Tracer", "Transformer", "map_arg", "node", "proxy",
]  # fmt: skip


def symbolic_trace(root, concrete_args=None):
    """Raises RuntimeError: there is no FX tracer here (see the module doc)."""
    _no_fx("symbolic_trace")


def wrap(fn_or_name):
    """Mark a function as a leaf for FX tracing (``torch.fx.wrap``): it is returned unchanged,
    as nothing is traced here (PyTorch's eager result too)."""
    return fn_or_name
