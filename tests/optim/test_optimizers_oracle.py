"""Optimizer trajectories against PyTorch's: the same MLP, the same float64 start, the same
gradients, 60 steps; parameters must agree to rtol 1e-6. (They agree to about 1e-13: the
update formulas are PyTorch's operation for operation, and the remaining last-bit differences
come from ATen fusing ``a + alpha * b`` into one FMA instruction, which NumPy cannot do.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import optim

STEPS = 60

# (optimizer name, constructor kwargs): every option that changes the update rule.
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.002, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.8, "centered": True, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.999)}),  # beta1 < 0.5: lerp's other branch
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "betas": (0.7, 0.95), "maximize": True}),
    ("Adamax", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "eps": 1e-3, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"rho": 0.95, "maximize": True}),
    ("RAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),  # rho_t > 5 from step 7
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.3, 0.5), "maximize": True}),  # rho_t never > 5
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.2)}),
    ("Rprop", {"lr": 0.001, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 10, "weight_decay": 0.05}),
    ("ASGD", {"lr": 0.01, "t0": 0, "maximize": True}),
]


def _case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _run_pair(torch, problem, name, kwargs, groups=None, steps=STEPS):
    """Step our optimizer and PyTorch's side by side; return both final parameter lists."""
    return problem.run_pair(torch, name, kwargs, groups=groups, steps=steps)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch(torch, mlp, case):
    name, kwargs = case
    ours, theirs = _run_pair(torch, mlp, name, kwargs)
    for a, b in zip(ours, theirs):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
        assert a.dtype == np.float64


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "NAdam"])
def test_param_groups_match_torch(torch, mlp, name):
    """Two groups with their own hyperparameters: weights decayed, biases not."""

    def groups(params):
        w1, b1, w2, b2 = params
        return [
            {"params": [w1, w2], "weight_decay": 0.1},
            {"params": [b1, b2], "lr": 0.003},
        ]

    kwargs = {"lr": 0.01, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.01}
    ours, theirs = _run_pair(torch, mlp, name, kwargs, groups=groups)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adamax"])
def test_float32_trajectory_matches_torch(torch, mlp_problem, name):
    """float32 parameters keep float32 state and follow PyTorch's float32 trajectory."""
    problem = mlp_problem(dtype=np.float32)
    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    ours, theirs = _run_pair(torch, problem, name, kwargs, steps=30)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_params_without_grad_are_skipped_like_torch(torch, mlp):
    """A parameter whose grad is None is not stepped and gets no state (as in PyTorch)."""
    ours = mlp.ag_params()
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in mlp.init]
    opt, ref = optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    for step in range(10):
        problem_grads = mlp.grads([p.array for p in ours])
        for i, (p, q, g) in enumerate(zip(ours, theirs, problem_grads)):
            frozen = i == 1 and step < 5
            p.grad = None if frozen else ag.tensor(g)
            q.grad = None if frozen else torch.from_numpy(g.copy())
        opt.step()
        ref.step()
        assert sorted(opt.state_dict()["state"]) == sorted(ref.state_dict()["state"])
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-6, atol=1e-12)
    assert opt.state[ours[1]]["step"].item() == ref.state[theirs[1]]["step"].item() == 5.0


def test_closure_is_called_and_its_loss_returned(mlp):
    params = mlp.ag_params()
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(ag.is_grad_enabled())
        mlp.set_ag_grads(params)
        return mlp.loss([p.array for p in params])

    with ag.no_grad():
        loss = opt.step(closure)
    assert calls == [True]  # the closure runs with grad enabled, as in PyTorch
    assert loss == pytest.approx(mlp.loss(mlp.init))


def test_trajectory_with_engine_autograd_matches_torch(torch, mlp):
    """The MLP written with engine ops, gradients from its backward, against PyTorch."""
    params = mlp.ag_params()
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in mlp.init]
    opt, ref = optim.AdamW(params, lr=0.01), torch.optim.AdamW(theirs, lr=0.01)
    x, y = ag.tensor(mlp.x), ag.tensor(mlp.y)
    tx, ty = torch.from_numpy(mlp.x), torch.from_numpy(mlp.y)
    for _ in range(STEPS):
        w1, b1, w2, b2 = params
        loss = (((x @ w1 + b1).relu() @ w2 + b2 - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        w1, b1, w2, b2 = theirs
        ref_loss = (((tx @ w1 + b1).relu() @ w2 + b2 - ty) ** 2).mean()
        ref.zero_grad()
        ref_loss.backward()
        ref.step()
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-6, atol=1e-12)


def _scalar_param_trajectory(torch, name, kwargs, steps=25):
    """A 0-d parameter used twice in one graph (``w * c + w * w``): its gradient is the sum
    of two contributions. Our engine's backward against PyTorch's, step by step."""
    w = ag.tensor(np.float64(0.7), requires_grad=True)
    tw = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    opt, ref = getattr(optim, name)([w], **kwargs), getattr(torch.optim, name)([tw], **kwargs)
    for _ in range(steps):
        for param, o in ((w, opt), (tw, ref)):
            o.zero_grad()
            loss = (param * 3.0 - 1.0) ** 2 + param * param
            loss.backward()
            o.step()
        np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-12, atol=1e-14)
    return opt, w


def test_scalar_param_used_twice_sgd_momentum_matches_torch(torch):
    """Issue 16: the summed gradient of a 0-d parameter used twice once arrived as a NumPy
    scalar; SGD stored it as the momentum buffer, ``buf *= momentum`` then rebound a local
    instead of updating the state, and training diverged. The buffer is a new array of the
    parameter's shape whatever the gradient's container."""
    opt, w = _scalar_param_trajectory(torch, "SGD", {"lr": 0.05, "momentum": 0.9})
    buf = opt.state[w]["momentum_buffer"]
    assert isinstance(buf.array, np.ndarray) and buf.shape == () and buf.dtype == ag.float64


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "Adamax"])
def test_scalar_param_used_twice_matches_torch(torch, name):
    """Every rule on a 0-d parameter: NumPy turns operations on 0-d arrays into scalars, so
    the rules get 1-element views; the state stays 0-d, in the parameter's shape."""
    opt, w = _scalar_param_trajectory(torch, name, {"lr": 0.05})
    for value in opt.state[w].values():
        assert value.shape == ()


def test_asgd_average_matches_torch(torch, mlp):
    """ASGD's running average of the iterates (``ax``, the model to evaluate), with
    averaging started after ``t0`` steps, and its float32 ``eta``/``mu``."""
    ours, theirs = mlp.ag_params(), mlp.torch_params(torch)
    kwargs = {"lr": 0.05, "lambd": 1e-3, "t0": 10}
    opt, ref = optim.ASGD(ours, **kwargs), torch.optim.ASGD(theirs, **kwargs)
    mlp.step_pair(torch, ours, theirs, opt, ref, STEPS)
    for p, q in zip(ours, theirs):
        state, ref_state = opt.state[p], ref.state[q]
        np.testing.assert_allclose(state["ax"].numpy(), ref_state["ax"].numpy(), rtol=1e-12)
        for key in ("eta", "mu", "step"):
            assert state[key].item() == ref_state[key].item(), key
            assert state[key].dtype == ag.float32
