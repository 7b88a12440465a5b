"""Optimizer state dicts: PyTorch's layout, snapshots, bit-identical resumption (in memory and
through a checkpoint file), casting on load, and loads that fail cleanly."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import optim
from autograd_engine.training import load, save

STATEFUL = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("Adadelta", {"lr": 0.5}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Rprop", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 5}),
]
IDS = [name for name, _ in STATEFUL]


def _train(problem, params, opt, steps):
    for _ in range(steps):
        problem.set_ag_grads(params)
        opt.step()


def _copy_params(params):
    return [ag.tensor(p.array.copy(), requires_grad=True) for p in params]


@pytest.mark.parametrize(("name", "kwargs"), STATEFUL, ids=IDS)
def test_resume_from_state_dict_is_bit_identical(mlp, tmp_path, name, kwargs):
    params = mlp.ag_params()
    opt = getattr(optim, name)(params, **kwargs)
    _train(mlp, params, opt, 20)
    saved_params, saved_state = _copy_params(params), opt.state_dict()
    save({"params": [p.array for p in params], "optim": saved_state}, tmp_path / "ckpt")
    _train(mlp, params, opt, 20)

    resumed = _copy_params(saved_params)
    opt2 = getattr(optim, name)(resumed, **kwargs)
    opt2.load_state_dict(saved_state)
    _train(mlp, resumed, opt2, 20)

    ckpt = load(tmp_path / "ckpt")
    from_file = [ag.tensor(a, requires_grad=True) for a in ckpt["params"]]
    opt3 = getattr(optim, name)(from_file, **kwargs)
    opt3.load_state_dict(ckpt["optim"])
    _train(mlp, from_file, opt3, 20)

    for p, q, r in zip(params, resumed, from_file):
        np.testing.assert_array_equal(p.array, q.array)
        np.testing.assert_array_equal(p.array, r.array)


@pytest.mark.parametrize(("name", "kwargs"), STATEFUL, ids=IDS)
def test_layout_matches_torch(torch, mlp, name, kwargs):
    """Same state keys and values per parameter index, same group keys and index lists."""
    ours = mlp.ag_params()
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in mlp.init]

    def groups(ps):
        return [{"params": [ps[0], ps[2]]}, {"params": [ps[1], ps[3]], "lr": 0.001}]

    opt = getattr(optim, name)(groups(ours), **kwargs)
    ref = getattr(torch.optim, name)(groups(theirs), **kwargs)
    for _ in range(3):
        mlp.set_ag_grads(ours)
        for p, g in zip(theirs, mlp.grads([p.detach().numpy() for p in theirs])):
            p.grad = torch.from_numpy(g)
        opt.step()
        ref.step()
    sd, ref_sd = opt.state_dict(), ref.state_dict()

    assert sd["state"].keys() == ref_sd["state"].keys()
    for index, state in sd["state"].items():
        ref_state = ref_sd["state"][index]
        assert list(state) == list(ref_state)
        for key, value in state.items():
            expected = ref_state[key].detach()
            assert isinstance(value, ag.Tensor), key  # Tensors, as PyTorch keeps them
            assert value.shape == tuple(expected.shape), key
            assert str(value.dtype) == str(expected.dtype).replace("torch.", "autograd_engine."), (
                key
            )
            np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-10)
    for group, ref_group in zip(sd["param_groups"], ref_sd["param_groups"]):
        assert group.keys() == ref_group.keys()  # the implementation flags included
        assert group["params"] == ref_group["params"]
        for key in group:
            assert group[key] == ref_group[key], key


def test_state_dict_is_a_snapshot(mlp):
    params = mlp.ag_params()
    opt = optim.Adam(params, lr=0.01)
    _train(mlp, params, opt, 3)
    sd = opt.state_dict()
    before = sd["state"][0]["exp_avg"].numpy().copy()
    _train(mlp, params, opt, 3)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].numpy(), before)
    assert sd["state"][0]["step"].item() == 3.0
    assert opt.state[params[0]]["step"].item() == 6.0


def test_load_copies_the_arrays(mlp):
    params = mlp.ag_params()
    opt = optim.SGD(params, lr=0.01, momentum=0.9)
    _train(mlp, params, opt, 3)
    sd = opt.state_dict()
    opt2 = optim.SGD(_copy_params(params), lr=0.01, momentum=0.9)
    opt2.load_state_dict(sd)
    sd["state"][0]["momentum_buffer"].fill_(123.0)
    sd["param_groups"][0]["lr"] = 5.0
    assert not np.any(next(iter(opt2.state.values()))["momentum_buffer"].numpy() == 123.0)
    assert opt2.param_groups[0]["lr"] == 0.01


def test_load_casts_floating_state_to_param_dtype(mlp):
    params = mlp.ag_params()
    opt = optim.Adam(params, lr=0.01)
    _train(mlp, params, opt, 2)
    sd = opt.state_dict()
    for state in sd["state"].values():
        state["exp_avg"] = state["exp_avg"].float()
    opt2 = optim.Adam(_copy_params(params), lr=0.01)
    opt2.load_state_dict(sd)
    for state in opt2.state.values():
        assert state["exp_avg"].dtype == ag.float64
        assert state["step"].dtype == ag.float32 and state["step"].shape == ()


def test_load_restores_hyperparameters_and_keeps_params(mlp):
    params = mlp.ag_params()
    opt = optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=0.1)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2, 3]
    others = _copy_params(params)
    opt2 = optim.SGD([{"params": others[:2]}, {"params": others[2:]}], lr=0.9)
    opt2.load_state_dict(sd)
    assert [g["lr"] for g in opt2.param_groups] == [0.1, 0.5]
    assert opt2.param_groups[1]["params"][0] is others[2]


def test_named_parameters_are_kept_in_groups(mlp):
    params = mlp.ag_params()
    named = list(zip(["w1", "b1", "w2", "b2"], params))
    opt = optim.SGD(named, lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w1", "b1", "w2", "b2"]
    assert opt.param_groups[0]["params"][0] is params[0]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w1", "b1", "w2", "b2"]


def _adam_with_state(mlp):
    params = mlp.ag_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
    _train(mlp, params, opt, 2)
    return params, opt


def test_load_rejects_a_different_number_of_groups(mlp):
    params, opt = _adam_with_state(mlp)
    other = optim.Adam(_copy_params(params), lr=0.01)
    with pytest.raises(ValueError, match="different number of parameter groups: it has 2, .* 1"):
        other.load_state_dict(opt.state_dict())


def test_load_rejects_mismatched_group_sizes(mlp):
    params, opt = _adam_with_state(mlp)
    ps = _copy_params(params)
    other = optim.Adam([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.01)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group: group 0"):
        other.load_state_dict(opt.state_dict())


def test_load_rejects_an_unknown_parameter_index(mlp):
    params, opt = _adam_with_state(mlp)
    sd = opt.state_dict()
    sd["state"][7] = sd["state"][0]
    other = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
    with pytest.raises(ValueError, match="state for parameter index 7, which no parameter group"):
        other.load_state_dict(sd)


def test_failed_load_leaves_the_optimizer_unchanged(mlp):
    """State for another model (same group sizes, other shapes) is refused before any change."""
    params, opt = _adam_with_state(mlp)
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 99.0
    sd["state"][1]["exp_avg"] = np.zeros((5, 5))
    before = {k: v.numpy().copy() for k, v in opt.state[params[0]].items() if k != "step"}
    with pytest.raises(ValueError, match=r"'exp_avg' of shape \(5, 5\) for parameter index 1"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.01
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state[params[0]][key].numpy(), value)


def test_load_rejects_bad_hyperparameters(mlp):
    params, opt = _adam_with_state(mlp)
    sd = opt.state_dict()
    sd["param_groups"][1]["betas"] = (0.9, 1.5)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.5"):
        opt.load_state_dict(sd)
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize(("name", "kwargs"), STATEFUL, ids=IDS)
def test_runs_on_every_device_with_state_on_the_param_device(device, mlp, name, kwargs):
    """The same update code on NumPy and CuPy: the trajectory on ``device`` follows the CPU
    one, state lives on the parameter's device, and state dicts move between devices."""
    from autograd_engine.array_backend import get_array_module

    cpu_params, params = mlp.ag_params(), mlp.ag_params(device)
    cpu_opt = getattr(optim, name)(cpu_params, **kwargs)
    opt = getattr(optim, name)(params, **kwargs)
    _train(mlp, cpu_params, cpu_opt, 10)
    _train(mlp, params, opt, 10)

    def xp_of(value):
        return get_array_module(value.array if isinstance(value, ag.Tensor) else value)

    for p, q in zip(params, cpu_params):
        np.testing.assert_allclose(p.numpy(), q.array, rtol=1e-10, atol=1e-14)
        for key, value in opt.state[p].items():
            if getattr(value, "ndim", 0) > 0:  # 0-d step counters stay on the CPU, as in PyTorch
                assert xp_of(value) is xp_of(p.array), key

    moved = mlp.ag_params(device)
    opt_moved = getattr(optim, name)(moved, **kwargs)
    opt_moved.load_state_dict(cpu_opt.state_dict())  # host arrays onto the device
    for p in moved:
        for key, value in opt_moved.state[p].items():
            if getattr(value, "ndim", 0) > 0:
                assert xp_of(value) is xp_of(p.array), key
