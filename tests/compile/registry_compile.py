"""Gradient-test registry rows for the nodes of ``autograd_engine.compile``: a replayed compiled
forward's region node, with one output (``RegionNode``) and several (``RegionCall``, an
``autograd.Function``); loaded by ``tests/autograd_engine/registry.py``."""

from __future__ import annotations

from hypothesis.extra import numpy as hnp
from registry import OpSpec, broadcastable

import autograd_engine as ag
from autograd_engine.compiler._region import RegionCall, RegionNode

# NOTE: every drawn shape is a new signature: a high limit keeps them all compiled.
_one_output = ag.compile(lambda a, b: (a * b).tanh() + a, recompile_limit=10**6)
_two_outputs = ag.compile(lambda a: (a.sin(), a * a), recompile_limit=10**6)


def _replayed(fn, *args):
    """The third call's result: the first traces, the second checks, the third replays."""
    for _ in range(3):
        out = fn(*args)
    return out


def _both(a):
    s, q = _replayed(_two_outputs, a)
    return s * 2 + q


def _one():
    return hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,))


COMPILE_SPECS = [
    OpSpec(
        "compiled forward",
        lambda a, b: _replayed(_one_output, a, b),
        (RegionNode,),
        broadcastable(2),
        second_order=False,  # double backward through a compiled forward raises
    ),
    OpSpec(
        "compiled forward, two outputs",
        _both,
        (RegionCall._backward_cls,),
        _one(),
        second_order=False,
    ),
]
