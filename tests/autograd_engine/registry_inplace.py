"""Gradient-test registry rows for the in-place operations (``ops/inplace.py``): each row applies
an in-place op to a non-leaf copy of its input, so the check covers the rebased history (and,
for a view, its base's) as well as the node classes themselves."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from registry import OpSpec

from autograd_engine.ops.inplace import Copy, Fill, IndexPut
from autograd_engine.ops.shape import GetItem


def _shapes(min_dims: int = 0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4)


def _same(n: int, min_dims: int = 0):
    return _shapes(min_dims).map(lambda s: (s,) * n)


def _setitem_row(a, v):
    y = a * 1
    y[0] = v * 2
    return y * a


def _setitem_mask(a, v):
    y = a * 1
    y[a > 0] = v * 3
    return y


def _view_mul(a):
    y = a * 2
    y[..., :1].mul_(3)  # through a view: the base gets the history
    return y * y


def _base_then_view(a):
    y = a * 2
    v = y[..., :1]
    y.mul_(a)  # the base changes after the view was made: the view follows it
    return v.exp()


INPLACE_SPECS = [
    OpSpec("add_", lambda a, b: (a * 1).add_(b, alpha=2) * a, (), _same(2)),
    OpSpec("mul_", lambda a, b: (a * 1).mul_(b) * a, (), _same(2)),
    OpSpec("div_", lambda a, b: (a * 1).div_(b), (), _same(2), ((-2, 2), (0.5, 2))),
    OpSpec("exp_", lambda a: (a * 1).exp_() * a, (), _same(1)),
    OpSpec("copy_", lambda a, b: (a * 1).copy_(b * 3) * a, (Copy,), _same(2)),
    OpSpec(
        "fill_",
        lambda a, v: (a * 1).fill_(v * 2) * a,
        (Fill,),
        _shapes().map(lambda s: (s, ())),
    ),
    OpSpec(
        "setitem",
        _setitem_row,
        (IndexPut,),
        _shapes(min_dims=1).map(lambda s: (s, s[1:])),
    ),
    OpSpec(
        "setitem_mask",
        _setitem_mask,
        (IndexPut,),
        _shapes().map(lambda s: (s, ())),
        kinks=(0.0,),
    ),
    OpSpec("inplace_view", _view_mul, (IndexPut, GetItem), _same(1, min_dims=1)),
    OpSpec("inplace_base_of_view", _base_then_view, (GetItem,), _same(1, min_dims=1)),
    OpSpec(
        "clamp_",
        lambda a, lo: (a * 1).clamp_(min=lo) * a,
        (),
        _shapes().map(lambda s: (s,)),
        kwargs=lambda s: st.fixed_dictionaries({"lo": st.sampled_from([-0.5, 0.5])}),
        kinks=(-0.5, 0.5),
    ),
]
