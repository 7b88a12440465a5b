"""``nn.InstanceNorm1d/2d/3d``, their lazy forms and ``F.instance_norm`` against PyTorch in
float64: outputs, gradients of input, weight and bias, running statistics over several
training steps, evaluation, unbatched input, state_dict interchange and the errors."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from nn_oracle import close, compare_modules, sync, torch_state_as_arrays

import autograd_engine as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(77)

# the batched and the unbatched input shape for each class (3 channels)
SHAPES = {
    "InstanceNorm1d": [(4, 3, 5), (3, 6)],
    "InstanceNorm2d": [(2, 3, 4, 3), (3, 2, 5)],
    "InstanceNorm3d": [(2, 3, 2, 3, 2), (3, 2, 2, 3)],
}

OPTIONS = [
    {},
    {"affine": True},
    {"affine": True, "bias": False, "eps": 1e-3},
    {"track_running_stats": True},
    {"affine": True, "track_running_stats": True, "momentum": 0.3},
    {"track_running_stats": True, "momentum": None},
]
OPTION_IDS = ["default", "affine", "no_bias_eps", "running", "affine_running", "momentum_none"]


def randn(*shape):
    return RNG.standard_normal(shape)


def _randomize(theirs) -> None:
    """Non-default weights and running statistics (ones and zeros would hide mistakes)."""
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype))
        if theirs.running_mean is not None:
            theirs.running_mean.copy_(torch.randn(theirs.num_features))
            theirs.running_var.copy_(torch.rand(theirs.num_features) + 0.5)


@pytest.mark.parametrize("cls", list(SHAPES))
def test_signature_and_defaults_are_torchs(cls):
    ours, theirs = getattr(nn, cls), getattr(tnn, cls)
    params = inspect.signature(ours.__init__).parameters
    tparams = inspect.signature(theirs.__init__).parameters
    assert list(params) == list(tparams)
    assert [p.default for p in params.values()] == [p.default for p in tparams.values()]
    assert [p.kind for p in params.values()] == [p.kind for p in tparams.values()]
    m = ours(3)
    assert (m.affine, m.track_running_stats, m.eps, m.momentum) == (False, False, 1e-5, 0.1)
    assert repr(m) == repr(theirs(3))
    assert list(m.state_dict()) == list(theirs(3).state_dict()) == []
    assert list(ours(3, affine=True, track_running_stats=True).state_dict()) == list(
        theirs(3, affine=True, track_running_stats=True).state_dict()
    )
    fsig = inspect.signature(F.instance_norm).parameters
    tfsig = inspect.signature(torch.nn.functional.instance_norm).parameters
    assert [(k, p.default) for k, p in fsig.items()] == [(k, p.default) for k, p in tfsig.items()]


@pytest.mark.parametrize("cls", list(SHAPES))
@pytest.mark.parametrize("kwargs", OPTIONS, ids=OPTION_IDS)
def test_training_running_stats_and_eval_match_torch(cls, kwargs):
    theirs = getattr(tnn, cls)(3, **kwargs)
    ours = getattr(nn, cls)(3, **kwargs)
    _randomize(theirs)
    sync(ours, theirs)
    batched, unbatched = SHAPES[cls]
    for step in range(4):  # batched and unbatched steps alternate
        x = randn(*(batched if step % 2 == 0 else unbatched)) * (step + 1) + step
        compare_modules(torch, ours, theirs, x, seed=step)
        ours.zero_grad()
        theirs.zero_grad()
    state = ours.state_dict()
    theirs_state = torch_state_as_arrays(theirs)
    assert list(state) == list(theirs_state)
    for key, value in theirs_state.items():
        close(state[key], value, what=key)
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 0  # instance norm never counts batches
    ours.eval()
    theirs.eval()
    for shape in (batched, unbatched):
        compare_modules(torch, ours, theirs, randn(*shape) + 0.5, seed=9)


def test_running_stats_average_the_samples_with_unbiased_variance():
    m = nn.InstanceNorm1d(1, momentum=1.0, track_running_stats=True).double()
    x = np.array([[[1.0, 2.0, 4.0]], [[0.0, 3.0, 3.0]]])
    m(ag.tensor(x))
    np.testing.assert_allclose(m.running_mean.numpy(), [np.mean(x)], rtol=1e-12)
    expected = np.mean([np.var(x[0, 0], ddof=1), np.var(x[1, 0], ddof=1)])
    np.testing.assert_allclose(m.running_var.numpy(), [expected], rtol=1e-12)


def test_state_dict_interchange_with_torch():
    theirs = tnn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    _randomize(theirs)
    ours = nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    ours.load_state_dict(torch_state_as_arrays(theirs))
    back = tnn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for key, value in theirs.state_dict().items():
        close(back.state_dict()[key], value, what=key)
    assert ours.num_batches_tracked.dtype == ag.int64
    with pytest.raises(RuntimeError, match="running_mean"):  # no running stats to load into
        nn.InstanceNorm2d(4, affine=True).load_state_dict(torch_state_as_arrays(theirs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weight": True, "bias": True},
        {"running": True},
        {"running": True, "use_input_stats": False, "weight": True},
    ],
    ids=["plain", "affine", "update", "running_stats"],
)
def test_functional_matches_torch(kwargs):
    x, w, b = randn(2, 3, 4, 2), randn(3), randn(3)
    rm, rv = randn(3), np.abs(randn(3)) + 0.5
    extra = {"use_input_stats": kwargs.get("use_input_stats", True), "momentum": 0.2}

    def arguments(make):
        """(input, running stats, weight/bias) as tensors of one library."""
        stats = [make(a.copy(), False) for a in (rm, rv)] if kwargs.get("running") else [None] * 2
        params = {"weight": make(w, True) if kwargs.get("weight") else None}
        params["bias"] = make(b, True) if kwargs.get("bias") else None
        return make(x, True), stats, params

    ox, ours_stats, oparams = arguments(lambda a, g: ag.tensor(a, requires_grad=g))
    tx, their_stats, tparams = arguments(lambda a, g: torch.tensor(a, requires_grad=g))
    out = F.instance_norm(ox, *ours_stats, **oparams, **extra)
    tout = torch.nn.functional.instance_norm(tx, *their_stats, **tparams, **extra)
    close(out, tout, what="output")
    g = randn(*x.shape)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    close(ox.grad, tx.grad, what="grad of input")
    for k in oparams:
        if oparams[k] is not None:
            close(oparams[k].grad, tparams[k].grad, what=f"grad of {k}")
    for o, t, name in zip(ours_stats, their_stats, ("running_mean", "running_var")):
        if o is not None:
            close(o, t, what=name)


def test_second_order_gradients_match_torch():
    x = randn(2, 3, 5)
    w = randn(3)
    ox, ow = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (gx,) = ag.autograd.grad((F.instance_norm(ox, weight=ow) ** 3).sum(), ox, create_graph=True)
    (tgx,) = torch.autograd.grad(
        (torch.nn.functional.instance_norm(tx, weight=tw) ** 3).sum(), tx, create_graph=True
    )
    close(gx, tgx, what="first-order grad")
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    close(ox.grad, tx.grad, rtol=1e-8, atol=1e-10, what="second-order grad of input")
    close(ow.grad, tw.grad, rtol=1e-8, atol=1e-10, what="second-order grad of weight")


def test_empty_inputs_as_torch():
    rm, rv = ag.zeros(3), ag.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    out = F.instance_norm(ag.zeros(0, 3, 4), rm, rv)
    tout = torch.nn.functional.instance_norm(torch.zeros(0, 3, 4), trm, trv)
    assert tuple(out.shape) == tuple(tout.shape) == (0, 3, 4)
    assert np.isnan(rm.numpy()).all() and torch.isnan(trm).all()  # no samples to average
    rm, rv = ag.zeros(3), ag.ones(3)
    assert tuple(F.instance_norm(ag.zeros(2, 3, 0), rm, rv).shape) == (2, 3, 0)
    close(rm, torch.zeros(3))
    close(rv, torch.ones(3))


@pytest.mark.parametrize("cls", list(SHAPES))
def test_wrong_ndim_is_a_value_error_like_torch(cls):
    good = SHAPES[cls][0]
    for shape in (good[:1], good + (2,)):  # too few dims and one too many
        x = randn(*shape)
        with pytest.raises(ValueError) as theirs:
            getattr(tnn, cls)(3)(torch.tensor(x))
        with pytest.raises(ValueError, match=cls) as ours:
            getattr(nn, cls)(3)(ag.tensor(x))
        # torch's words ("expected 2D or 3D input (got 1D input)") plus the layout and shape
        expected = str(theirs.value).split(" (got")[0]
        assert expected in str(ours.value)
        assert f"(got {len(shape)}D input" in str(ours.value)
        assert str(tuple(shape)) in str(ours.value)


def test_channel_mismatch_errors_with_affine_and_warns_without():
    x = randn(2, 4, 5)
    with pytest.raises(ValueError) as theirs:
        tnn.InstanceNorm1d(3, affine=True)(torch.tensor(x))
    with pytest.raises(ValueError, match="InstanceNorm1d") as ours:
        nn.InstanceNorm1d(3, affine=True)(ag.tensor(x))
    assert str(theirs.value) in str(ours.value)
    with pytest.warns(UserWarning) as theirs_w:
        tout = tnn.InstanceNorm1d(3)(torch.tensor(x))
    with pytest.warns(UserWarning, match="does not match num_features") as ours_w:
        out = nn.InstanceNorm1d(3)(ag.tensor(x))
    assert str(ours_w[0].message) == str(theirs_w[0].message)
    close(out, tout)  # num_features is unused without affine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="running_mean"):  # stats of the wrong size
            nn.InstanceNorm1d(3, track_running_stats=True)(ag.tensor(x))
        unbatched = nn.InstanceNorm1d(5)
        with pytest.warns(UserWarning, match="dim=0"):
            unbatched(ag.tensor(x[0]))


def test_functional_errors():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(ag.randn(2, 3, 1))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        torch.nn.functional.instance_norm(torch.randn(2, 3, 1))
    with pytest.raises(RuntimeError, match="running_mean and running_var to be defined"):
        F.instance_norm(ag.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(RuntimeError, match=r"instance_norm: expected weight of shape \(3,\)"):
        F.instance_norm(ag.randn(2, 3, 4), weight=ag.ones(4))
    with pytest.raises(RuntimeError, match="floating point"):
        F.instance_norm(ag.ones(2, 3, 4, dtype=ag.int64))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.instance_norm(np.ones((2, 3, 4)))


@pytest.mark.parametrize("cls", ["LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"])
def test_lazy_instance_norm_matches_torch(cls):
    ours, theirs = getattr(nn, cls)(), getattr(tnn, cls)()
    assert repr(ours) == repr(theirs)
    params = inspect.signature(type(ours).__init__).parameters
    tparams = inspect.signature(type(theirs).__init__).parameters
    assert [(k, p.default) for k, p in params.items()] == [
        (k, p.default) for k, p in tparams.items()
    ]
    shape = SHAPES[cls[4:]][0]
    x = randn(*shape).astype(np.float32)
    out = ours(ag.tensor(x))
    tout = theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == cls[4:]
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    close(out, tout, rtol=1e-5, atol=1e-6)  # float32
    for key, value in torch_state_as_arrays(theirs).items():
        close(ours.state_dict()[key], value, rtol=1e-5, atol=1e-6, what=key)


def test_lazy_instance_norm_loads_a_torch_state_dict():
    theirs = tnn.InstanceNorm2d(5, affine=True, track_running_stats=True)
    _randomize(theirs)
    ours = nn.LazyInstanceNorm2d()
    sync(ours, theirs)
    assert ours.num_features == 5
    x = randn(2, 5, 3, 3)
    compare_modules(torch, ours, theirs, x)
    close(ours.running_var, theirs.running_var)
