"""Tensor hooks and ``retain_grad``: leaf and non-leaf hooks, replacing the gradient, order,
removal, errors, hooks under ``create_graph`` and ``grad()``, and what ``retain_grad`` keeps."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd_engine as ag


def test_leaf_hook_sees_the_summed_gradient_once_and_can_replace_it(device):
    x = ag.tensor([1.0, 2.0], device=device, requires_grad=True)
    seen = []

    def double(g):
        seen.append(g.numpy().copy())
        return g * 2

    x.register_hook(double)
    (x * x + x * 3).sum().backward()  # two paths into x
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 14.0])


def test_non_leaf_hook_replaces_the_gradient_flowing_to_its_inputs(device):
    x = ag.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g * 0 + 1.5)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.5, 4.5])
    assert y.grad is None  # a hook does not retain the gradient


def test_hooks_run_in_registration_order_each_on_the_previous_result():
    x = ag.tensor([1.0], requires_grad=True)
    y = x * 1
    order = []
    y.register_hook(lambda g: order.append(("a", g.item())) or g + 1)
    y.register_hook(lambda g: order.append(("b", g.item())))  # None keeps the gradient
    y.register_hook(lambda g: order.append(("c", g.item())) or g * 10)
    y.backward()
    assert order == [("a", 1.0), ("b", 2.0), ("c", 2.0)]
    assert x.grad.item() == 20.0


def test_handle_remove_and_context_manager():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h1 = x.register_hook(lambda g: g * 2)
    with x.register_hook(lambda g: g * 5):
        pass  # removed on exit
    h1.remove()
    h1.remove()  # removing twice is harmless
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_hook_that_removes_itself_during_backward():
    x = ag.tensor([1.0], requires_grad=True)
    calls = []

    def once(g):
        calls.append(1)
        handle.remove()

    handle = x.register_hook(once)
    (x * 2).backward()
    (x * 2).backward()
    assert calls == [1]


def test_hooks_fire_on_every_backward():
    x = ag.tensor([1.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    y = x * 4
    y.backward(retain_graph=True)
    y.backward()
    assert calls == [4.0, 4.0] and x.grad.item() == 8.0


def test_hook_errors():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):  # fmt: skip
        ag.ones(2).register_hook(lambda g: g)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        y.sum().backward(retain_graph=True)
    h.remove()
    y.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="expected Tensor, but hook '<lambda>' returned 'int'"):
        y.sum().backward()


def test_hooks_under_create_graph_are_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def scale(g):
        seen.append(g.requires_grad)
        return g * x  # the replaced gradient is part of the double-backward graph

    x.register_hook(scale)
    (g,) = ag.grad((x**3).sum(), x, create_graph=True)  # g = 3x^2 * x
    assert seen == [True] and g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.numpy() ** 3)
    (h,) = ag.grad(g.sum(), x)  # the hook runs again, on the leaf's second-order gradient
    np.testing.assert_allclose(h.numpy(), 9 * x.numpy() ** 2 * x.numpy())


def test_leaf_hooks_run_only_for_requested_inputs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append("x"))
    w.register_hook(lambda g: calls.append("w"))
    (x * w).sum().backward(inputs=[x])
    assert calls == ["x"] and w.grad is None
    (gx,) = ag.grad((x * w).sum(), [x])
    assert calls == ["x", "x"]
    np.testing.assert_allclose(gx.numpy(), w.numpy())


def test_hook_on_intermediate_applies_to_grad_of_that_intermediate():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    (gy,) = ag.grad((y * y).sum(), y)
    np.testing.assert_allclose(gy.numpy(), 10 * 2 * y.detach().numpy())


def test_retain_grad_on_non_leaf_and_leaf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y
    assert not y.retains_grad
    y.retain_grad()
    y.retain_grad()  # twice is once
    x.retain_grad()  # a leaf keeps its grad anyway: no-op
    assert y.retains_grad and not x.retains_grad
    z.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())
    assert not y.grad.requires_grad and z.grad is None
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        ag.ones(2).retain_grad()


def test_retained_grad_is_after_hooks_even_ones_registered_later():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [40.0, 80.0])  # as in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), [80.0, 160.0])


def test_retained_grad_accumulates_and_is_filled_by_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad.numpy(), [8.0, 16.0])
    y.grad = None
    ag.grad(z, x)
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 8.0])  # PyTorch fills it here too


def test_retained_grad_under_create_graph_has_history():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)
    assert y.grad.requires_grad
    (h,) = ag.grad(y.grad.sum(), x)  # d/dx sum(2y) = 4x
    np.testing.assert_allclose(h.numpy(), 4 * x.numpy())


def test_retain_grad_does_not_keep_the_tensor_alive():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y + 3).sum()  # Add saves nothing: only the node chain holds y's history
    ref = weakref.ref(y)
    gc.disable()
    try:
        del y
        assert ref() is None  # the graph holds the keeper, the keeper holds y weakly
        z.backward()  # and backward copes with the tensor being gone
    finally:
        gc.enable()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
