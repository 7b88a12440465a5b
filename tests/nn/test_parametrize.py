"""``nn.utils.parametrize``, ``parametrizations.weight_norm``/``spectral_norm`` and the hook-based
``weight_norm``/``spectral_norm`` against PyTorch in float64: outputs, gradients of inputs and
of the new parameters, state_dict keys and interchange (power-iteration buffers included),
removal, caching, assignment through ``right_inverse``, and the errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from nn_oracle import close, torch_state_as_arrays

import autograd_engine as ag
import nn
from nn.utils import parametrizations, parametrize

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
TOL = {"rtol": 1e-9, "atol": 1e-11}


def randn(*shape):
    return RNG.standard_normal(shape)


def compare(ours, theirs, x):
    """Load torch's state into ours, then compare output, input and parameter gradients."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(torch_state_as_arrays(theirs))
    ax, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(ax), theirs(tx)
    close(out, tout, what="output", **TOL)
    g = RNG.standard_normal(tuple(tout.shape))
    (out * ag.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    close(ax.grad, tx.grad, what="input grad", **TOL)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for n, p in ours.named_parameters():
        close(p.grad, tparams[n].grad, what=f"grad of {n}", **TOL)


def pair(make_ours, make_theirs, fn_ours, fn_theirs, **kwargs):
    ours, theirs = make_ours().double(), make_theirs().double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn_ours(ours, **kwargs), fn_theirs(theirs, **kwargs)


LAYERS = [
    ("linear", lambda m: m.Linear(4, 5), (3, 4)),
    ("conv2d", lambda m: m.Conv2d(3, 4, 3), (2, 3, 5, 5)),
    ("conv_transpose2d", lambda m: m.ConvTranspose2d(3, 2, 3), (1, 3, 4, 4)),
]


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(name, make, shape, dim):
    ours, theirs = pair(
        lambda: make(nn),
        lambda: make(torch.nn),
        parametrizations.weight_norm,
        torch.nn.utils.parametrizations.weight_norm,
        dim=dim,
    )
    compare(ours, theirs, randn(*shape))
    assert type(ours).__name__ == type(theirs).__name__ == f"Parametrized{type(make(nn)).__name__}"
    assert repr(ours) == repr(theirs)
    # ours -> a fresh torch module
    fresh = torch.nn.utils.parametrizations.weight_norm(make(torch.nn).double(), dim=dim)
    fresh.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = randn(*shape)
    close(ours(ag.tensor(x)), fresh(torch.tensor(x)), **TOL)


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_hook_weight_norm_matches_torch(name, make, shape):
    with pytest.warns(FutureWarning, match="torch.nn.utils.weight_norm` is deprecated"):
        ours = nn.utils.weight_norm(make(nn).double())
    theirs = pair(
        lambda: make(nn), lambda: make(torch.nn), lambda m: m, torch.nn.utils.weight_norm
    )[1]
    compare(ours, theirs, randn(*shape))
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    close(ours.weight, theirs.weight, **TOL)


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
@pytest.mark.parametrize("training", [True, False])
def test_spectral_norm_parametrization_matches_torch(name, make, shape, training):
    ours, theirs = pair(
        lambda: make(nn),
        lambda: make(torch.nn),
        parametrizations.spectral_norm,
        torch.nn.utils.parametrizations.spectral_norm,
        n_power_iterations=2,
    )
    ours.train(training)
    theirs.train(training)
    compare(ours, theirs, randn(*shape))  # the random u, v come from torch's state_dict
    close(ours.parametrizations.weight[0]._u, theirs.parametrizations.weight[0]._u, **TOL)


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_hook_spectral_norm_matches_torch(name, make, shape):
    ours, theirs = pair(
        lambda: make(nn),
        lambda: make(torch.nn),
        nn.utils.spectral_norm,
        torch.nn.utils.spectral_norm,
    )
    compare(ours, theirs, randn(*shape))
    close(ours.weight_u, theirs.weight_u, **TOL)
    close(ours.weight_v, theirs.weight_v, **TOL)
    ours.eval()
    theirs.eval()
    x = randn(*shape)
    close(ours(ag.tensor(x)), theirs(torch.tensor(x)), **TOL)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    close(ours.weight, theirs.weight, **TOL)


class Symmetric(nn.Module):
    def forward(self, x):
        return (x + x.mT) * 0.5

    def right_inverse(self, a):
        return a


class Scale(nn.Module):
    def forward(self, x):
        return x * 2.0


def test_register_parametrization_keeps_the_parameter_and_trains():
    layer = nn.Linear(3, 3)
    weight = layer.weight
    optimizer_params = list(layer.parameters())
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert layer.parametrizations.weight.original is weight  # an optimizer keeps working
    assert set(map(id, layer.parameters())) == set(map(id, optimizer_params))
    w = layer.weight.numpy()
    np.testing.assert_allclose(w, w.T)
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    layer(ag.randn(2, 3)).sum().backward()
    g = weight.grad.numpy()
    np.testing.assert_allclose(g, g.T, rtol=1e-6)  # the gradient went through the symmetrization
    # chaining, caching, assignment through right_inverse
    parametrize.register_parametrization(layer, "weight", Scale(), unsafe=True)
    with parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight
    with pytest.raises(RuntimeError, match="Scale does not implement right_inverse"):
        layer.weight = ag.zeros(3, 3)
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    assert type(layer) is nn.Linear and layer.weight is weight
    assert list(layer.state_dict()) == ["bias", "weight"]  # as PyTorch: re-registered last


def test_parametrized_modules_deepcopy_and_assign():
    layer = parametrizations.weight_norm(nn.Linear(3, 2))
    clone = copy.deepcopy(layer)
    x = ag.randn(4, 3)
    close(clone(x), layer(x))
    assert clone.parametrizations.weight.original0 is not layer.parametrizations.weight.original0
    target = ag.randn(2, 3)
    layer.weight = target  # through _WeightNorm.right_inverse: g and v from the new weight
    close(layer.weight, target, rtol=1e-6)
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear
    close(layer.weight, target, rtol=1e-6)


def test_parametrize_errors():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized"):
        parametrize.register_parametrization(layer, "nope", Scale())

    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(nn.Linear(3, 2), "weight", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(layer, "weight")
    wn = parametrizations.weight_norm(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(wn, "weight", leave_parametrized=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        hooked = nn.utils.weight_norm(nn.Linear(3, 2))
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
            nn.utils.weight_norm(hooked)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        nn.utils.spectral_norm(nn.LazyLinear(3))
