"""The FX classes, which cannot be built here (see ``autograd_engine.fx``)."""

from __future__ import annotations

_MESSAGE = (
    "torch.fx.{name}: FX traces Python code into a graph of PyTorch calls, and autograd_engine "
    "has no FX tracer or graph IR. To speed up a training step use autograd_engine.compile "
    "(docs/compile.md); to export a model, autograd_engine.onnx.export (docs/onnx.md); the "
    "autograd graph is reachable from tensor.grad_fn."
)


def _no_fx(name: str):
    raise RuntimeError(_MESSAGE.format(name=name))


def _unbuildable(name: str, summary: str):
    def __init__(self, *args, **kwargs):
        _no_fx(name)

    doc = (
        f"``torch.fx.{name}``: {summary}. Nothing is traced here, so no object is one "
        "(``isinstance`` checks are False); constructing one raises RuntimeError."
    )
    namespace = {"__init__": __init__, "__doc__": doc, "__module__": "autograd_engine.fx"}
    return type(name, (), namespace)


Graph = _unbuildable("Graph", "the graph IR of a traced module")
GraphModule = _unbuildable("GraphModule", "a module generated from a Graph")
Node = _unbuildable("Node", "one operation of a Graph")
Proxy = _unbuildable("Proxy", "the stand-in value that records operations while tracing")
Tracer = _unbuildable("Tracer", "the symbolic tracer that builds a Graph")
Interpreter = _unbuildable("Interpreter", "runs a GraphModule node by node")
Transformer = _unbuildable("Transformer", "rewrites a GraphModule node by node")
