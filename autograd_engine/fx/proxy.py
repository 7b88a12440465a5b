"""``autograd_engine.fx.proxy`` (``torch.fx.proxy``): ``Proxy`` and ``GraphAppendingTracer``,
which cannot be built here (see ``autograd_engine.fx``)."""

from __future__ import annotations

from ._graph import Proxy, _unbuildable

__all__ = ["Proxy", "GraphAppendingTracer"]

GraphAppendingTracer = _unbuildable(
    "GraphAppendingTracer", "a tracer that appends to an existing Graph"
)
