"""``autograd_engine.fx.node`` (``torch.fx.node``): ``Node`` (which cannot be built here, see
``autograd_engine.fx``) and ``map_arg``."""

from __future__ import annotations

from ._graph import Node

__all__ = ["Node", "map_arg"]


def map_arg(a, fn):
    """Apply ``fn`` to every ``Node`` in ``a``, a nest of tuples, lists, dicts and slices
    (``torch.fx.node.map_arg``). No Node exists here, so the result is ``a``'s structure
    rebuilt with its leaves unchanged, as PyTorch's is for an argument without nodes."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return _map(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _map(a, fn):
    if isinstance(a, tuple):
        t = tuple(_map(x, fn) for x in a)
        return type(a)(*t) if hasattr(a, "_fields") else t  # named tuples keep their type
    if isinstance(a, list):
        return [_map(x, fn) for x in a]
    if isinstance(a, dict):
        return {k: _map(v, fn) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(_map(a.start, fn), _map(a.stop, fn), _map(a.step, fn))
    return fn(a)
