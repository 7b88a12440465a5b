"""The gradient-check harness: every registry row, drawn by hypothesis, must match float64
central finite differences at first order (and second order for smooth ops)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from registry import SPECS, OpSpec

import autograd_engine as ag
from autograd_engine import ops
from autograd_engine.node import Node

EPS = 1e-6


def _draw_inputs(data, spec: OpSpec):
    shapes, kwargs = spec.draw_case(data.draw)
    arrays = []
    for shape, (lo, hi) in zip(shapes, spec.domains(len(shapes))):
        elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)
        arrays.append(
            data.draw(hnp.arrays(np.float64, shape, elements=elements, unique=spec.unique))
        )
    for a in arrays:
        if spec.unique and a.size > 1:  # no near-ties either: differences must exceed eps
            assume(np.diff(np.sort(a, axis=None)).min() > spec.margin)
        for k in spec.kinks:
            assume(np.all(np.abs(a - k) > spec.margin))
    if spec.valid is not None:
        assume(spec.valid(arrays))
    return arrays, kwargs


def _loss_and_grads(spec, arrays, kwargs, weights, device, create_graph=False):
    xs = [ag.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = spec.fn(*xs, **kwargs)
    loss = (out * ag.tensor(weights, device=device)).sum()
    grads = ag.grad(loss, xs, allow_unused=True, create_graph=create_graph)
    return xs, loss, grads


def _numeric_grad(f, arrays):
    """Central differences of the scalar ``f(arrays)`` with respect to every element."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + EPS
            plus = f(arrays)
            flat[k] = orig - EPS
            minus = f(arrays)
            flat[k] = orig
            gflat[k] = (plus - minus) / (2 * EPS)
        grads.append(g)
    return grads


def _host(t):
    return None if t is None else t.numpy()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(data=st.data())
def test_gradient_matches_finite_differences(spec: OpSpec, data, device):
    arrays, kwargs = _draw_inputs(data, spec)
    with ag.no_grad():
        out = spec.fn(*[ag.tensor(a, device=device) for a in arrays], **kwargs)
    assert out.dtype == ag.float64, f"{spec.name} changed float64 to {out.dtype}"
    weights = data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-1, 1, width=64)))

    def loss(arrs):
        with ag.no_grad():
            xs = [ag.tensor(a, device=device) for a in arrs]
            return float((spec.fn(*xs, **kwargs).numpy() * weights).sum())

    _, _, grads = _loss_and_grads(spec, arrays, kwargs, weights, device)
    numeric = _numeric_grad(loss, arrays)
    for i, (g, n) in enumerate(zip(grads, numeric)):
        g = np.zeros_like(n) if g is None else _host(g)
        assert g.shape == n.shape, f"{spec.name}: grad {i} has shape {g.shape}, want {n.shape}"
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, n, rtol=spec.rtol, atol=spec.atol, err_msg=spec.name)

    if not spec.second_order:
        return
    # Second order: the Hessian-vector product through create_graph matches differences of the
    # first-order gradient.
    directions = [
        data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-1, 1))) for a in arrays
    ]

    def first_order(arrs):
        _, _, gs = _loss_and_grads(spec, arrs, kwargs, weights, device)
        return float(sum((_host(g) * d).sum() for g, d in zip(gs, directions) if g is not None))

    xs, _, gs = _loss_and_grads(spec, arrays, kwargs, weights, device, create_graph=True)
    total = None
    for g, d in zip(gs, directions):
        if g is not None and g.requires_grad:
            term = (g * ag.tensor(d, device=device)).sum()
            total = term if total is None else total + term
    if total is None:  # the gradient does not depend on the inputs (linear op)
        second = [np.zeros_like(a) for a in arrays]
    else:
        second = [
            np.zeros_like(a) if h is None else _host(h)
            for a, h in zip(arrays, ag.grad(total, xs, allow_unused=True))
        ]
    numeric2 = _numeric_grad(first_order, arrays)
    for h, n in zip(second, numeric2):
        np.testing.assert_allclose(h, n, rtol=1e-3, atol=1e-5, err_msg=f"{spec.name} 2nd order")


def _all_node_classes() -> set[type]:
    import nn  # noqa: F401  (modules that define fused nodes)

    seen, stack = set(), [Node]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return {c for c in seen if not inspect.isabstract(c) and not c.__name__.startswith("_")}


def test_every_node_class_has_a_registry_row():
    covered = {node for spec in SPECS for node in spec.nodes}
    missing = sorted(
        f"{c.__module__}.{c.__name__}" for c in _all_node_classes() - covered
        if c.__module__.split(".")[0] in ("autograd_engine", "nn")
    )  # fmt: skip
    assert not missing, f"node classes without a gradient-test registry row: {missing}"


def test_registry_names_are_unique():
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names))


def test_ops_namespace_exports_every_registered_node():
    for spec in SPECS:
        for node in spec.nodes:
            mod = node.__module__
            if mod.startswith("autograd_engine.ops"):
                assert getattr(ops, node.__name__, None) is node, node


ARRAY_SPECS = [
    s for s in SPECS if any(getattr(n, "backward_arrays", None) is not None for n in s.nodes)
]


@pytest.mark.parametrize("spec", ARRAY_SPECS, ids=[s.name for s in ARRAY_SPECS])
@settings(
    max_examples=10,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_backward_arrays_equal_the_tensor_backward(spec: OpSpec, data, device):
    """A node's ``backward_arrays`` (used outside create_graph) gives exactly the gradients of
    its Tensor ``backward`` (used under create_graph): the same formulas, bit for bit."""
    arrays, kwargs = _draw_inputs(data, spec)
    with ag.no_grad():
        out = spec.fn(*[ag.tensor(a, device=device) for a in arrays], **kwargs)
    weights = data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-1, 1, width=64)))
    _, _, fast = _loss_and_grads(spec, arrays, kwargs, weights, device)
    _, _, reference = _loss_and_grads(spec, arrays, kwargs, weights, device, create_graph=True)
    # NOTE: softmax cross-entropy's create_graph backward recomputes the softmax from its input
    # (to stay differentiable), so it agrees to rounding rather than bit for bit.
    recomputes = any(n is ops.SoftmaxCrossEntropy for n in spec.nodes)
    for g, r in zip(fast, reference):
        assert (g is None) == (r is None), spec.name
        if g is None:
            continue
        if recomputes:
            np.testing.assert_allclose(_host(g), _host(r), rtol=1e-12, atol=1e-15)
        else:
            np.testing.assert_array_equal(_host(g), _host(r), err_msg=spec.name)


def test_hot_nodes_have_backward_arrays():
    hot = [ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Neg, ops.MatMul, ops.Linear, ops.ReLU,
           ops.Sigmoid, ops.Tanh, ops.Exp, ops.Log, ops.Sum, ops.Reshape, ops.Permute,
           ops.Expand, ops.LogSoftmax]  # fmt: skip
    assert [n.__name__ for n in hot if n.backward_arrays is None] == []
    assert ARRAY_SPECS, "no registry row exercises a node with backward_arrays"
