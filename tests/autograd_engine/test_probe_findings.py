"""Regression tests for the adversarial probe's findings in the core (issue 16: M1-M4, L1-L6),
each named for what it guards and checked against PyTorch where torch is installed."""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F


def _grad(fn, values, dtype=ag.float32):
    x = ag.tensor(values, dtype=dtype, requires_grad=True)
    fn(x).backward()
    return x.grad.numpy()


def _torch_grad(torch, fn, values, dtype=None):
    x = torch.tensor(values, dtype=dtype or torch.float32, requires_grad=True)
    fn(x).backward()
    return x.grad.numpy()


# --- M1: casts to discrete types leave the graph; integer tensors cannot require grad -------
def test_cast_to_integer_leaves_the_graph():
    x = ag.ones(3, requires_grad=True)
    assert not x.long().requires_grad and x.long().grad_fn is None
    assert not x.to(ag.bool).requires_grad
    y = (x.long().float() * 3).sum()
    assert not y.requires_grad  # so backward() raises instead of giving a gradient
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_integer_tensor_refuses_requires_grad_true():
    t = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad = True
    assert not t.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()


def test_non_leaf_refuses_requires_grad_false():
    y = ag.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    y.requires_grad = True  # a no-op on a tensor that already requires grad


# --- M2: std of a constant row has a finite (zero) gradient ----------------------------------
def test_std_of_zero_variance_row_has_zero_gradient(torch):
    values = [[1.0, 1.0, 1.0], [0.0, 1.0, 3.0]]
    ours = _grad(lambda x: x.std(dim=1).sum(), values)
    theirs = _torch_grad(torch, lambda x: x.std(dim=1).sum(), values)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_normalization_after_dead_unit_keeps_weight_gradient_finite():
    w = ag.tensor([[1.0, -1.0], [-1.0, -2.0]], requires_grad=True)
    x = ag.tensor([[1.0, 0.5], [2.0, 1.0], [0.5, 0.25]])
    h = (x @ w).relu()  # the second unit is dead on this batch: its column is constant 0
    z = (h - h.mean(0)) / (h.std(0) + 1e-5)
    z.sum().backward()
    assert np.isfinite(w.grad.numpy()).all()


# --- M3: float16 scale factors are computed in float32 ---------------------------------------
def test_float16_mean_over_more_than_65504_elements_has_a_gradient(torch):
    n = 70_000
    ours = _grad(lambda x: x.mean(), np.ones(n), dtype=ag.float16)
    theirs = _torch_grad(torch, lambda x: x.mean(), np.ones(n), dtype=torch.float16)
    assert ours[0] > 0
    np.testing.assert_array_equal(ours, theirs)


def test_float16_mse_loss_on_an_image_batch_has_a_gradient():
    rng = np.random.default_rng(0)
    a = ag.tensor(rng.standard_normal((64, 3, 32, 32)), dtype=ag.float16, requires_grad=True)
    F.mse_loss(a, ag.zeros(64, 3, 32, 32, dtype=ag.float16)).backward()
    assert np.abs(a.grad.numpy()).max() > 0


def test_float16_variance_over_many_elements_is_not_zero():
    x = ag.tensor(np.tile([0.0, 2.0], 40_000), dtype=ag.float16)
    assert float(x.var()) == pytest.approx(1.0, rel=1e-2)


# --- M4: Embedding refuses negative indices ---------------------------------------------------
def test_embedding_rejects_negative_index():
    emb = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(ag.tensor([-1]))
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(ag.tensor([3]))


# --- L1: NaN gradients as PyTorch's ----------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        ("max", lambda x: x.max(), [1.0, float("nan"), 3.0]),
        ("max_two_nans", lambda x: x.max(), [float("nan"), float("nan"), 2.0]),
        ("min", lambda x: x.min(), [1.0, float("nan"), 3.0]),
        ("amax", lambda x: x.amax(), [1.0, float("nan"), 3.0]),
        ("relu", lambda x: x.relu().sum(), [float("nan"), -1.0, 0.0, 2.0]),
    ],
    ids=lambda c: c[0],
)
def test_nan_gradients_match_pytorch(case, torch):
    _, fn, values = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = _grad(fn, values)
    theirs = _torch_grad(torch, fn, values)
    np.testing.assert_array_equal(ours, theirs)


# --- L2: empty and 0-d edge cases give PyTorch's results --------------------------------------
def test_softmax_over_an_empty_dim_is_empty():
    x = ag.zeros(3, 0, requires_grad=True)
    assert x.softmax(1).shape == (3, 0) and x.log_softmax(1).shape == (3, 0)


def test_logsumexp_of_empty_is_minus_inf(torch):
    ours = ag.zeros(0, 3).logsumexp(0)
    np.testing.assert_array_equal(ours.numpy(), torch.zeros(0, 3).logsumexp(0).numpy())


def test_zero_dim_reductions_accept_dim_zero():
    x = ag.tensor(2.0, requires_grad=True)
    for out in (x.sum(dim=0), x.sum(dim=-1), x.mean(0), x.amax(0), x.logsumexp(0)):
        assert out.shape == () and out.item() == 2.0
    values, indices = x.max(dim=0)
    assert values.item() == 2.0 and indices.item() == 0 and values.requires_grad
    assert x.argmax(0).item() == 0 and x.min(dim=-1).indices.item() == 0
    values.backward()
    assert x.grad.item() == 1.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(dim=1)


def test_batchnorm_on_an_empty_batch_returns_empty():
    bn = nn.BatchNorm1d(3)
    y = bn(ag.zeros(0, 3, requires_grad=True))
    assert y.shape == (0, 3)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    y.sum().backward()
    np.testing.assert_array_equal(bn.weight.grad.numpy(), np.zeros(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(ag.zeros(1, 3))


# --- L3: non-numeric arrays are refused at creation -------------------------------------------
@pytest.mark.parametrize(
    "array",
    [
        np.array(["a"]),
        np.array([object()]),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.zeros(2, dtype=[("a", "f4")]),
    ],
    ids=["str", "object", "datetime", "structured"],
)
def test_non_numeric_arrays_are_refused_at_creation(array):
    with pytest.raises(TypeError, match="can't convert"):
        ag.tensor(array)
    with pytest.raises(TypeError, match="can't convert"):
        ag.as_tensor(array)


# --- L4: view never copies --------------------------------------------------------------------
def test_view_of_non_contiguous_tensor_raises_and_suggests_reshape():
    t = ag.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"Use \.reshape\(\.\.\.\) instead"):
        t.T.view(6)
    np.testing.assert_array_equal(t.T.reshape(6).numpy(), [0, 3, 1, 4, 2, 5])


def test_view_shares_memory_with_its_base():
    t = ag.arange(6.0)
    t.view(2, 3).mul_(2)
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0) * 2)


# --- L5: deepcopy of a tensor with history is refused clearly -----------------------------------
def test_deepcopy_of_non_leaf_raises_instead_of_recursing():
    y = ag.ones(2, requires_grad=True)
    for _ in range(5000):
        y = y * 1.0
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)


def test_deepcopy_of_leaf_copies_data_and_grad():
    x = ag.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    c = copy.deepcopy(x)
    assert c.requires_grad and c.array is not x.array and c.grad.array is not x.grad.array
    np.testing.assert_array_equal(c.grad.numpy(), [3.0, 3.0])
    m = copy.deepcopy(nn.Linear(2, 2))
    assert isinstance(m.weight, nn.Parameter)


# --- L6: pow at zero -----------------------------------------------------------------------------
def test_pow_gradient_at_zero_base_matches_pytorch(torch):
    def powers(x, stack):
        return stack([x**k for k in range(3)], 1).sum()

    ours = _grad(lambda x: powers(x, ag.stack), [0.0, 0.5, 1.0])
    theirs = _torch_grad(torch, lambda x: powers(x, torch.stack), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [1.0, 2.0, 3.0])


def test_gradient_of_zero_to_the_power_e_matches_pytorch(torch):
    ours = _grad(lambda e: (ag.tensor(0.0) ** e).sum(), [0.0, 1.0])
    theirs = _torch_grad(torch, lambda e: (torch.tensor(0.0) ** e).sum(), [0.0, 1.0])
    np.testing.assert_array_equal(ours, theirs)


def test_pow_gradient_at_zero_emits_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _grad(lambda x: (x**0).sum() + (x**2).sum(), [0.0, 1.0])


# --- L12 (the core half): negative seeds wrap around as in PyTorch ------------------------------
def test_negative_seed_wraps_like_pytorch(torch):
    ag.manual_seed(-1)
    a = ag.randn(3).numpy()
    ag.manual_seed(2**64 - 1)
    np.testing.assert_array_equal(a, ag.randn(3).numpy())
    assert (
        ag.Generator().manual_seed(-5).initial_seed()
        == torch.Generator().manual_seed(-5).initial_seed()
    )
    with pytest.raises(ValueError, match="seed must be within the range"):
        ag.manual_seed(2**64)


def test_axpy_rounds_once_like_pytorch_add_with_alpha(torch):
    """SGD's update ``p += -lr * g`` (array_backend.axpy_) rounds each element once, as
    PyTorch's ``add_(g, alpha=-lr)`` does."""
    from autograd_engine.array_backend import axpy_

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        p, g = rng.standard_normal((2, 1000)).astype(dtype)
        ours = p.copy()
        axpy_(ours, g, -0.01)
        theirs = torch.from_numpy(p.copy()).add_(torch.from_numpy(g), alpha=-0.01).numpy()
        assert (ours == theirs).mean() > 0.999
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == np.float32 else 1e-15)
    strided = np.ones(6, np.float32)[::2]  # not contiguous: the NumPy fallback
    axpy_(strided, np.ones(3, np.float32), 2.0)
    np.testing.assert_array_equal(strided, [3.0, 3.0, 3.0])


def test_inf_and_nan_arithmetic_is_silent_as_in_pytorch():
    # In a fresh interpreter (pytest resets warning filters around collection): even with
    # RuntimeWarnings turned into errors, the engine's inf/NaN arithmetic is silent, while the
    # user's own NumPy call still raises.
    code = (
        "import numpy as np\n"
        "import autograd_engine as ag, nn.functional as F\n"
        "ag.log(ag.tensor([0.0])); ag.tensor([1.0]) / ag.tensor([0.0])\n"
        "F.cross_entropy(ag.tensor([[float('inf'), 0.0]]), ag.tensor([0]))\n"
        "try:\n"
        "    np.log(np.zeros(1))\n"
        "except RuntimeWarning as exc:\n"
        "    print('user warning:', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", code],
        capture_output=True, text=True, timeout=120, cwd=Path(ag.__file__).parent.parent,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "user warning: divide by zero encountered in log"
