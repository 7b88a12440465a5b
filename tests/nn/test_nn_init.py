"""``nn.init`` and the layers' default initialization: sample statistics against the formulas
(standard deviations within a few percent on 10^5 samples: bounds a wrong formula fails),
exact fills, generators and reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn import init


def big(*shape, dtype=ag.float64):
    return nn.Parameter(ag.empty(*shape, dtype=dtype))


def std_close(t, expected, rel=0.03):
    got = float(np.std(t.numpy()))
    assert abs(got - expected) < rel * expected, f"std {got} vs {expected}"


@pytest.mark.parametrize(
    "name,param,expected",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose2d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2.0)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ag.empty(4, 3)) == (3, 4)
    assert init._calculate_fan_in_and_fan_out(ag.empty(8, 2, 3, 5)) == (30, 120)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ag.empty(5))


def test_uniform_and_normal():
    t = big(400, 250)
    assert init.uniform_(t, -2.0, 3.0) is t
    a = t.numpy()
    assert a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.02
    std_close(t, 5 / math.sqrt(12))
    init.normal_(t, mean=1.5, std=0.2)
    assert abs(t.numpy().mean() - 1.5) < 0.002
    std_close(t, 0.2)
    assert t.requires_grad and t.grad_fn is None


def test_trunc_normal():
    t = big(400, 250)
    init.trunc_normal_(t, mean=0.5, std=2.0, a=-1.0, b=3.0)
    a = t.numpy()
    assert a.min() >= -1.0 and a.max() <= 3.0
    # the truncated normal's moments
    alpha, beta = (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    zmass = cdf(beta) - cdf(alpha)
    mean = 0.5 + 2.0 * (pdf(alpha) - pdf(beta)) / zmass
    var = 4.0 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / zmass
                 - ((pdf(alpha) - pdf(beta)) / zmass) ** 2)  # fmt: skip
    assert abs(a.mean() - mean) < 0.01
    std_close(t, math.sqrt(var))
    small = init.trunc_normal_(big(1000, 100), std=0.02)  # default bounds are absolute (+-2)
    std_close(small, 0.02)


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(gain):
    t = big(300, 500)
    init.xavier_uniform_(t, gain=gain)
    bound = gain * math.sqrt(6.0 / 800)
    assert np.abs(t.numpy()).max() <= bound
    std_close(t, gain * math.sqrt(2.0 / 800))
    init.xavier_normal_(t, gain=gain)
    std_close(t, gain * math.sqrt(2.0 / 800))


@pytest.mark.parametrize(
    "kwargs,fan,gain",
    [
        ({}, 120, math.sqrt(2.0)),  # leaky_relu with a=0 is the ReLU gain
        ({"a": math.sqrt(5)}, 120, math.sqrt(2.0 / 6)),  # the layers' default
        ({"mode": "fan_out", "nonlinearity": "relu"}, 240, math.sqrt(2.0)),
        ({"nonlinearity": "tanh"}, 120, 5.0 / 3),
        ({"nonlinearity": "linear"}, 120, 1.0),
    ],
)
def test_kaiming(kwargs, fan, gain):
    t = big(400, 30, 2, 2)  # fan_in = 120, fan_out = 1600
    if "fan_out" in kwargs.values():
        t = big(60, 500, 2, 2)  # fan_out = 240
    std = gain / math.sqrt(fan)
    init.kaiming_uniform_(t, **kwargs)
    assert np.abs(t.numpy()).max() <= math.sqrt(3.0) * std
    std_close(t, std)
    init.kaiming_normal_(t, **kwargs)
    std_close(t, std)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(t, mode="fan_avg")


def test_kaiming_on_empty_tensor_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ag.empty(0, 3))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2, 2)])
def test_orthogonal(shape):
    t = init.orthogonal_(big(*shape), gain=2.0)
    flat = t.numpy().reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)


def test_constant_fills():
    t = big(3, 4)
    assert init.constant_(t, 0.3).numpy().tolist() == [[0.3] * 4] * 3
    assert not init.zeros_(t).numpy().any()
    assert (init.ones_(t).numpy() == 1).all()
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(big(2, 2, 2))


def test_dirac_makes_a_conv_the_identity():
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = ag.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).numpy(), x.numpy(), atol=1e-6)
    grouped = init.dirac_(big(4, 2, 3), groups=2)
    assert grouped.numpy().sum() == 4 and grouped.numpy()[2, 0, 1] == 1


def test_generators_and_manual_seed_make_init_reproducible():
    g1, g2 = ag.Generator().manual_seed(7), ag.Generator().manual_seed(7)
    a = init.kaiming_normal_(big(5, 5), generator=g1).numpy().copy()
    b = init.kaiming_normal_(big(5, 5), generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
    ag.manual_seed(3)
    first = nn.Linear(4, 3).weight.numpy().copy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.numpy(), first)
    assert not np.array_equal(nn.Linear(4, 3).weight.numpy(), first)


def test_float32_and_float16_tensors_keep_their_dtype():
    for dtype in (ag.float32, ag.float16):
        t = init.normal_(big(10, 10, dtype=dtype))
        assert t.dtype == dtype
    with pytest.raises(TypeError, match="floating point"):
        init.uniform_(ag.zeros(3, dtype=ag.int64))


def test_default_initialization_of_layers():
    lin = nn.Linear(300, 200)
    bound = 1 / math.sqrt(300)  # kaiming_uniform_(a=sqrt(5)) is U(+-1/sqrt(fan_in))
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    std_close(lin.weight, bound / math.sqrt(3))
    assert np.abs(b).max() <= bound and w.dtype == np.float32
    conv = nn.Conv2d(8, 64, 5)  # fan_in 200
    std_close(conv.weight, 1 / math.sqrt(200) / math.sqrt(3), rel=0.05)
    assert np.abs(conv.bias.numpy()).max() <= 1 / math.sqrt(200)
    tconv = nn.ConvTranspose2d(64, 8, 5)  # fan_in from weight.size(1) = 8 * 25, as PyTorch
    std_close(tconv.weight, 1 / math.sqrt(200) / math.sqrt(3), rel=0.05)
    emb = nn.Embedding(1000, 64, padding_idx=3)
    std_close(emb.weight, 1.0)
    assert not emb.weight.numpy()[3].any()
    bn = nn.BatchNorm2d(5)
    assert (bn.weight.numpy() == 1).all() and not bn.bias.numpy().any()
    assert (bn.running_var.numpy() == 1).all() and not bn.running_mean.numpy().any()
    ln = nn.LayerNorm((2, 3))
    assert (ln.weight.numpy() == 1).all() and not ln.bias.numpy().any()
    maxout = nn.Maxout(300, 50, pieces=4)
    assert np.abs(maxout.weight.numpy()).max() <= bound
    assert maxout.weight.shape == (200, 300) and maxout.bias.shape == (200,)
    assert (nn.PReLU(3).weight.numpy() == 0.25).all()
    bil = nn.Bilinear(16, 4, 2)
    assert np.abs(bil.weight.numpy()).max() <= 0.25


def test_layers_accept_device_and_dtype(device):
    lin = nn.Linear(3, 2, dtype=ag.float64, device=device)
    assert lin.weight.dtype == ag.float64 and lin.weight.device == ag.device(device)
    bn = nn.BatchNorm1d(3, device=device)
    assert bn.num_batches_tracked.device == ag.device(device)
