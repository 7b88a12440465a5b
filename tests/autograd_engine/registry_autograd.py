"""Gradient-test registry rows for ``autograd.Function``: user-defined nodes (the generic
``BackwardCFunction`` and the per-class ``<Name>Backward``), one output and several, with
backwards written in Tensor ops so that second order is checked too."""

from __future__ import annotations

from hypothesis.extra import numpy as hnp
from registry import OpSpec, broadcastable

import autograd_engine as ag
from autograd_engine.autograd import Function, InplaceFunction
from autograd_engine.autograd.function import BackwardCFunction


class MulExp(Function):
    """y = a * exp(b) * scale (a non-tensor argument); backward recomputes exp(b) from the
    saved input, so that it is differentiable again (a saved intermediate would not be)."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b.exp() * scale

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        e = b.exp() * ctx.scale
        return grad * e, grad * a * e, None


class SinCos(Function):
    """(sin x, cos x): two differentiable outputs, the output saved."""

    @staticmethod
    def forward(ctx, x):
        s, c = x.sin(), x.cos()
        ctx.save_for_backward(s, c)
        return s, c

    @staticmethod
    def backward(ctx, gs, gc):
        s, c = ctx.saved_tensors
        return gs * c - gc * s


class Cube(Function):
    """y = x^3 with the setup_context style."""

    @staticmethod
    def forward(x):
        return x * x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x, output)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * 3 * y / x  # uses the saved output: 3x^2 = 3 y / x


def _one(min_dims=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4).map(
        lambda s: (s,)
    )


def _sin_cos(x):
    s, c = SinCos.apply(x)
    return s * 2 + c * c


AUTOGRAD_SPECS = [
    OpSpec(
        "autograd.Function",
        lambda a, b: MulExp.apply(a, b, 0.5),
        (BackwardCFunction, Function._backward_cls, InplaceFunction._backward_cls),
        broadcastable(2),
    ),
    OpSpec("autograd.Function outputs", _sin_cos, (), _one()),
    OpSpec(
        "autograd.Function setup_context", lambda x: Cube.apply(x), (), _one(), domain=(0.5, 2.0)
    ),  # fmt: skip
]


def _normal_cdf(x):
    from autograd_engine.distributions import Normal

    # NOTE: parameters on x's device (PyTorch would also accept 0-d CPU tensors here)
    loc, scale = (ag.tensor(v, dtype=x.dtype, device=x.device) for v in (0.5, 1.5))
    return Normal(loc, scale, validate_args=False).cdf(x)


def _normal_icdf(p):
    from autograd_engine.distributions import Normal

    loc, scale = (ag.tensor(v, dtype=p.dtype, device=p.device) for v in (0.5, 1.5))
    return Normal(loc, scale, validate_args=False).icdf(p)


def _special_nodes():
    from autograd_engine.distributions.normal import _StandardNormalCdf, _StandardNormalIcdf

    return _StandardNormalCdf._backward_cls, _StandardNormalIcdf._backward_cls


AUTOGRAD_SPECS += [
    OpSpec("distributions.Normal.cdf", _normal_cdf, _special_nodes()[:1], _one()),
    OpSpec(
        "distributions.Normal.icdf", _normal_icdf, _special_nodes()[1:], _one(), domain=(0.05, 0.95)
    ),  # fmt: skip
]
