"""Graph behaviour: diamonds, very long chains, retain_graph and freed graphs, grad modes,
``grad()`` with ``allow_unused``, leaves vs intermediates, higher-order gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag


def test_diamond_sums_both_paths(device):
    x = ag.tensor([1.5, -2.0], device=device, requires_grad=True)
    a = x * 3
    y = a * a + a.exp()  # a is used three times
    y.sum().backward()
    a_val = 3 * x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 3 * (2 * a_val + np.exp(a_val)), rtol=1e-6)


def test_million_op_chain_backward_without_recursion():
    x = ag.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert y.item() == 1_000_001.0


def test_gradients_accumulate_into_leaves():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_intermediates_do_not_keep_grad_unless_retained():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = h * 3
    k.retain_grad()
    (k * k).sum().backward()
    assert h.grad is None
    assert k.retains_grad and not h.retains_grad
    np.testing.assert_allclose(k.grad.numpy(), 2 * k.numpy())
    assert x.is_leaf and not h.is_leaf and h.grad_fn is not None


def test_second_backward_through_freed_graph_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(
        RuntimeError, match="backward through the graph a second time.*retain_graph"
    ):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_ops_that_save_nothing_can_backward_twice():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()  # Add and Sum save nothing, as in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_no_grad_records_nothing():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2 + 1
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad


def test_grad_modes_nest_and_decorate():
    @ag.no_grad()
    def f(t):
        return t * 2

    @ag.enable_grad()
    def g(t):
        return t * 2

    x = ag.tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad
    with ag.no_grad():
        assert g(x).requires_grad
        with ag.enable_grad():
            assert (x * 1).requires_grad
        assert not (x * 1).requires_grad
    ag.set_grad_enabled(False)
    assert not (x * 1).requires_grad
    ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert ag.is_grad_enabled()  # decorating does not switch the mode
    assert not h(x).requires_grad


def test_inputs_that_need_no_grad_record_nothing():
    a, b = ag.ones(2), ag.ones(2)
    out = a * b
    assert out.grad_fn is None and not out.requires_grad


def test_grad_returns_without_accumulating_and_allow_unused():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    z = ag.tensor([3.0], requires_grad=True)
    y = (x**2).sum()
    (gx,) = ag.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match="not have been used in the graph.*allow_unused"):
        ag.grad(y, [x, z], retain_graph=True)
    gx, gz = ag.grad(y, [x, z], allow_unused=True)
    assert gz is None


def test_grad_with_respect_to_an_intermediate():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_second_and_third_order_gradients():
    x = ag.tensor([0.5, -1.0], dtype=ag.float64, requires_grad=True)
    y = (x**3).sum()
    (g1,) = ag.grad(y, x, create_graph=True)
    (g2,) = ag.grad(g1.sum(), x, create_graph=True)
    (g3,) = ag.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.numpy(), 3 * x.numpy() ** 2)
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy())
    np.testing.assert_allclose(g3.numpy(), [6.0, 6.0])


def test_hessian_vector_product_of_an_mlp():
    ag.manual_seed(1)
    w = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)
    x = ag.randn(5, 3, dtype=ag.float64)
    v = ag.randn(3, 4, dtype=ag.float64)
    loss = (x @ w).tanh().log_softmax(-1).sum()
    (g,) = ag.grad(loss, w, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), w)
    eps = 1e-6

    def grad_at(wv):
        wt = ag.tensor(wv, requires_grad=True)
        return ag.grad((x @ wt).tanh().log_softmax(-1).sum(), wt)[0].numpy()

    numeric = grad_at(w.numpy() + eps * v.numpy()) - grad_at(w.numpy() - eps * v.numpy())
    numeric /= 2 * eps
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_backward_with_explicit_gradient_and_broadcast_leaves():
    x = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)  # (1, 3) broadcast against (2, 3)
    b = ag.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
    y = x * b
    y.backward(ag.ones(2, 3))
    np.testing.assert_allclose(x.grad.numpy(), [[3.0, 3.0, 3.0]])
    np.testing.assert_allclose(b.grad.numpy(), [[6.0], [6.0]])


def test_leaf_grads_are_separate_arrays():
    # Add passes one gradient array to both inputs; each leaf must own its .grad.
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.array *= 10
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    assert a.grad.array.flags.writeable


def test_backward_inputs_restricts_accumulation():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_float32_stays_float32_through_backward():
    x = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(3, 2, requires_grad=True)
    loss = ((x @ w).relu() * 0.5 + 1).log_softmax(-1).mean()
    loss.backward()
    assert loss.dtype == ag.float32
    assert x.grad.dtype == ag.float32 and w.grad.dtype == ag.float32


def test_max_ties_follow_pytorch():
    x = ag.tensor([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3])
    x.grad = None
    values, idx = x.max(0)
    values.backward()
    assert idx.item() == 1
    np.testing.assert_allclose(x.grad.numpy(), [0, 1, 0, 0])
    x.grad = None
    ag.maximum(x, ag.tensor([1.0, 0.0, 3.0, 5.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1, 0.5, 0])


def test_kinks_follow_pytorch():
    x = ag.tensor([0.0, 0.0, 0.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 0])
    y = ag.tensor([-1.0, 1.0, 2.0], requires_grad=True)
    y.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1, 1, 0])


def test_prod_gradient_with_zeros():
    x = ag.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 0.0])
    z = ag.tensor([[0.0, 0.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    z.prod(1).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [[0, 0, 0], [6, 3, 2]])


def test_softmax_and_logsumexp_are_stable_for_huge_logits():
    x = ag.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    ls = x.log_softmax(-1)
    assert np.isfinite(ls.numpy()).all()
    np.testing.assert_allclose(x.softmax(-1).numpy(), [[1, 0, 0]], atol=1e-30)
    np.testing.assert_allclose(x.logsumexp(-1).numpy(), [1000.0])
    ls[0, 1].backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_repeated_integer_indices_accumulate():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 0, 1])
    y = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y[y > 0].sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1, 0, 1])


def test_norm_gradient_at_zero_is_zero_as_in_pytorch():
    x = ag.zeros(3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    y = ag.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    y.norm(dim=1).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0.6, 0.8], [0, 0]])


def test_integer_index_of_a_1d_tensor_is_a_view():
    x = ag.arange(3.0)
    v = x[1]
    assert v.shape == () and np.shares_memory(v.array, x.array)


def test_leaf_gradient_views_do_not_alias():
    # One gradient array reaches a directly and b through a transpose (a view of it).
    a = ag.ones(2, 3, requires_grad=True)
    b = ag.ones(3, 2, requires_grad=True)
    (a + b.T).sum().backward()
    a.grad.array *= 10
    np.testing.assert_array_equal(b.grad.numpy(), np.ones((3, 2)))
    # A transposed view that nothing else holds is kept without a copy.
    w = ag.ones(4, 3, requires_grad=True)
    x = ag.ones(2, 3)
    (x @ w.mT).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * np.ones((4, 3)))
    w.grad.array += 1  # writable, and its own
    assert w.grad.numpy()[0, 0] == 3
