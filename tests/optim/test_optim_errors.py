"""Misuse of optimizers and schedulers raises PyTorch's exception kinds with messages that
name the bad value; the messages are checked, not only the exception types."""

from __future__ import annotations

import pytest

import autograd_engine as ag
import optim
from optim import lr_scheduler

ALL = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "Adadelta",
    "RAdam",
    "Rprop",
    "ASGD",
    "LBFGS",
]
WITH_WEIGHT_DECAY = [name for name in ALL if name not in ("Rprop", "LBFGS")]
WITH_BETAS = ["Adam", "AdamW", "NAdam", "Adamax", "RAdam"]


def _param():
    return ag.zeros(3, requires_grad=True)


@pytest.mark.parametrize("name", ALL)
def test_negative_learning_rate(name):
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.1$"):
        getattr(optim, name)([_param()], lr=-0.1)


@pytest.mark.parametrize("name", WITH_WEIGHT_DECAY)
def test_negative_weight_decay(name):
    with pytest.raises(ValueError, match=r"^Invalid weight_decay value: -0.01$"):
        getattr(optim, name)([_param()], weight_decay=-0.01)


@pytest.mark.parametrize("name", WITH_BETAS)
@pytest.mark.parametrize(("betas", "index", "bad"), [((1.0, 0.9), 0, 1.0), ((0.9, -0.5), 1, -0.5)])
def test_betas_outside_unit_interval(name, betas, index, bad):
    with pytest.raises(ValueError, match=rf"^Invalid beta parameter at index {index}: {bad}$"):
        getattr(optim, name)([_param()], betas=betas)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("SGD", {"momentum": -0.9}, "Invalid momentum value: -0.9"),
        ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
        ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
        ("RMSprop", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Adagrad", {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
        (
            "Adagrad",
            {"initial_accumulator_value": -1},
            "Invalid initial_accumulator_value value: -1",
        ),
        ("NAdam", {"momentum_decay": -0.004}, "Invalid momentum_decay value: -0.004"),
        ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
        ("Adadelta", {"rho": -0.1}, "Invalid rho value: -0.1"),
        ("Adadelta", {"eps": -1e-6}, "Invalid epsilon value: -1e-06"),
        ("RAdam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Rprop", {"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
        ("Rprop", {"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
        ("Adam", {"lr": float("nan")}, "Invalid learning rate: nan"),
        ("Adam", {"betas": (0.9,)}, r"betas must be a pair \(beta1, beta2\), but got \(0.9,\)"),
        ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        (
            "SGD",
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            "Nesterov momentum requires a momentum and zero dampening",
        ),
    ],
)
def test_bad_hyperparameter(name, kwargs, message, request):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([_param()], **kwargs)
    if "betas must be a pair" in message:
        return  # PyTorch fails there with a bare IndexError
    torch = request.getfixturevalue("torch")
    with pytest.raises(ValueError, match=message):  # PyTorch's message, word for word
        getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)], **kwargs)


def test_hyperparameters_must_be_numbers():
    with pytest.raises(TypeError, match="Invalid learning rate: expected a real number or a"):
        optim.SGD([_param()], lr="0.1")
    with pytest.raises(TypeError, match="Invalid beta parameter at index 1: expected a real"):
        optim.Adam([_param()], betas=(0.9, "0.999"))


def test_param_group_values_are_validated_too():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        optim.SGD([{"params": [_param()], "lr": -1}], lr=0.1)
    opt = optim.Adam([_param()])
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.2"):
        opt.add_param_group({"params": [_param()], "betas": (1.2, 0.9)})
    assert len(opt.param_groups) == 1


def test_bad_params_arguments():
    p = _param()
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the"):
        optim.SGD([p, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        optim.SGD([p]).add_param_group([p])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_required_hyperparameter_must_be_given():
    class Custom(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

    Custom([{"params": [_param()], "lr": 0.1}])
    with pytest.raises(ValueError, match="didn't specify a value of required optimization"):
        Custom([_param()])


def test_base_step_is_abstract():
    with pytest.raises(NotImplementedError):
        optim.Optimizer([_param()], {}).step()


def _sgd(groups=1, **kwargs):
    return optim.SGD([{"params": [_param()]} for _ in range(groups)], lr=0.1, **kwargs)


SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.9**e),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 5),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, cycle_momentum=False),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, cycle_momentum=False),
    "PowerLR": lambda o: lr_scheduler.PowerLR(o, r=10),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_refuses_an_optimizer_whose_groups_changed(name):
    opt = _sgd()
    scheduler = SCHEDULERS[name](opt)
    opt.add_param_group({"params": [_param()]})
    with pytest.raises(
        RuntimeError,
        match=rf"{name} was created for an optimizer with 1 param group\(s\), but the "
        "optimizer now has 2: a param group was added",
    ):
        scheduler.step()


def test_plateau_with_per_group_min_lr_refuses_a_new_group():
    opt = _sgd()
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    opt.add_param_group({"params": [_param()]})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match=r"param groups in the `optimizer` \(2\) differs"):
        scheduler.step(2.0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: lr_scheduler.StepLR(object(), 3), TypeError, "object is not an Optimizer"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "Starting multiplic"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative"),
        (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
        (lambda o: lr_scheduler.LambdaLR(o, [abs, abs]), ValueError, "Expected 1 lr_lambdas"),
        (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "should be a function"),
        (lambda o: lr_scheduler.PowerLR(o, r=0), ValueError, "Expected positive r"),
        (lambda o: lr_scheduler.PowerLR(o, r=5, c=-1), ValueError, "non-negative power c"),
        (
            lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
            ValueError,
            "Expected positive integer T_0, but got 0",
        ),
        (
            lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
            ValueError,
            "Expected integer T_mult >= 1, but got 0",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            "Factor should be < 1.0",
        ),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0, 0]),
            ValueError,
            "expected 1 min_lrs, got 2",
        ),
        (
            lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="square"),
            ValueError,
            "mode is invalid and scale_fn is None",
        ),
        (
            lambda o: lr_scheduler.CyclicLR(o, [0.01, 0.02], 0.1),
            ValueError,
            "base_lr must have the same length as optimizer.param_groups. base_lr has 2",
        ),
        (
            lambda o: lr_scheduler.CyclicLR(optim.Adagrad([_param()]), 0.01, 0.1),
            ValueError,
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1),
            ValueError,
            r"You must define either total_steps OR \(epochs AND steps_per_epoch\)",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0),
            ValueError,
            "Expected float between 0 and 1 pct_start, but got 2.0",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="cubic"),
            ValueError,
            "anneal_strategy must be one of 'cos' or 'linear', instead got cubic",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], milestones=[3]),
            ValueError,
            "number of schedulers 1 and the number of milestones to be equal to 1",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(
                o, [lr_scheduler.ReduceLROnPlateau(o), lr_scheduler.StepLR(o, 2)], [3]
            ),
            ValueError,
            "does not support `ReduceLROnPlateau`",
        ),
        (
            lambda o: lr_scheduler.ChainedScheduler(
                [lr_scheduler.StepLR(o, 2), lr_scheduler.StepLR(_sgd(), 2)]
            ),
            ValueError,
            "expects all schedulers to belong to the same optimizer",
        ),
        (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "at least one scheduler"),
    ],
)
def test_bad_scheduler_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(_sgd())


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _sgd(momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    for _ in range(10):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total"):
        scheduler.step()


def test_warm_restarts_refuses_a_negative_epoch():
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(_sgd(), T_0=5)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        scheduler.step(-1)
