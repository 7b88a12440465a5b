"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: values, gradients and indices against PyTorch
in float64, ties and NaN, finite differences (first and second order), float32, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.gradcheck import gradcheck, gradgradcheck
from autograd_engine.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d


def _compare(torch, device, ours, theirs, a):
    """Output (and indices, for a pair) and input gradient of ``ours`` and ``theirs`` on ``a``."""
    x = ag.tensor(a, device=device, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out, ref = ours(x), theirs(t)
    if isinstance(ref, tuple):
        np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
        assert out[1].dtype == ag.int64
        out, ref = out[0], ref[0]
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ag.tensor(g, device=device))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


MAX_CASES = [
    ((2, 3, 8, 8), {"kernel_size": 2}),  # the disjoint 2x2 path
    ((2, 3, 9, 7), {"kernel_size": 2}),  # odd sizes: the last row/column is dropped
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 2, 9, 8), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": 2}),
    ((1, 2, 10, 9), {"kernel_size": (2, 3), "stride": 3, "ceil_mode": True}),  # stride > kernel
    ((3, 10, 9), {"kernel_size": 2, "ceil_mode": True}),  # unbatched (C, H, W)
]


@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_matches_torch(torch, device, shape, kwargs):
    a = _randn(*shape)
    _compare(
        torch,
        device,
        lambda x: max_pool2d(x, **kwargs, return_indices=True),
        lambda t: torch.nn.functional.max_pool2d(t, **kwargs, return_indices=True),
        a,
    )
    _compare(
        torch,
        device,
        lambda x: max_pool2d(x, **kwargs),
        lambda t: torch.nn.functional.max_pool2d(t, **kwargs),
        a,
    )


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1}])
def test_max_pool2d_ties_go_to_the_first_maximum(torch, device, kwargs):
    a = np.maximum(_randn(2, 2, 6, 6), 0)  # after ReLU: windows of equal zeros
    a[0, 0] = 0.0
    a[1, 1, :, 3:] = 1.5
    _compare(
        torch,
        device,
        lambda x: max_pool2d(x, **kwargs, return_indices=True),
        lambda t: torch.nn.functional.max_pool2d(t, **kwargs, return_indices=True),
        a,
    )


def test_max_pool2d_signed_zero_ties_go_to_the_first(torch):
    a = -np.abs(_randn(1, 2, 4, 4))
    a[0, 0, 0, 0], a[0, 0, 1, 1] = -0.0, 0.0  # e.g. dropout's 0 * negative, then a ReLU 0
    a[0, 1, 0, 0], a[0, 1, 1, 1] = 0.0, -0.0
    _compare(
        torch,
        "cpu",
        lambda x: max_pool2d(x, 2, return_indices=True),
        lambda t: torch.nn.functional.max_pool2d(t, 2, return_indices=True),
        a,
    )
    out = max_pool2d(ag.tensor(a), 2).numpy()
    assert np.signbit(out[0, 0, 0, 0]) and not np.signbit(out[0, 1, 0, 0])


def test_max_pool2d_propagates_nan(torch):
    a = _randn(1, 1, 4, 4)
    a[0, 0, 1, 0] = np.nan
    out, idx = max_pool2d(ag.tensor(a), 2, return_indices=True)
    ref, ref_idx = torch.nn.functional.max_pool2d(torch.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())  # NaN where torch has NaN
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())


AVG_CASES = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 10, 7), {"kernel_size": (4, 3), "stride": (3, 2), "padding": (2, 1)}),
    ((1, 2, 7, 7), {"kernel_size": 3, "stride": 1, "padding": 1}),
    ((1, 2, 9, 8), {"kernel_size": 2, "stride": 3}),  # gaps between windows
    ((3, 9, 7), {"kernel_size": 2}),  # unbatched
]


@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(torch, device, shape, kwargs, ceil_mode, count_include_pad):
    kwargs = dict(kwargs, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    _compare(
        torch,
        device,
        lambda x: avg_pool2d(x, **kwargs),
        lambda t: torch.nn.functional.avg_pool2d(t, **kwargs),
        _randn(*shape),
    )


def test_avg_pool2d_divisor_override_matches_torch(torch, device):
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 4}
    _compare(
        torch,
        device,
        lambda x: avg_pool2d(x, **kwargs),
        lambda t: torch.nn.functional.avg_pool2d(t, **kwargs),
        _randn(2, 2, 7, 6),
    )


@pytest.mark.parametrize(
    "shape, output_size",
    [
        ((2, 3, 9, 7), 1),  # global average
        ((2, 3, 8, 6), (4, 3)),  # divisible: an ordinary avg_pool2d
        ((2, 3, 9, 7), (4, 3)),  # overlapping windows of different sizes
        ((2, 3, 9, 7), (5, None)),
        ((2, 3, 5, 4), (7, 6)),  # larger than the input
        ((3, 9, 7), 2),  # unbatched
    ],
)
def test_adaptive_avg_pool2d_matches_torch(torch, device, shape, output_size):
    _compare(
        torch,
        device,
        lambda x: adaptive_avg_pool2d(x, output_size),
        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, output_size),
        _randn(*shape),
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: max_pool2d(x, 2, 1, dilation=(1, 2)),
        lambda x: avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: adaptive_avg_pool2d(x, (3, 2)),
    ],
)
def test_finite_differences(fn):
    # distinct values: ties inside a max-pool window are kinks
    a = np.random.default_rng(2).permutation(50)[: 2 * 5 * 5].reshape(1, 2, 5, 5) / 10.0
    x = ag.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: fn(t) ** 2, (x,))
    assert gradgradcheck(lambda t: fn(t) ** 2, (x,))  # also the adjoint nodes' backward


def test_float32_stays_float32(device):
    x = ag.randn(2, 3, 8, 8, device=device, requires_grad=True)
    outs = [max_pool2d(x, 2), avg_pool2d(x, 3, 2, 1), adaptive_avg_pool2d(x, 3)]
    sum(o.sum() for o in outs).backward()
    assert {o.dtype for o in outs} | {x.grad.dtype} == {ag.float32}


X = ag.randn(2, 3, 6, 6)


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda: max_pool2d(ag.randn(3, 5), 2), RuntimeError, r"max_pool2d: expected a 4-D"),
        (lambda: max_pool2d(ag.randn(3, 5), 2), RuntimeError, r"input of shape \(3, 5\)"),
        (
            lambda: max_pool2d(X, 2, padding=2),
            RuntimeError,
            r"pad should be at most half of effective kernel size",
        ),
        (
            lambda: max_pool2d(ag.randn(1, 1, 1, 1), 2),
            RuntimeError,
            r"given input of shape \(1, 1, 1, 1\), the calculated output size \(0, 0\) is too",
        ),
        (lambda: max_pool2d(X, 0), RuntimeError, r"kernel_size must be greater than zero"),
        (lambda: max_pool2d(X, 2, stride=0), RuntimeError, r"stride must be greater than zero"),
        (lambda: max_pool2d(X, (2, 2, 2)), RuntimeError, r"kernel_size to be a single integer"),
        (lambda: avg_pool2d(X, 2, padding=2), RuntimeError, r"pad should be at most half"),
        (lambda: avg_pool2d(X, 2, divisor_override=0), RuntimeError, r"divisor must be not zero"),
        (lambda: avg_pool2d(ag.randn(2, 5, 5, 5, 5), 2), RuntimeError, r"avg_pool2d: expected"),
        (
            lambda: adaptive_avg_pool2d(ag.randn(3, 5), 2),
            RuntimeError,
            r"adaptive_avg_pool2d: expected a 4-D",
        ),
        (lambda: adaptive_avg_pool2d(X, (1, 2, 3)), ValueError, r"output_size must be an int"),
        (lambda: adaptive_avg_pool2d(X, 0), RuntimeError, r"output_size must be positive"),
    ],
)
def test_error_messages(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
