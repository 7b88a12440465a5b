"""PyTorch as the oracle: forward values and gradients of the core ops equal torch's in
float64 (skipped where torch is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

RNG = np.random.default_rng(0)

# (name, function applied identically to our tensors and torch's, input shapes, input domain)
CASES = [
    ("add_broadcast", lambda a, b: a + b, [(3, 1, 4), (2, 4)], (-2, 2)),
    ("sub_scalar", lambda a: 1.5 - a, [(3, 4)], (-2, 2)),
    ("mul_div", lambda a, b: a * b / (b * b + 1), [(3, 4), (4,)], (-2, 2)),
    ("pow", lambda a, b: a**b, [(3, 4), (3, 4)], (0.5, 2)),
    ("pow_scalar", lambda a: a**3 + a**0.5, [(5,)], (0.5, 2)),
    ("neg_abs", lambda a: (-a).abs(), [(6,)], (-2, 2)),
    ("exp_log", lambda a: a.exp() + a.log() + a.log1p() + a.expm1(), [(3, 4)], (0.2, 2)),
    ("sqrt_rsqrt", lambda a: a.sqrt() + a.rsqrt(), [(3, 4)], (0.2, 2)),
    ("trig", lambda a: a.sin() * a.cos() + a.tanh(), [(3, 4)], (-2, 2)),
    ("sigmoid", lambda a: a.sigmoid(), [(3, 4)], (-30, 30)),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), [(20,)], (-2, 2)),
    ("clamp_min", lambda a: a.clamp(min=0.1), [(20,)], (-2, 2)),
    ("maximum", lambda a, b: a.maximum(b) + a.minimum(b) * 2, [(4, 5), (5,)], (-2, 2)),
    (
        "where",
        lambda a, b: (
            ag.where(a > b, a, b) if isinstance(a, ag.Tensor) else torch.where(a > b, a, b)
        ),
        [(4, 5), (4, 5)],
        (-2, 2),
    ),  # noqa: E501
    ("relu_family", lambda a: a.relu() + 0 * a, [(4, 5)], (-2, 2)),
    ("sum_mean", lambda a: a.sum(1) + a.mean((0, 2), keepdim=True).sum(), [(2, 3, 4)], (-2, 2)),
    ("prod", lambda a: a.prod(1), [(3, 4)], (0.5, 1.5)),
    ("amax_amin", lambda a: a.amax(1) + a.amin((0, 1)), [(3, 4)], (-2, 2)),
    ("max_dim", lambda a: a.max(1).values + a.min(0, keepdim=True).values.sum(), [(3, 4)], (-2, 2)),  # noqa: E501
    ("max_all", lambda a: a.max() + a.min(), [(3, 4)], (-2, 2)),
    ("var_std", lambda a: a.var(1) + a.std(0).sum() + a.var(), [(3, 4)], (-2, 2)),
    ("logsumexp", lambda a: a.logsumexp(1) + a.logsumexp((0, 1)), [(3, 4)], (-50, 50)),
    ("softmax", lambda a: a.softmax(-1) * a.log_softmax(0), [(3, 4)], (-50, 50)),
    ("matmul_2d", lambda a, b: a @ b, [(3, 4), (4, 5)], (-2, 2)),
    ("matmul_batched", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], (-2, 2)),
    ("matmul_vec", lambda a, b: a @ b, [(4,), (2, 4, 3)], (-2, 2)),
    ("matmul_mv", lambda a, b: a @ b, [(3, 4), (4,)], (-2, 2)),
    (
        "reshape_permute",
        lambda a: a.reshape(4, 6).permute(1, 0).transpose(0, 1).flatten(),
        [(2, 3, 4)],
        (-2, 2),
    ),  # noqa: E501
    ("expand", lambda a: a.expand(3, 4, 5), [(4, 1)], (-2, 2)),
    ("unsqueeze_squeeze", lambda a: a.unsqueeze(1).squeeze(), [(3, 1, 4)], (-2, 2)),
    ("getitem_basic", lambda a: a[1:, ::2, None, 0], [(3, 4, 5)], (-2, 2)),
    ("flip_repeat", lambda a: a.flip(0).repeat(2, 3), [(2, 3)], (-2, 2)),
    ("split_chunk", lambda a: a.split(2, 1)[1] * 3 + a.chunk(2, 1)[0], [(3, 4)], (-2, 2)),
]


def _activation_cases():
    import torch.nn.functional as TF

    return [
        ("leaky_relu", lambda a: ag.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2)),
        ("elu", lambda a: ag.elu(a, 0.7), lambda a: TF.elu(a, 0.7)),
        ("selu", ag.selu, TF.selu),
        ("gelu", ag.gelu, TF.gelu),
        ("gelu_tanh", lambda a: ag.gelu(a, "tanh"), lambda a: TF.gelu(a, approximate="tanh")),
        ("silu", ag.silu, TF.silu),
        ("softplus", lambda a: ag.softplus(a, 2.0, 5.0), lambda a: TF.softplus(a, 2.0, 5.0)),
        ("log_softmax", lambda a: ag.log_softmax(a, 1), lambda a: TF.log_softmax(a, 1)),
        (
            "pad",
            lambda a: ag.ops.pad(a, (1, 2, 0, 1), value=0.3),
            lambda a: TF.pad(a, (1, 2, 0, 1), value=0.3),
        ),  # noqa: E501
        (
            "einsum",
            lambda a: ag.einsum("ij,kj->ik", a, a),
            lambda a: torch.einsum("ij,kj->ik", a, a),
        ),  # noqa: E501
        (
            "cat_stack",
            lambda a: ag.cat([a, ag.stack([a[0], a[1]])], 0),
            lambda a: torch.cat([a, torch.stack([a[0], a[1]])], 0),
        ),  # noqa: E501
        (
            "index_array",
            lambda a: a[ag.tensor([0, 2, 0])] * a[a > 0].sum(),
            lambda a: a[torch.tensor([0, 2, 0])] * a[a > 0].sum(),
        ),  # noqa: E501
    ]


def _check(ours_fn, torch_fn, shapes, domain):
    arrays = [RNG.uniform(*domain, size=s) for s in shapes]
    ours_in = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = ours_fn(*ours_in), torch_fn(*theirs_in)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = RNG.standard_normal(theirs.shape)
    (ours * ag.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for o, t in zip(ours_in, theirs_in):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,fn,shapes,domain", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradients_match_torch(name, fn, shapes, domain):
    _check(fn, fn, shapes, domain)


@pytest.mark.parametrize("index", range(12))
def test_activations_match_torch(index):
    name, ours, theirs = _activation_cases()[index]
    _check(ours, theirs, [(3, 4)], (-3, 3))


def test_second_order_matches_torch():
    a = RNG.standard_normal((3, 4))
    x = ag.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    (gx,) = ag.grad((x.tanh() * x.sigmoid()).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((t.tanh() * t.sigmoid()).sum(), t, create_graph=True)
    (hx,) = ag.grad((gx**2).sum(), x)
    (ht,) = torch.autograd.grad((gt**2).sum(), t)
    np.testing.assert_allclose(hx.numpy(), ht.numpy(), rtol=1e-10)


def test_float32_results_match_torch_float32():
    a = RNG.standard_normal((8, 16)).astype(np.float32)
    w = RNG.standard_normal((16, 4)).astype(np.float32)
    ours = (ag.tensor(a) @ ag.tensor(w)).log_softmax(-1)
    theirs = (torch.tensor(a) @ torch.tensor(w)).log_softmax(-1)
    assert ours.dtype == ag.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
