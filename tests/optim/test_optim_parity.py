"""PyTorch parity of the optimizers' surface: constructor signatures and param-group keys,
the implementation flags (``foreach``, ``fused``, ``capturable``, ``differentiable``),
Tensor hyperparameters (with the schedulers), state kept as Tensors, and state dicts that
load both ways between this engine and PyTorch."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autograd_engine as ag
import optim
from optim import lr_scheduler

ALL = [
    "SGD",
    "Adam",
    "AdamW",
    "Adagrad",
    "RMSprop",
    "NAdam",
    "Adamax",
    "Adadelta",
    "RAdam",
    "Rprop",
    "ASGD",
]
FLAGS = ("foreach", "fused", "capturable", "differentiable")


def _param():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    p.grad = ag.tensor([0.5, -0.5])
    return p


def _signature(cls):
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self"
    ]


@pytest.mark.parametrize("name", [*ALL, "LBFGS", "SparseAdam"])
def test_constructor_signature_matches_torch(torch, name):
    """Names, order, positional/keyword-only kinds and defaults are PyTorch's."""
    assert _signature(getattr(optim, name)) == _signature(getattr(torch.optim, name))


@pytest.mark.parametrize("name", ALL)
def test_param_group_keys_and_defaults_match_torch(torch, name):
    group = getattr(optim, name)([_param()]).param_groups[0]
    ref = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).param_groups[0]
    assert group.keys() == ref.keys()
    for key in group.keys() - {"params"}:
        assert group[key] == ref[key], key


def _trajectory(torch, mlp, name, kwargs, ref_kwargs=None, steps=30):
    return mlp.run_pair(torch, name, kwargs, ref_kwargs, steps=steps)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9, "foreach": True}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "fused": True}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "foreach": False, "fused": False}),
        ("Adam", {"lr": 0.01, "foreach": True}),
        ("Adam", {"lr": 0.01, "fused": True}),
        ("AdamW", {"lr": 0.01, "fused": True, "amsgrad": True}),
        ("Adagrad", {"lr": 0.1, "fused": True}),
        ("RMSprop", {"lr": 0.01, "foreach": True, "momentum": 0.5}),
        ("NAdam", {"lr": 0.01, "foreach": False}),
        ("Adamax", {"lr": 0.01, "foreach": True}),
    ],
)
def test_implementation_flags_keep_the_trajectory(torch, mlp, name, kwargs):
    """foreach/fused select PyTorch's implementation; here there is one, so the trajectory
    is the default one, bit for bit, and still PyTorch's (whose fused CPU kernels are
    accepted on the CPU as here)."""
    plain = {k: v for k, v in kwargs.items() if k not in FLAGS}
    ours, theirs = _trajectory(torch, mlp, name, kwargs)
    default, _ = _trajectory(torch, mlp, name, plain)
    for a, b, c in zip(ours, default, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_and_foreach_together_raise_like_torch(torch, name):
    message = "`fused` and `foreach` cannot be `True` together."
    with pytest.raises(RuntimeError, match=message):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match=message):
        getattr(optim, name)([_param()], fused=True, foreach=True)


@pytest.mark.parametrize("name", ALL)
def test_differentiable_is_refused_with_the_reason(name):
    with pytest.raises(RuntimeError, match="differentiable=True is not supported: .* in place"):
        getattr(optim, name)([_param()], differentiable=True)
    opt = getattr(optim, name)([_param()])
    with pytest.raises(RuntimeError, match="differentiable=True is not supported"):
        opt.add_param_group({"params": [_param()], "differentiable": True})


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "NAdam", "Adamax"])
def test_capturable_on_cpu_params_fails_at_step_like_torch(torch, name):
    ref = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], capturable=True)
    ref.param_groups[0]["params"][0].grad = torch.ones(2)
    with pytest.raises(AssertionError, match="If capturable=True, params"):
        ref.step()
    opt = getattr(optim, name)([_param()], capturable=True)
    with pytest.raises(RuntimeError, match=r"If capturable=True, params .* is on cpu"):
        opt.step()


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"momentum": 0.9}),
        ("SGD", {"momentum": 0.9, "weight_decay": 0.1, "nesterov": True}),
        ("Adam", {}),
        ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
        ("AdamW", {"weight_decay": 0.1}),
        ("Adagrad", {"lr_decay": 0.01}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("Adamax", {}),
    ],
)
def test_tensor_lr_trajectory_matches_torch(torch, mlp, name, kwargs):
    """``lr=tensor(0.01)``: PyTorch computes the step scalars in the Tensor's float32
    (``lr / bias_correction``); the rules read a Tensor hyperparameter as a NumPy float32
    scalar, which rounds the same way, so float64 trajectories agree to the last bits."""
    ours, theirs = _trajectory(
        torch,
        mlp,
        name,
        {"lr": ag.tensor(0.01), **kwargs},
        {"lr": torch.tensor(0.01), **kwargs},
        steps=60,
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_tensor_betas_are_accepted_as_in_torch(torch, mlp):
    """Adam's betas as Tensors (both or neither). PyTorch computes ``lr / (1 - beta1**t)``
    through a float32 reciprocal, so the step size differs from ours at float32 rounding."""
    ours, theirs = _trajectory(
        torch,
        mlp,
        "Adam",
        {"lr": 0.01, "betas": (ag.tensor(0.9), ag.tensor(0.999))},
        {"lr": 0.01, "betas": (torch.tensor(0.9), torch.tensor(0.999))},
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-7)
    with pytest.raises(ValueError, match="betas must be either both floats or both Tensors"):
        optim.Adam([_param()], betas=(ag.tensor(0.9), 0.999))


@pytest.mark.parametrize(
    "name,make,message",
    [
        ("SGD", lambda m: {"lr": m.tensor([0.1, 0.2])}, "Tensor lr must be 1-element"),
        ("Adam", lambda m: {"lr": m.tensor(-1.0)}, "Invalid learning rate: -1.0"),
        (
            "Adam",
            lambda m: {"lr": m.tensor(0.01), "foreach": True},
            "lr as a Tensor is not supported for capturable=False and foreach=True",
        ),
        (
            "AdamW",
            lambda m: {"betas": (m.tensor(0.9), m.tensor(0.99)), "foreach": True},
            r"betas\[0\] as a Tensor is not supported for capturable=False and foreach=True",
        ),
    ],
)
def test_tensor_hyperparameter_errors_match_torch(torch, name, make, message):
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **make(torch))
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([_param()], **make(ag))


def test_tensor_hyperparameter_of_several_elements_is_refused():
    with pytest.raises(ValueError, match=r"Tensor betas\[0\] must be 1-element"):
        optim.Adam([_param()], betas=(ag.tensor([0.9, 0.8]), ag.tensor(0.99)))
    with pytest.raises(ValueError, match="Tensor weight_decay must be 1-element"):
        optim.SGD([_param()], weight_decay=ag.tensor([0.1, 0.2]))


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 6], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=5),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95**e),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=20),
    "CyclicLR": lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False
    ),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)],
        milestones=[2],
    ),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, patience=1),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_with_tensor_lr_matches_torch(torch, name):
    """A scheduler fills a Tensor ``lr`` in place (the group keeps its Tensor, as PyTorch's
    ``_update_param_group_val`` does) and gives PyTorch's float32 sequence exactly;
    ``get_last_lr`` returns copies."""
    p, q = _param(), torch.tensor([1.0, 2.0], requires_grad=True)
    lr, ref_lr = ag.tensor(0.1), torch.tensor(0.1)
    opt = optim.SGD([p], lr=lr, momentum=0.9)
    ref = torch.optim.SGD([q], lr=ref_lr, momentum=0.9)
    sched = SCHEDULERS[name](lr_scheduler, opt)
    ref_sched = SCHEDULERS[name](torch.optim.lr_scheduler, ref)
    for _ in range(20):
        q.grad = torch.tensor([0.5, -0.5])
        opt.step()
        ref.step()
        args = (1.0,) if name == "ReduceLROnPlateau" else ()
        sched.step(*args)
        ref_sched.step(*args)
        assert opt.param_groups[0]["lr"] is lr
        assert lr.item() == ref_lr.item()
        last = sched.get_last_lr()[0]
        assert isinstance(last, ag.Tensor) and last is not lr and last.item() == lr.item()


def test_state_values_are_tensors_updated_in_place():
    """``opt.state[p]["exp_avg"]`` is a Tensor (as PyTorch keeps it) that later steps update
    in place, so a reference read once follows the optimizer; ``step`` is a 0-d float32
    Tensor on the CPU."""
    p = _param()
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    state = opt.state[p]
    exp_avg, step = state["exp_avg"], state["step"]
    assert isinstance(exp_avg, ag.Tensor) and exp_avg.shape == p.shape and exp_avg.dtype == p.dtype
    assert not exp_avg.requires_grad
    assert step.shape == () and step.dtype == ag.float32 and step.device.type == "cpu"
    before = exp_avg.numpy().copy()
    opt.step()
    assert opt.state[p]["exp_avg"] is exp_avg and step.item() == 2.0
    assert not np.array_equal(exp_avg.numpy(), before)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("Adam", {"lr": 0.01, "amsgrad": True}),
        ("AdamW", {"lr": 0.01}),
        ("Adagrad", {"lr": 0.1}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
        ("NAdam", {"lr": 0.01}),
        ("Adamax", {"lr": 0.01}),
    ],
)
def test_state_dicts_load_both_ways_with_torch(torch, mlp, name, kwargs):
    """Ten steps in one library, its state dict loaded into the other's optimizer (PyTorch's
    ``torch.Tensor`` values load here as they are; ours go to PyTorch as NumPy-backed
    tensors), then ten more steps on each side: the trajectories stay PyTorch's."""
    ours, theirs = mlp.ag_params(), mlp.torch_params(torch)
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)

    def steps(n, opt, ref):
        mlp.step_pair(torch, ours, theirs, opt, ref, n)

    steps(10, opt, ref)
    ours_again = getattr(optim, name)(ours, **kwargs)
    ours_again.load_state_dict(ref.state_dict())
    for state in ours_again.state.values():
        assert all(isinstance(v, ag.Tensor) for v in state.values())
    sd = opt.state_dict()
    for state in sd["state"].values():
        for key, value in state.items():
            state[key] = torch.from_numpy(value.numpy().copy())
    ref_again = getattr(torch.optim, name)(theirs, **kwargs)
    ref_again.load_state_dict(sd)
    steps(10, ours_again, ref_again)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize(
    "name,kwargs",
    [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("NAdam", {"lr": 0.01})],
)
def test_state_dicts_of_the_array_era_still_load(mlp, name, kwargs):
    """Checkpoints written before state became Tensors hold NumPy arrays and Python float
    counters (``step``, NAdam's ``mu_product``); they load as Tensors and resume exactly."""
    params = mlp.ag_params()
    opt = getattr(optim, name)(params, **kwargs)
    for _ in range(5):
        mlp.set_ag_grads(params)
        opt.step()
    sd = opt.state_dict()
    for state in sd["state"].values():
        for key, value in state.items():
            state[key] = value.item() if value.shape == () else value.numpy()
    resumed = [ag.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    opt2 = getattr(optim, name)(resumed, **kwargs)
    opt2.load_state_dict(sd)
    for state in opt2.state.values():
        assert all(isinstance(v, ag.Tensor) for v in state.values())
        if "step" in state:
            assert state["step"].dtype == ag.float32
    for ps, o in ((params, opt), (resumed, opt2)):
        for _ in range(5):
            mlp.set_ag_grads(ps)
            o.step()
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_step_counter_rounds_in_float32_like_torch(torch):
    """``step`` is a float32 counter in both libraries: past 2**24 it stops advancing, and
    the bias corrections use the rounded count."""
    p, q = _param(), torch.tensor([1.0, 2.0], requires_grad=True)
    opt, ref = optim.Adam([p], lr=0.1), torch.optim.Adam([q], lr=0.1)
    q.grad = torch.tensor([0.5, -0.5])
    opt.step()
    ref.step()
    opt.state[p]["step"].fill_(2.0**24 - 1)
    ref.state[q]["step"].fill_(2.0**24 - 1)
    for _ in range(3):
        opt.step()
        ref.step()
        assert opt.state[p]["step"].item() == ref.state[q]["step"].item()
    assert opt.state[p]["step"].item() == 2.0**24
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-6)


def test_sparse_adam_explains_that_there_are_no_sparse_gradients():
    with pytest.raises(
        NotImplementedError, match=r"SparseAdam needs sparse gradients.*optim\.Adam"
    ):
        optim.SparseAdam([_param()], lr=1e-3)


@pytest.mark.parametrize("name", sorted(set(lr_scheduler.__all__) - {"PowerLR"}))
def test_scheduler_signature_matches_torch(torch, name):
    assert _signature(getattr(lr_scheduler, name)) == _signature(
        getattr(torch.optim.lr_scheduler, name)
    )


def test_swa_utils_names_and_signatures_match_torch(torch):
    from optim import swa_utils

    assert sorted(swa_utils.__all__) == sorted(torch.optim.swa_utils.__all__)
    for name in ("AveragedModel", "SWALR"):
        assert _signature(getattr(swa_utils, name)) == _signature(
            getattr(torch.optim.swa_utils, name)
        )
    for name in ("get_ema_avg_fn", "get_ema_multi_avg_fn", "update_bn"):
        ours = inspect.signature(getattr(swa_utils, name)).parameters
        theirs = inspect.signature(getattr(torch.optim.swa_utils, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ]
