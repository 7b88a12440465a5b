"""conv1d, conv2d, conv_transpose1d/2d: values and gradients against PyTorch in float64, second
order through create_graph, finite differences, float32 in and out, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.gradcheck import gradcheck, gradgradcheck
from autograd_engine.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [None if s is None else rng.standard_normal(s) for s in shapes]


def _compare(torch, device, ours, theirs, arrays, second_order=False):
    """Run ``ours`` and ``theirs`` on float64 copies of ``arrays`` (None stays None); compare
    the output and every input's gradient (and, with ``second_order``, the gradient of the
    squared first-order gradients)."""
    xs = [None if a is None else ag.tensor(a, device=device, requires_grad=True) for a in arrays]
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(out.shape)
    live = [i for i, a in enumerate(arrays) if a is not None]
    if not second_order:
        out.backward(ag.tensor(g, device=device))
        ref.backward(torch.tensor(g))
        for i in live:
            np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), 1e-10, 1e-10)
        return
    grads = ag.grad(out, [xs[i] for i in live], ag.tensor(g, device=device), create_graph=True)
    tgrads = torch.autograd.grad(ref, [ts[i] for i in live], torch.tensor(g), create_graph=True)
    total = (grads[0] * grads[0]).sum()
    for gi in grads[1:]:
        total = total + (gi * gi).sum()
    total.backward()
    sum((t * t).sum() for t in tgrads).backward()
    for i in live:
        if ts[i].grad is None:  # e.g. the bias: its gradient does not depend on the inputs
            assert xs[i].grad is None or not xs[i].grad.numpy().any()
            continue
        np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), 1e-9, 1e-10)


CONV2D_CASES = [
    # x shape, w shape, bias, kwargs
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), True, {"stride": 2, "padding": 1}),
    ((1, 4, 9, 8), (6, 2, 3, 3), True, {"stride": (2, 3), "padding": (1, 2), "groups": 2}),
    ((2, 2, 9, 8), (3, 2, 2, 3), False, {"dilation": (2, 1), "padding": (2, 0)}),
    ((2, 3, 6, 7), (4, 3, 4, 3), True, {"padding": "same"}),  # even kernel: asymmetric
    ((2, 3, 6, 7), (4, 3, 3, 2), False, {"padding": "same", "dilation": 2}),
    ((2, 3, 6, 7), (5, 3, 3, 3), True, {"padding": "valid", "stride": 3}),
    ((2, 6, 5, 5), (6, 1, 3, 3), True, {"padding": 1, "groups": 6}),  # depthwise
    ((3, 4, 5, 5), (2, 4, 1, 1), True, {}),  # 1x1
    ((3, 7, 8), (4, 3, 3, 3), True, {"padding": 1}),  # unbatched (C, H, W)
]


@pytest.mark.parametrize("x_shape, w_shape, bias, kwargs", CONV2D_CASES)
def test_conv2d_matches_torch(torch, device, x_shape, w_shape, bias, kwargs):
    arrays = _arrays(0, x_shape, w_shape, (w_shape[0],) if bias else None)
    _compare(
        torch,
        device,
        lambda x, w, b: conv2d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs),
        arrays,
    )


CONV1D_CASES = [
    ((2, 3, 11), (4, 3, 3), True, {}),
    ((2, 4, 11), (6, 2, 3), True, {"stride": 2, "padding": 2, "groups": 2}),
    ((2, 4, 11), (5, 4, 4), False, {"padding": "same", "dilation": 3}),
    ((4, 9), (2, 4, 2), True, {"stride": 3}),  # unbatched (C, L)
]


@pytest.mark.parametrize("x_shape, w_shape, bias, kwargs", CONV1D_CASES)
def test_conv1d_matches_torch(torch, device, x_shape, w_shape, bias, kwargs):
    arrays = _arrays(2, x_shape, w_shape, (w_shape[0],) if bias else None)
    _compare(
        torch,
        device,
        lambda x, w, b: conv1d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kwargs),
        arrays,
    )


CONV_TRANSPOSE2D_CASES = [
    # x shape, w shape (C_in, C_out/groups, kH, kW), bias channels, kwargs
    ((2, 4, 5, 4), (4, 3, 3, 3), 3, {}),
    ((2, 4, 5, 4), (4, 3, 3, 2), 3, {"stride": 2, "padding": 1, "output_padding": 1}),
    (
        (1, 4, 4, 5),
        (4, 3, 3, 2),
        6,
        {"stride": (2, 3), "padding": (1, 0), "output_padding": (0, 2), "groups": 2},
    ),
    ((2, 2, 4, 4), (2, 3, 2, 3), None, {"dilation": 2, "output_padding": 1}),  # op < dilation
    ((3, 4, 4), (3, 2, 3, 3), 2, {"stride": 2}),  # unbatched
]


@pytest.mark.parametrize("x_shape, w_shape, bias, kwargs", CONV_TRANSPOSE2D_CASES)
def test_conv_transpose2d_matches_torch(torch, device, x_shape, w_shape, bias, kwargs):
    arrays = _arrays(3, x_shape, w_shape, (bias,) if bias else None)
    _compare(
        torch,
        device,
        lambda x, w, b: conv_transpose2d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kwargs),
        arrays,
    )


def test_conv_transpose1d_matches_torch(torch, device):
    kwargs = {"stride": 3, "padding": 1, "output_padding": 2, "dilation": 2}
    _compare(
        torch,
        device,
        lambda x, w, b: conv_transpose1d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv_transpose1d(x, w, b, **kwargs),
        _arrays(4, (2, 4, 5), (4, 3, 3), (3,)),
    )


@pytest.mark.parametrize(
    "fn, x_shape, w_shape, kwargs",
    [
        ("conv2d", (2, 4, 6, 5), (4, 2, 3, 2), {"stride": 2, "padding": 1, "groups": 2}),
        ("conv2d", (2, 3, 6, 5), (2, 3, 2, 3), {"padding": "same", "dilation": (1, 2)}),
        ("conv_transpose2d", (2, 4, 3, 4), (4, 1, 3, 2), {"stride": 2, "output_padding": 1}),
    ],
)
def test_second_order_matches_torch(torch, device, fn, x_shape, w_shape, kwargs):
    """The backward of each conv node is built from the other two, so grad-of-grad works."""
    ours = {"conv2d": conv2d, "conv_transpose2d": conv_transpose2d}[fn]
    theirs = getattr(torch.nn.functional, fn)
    c_out = w_shape[0] if fn == "conv2d" else w_shape[1] * kwargs.get("groups", 1)
    _compare(
        torch,
        device,
        lambda x, w, b: ours(x, w, b, **kwargs),
        lambda x, w, b: theirs(x, w, b, **kwargs),
        _arrays(5, x_shape, w_shape, (c_out,)),
        second_order=True,
    )


@pytest.mark.parametrize(
    "fn, shapes, kwargs",
    [
        (conv2d, [(1, 2, 4, 5), (2, 1, 2, 3), (2,)], {"stride": (1, 2), "padding": 1, "groups": 2}),
        (conv2d, [(2, 1, 4, 4), (1, 1, 3, 2), None], {"padding": "same", "dilation": 2}),
        (conv1d, [(1, 2, 6), (3, 2, 3), (3,)], {"stride": 2, "padding": 1}),
        (conv_transpose2d, [(1, 2, 3, 3), (2, 2, 2, 3), (2,)], {"stride": 2, "padding": 1}),
    ],
)
def test_finite_differences(fn, shapes, kwargs):
    inputs = [None if a is None else ag.tensor(a, requires_grad=True) for a in _arrays(6, *shapes)]

    def f(x, w, b):
        return fn(x, w, b, **kwargs)

    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_float32_stays_float32(device):
    x = ag.randn(2, 3, 8, 8, device=device, requires_grad=True)
    w = ag.randn(4, 3, 3, 3, device=device, requires_grad=True)
    b = ag.zeros(4, device=device, requires_grad=True)
    y = conv2d(x, w, b, padding=1)
    z = conv_transpose2d(y, w, b[:3], stride=2)
    (y.sum() + z.sum()).backward()
    assert {t.dtype for t in (y, z, x.grad, w.grad, b.grad)} == {ag.float32}


def test_no_graph_without_grad():
    x, w = ag.randn(1, 2, 5, 5), ag.randn(3, 2, 3, 3, requires_grad=True)
    with ag.no_grad():
        y = conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad
    assert conv2d(x, w.detach()).grad_fn is None


def test_weight_gradient_accumulates_and_graph_is_freed():
    x = ag.randn(2, 1, 6, 6, dtype=ag.float64)
    w = ag.randn(2, 1, 3, 3, dtype=ag.float64, requires_grad=True)
    y = conv2d(x, w).sum()
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


X = ag.randn(2, 3, 5, 5)
W = ag.randn(4, 3, 3, 3)


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda: conv2d(ag.randn(3, 5), W), RuntimeError, r"conv2d: expected a 4-D \(N, C, H, W\)"),
        (lambda: conv2d(ag.randn(3, 5), W), RuntimeError, r"got input of shape \(3, 5\)"),
        (
            lambda: conv2d(ag.randn(2, 2, 5, 5), W),
            RuntimeError,
            r"weight of shape \(4, 3, 3, 3\) expects input with 3 channels, but got input of "
            r"shape \(2, 2, 5, 5\) with 2 channels",
        ),
        (lambda: conv2d(X, ag.randn(4, 3, 3)), RuntimeError, r"expected a 4-D weight"),
        (lambda: conv2d(X, W, ag.randn(3)), RuntimeError, r"bias to be 1-D with 4 elements"),
        (lambda: conv2d(X, W, groups=2), RuntimeError, r"given groups=2"),
        (lambda: conv2d(X, W, groups=0), RuntimeError, r"non-positive groups"),
        (lambda: conv2d(X, W, stride=0), RuntimeError, r"non-positive stride"),
        (lambda: conv2d(X, W, padding=-1), RuntimeError, r"negative padding"),
        (lambda: conv2d(X, W, stride=(1, 2, 3)), RuntimeError, r"list of 2 values"),
        (lambda: conv2d(X, W, padding="full"), ValueError, r"invalid padding string 'full'"),
        (lambda: conv2d(X, W, padding="same", stride=2), ValueError, r"strided convolutions"),
        (
            lambda: conv2d(ag.randn(1, 3, 2, 2), W),
            RuntimeError,
            r"padded input size per channel \(2 x 2\) is smaller than the dilated kernel \(3 x 3\)",
        ),
        (
            lambda: conv2d(X.double(), W),
            RuntimeError,
            r"input dtype autograd_engine.float64 and weight dtype",
        ),
        (lambda: conv2d(ag.ones(2, 3, 5, 5, dtype=ag.int64), W), RuntimeError, r"floating point"),
        (lambda: conv2d(X.numpy(), W), TypeError, r"input must be a Tensor"),
        (lambda: conv1d(X, W), RuntimeError, r"conv1d: expected a 3-D \(N, C, L\)"),
        (
            lambda: conv_transpose2d(X, ag.randn(4, 2, 3, 3)),
            RuntimeError,
            r"weight of shape \(4, 2, 3, 3\) expects input with 4 channels",
        ),
        (
            lambda: conv_transpose2d(X, ag.randn(3, 2, 3, 3), output_padding=1),
            RuntimeError,
            r"output padding must be smaller than either stride or dilation",
        ),
        (
            lambda: conv_transpose2d(ag.randn(1, 3, 1, 1), ag.randn(3, 2, 1, 1), padding=1),
            RuntimeError,
            r"output size -1 .* too small",
        ),
    ],
)
def test_error_messages(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
