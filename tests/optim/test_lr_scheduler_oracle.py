"""Every scheduler's learning-rate (and momentum) sequence over a few hundred steps against
PyTorch's, and scheduler state dicts that resume the same sequence."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_engine as ag
import optim
from autograd_engine.training import load, save

STEPS = 300


class Scale:
    """A callable object: its state (``factor``) is saved in the scheduler's state dict."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, epoch):
        return self.factor**epoch


# name -> (optimizer name, optimizer kwargs, scheduler factory(lr_scheduler module, optimizer))
CASES = {
    "LambdaLR": ("SGD", {}, lambda s, o: s.LambdaLR(o, lambda e: 0.95**e)),
    "LambdaLR-per-group": (
        "SGD",
        {},
        lambda s, o: s.LambdaLR(o, [lambda e: 1 / (1 + e), Scale(0.99)]),
    ),
    "MultiplicativeLR": ("SGD", {}, lambda s, o: s.MultiplicativeLR(o, lambda e: 0.97)),
    "StepLR": ("SGD", {}, lambda s, o: s.StepLR(o, step_size=30, gamma=0.5)),
    "MultiStepLR": ("SGD", {}, lambda s, o: s.MultiStepLR(o, [30, 80, 80, 150], gamma=0.3)),
    "ConstantLR": ("SGD", {}, lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=40)),
    "LinearLR": ("SGD", {}, lambda s, o: s.LinearLR(o, 0.1, 0.9, total_iters=50)),
    "ExponentialLR": ("SGD", {}, lambda s, o: s.ExponentialLR(o, gamma=0.98)),
    "PolynomialLR": ("SGD", {}, lambda s, o: s.PolynomialLR(o, total_iters=200, power=2.0)),
    "CosineAnnealingLR": ("SGD", {}, lambda s, o: s.CosineAnnealingLR(o, T_max=50, eta_min=1e-3)),
    "CosineAnnealingWarmRestarts": (
        "SGD",
        {},
        lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=1e-4),
    ),
    "CosineAnnealingWarmRestarts-Tmult1": (
        "SGD",
        {},
        lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=17),
    ),
    "CyclicLR-triangular": (
        "SGD",
        {"momentum": 0.9},
        lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=20),
    ),
    "CyclicLR-triangular2": (
        "SGD",
        {"momentum": 0.9},
        lambda s, o: s.CyclicLR(
            o, [0.01, 0.02], [0.1, 0.3], step_size_up=15, step_size_down=35, mode="triangular2"
        ),
    ),
    "CyclicLR-exp_range-adam": (
        "Adam",
        {},
        lambda s, o: s.CyclicLR(
            o, 0.001, 0.01, step_size_up=25, mode="exp_range", gamma=0.995, max_momentum=0.95
        ),
    ),
    "CyclicLR-scale_fn-no-momentum": (
        "SGD",
        {},
        lambda s, o: s.CyclicLR(
            o,
            0.01,
            0.1,
            step_size_up=10,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
            cycle_momentum=False,
        ),
    ),
    "OneCycleLR-cos": (
        "SGD",
        {"momentum": 0.9},
        lambda s, o: s.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=STEPS),
    ),
    "OneCycleLR-linear-adam": (
        "Adam",
        {},
        lambda s, o: s.OneCycleLR(
            o, max_lr=0.01, epochs=10, steps_per_epoch=30, anneal_strategy="linear"
        ),
    ),
    "OneCycleLR-three_phase": (
        "AdamW",
        {},
        lambda s, o: s.OneCycleLR(
            o, max_lr=0.01, total_steps=STEPS, pct_start=0.25, three_phase=True, div_factor=10.0
        ),
    ),
    "OneCycleLR-no-momentum": (
        "Adagrad",
        {},
        lambda s, o: s.OneCycleLR(o, max_lr=0.05, total_steps=STEPS, cycle_momentum=False),
    ),
    "SequentialLR": (
        "SGD",
        {},
        lambda s, o: s.SequentialLR(
            o,
            [s.LinearLR(o, start_factor=0.1, total_iters=10), s.ExponentialLR(o, gamma=0.99)],
            milestones=[10],
        ),
    ),
    "SequentialLR-three": (
        "SGD",
        {},
        lambda s, o: s.SequentialLR(
            o,
            [
                s.ConstantLR(o, factor=0.5, total_iters=5),
                s.CosineAnnealingLR(o, T_max=90),
                s.StepLR(o, step_size=25, gamma=0.5),
            ],
            milestones=[5, 100],
        ),
    ),
    "ChainedScheduler": (
        "SGD",
        {},
        lambda s, o: s.ChainedScheduler(
            [s.ConstantLR(o, factor=0.5, total_iters=5), s.ExponentialLR(o, gamma=0.99)],
            optimizer=o,
        ),
    ),
}


def _make(lib, name, kwargs, factory, param):
    """An optimizer with two param groups (lr 0.1 and 0.05) and the scheduler over it."""
    opt = getattr(lib, name)([{"params": [param]}, {"params": [], "lr": 0.05}], lr=0.1, **kwargs)
    return opt, factory(lib.lr_scheduler, opt)


def _record(opt, scheduler, steps, metrics=None):
    """Per step: the scheduler's last lrs and each group's lr and momentum/beta1."""
    rows = []
    for t in range(steps):
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[t])
        row = list(scheduler.get_last_lr())
        for group in opt.param_groups:
            row.append(group["lr"])
            if "momentum" in group:
                row.append(group["momentum"])
            if "betas" in group:
                row.append(group["betas"][0])
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _ours(name, kwargs, factory):
    return _make(optim, name, kwargs, factory, ag.zeros(1, requires_grad=True))


def _theirs(torch, name, kwargs, factory):
    return _make(torch.optim, name, kwargs, factory, torch.zeros(1, requires_grad=True))


@pytest.mark.parametrize("case", list(CASES))
def test_sequence_matches_torch(torch, case):
    name, kwargs, factory = CASES[case]
    ours = _record(*_ours(name, kwargs, factory), STEPS)
    theirs = _record(*_theirs(torch, name, kwargs, factory), STEPS)
    np.testing.assert_array_equal(ours, theirs)


def _plateau_metrics(n=200):
    rng = np.random.default_rng(3)
    t = np.arange(n)
    metric = 1.0 / (1.0 + 0.1 * t)
    metric[60:] = metric[60] + 0.001 * rng.standard_normal(n - 60)
    metric[120:140] -= 0.05
    return [float(m) for m in metric]


PLATEAU = {
    "min-rel": {},
    "min-abs-cooldown": {"threshold_mode": "abs", "threshold": 1e-3, "cooldown": 3, "patience": 2},
    "max-rel": {"mode": "max", "factor": 0.5, "patience": 4},
    "max-abs-min_lr": {
        "mode": "max",
        "threshold_mode": "abs",
        "patience": 1,
        "min_lr": [0.02, 0.001],
    },
    "eps": {"factor": 0.9, "patience": 0, "eps": 1e-3},
}


@pytest.mark.parametrize("case", list(PLATEAU))
def test_reduce_lr_on_plateau_matches_torch(torch, case):
    metrics = _plateau_metrics()
    if PLATEAU[case].get("mode") == "max":
        metrics = [-m for m in metrics]

    def factory(s, o):
        return s.ReduceLROnPlateau(o, **PLATEAU[case])

    ours = _record(*_ours("SGD", {}, factory), len(metrics), metrics)
    theirs = _record(*_theirs(torch, "SGD", {}, factory), len(metrics), metrics)
    np.testing.assert_array_equal(ours, theirs)
    assert len(np.unique(ours[:, 0])) > 1  # the scripted metric does trigger cuts


def test_reduce_lr_on_plateau_takes_a_tensor_metric():
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    scheduler.step(ag.tensor(1.0))
    scheduler.step(ag.tensor(2.0))
    assert scheduler.get_last_lr() == [0.1]


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "MultiStepLR", "LinearLR"])
def test_deprecated_epoch_argument_matches_torch(torch, case):
    """``step(epoch)`` uses the closed form and warns, as in PyTorch."""
    name, kwargs, factory = CASES[case]
    ours, theirs = _ours(name, kwargs, factory), _theirs(torch, name, kwargs, factory)
    for epoch in [3, 10, 31, 7, 120]:
        with pytest.warns(UserWarning, match="epoch parameter"):
            ours[1].step(epoch)
        with pytest.warns(UserWarning):
            theirs[1].step(epoch)
        assert ours[1].get_last_lr() == pytest.approx(theirs[1].get_last_lr(), rel=1e-13)


def test_warm_restarts_fractional_epochs_match_torch(torch):
    name, kwargs, factory = CASES["CosineAnnealingWarmRestarts"]
    ours, theirs = _ours(name, kwargs, factory), _theirs(torch, name, kwargs, factory)
    for epoch in np.arange(0, 90, 0.25):
        ours[1].step(float(epoch))
        theirs[1].step(float(epoch))
        assert ours[1].get_last_lr() == pytest.approx(theirs[1].get_last_lr(), rel=1e-13)


RESUMABLE = [c for c in CASES if "LambdaLR" not in c and "scale_fn" not in c]


@pytest.mark.parametrize("case", RESUMABLE + ["LambdaLR-per-group"])
def test_state_dict_resumes_the_sequence(tmp_path, case):
    """Save optimizer and scheduler mid-run (through a checkpoint file), rebuild both, load:
    the rest of the sequence is the uninterrupted one."""
    name, kwargs, factory = CASES[case]
    opt, scheduler = _ours(name, kwargs, factory)
    _record(opt, scheduler, 120)
    save({"optim": opt.state_dict(), "sched": scheduler.state_dict()}, tmp_path / "ckpt")
    expected = _record(opt, scheduler, 150)

    ckpt = load(tmp_path / "ckpt")
    opt2, scheduler2 = _ours(name, kwargs, factory)
    opt2.load_state_dict(ckpt["optim"])
    scheduler2.load_state_dict(ckpt["sched"])
    np.testing.assert_array_equal(_record(opt2, scheduler2, 150), expected)


def test_multistep_state_from_a_file_keeps_its_closed_form(tmp_path):
    name, kwargs, factory = CASES["MultiStepLR"]
    opt, scheduler = _ours(name, kwargs, factory)
    save(scheduler.state_dict(), tmp_path / "sched")
    scheduler.load_state_dict(load(tmp_path / "sched"))
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(100)
    assert scheduler.get_last_lr() == pytest.approx([0.1 * 0.3**3, 0.05 * 0.3**3], rel=1e-15)


def test_lambda_state_saves_callable_objects_only():
    name, kwargs, factory = CASES["LambdaLR-per-group"]
    opt, scheduler = _ours(name, kwargs, factory)
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.99}]
    assert "optimizer" not in state
    state["lr_lambdas"][1] = {"factor": 0.5}
    scheduler.load_state_dict(state)
    assert scheduler.lr_lambdas[1].factor == 0.5


def test_initial_lr_is_recorded_and_base_lrs_read_from_it():
    p = ag.zeros(1, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [], "lr": 0.5}], lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert scheduler.base_lrs == [0.1, 0.5]
    assert scheduler.last_epoch == 0
    opt.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05, 0.25]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.5]


@pytest.mark.parametrize(
    "case", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "PolynomialLR", "LinearLR"]
)
def test_constructing_with_last_epoch_matches_torch(torch, case):
    """Resuming by ``last_epoch=k`` (PyTorch's older recipe) takes the same branches."""
    name, kwargs, _ = CASES[case]
    make = {
        "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5, last_epoch=10),
        "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9, last_epoch=10),
        "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=30, last_epoch=10),
        "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=40, last_epoch=10),
        "LinearLR": lambda s, o: s.LinearLR(o, 0.2, total_iters=20, last_epoch=10),
    }[case]

    def factory(s, o):
        for group in o.param_groups:
            group["initial_lr"] = group["lr"] * 2
        return make(s, o)

    ours = _record(*_ours(name, kwargs, factory), 60)
    theirs = _record(*_theirs(torch, name, kwargs, factory), 60)
    np.testing.assert_array_equal(ours, theirs)


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        optim.lr_scheduler.StepLR(opt, step_size=3, last_epoch=5)


def test_get_lr_outside_step_warns():
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()


def test_power_lr_follows_its_formula():
    for r, c in [(10.0, 1.0), (50, 0.5), (3, 2.0), (7.5, 0.0)]:
        opt = optim.SGD([{"params": [ag.zeros(1, requires_grad=True)]}, {"params": []}], lr=0.2)
        opt.param_groups[1]["lr"] = 0.03
        scheduler = optim.lr_scheduler.PowerLR(opt, r=r, c=c)
        assert scheduler.get_last_lr() == [0.2, 0.03]  # lr(0) = lr0
        for t in range(1, STEPS + 1):
            opt.step()
            scheduler.step()
            expected = [lr0 * (1 + t / r) ** (-c) for lr0 in (0.2, 0.03)]
            assert scheduler.get_last_lr() == pytest.approx(expected, rel=1e-12)


def test_power_lr_closed_form_and_chaining():
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    s = optim.lr_scheduler
    warmup = s.LinearLR(opt, start_factor=0.5, total_iters=4)
    power = s.PowerLR(opt, r=20)
    chained = s.ChainedScheduler([warmup, power])
    for t in range(1, 60):
        opt.step()
        chained.step()
        factor = 0.5 + 0.5 * min(t, 4) / 4
        assert chained.get_last_lr()[0] == pytest.approx(factor / (1 + t / 20), rel=1e-12)
    opt2 = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    power2 = s.PowerLR(opt2, r=20, c=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        power2.step(30)
    assert power2.get_last_lr()[0] == pytest.approx((1 + 30 / 20) ** -0.5, rel=1e-15)


def test_exponential_lr_gives_the_course_schedule():
    """lr(t) = lr0 * 10 ** (-t / r) is ExponentialLR with gamma = 10 ** (-1 / r)."""
    r, lr0 = 40, 0.3
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=lr0)
    scheduler = optim.lr_scheduler.ExponentialLR(opt, gamma=10 ** (-1 / r))
    for t in range(1, STEPS + 1):
        opt.step()
        scheduler.step()
        assert scheduler.get_last_lr()[0] == pytest.approx(lr0 * 10 ** (-t / r), rel=1e-12)
    assert math.isclose(scheduler.get_last_lr()[0], lr0 * 10 ** (-STEPS / r), rel_tol=1e-12)
