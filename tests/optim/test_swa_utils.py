"""optim.swa_utils against torch.optim.swa_utils: averaged weights and buffers (SWA, EMA by
avg_fn and by multi_avg_fn, with and without buffers) along the same training run,
update_bn's batch-norm statistics, SWALR's learning rates, state dicts and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
import optim
from optim import lr_scheduler, swa_utils


def _models(torch):
    """The same float64 model in both libraries: Linear, BatchNorm1d, ReLU, Linear."""
    ref = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
    ).double()
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).double()
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    return ours, ref


def _batches(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 4)), rng.standard_normal((16, 2))) for _ in range(n)]


def _train_step(torch, ours, ref, opt, ref_opt, x, y):
    opt.zero_grad()
    ((ours(ag.tensor(x)) - ag.tensor(y)) ** 2).mean().backward()
    opt.step()
    ref_opt.zero_grad()
    ((ref(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean().backward()
    ref_opt.step()


def _assert_same_state(averaged, ref_averaged, rtol=1e-10):
    sd, ref_sd = averaged.state_dict(), ref_averaged.state_dict()
    assert list(sd) == list(ref_sd)
    for key, value in sd.items():
        np.testing.assert_allclose(
            value.numpy(), ref_sd[key].numpy(), rtol=rtol, atol=1e-12, err_msg=key
        )


AVERAGES = {
    "swa": lambda m, model: m.AveragedModel(model),
    "swa-buffers": lambda m, model: m.AveragedModel(model, use_buffers=True),
    "ema-multi": lambda m, model: m.AveragedModel(model, multi_avg_fn=m.get_ema_multi_avg_fn(0.9)),
    "ema-multi-buffers": lambda m, model: m.AveragedModel(
        model, multi_avg_fn=m.get_ema_multi_avg_fn(0.8), use_buffers=True
    ),
    "ema-fn": lambda m, model: m.AveragedModel(model, avg_fn=m.get_ema_avg_fn(0.9)),
    "swa-fn": lambda m, model: m.AveragedModel(model, avg_fn=m.get_swa_avg_fn()),
    "swa-multi": lambda m, model: m.AveragedModel(model, multi_avg_fn=m.get_swa_multi_avg_fn()),
}


@pytest.mark.parametrize("kind", sorted(AVERAGES))
def test_averaged_model_matches_torch(torch, kind):
    ours, ref = _models(torch)
    averaged = AVERAGES[kind](swa_utils, ours)
    ref_averaged = AVERAGES[kind](torch.optim.swa_utils, ref)
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for x, y in _batches():
        _train_step(torch, ours, ref, opt, ref_opt, x, y)
        averaged.update_parameters(ours)
        ref_averaged.update_parameters(ref)
        _assert_same_state(averaged, ref_averaged)
    assert averaged.n_averaged.item() == 6 and averaged.n_averaged.dtype == ag.int64
    x = _batches(1, seed=1)[0][0]
    averaged.eval()
    ref_averaged.eval()
    np.testing.assert_allclose(
        averaged(ag.tensor(x)).numpy(),
        ref_averaged(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-10,
    )


def test_averaged_model_is_a_copy_and_loads_torchs_state_dict(torch):
    ours, ref = _models(torch)
    averaged = swa_utils.AveragedModel(ours)
    assert averaged.module is not ours
    assert all(a is not b for a, b in zip(averaged.parameters(), ours.parameters()))
    ref_averaged = torch.optim.swa_utils.AveragedModel(ref)
    ref_averaged.update_parameters(ref)
    averaged.load_state_dict({k: v.numpy() for k, v in ref_averaged.state_dict().items()})
    assert averaged.n_averaged.item() == 1


def test_averaged_model_refuses_two_averaging_functions():
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(
            nn.Linear(2, 2),
            avg_fn=swa_utils.get_ema_avg_fn(),
            multi_avg_fn=swa_utils.get_ema_multi_avg_fn(),
        )


@pytest.mark.parametrize("make", ["get_ema_avg_fn", "get_ema_multi_avg_fn"])
def test_ema_decay_outside_the_unit_interval_is_refused(torch, make):
    message = r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range."
    for module in (swa_utils, torch.optim.swa_utils):
        with pytest.raises(ValueError, match=message):
            getattr(module, make)(1.5)


@pytest.mark.parametrize("batch", ["tensor", "tuple"])
def test_update_bn_matches_torch(torch, batch):
    """Batch-norm statistics recomputed over the loader as an equal-weight average; the
    layers' momentum and the model's mode come back as they were."""
    ours, ref = _models(torch)
    ours.eval()
    ref.eval()
    loader = [x for x, _ in _batches()] if batch == "tensor" else _batches()
    swa_utils.update_bn(
        [ag.tensor(b) if batch == "tensor" else (ag.tensor(b[0]), ag.tensor(b[1])) for b in loader],
        ours,
    )
    torch.optim.swa_utils.update_bn(
        [
            torch.from_numpy(b) if batch == "tensor" else (torch.from_numpy(b[0]), b[1])
            for b in loader
        ],
        ref,
    )
    for key in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(
            ours.state_dict()[key].numpy(), ref.state_dict()[key].numpy(), rtol=1e-12
        )
    assert not ours.training and ours[1].momentum == 0.1


def test_update_bn_without_batch_norm_does_nothing():
    model = nn.Linear(2, 2)
    swa_utils.update_bn([ag.ones(1, 2)], model)  # no batch norm: not even a forward pass


SWALR_CASES = [
    {"swa_lr": 0.05},
    {"swa_lr": 0.05, "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": [0.05, 0.01], "anneal_epochs": 0},
    {"swa_lr": 0.2, "anneal_epochs": 5},
]


@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=str)
def test_swalr_matches_torch(torch, kwargs):
    p, q = ag.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [ag.zeros(1, requires_grad=True)]}], lr=0.1)
    ref = torch.optim.SGD(
        [{"params": [q]}, {"params": [torch.zeros(1, requires_grad=True)]}], lr=0.1
    )
    sched = swa_utils.SWALR(opt, **kwargs)
    ref_sched = torch.optim.swa_utils.SWALR(ref, **kwargs)
    for _ in range(12):
        opt.step()
        ref.step()
        sched.step()
        ref_sched.step()
        assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-15)
    state = sched.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    again = swa_utils.SWALR(opt, swa_lr=1.0)
    again.load_state_dict(state)
    assert again.anneal_func(0.5) == sched.anneal_func(0.5)


def test_swalr_after_another_schedule(torch):
    """PyTorch's recipe: a cosine schedule, then SWALR from epoch 5."""
    lrs = []
    for module, lib in ((lr_scheduler, optim), (torch.optim.lr_scheduler, torch.optim)):
        swa = swa_utils if lib is optim else torch.optim.swa_utils
        param = (
            ag.zeros(2, requires_grad=True) if lib is optim else torch.zeros(2, requires_grad=True)
        )
        opt = lib.SGD([param], lr=0.5)
        cosine = module.CosineAnnealingLR(opt, T_max=10)
        swalr = swa.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
        seq = []
        for epoch in range(10):
            opt.step()
            (swalr if epoch >= 5 else cosine).step()
            seq.append(opt.param_groups[0]["lr"])
        lrs.append(seq)
    assert lrs[0] == pytest.approx(lrs[1], rel=1e-15)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"swa_lr": 0.1, "anneal_strategy": "exp"}, "anneal_strategy must be one of 'cos' or"),
        ({"swa_lr": 0.1, "anneal_epochs": -1}, "anneal_epochs must be equal or greater than 0"),
        ({"swa_lr": [0.1, 0.2]}, "swa_lr must have the same length as optimizer.param_groups"),
    ],
)
def test_swalr_errors_match_torch(torch, kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.swa_utils.SWALR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), **kwargs)
    with pytest.raises(ValueError, match=message):
        swa_utils.SWALR(optim.SGD([ag.zeros(1, requires_grad=True)]), **kwargs)


def test_swa_multi_avg_fn_refuses_integer_buffers_like_torch(torch):
    ours, ref = _models(torch)
    for module, model, x in ((swa_utils, ours, ag.randn(4, 4).double()), (None, ref, None)):
        lib = module or torch.optim.swa_utils
        averaged = lib.AveragedModel(
            model, multi_avg_fn=lib.get_swa_multi_avg_fn(), use_buffers=True
        )
        model(x if x is not None else torch.randn(4, 4).double())
        averaged.update_parameters(model)
        model(x if x is not None else torch.randn(4, 4).double())
        with pytest.raises(RuntimeError, match="addcdiv is no longer supported"):
            averaged.update_parameters(model)
