"""Every layer against PyTorch in float64: outputs and the gradients of inputs and weights,
over several shapes and options. Weights are copied from the torch module through
``load_state_dict`` with arrays, which checks loading PyTorch state_dicts as well."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import close, compare_modules, sync, torch_state_as_arrays

import autograd_engine as ag
import nn

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

RNG = np.random.default_rng(1234)


def randn(*shape):
    return RNG.standard_normal(shape)


# (name, our constructor, torch constructor, input shapes)
LAYERS = [
    ("linear", lambda m: m.Linear(3, 4), [(5, 3)]),
    ("linear_nobias_3d", lambda m: m.Linear(3, 2, bias=False), [(2, 4, 3)]),
    ("linear_1d_input", lambda m: m.Linear(3, 2), [(3,)]),
    ("bilinear", lambda m: m.Bilinear(3, 2, 4), [(5, 3), (5, 2)]),
    ("bilinear_nobias_3d", lambda m: m.Bilinear(2, 2, 3, bias=False), [(2, 3, 2), (2, 3, 2)]),
    ("identity", lambda m: m.Identity(7, foo=1), [(2, 3)]),
    ("flatten", lambda m: m.Flatten(), [(2, 3, 4, 5)]),
    ("flatten_middle", lambda m: m.Flatten(1, 2), [(2, 3, 4, 5)]),
    ("unflatten", lambda m: m.Unflatten(1, (2, 3)), [(4, 6)]),
    ("conv1d", lambda m: m.Conv1d(3, 4, 3), [(2, 3, 9)]),
    (
        "conv1d_opts",
        lambda m: m.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2),
        [(2, 4, 9)],
    ),
    (
        "conv1d_same_reflect",
        lambda m: m.Conv1d(2, 3, 4, padding="same", padding_mode="reflect"),
        [(2, 2, 7)],
    ),
    ("conv2d", lambda m: m.Conv2d(3, 4, 3), [(2, 3, 6, 6)]),
    ("conv2d_unbatched", lambda m: m.Conv2d(3, 4, 3, padding=1), [(3, 5, 5)]),
    (
        "conv2d_stride_pad",
        lambda m: m.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)),
        [(2, 3, 7, 6)],
    ),
    (
        "conv2d_dilation_groups",
        lambda m: m.Conv2d(4, 6, 3, dilation=2, groups=2, bias=False),
        [(1, 4, 8, 9)],
    ),
    ("conv2d_same_even", lambda m: m.Conv2d(2, 3, (4, 3), padding="same"), [(2, 2, 6, 5)]),
    ("conv2d_valid", lambda m: m.Conv2d(2, 3, 3, padding="valid"), [(2, 2, 5, 5)]),
    (
        "conv2d_reflect",
        lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
        [(2, 2, 5, 6)],
    ),
    (
        "conv2d_replicate",
        lambda m: m.Conv2d(2, 3, 3, padding=2, padding_mode="replicate"),
        [(2, 2, 5, 6)],
    ),
    (
        "conv2d_circular",
        lambda m: m.Conv2d(2, 2, 3, stride=2, padding=(1, 2), padding_mode="circular"),
        [(2, 2, 5, 6)],
    ),
    (
        "conv_transpose1d",
        lambda m: m.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
        [(2, 3, 5)],
    ),
    ("conv_transpose2d", lambda m: m.ConvTranspose2d(3, 4, 3), [(2, 3, 4, 4)]),
    (
        "conv_transpose2d_opts",
        lambda m: m.ConvTranspose2d(
            4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1
        ),
        [(2, 4, 3, 5)],
    ),
    (
        "conv_transpose2d_dilation",
        lambda m: m.ConvTranspose2d(2, 3, 2, stride=(1, 2), dilation=2, bias=False),
        [(1, 2, 3, 3)],
    ),
    ("maxpool2d", lambda m: m.MaxPool2d(2), [(2, 3, 6, 6)]),
    (
        "maxpool2d_opts",
        lambda m: m.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [(2, 2, 7, 8)],
    ),
    ("maxpool2d_dilation", lambda m: m.MaxPool2d((2, 3), stride=1, dilation=2), [(1, 2, 6, 7)]),
    ("maxpool2d_indices", lambda m: m.MaxPool2d(2, return_indices=True), [(2, 2, 4, 6)]),
    ("avgpool2d", lambda m: m.AvgPool2d(2), [(2, 3, 6, 6)]),
    (
        "avgpool2d_opts",
        lambda m: m.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [(2, 2, 7, 8)],
    ),
    ("avgpool2d_divisor", lambda m: m.AvgPool2d(2, divisor_override=3), [(1, 2, 4, 4)]),
    ("adaptive_avgpool2d", lambda m: m.AdaptiveAvgPool2d((3, 2)), [(2, 3, 7, 5)]),
    ("adaptive_avgpool2d_global", lambda m: m.AdaptiveAvgPool2d(1), [(2, 3, 4, 4)]),
    ("maxpool1d", lambda m: m.MaxPool1d(3, stride=2, padding=1), [(2, 3, 9)]),
    ("avgpool1d", lambda m: m.AvgPool1d(2), [(2, 3, 8)]),
    ("adaptive_avgpool1d", lambda m: m.AdaptiveAvgPool1d(3), [(2, 3, 7)]),
    ("layernorm", lambda m: m.LayerNorm(4), [(3, 4)]),
    ("layernorm_2d_shape", lambda m: m.LayerNorm((3, 4)), [(2, 3, 4)]),
    ("layernorm_noaffine", lambda m: m.LayerNorm(5, elementwise_affine=False), [(2, 5)]),
    ("layernorm_nobias", lambda m: m.LayerNorm(5, bias=False, eps=1e-3), [(2, 5)]),
    ("groupnorm", lambda m: m.GroupNorm(2, 4), [(2, 4, 3, 3)]),
    ("groupnorm_1d", lambda m: m.GroupNorm(3, 6, affine=False), [(2, 6, 5)]),
    ("prelu_shared", lambda m: m.PReLU(), [(2, 3, 4)]),
    ("prelu_channels", lambda m: m.PReLU(3, init=0.1), [(2, 3, 4)]),
    ("sequential_mlp", lambda m: m.Sequential(m.Linear(4, 6), m.Tanh(), m.Linear(6, 2)), [(3, 4)]),
]


def _randomize(theirs) -> None:
    """Non-default parameter values (ones/zeros would hide mistakes in norm layers)."""
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype))


@pytest.mark.parametrize("name,make,shapes", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(name, make, shapes):
    theirs = make(tnn)
    ours = make(nn)
    _randomize(theirs)
    sync(ours, theirs)
    arrays = [randn(*s) for s in shapes]
    compare_modules(torch, ours, theirs, *arrays)


def test_conv_transpose2d_output_size_matches_torch():
    theirs = tnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    sync(ours, theirs)
    x = randn(1, 2, 4, 4)
    for size in ([7, 7], [8, 8], (1, 3, 8, 7)):
        out = ours(ag.tensor(x), output_size=size)
        close(out, theirs(torch.tensor(x), output_size=size), what=str(size))
    with pytest.raises(ValueError, match="valid sizes range from 7 to 8"):
        ours(ag.tensor(x), output_size=[10, 10])


def test_maxout_matches_a_torch_composition():
    ours = nn.Maxout(4, 3, pieces=2).double()
    x = randn(5, 4)
    w = torch.tensor(ours.weight.numpy(), requires_grad=True)
    b = torch.tensor(ours.bias.numpy(), requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.linear(tx, w, b).view(5, 3, 2).amax(-1)
    ax = ag.tensor(x, requires_grad=True)
    out = ours(ax)
    close(out, expected)
    g = randn(5, 3)
    out.backward(ag.tensor(g))
    expected.backward(torch.tensor(g))
    close(ax.grad, tx.grad)
    close(ours.weight.grad, w.grad)
    close(ours.bias.grad, b.grad)


def test_embedding_matches_torch_with_padding_idx():
    theirs = tnn.Embedding(6, 3, padding_idx=2)
    ours = nn.Embedding(6, 3, padding_idx=2)
    _randomize(theirs)  # the padding row is non-zero too: its output is kept, its grad is not
    sync(ours, theirs)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    out = ours(ag.tensor(idx))
    tout = theirs(torch.tensor(idx))
    close(out, tout)
    g = randn(2, 3, 3)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    close(ours.weight.grad, theirs.weight.grad)
    assert not ours.weight.grad.numpy()[2].any()


def test_embedding_max_norm_renormalizes_like_torch():
    theirs = tnn.Embedding(5, 4, max_norm=1.0)
    ours = nn.Embedding(5, 4, max_norm=1.0)
    sync(ours, theirs)
    idx = np.array([1, 3, 3])
    close(ours(ag.tensor(idx)), theirs(torch.tensor(idx)), rtol=1e-7)
    close(ours.weight, theirs.weight, rtol=1e-7)


def test_embedding_from_pretrained_matches_torch():
    w = randn(4, 2)
    theirs = tnn.Embedding.from_pretrained(torch.tensor(w))
    ours = nn.Embedding.from_pretrained(ag.tensor(w))
    assert ours.weight.requires_grad is False
    assert theirs.weight.requires_grad is False
    close(ours(ag.tensor([3, 0])), theirs(torch.tensor([3, 0])))
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


@pytest.mark.parametrize("cls", ["BatchNorm1d", "BatchNorm2d"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.3, "eps": 1e-3},
        {"momentum": None},
        {"affine": False},
        {"bias": False},
        {"track_running_stats": False},
    ],
    ids=["default", "momentum_eps", "cumulative", "no_affine", "no_bias", "no_running"],
)
def test_batchnorm_training_running_stats_and_eval_match_torch(cls, kwargs):
    theirs = getattr(tnn, cls)(3, **kwargs)
    ours = getattr(nn, cls)(3, **kwargs)
    _randomize(theirs)
    sync(ours, theirs)
    shapes = [(6, 3), (4, 3, 5)] if cls == "BatchNorm1d" else [(4, 3, 2, 3), (2, 3, 4, 1)]
    for step in range(4):
        x = randn(*shapes[step % 2]) * (step + 1) + step
        compare_modules(torch, ours, theirs, x, seed=step)
        ours.zero_grad()
        theirs.zero_grad()
    state = ours.state_dict()
    for key, value in torch_state_as_arrays(theirs).items():
        close(state[key], value, what=key)
    if kwargs.get("track_running_stats", True):
        assert int(ours.num_batches_tracked.item()) == 4
        assert ours.num_batches_tracked.dtype == ag.int64
    ours.eval()
    theirs.eval()
    compare_modules(torch, ours, theirs, randn(*shapes[0]) + 0.5, seed=9)


def test_batchnorm_running_var_is_unbiased():
    bn = nn.BatchNorm1d(1, momentum=1.0).double()
    x = np.array([[1.0], [2.0], [4.0]])
    bn(ag.tensor(x))
    np.testing.assert_allclose(bn.running_var.numpy(), [np.var(x, ddof=1)], rtol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), [np.mean(x)], rtol=1e-6)


ACTIVATIONS = [
    ("ReLU", (), {}),
    ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {"alpha": 0.7}),
    ("SELU", (), {}),
    ("CELU", (), {"alpha": 1.5}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (), {"beta": 2.0, "threshold": 3.0}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}),
    ("Tanhshrink", (), {}),
    ("Threshold", (0.1, -3.0), {}),
    ("GLU", (), {}),
    ("GLU", (1,), {}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 1}),
    ("Softmin", (), {"dim": 0}),
]


@pytest.mark.parametrize(
    "cls,args,kwargs", ACTIVATIONS, ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)]
)
def test_activation_matches_torch_including_kinks(cls, args, kwargs):
    ours = getattr(nn, cls)(*args, **kwargs)
    theirs = getattr(tnn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    # values at the kinks of relu, relu6, hardtanh, hardsigmoid, threshold; and big ones
    special = [0.0, 6.0, -1.0, 1.0, 0.5, -2.0, 3.0, -3.0, 0.1, 30.0, -30.0, 2.5]
    x = np.concatenate([special, randn(12) * 3]).reshape(4, 6)
    # NOTE: PyTorch's hardsigmoid/hardswish backward uses the float32 constant 1.0f / 6.0f even
    # in float64, so those agree to float32 precision only.
    rtol = 1e-7 if cls in ("Hardsigmoid", "Hardswish") else 1e-9
    compare_modules(torch, ours, theirs, x, rtol=rtol, atol=1e-12)


def test_activation_extreme_values_are_finite_like_torch():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for cls in ["Sigmoid", "Softplus", "LogSigmoid", "SiLU", "ELU", "Mish", "Tanh"]:
        compare_modules(torch, getattr(nn, cls)(), getattr(tnn, cls)(), x)
    compare_modules(torch, nn.Softmax(0), tnn.Softmax(0), x)
    compare_modules(torch, nn.LogSoftmax(0), tnn.LogSoftmax(0), x)
