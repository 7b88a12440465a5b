"""Optimizer behaviour without an oracle: zero_grad, state, param groups, in-place updates,
hand-checked first steps, and convergence on a badly conditioned quadratic and a tiny net."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import optim
from optim import lr_scheduler

ALL = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Adamax"]


def _param(values=(1.0, -2.0, 3.0)):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_zero_grad_sets_none_by_default():
    p = _param()
    p.grad = ag.tensor(np.ones(3))
    optim.SGD([p], lr=0.1).zero_grad()
    assert p.grad is None


def test_zero_grad_can_fill_with_zeros_in_place():
    p = _param()
    p.grad = ag.tensor(np.ones(3))
    array = p.grad.array
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.array is array
    np.testing.assert_array_equal(array, 0.0)


@pytest.mark.parametrize("name", ALL)
def test_step_updates_in_place_and_leaves_grad_alone(name):
    """``p.array`` keeps its array; the gradient is read, never modified (even with
    weight decay and maximize, which PyTorch applies to a copy)."""
    p = _param()
    data = p.array
    grad = np.array([0.5, -1.0, 2.0])
    p.grad = ag.tensor(grad.copy())
    opt = getattr(optim, name)([p], lr=0.1, weight_decay=0.1, maximize=True)
    opt.step()
    assert p.array is data
    assert p.is_leaf and p.grad_fn is None
    np.testing.assert_array_equal(p.grad.array, grad)
    assert not np.array_equal(p.array, [1.0, -2.0, 3.0])


def test_backward_after_step_through_a_stale_graph_raises():
    """As in PyTorch: the step changes a value the graph saved, so backward refuses."""
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    p.grad = ag.tensor(np.ones(3))
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
        loss.backward()


def test_sgd_step_by_hand():
    p = _param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    assert len(opt.state) == 0
    p.grad = ag.tensor(np.array([1.0, 1.0, 1.0]))
    opt.step()
    g1 = 1.0 + 0.01 * np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(p.array, [1.0, -2.0, 3.0] - 0.1 * g1)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], g1)


def test_sgd_without_momentum_keeps_no_state():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    p.grad = ag.tensor(np.ones(3))
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_adam_first_step_is_lr_times_sign():
    """With zero moments, bias correction makes Adam's first step lr * g / (|g| + eps)."""
    p = _param()
    p.grad = ag.tensor(np.array([3.0, -0.5, 1e-3]))
    opt = optim.Adam([p], lr=0.01)
    opt.step()
    np.testing.assert_allclose(p.array, [0.99, -1.99, 2.99], rtol=1e-6)
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    assert state["step"] == 1.0
    assert state["exp_avg"].dtype == np.float64


def test_adagrad_creates_state_up_front():
    p, q = _param(), _param()
    opt = optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.5)
    assert opt.state[p]["step"] == 0.0
    np.testing.assert_array_equal(opt.state[p]["sum"], 0.5)
    opt.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    q.grad = ag.tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(opt.state[q]["sum"], 3.0)  # the group's own value + g**2
    assert opt.state[p]["step"] == 0.0  # p had no grad: not stepped


def test_add_param_group_fills_defaults_and_is_stepped():
    p, q = _param(), _param()
    opt = optim.Adam([p], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": q, "lr": 0.5})
    group = opt.param_groups[1]
    assert group["params"] == [q]
    assert group["lr"] == 0.5 and group["betas"] == (0.8, 0.9)
    q.grad = ag.tensor(np.ones(3))
    opt.step()
    np.testing.assert_allclose(q.array, np.array([1.0, -2.0, 3.0]) - 0.5, rtol=1e-6)


def test_repr_lists_groups():
    opt = optim.SGD([_param()], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text


def test_float32_state_stays_float32():
    p = ag.tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    opt = optim.NAdam([p], lr=0.01, weight_decay=0.1)
    for _ in range(3):
        p.grad = ag.tensor(np.full(4, 0.5, dtype=np.float32))
        opt.step()
    assert p.array.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))


def test_nadam_mu_product_is_rounded_to_float32():
    """PyTorch keeps mu_product in a float32 tensor; so do we, to follow its trajectory."""
    p = _param()
    opt = optim.NAdam([p])
    for _ in range(5):
        p.grad = ag.tensor(np.ones(3))
        opt.step()
    mu_product = opt.state[p]["mu_product"]
    assert mu_product == float(np.float32(mu_product))


CONVERGE = {
    "SGD": {"lr": 0.015, "momentum": 0.9},
    "SGD-nesterov": {"lr": 0.015, "momentum": 0.9, "nesterov": True},
    "Adagrad": {"lr": 0.5},
    "RMSprop": {"lr": 0.01},
    "Adam": {"lr": 0.1},
    "AdamW": {"lr": 0.1},
    "NAdam": {"lr": 0.1},
    "Adamax": {"lr": 0.1},
}


@pytest.mark.parametrize("case", list(CONVERGE))
def test_minimizes_a_badly_conditioned_quadratic(case):
    """f(x) = 0.5 * sum(h * x**2) with curvatures 1..100 (condition number 100), gradients
    from the engine's backward, lr annealed to 0 by a cosine schedule."""
    h = ag.tensor(np.logspace(0, 2, 10))
    x = ag.tensor(np.ones(10), requires_grad=True)
    opt = getattr(optim, case.split("-")[0])([x], **CONVERGE[case])
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=300)
    f0 = None
    for _ in range(300):
        opt.zero_grad()
        loss = 0.5 * (h * x * x).sum()
        f0 = f0 if f0 is not None else loss.item()
        loss.backward()
        opt.step()
        scheduler.step()
    assert (0.5 * (h * x * x).sum()).item() < 1e-6 * f0


TINY_NET = {
    "SGD": {"lr": 0.3, "momentum": 0.9},
    "Adagrad": {"lr": 0.3},
    "RMSprop": {"lr": 0.01},
    "Adam": {"lr": 0.03},
    "AdamW": {"lr": 0.03},
    "NAdam": {"lr": 0.03},
    "Adamax": {"lr": 0.05},
}


@pytest.mark.parametrize("name", list(TINY_NET))
def test_trains_a_tiny_two_layer_net(name):
    """XOR quadrants (200 points) with a 2-32-2 ReLU net and cross-entropy, full batch, biases
    in a group without weight decay; 300 steps reach near-perfect training accuracy."""
    rng = np.random.default_rng(0)
    features = rng.uniform(-1, 1, (200, 2))
    labels = (features[:, 0] * features[:, 1] > 0).astype(np.int64)
    x, target = ag.tensor(features), ag.tensor(np.eye(2)[labels])
    w1 = ag.tensor(rng.standard_normal((2, 32)), requires_grad=True)
    b1 = ag.tensor(np.zeros(32), requires_grad=True)
    w2 = ag.tensor(rng.standard_normal((32, 2)) * 0.3, requires_grad=True)
    b2 = ag.tensor(np.zeros(2), requires_grad=True)
    opt = getattr(optim, name)(
        [{"params": [w1, w2], "weight_decay": 1e-4}, {"params": [b1, b2]}], **TINY_NET[name]
    )
    for _ in range(300):
        logits = (x @ w1 + b1).relu() @ w2 + b2
        loss = -(logits.log_softmax(dim=1) * target).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = (logits.array.argmax(1) == labels).mean()
    assert loss.item() < 0.1
    assert accuracy >= 0.97
