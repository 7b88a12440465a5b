"""batch_norm, layer_norm, group_norm: values, gradients and running statistics against
PyTorch in float64, second order, finite differences, float32 in and out, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.gradcheck import gradcheck, gradgradcheck
from autograd_engine.ops.normalization import batch_norm, group_norm, layer_norm


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [None if s is None else rng.standard_normal(s) for s in shapes]


def _compare(torch, device, ours, theirs, arrays, second_order=False):
    """Output and every input's gradient of ``ours`` and ``theirs`` on float64 ``arrays``
    (None stays None); with ``second_order``, also the gradient of the squared gradients."""
    xs = [None if a is None else ag.tensor(a, device=device, requires_grad=True) for a in arrays]
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(out.shape)
    live = [i for i, a in enumerate(arrays) if a is not None]
    if second_order:
        grads = ag.grad(out, [xs[i] for i in live], ag.tensor(g, device=device), create_graph=True)
        tgrads = torch.autograd.grad(ref, [ts[i] for i in live], torch.tensor(g), create_graph=True)
        out = (grads[0] * grads[0]).sum()
        for gi in grads[1:]:
            out = out + (gi * gi).sum()
        ref = sum((t * t).sum() for t in tgrads)
        out.backward()
        ref.backward()
    else:
        out.backward(ag.tensor(g, device=device))
        ref.backward(torch.tensor(g))
    for i in live:
        if ts[i].grad is None:
            assert xs[i].grad is None or not xs[i].grad.numpy().any()
            continue
        np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), 1e-9, 1e-10)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_batch_norm_matches_torch(torch, device, shape, training, affine):
    c = shape[1]
    rng = np.random.default_rng(3)
    mean, var = rng.standard_normal(c), rng.random(c) + 0.5
    ours_stats = [ag.tensor(mean.copy(), device=device), ag.tensor(var.copy(), device=device)]
    torch_stats = [torch.tensor(mean.copy()), torch.tensor(var.copy())]
    shapes = [shape, (c,) if affine != "none" else None, (c,) if affine == "both" else None]
    kwargs = {"training": training, "momentum": 0.3, "eps": 1e-4}
    _compare(
        torch,
        device,
        lambda x, w, b: batch_norm(x, *ours_stats, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.batch_norm(x, *torch_stats, w, b, **kwargs),
        _arrays(0, *shapes),
    )
    for ours, theirs in zip(ours_stats, torch_stats):  # updated in place in training only
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    if not training:
        np.testing.assert_array_equal(ours_stats[1].numpy(), var)


def test_batch_norm_without_running_stats_and_under_no_grad(torch):
    (a,) = _arrays(4, (5, 2, 3))
    out = batch_norm(ag.tensor(a), None, None, training=True)
    ref = torch.nn.functional.batch_norm(torch.tensor(a), None, None, training=True)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)
    stats = [ag.zeros(2, dtype=ag.float64), ag.ones(2, dtype=ag.float64)]
    with ag.no_grad():  # the running statistics still move, as in PyTorch
        batch_norm(ag.tensor(a), *stats, training=True)
    torch_stats = [torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    torch.nn.functional.batch_norm(torch.tensor(a), *torch_stats, training=True)
    for ours, theirs in zip(stats, torch_stats):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "shape, normalized_shape", [((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))]
)
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_layer_norm_matches_torch(torch, device, shape, normalized_shape, affine):
    shapes = [
        shape,
        normalized_shape if affine in ("both", "weight") else None,
        normalized_shape if affine in ("both", "bias") else None,
    ]
    _compare(
        torch,
        device,
        lambda x, w, b: layer_norm(x, normalized_shape, w, b, eps=1e-3),
        lambda x, w, b: torch.nn.functional.layer_norm(x, normalized_shape, w, b, eps=1e-3),
        _arrays(5, *shapes),
    )


@pytest.mark.parametrize(
    "shape, groups", [((2, 6), 3), ((2, 6, 5), 2), ((2, 4, 3, 3), 4), ((3, 4, 2, 3), 1)]
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(torch, device, shape, groups, affine):
    c = shape[1]
    shapes = [shape, (c,) if affine else None, (c,) if affine else None]
    _compare(
        torch,
        device,
        lambda x, w, b: group_norm(x, groups, w, b),
        lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b),
        _arrays(6, *shapes),
    )


@pytest.mark.parametrize("which", ["batch_train", "batch_eval", "layer", "group"])
def test_second_order_matches_torch(torch, device, which):
    """Under create_graph the statistics are recomputed with Tensor ops, so the gradient is
    differentiable in the input, weight and upstream gradient."""
    F = torch.nn.functional
    mean, var = np.linspace(-1, 1, 4), np.linspace(0.5, 2, 4)
    ours_fn = {
        "batch_train": lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
        "batch_eval": lambda x, w, b: batch_norm(
            x, ag.tensor(mean, device=device), ag.tensor(var, device=device), w, b
        ),
        "layer": lambda x, w, b: layer_norm(x, (3, 2), w.reshape(3, 2), None),
        "group": lambda x, w, b: group_norm(x, 2, w, b),
    }[which]
    torch_fn = {
        "batch_train": lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        "batch_eval": lambda x, w, b: F.batch_norm(x, torch.tensor(mean), torch.tensor(var), w, b),
        "layer": lambda x, w, b: F.layer_norm(x, (3, 2), w.reshape(3, 2), None),
        "group": lambda x, w, b: F.group_norm(x, 2, w, b),
    }[which]
    shapes = [(3, 4, 3, 2), (4,), (4,)] if which != "layer" else [(3, 4, 3, 2), (6,), None]
    _compare(torch, device, ours_fn, torch_fn, _arrays(7, *shapes), second_order=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: layer_norm(x, (2,), w, b),
        lambda x, w, b: group_norm(x.reshape(3, 2, 2, 1), 1, w, b),
    ],
)
def test_finite_differences(fn):
    x, w, b = (ag.tensor(a, requires_grad=True) for a in _arrays(8, (3, 2, 2), (2,), (2,)))
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_float32_stays_float32(device):
    x = ag.randn(4, 3, 5, 5, device=device, requires_grad=True)
    w = ag.ones(3, device=device, requires_grad=True)
    b = ag.zeros(3, device=device, requires_grad=True)
    stats = [ag.zeros(3, device=device), ag.ones(3, device=device)]
    outs = [
        batch_norm(x, *stats, w, b, training=True),
        batch_norm(x, *stats, w, b),
        layer_norm(x, (5, 5)),
        group_norm(x, 3, w, b),
    ]
    sum(o.sum() for o in outs).backward()
    dtypes = {t.dtype for t in outs + stats + [x.grad, w.grad, b.grad]}
    assert dtypes == {ag.float32}


X = ag.randn(2, 3, 4, 4)
C3 = ag.ones(3)


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (
            lambda: batch_norm(X, None, None),
            RuntimeError,
            r"running_mean and running_var must be defined in evaluation mode",
        ),
        (
            lambda: batch_norm(ag.randn(1, 3), C3, C3, training=True),
            ValueError,
            r"Expected more than 1 value per channel when training, got input of shape \(1, 3\)",
        ),
        (
            lambda: batch_norm(X, ag.zeros(4), C3),
            RuntimeError,
            r"expected running_mean of shape \(3,\) for input of shape \(2, 3, 4, 4\), but got "
            r"running_mean of shape \(4,\)",
        ),
        (lambda: batch_norm(X, C3, C3, ag.ones(4)), RuntimeError, r"expected weight of shape"),
        (lambda: batch_norm(ag.randn(4), C3, C3), RuntimeError, r"at least 2 dims"),
        (
            lambda: batch_norm(X, C3, C3, C3.double()),
            RuntimeError,
            r"input dtype autograd_engine.float32 and weight dtype autograd_engine.float64",
        ),
        (
            lambda: layer_norm(X, (3,)),
            RuntimeError,
            r"normalized_shape=\(3,\), expected input with shape \(\*, 3\), but got input of "
            r"shape \(2, 3, 4, 4\)",
        ),
        (lambda: layer_norm(X, (4,), ag.ones(3)), RuntimeError, r"expected weight of shape \(4,"),
        (
            lambda: group_norm(X, 2),
            RuntimeError,
            r"divisible by num_groups, but got input of shape \(2, 3, 4, 4\) and num_groups=2",
        ),
        (lambda: group_norm(X, 3, ag.ones(4)), RuntimeError, r"expected weight of shape \(3,\)"),
        (lambda: group_norm(ag.randn(2, 4, 1), 4), ValueError, r"more than 1 value per group"),
        (lambda: layer_norm(X.numpy(), (4,)), TypeError, r"input must be a Tensor"),
    ],
)
def test_error_messages(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
