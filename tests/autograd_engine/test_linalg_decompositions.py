"""``linalg.cholesky`` and ``linalg.solve_triangular`` against ``torch.linalg`` in float64:
values, first and second derivatives, batching and broadcasting, the errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_engine as ag

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

RNG = np.random.default_rng(3)
M = RNG.normal(size=(2, 4, 4))
SPD = M @ np.swapaxes(M, -1, -2) + 4 * np.eye(4)
TRI = RNG.normal(size=(2, 4, 4)) + 4 * np.eye(4)
B = RNG.normal(size=(4, 3))


def _pair(a):
    return ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=1e-12)


def _second_order(out, tout, x, tx):
    (g,) = ag.autograd.grad((out * out).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tout * tout).sum(), tx, create_graph=True)
    _close(g, tg)
    _close(ag.autograd.grad(g.sum(), x)[0], torch.autograd.grad(tg.sum(), tx)[0], rtol=1e-8)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(upper):
    (a, ta) = _pair(SPD)
    L, tL = ag.linalg.cholesky(a, upper=upper), torch.linalg.cholesky(ta, upper=upper)
    _close(L, tL)
    _second_order(L, tL, a, ta)


@pytest.mark.parametrize("upper, left, unit", list(itertools.product([False, True], repeat=3)))
def test_solve_triangular_matches_torch(upper, left, unit):
    (a, ta), (b, tb) = _pair(TRI), _pair(B if left else B.T.copy())
    x = ag.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit)
    tx = torch.linalg.solve_triangular(ta, tb, upper=upper, left=left, unitriangular=unit)
    assert tuple(x.shape) == tuple(tx.shape)  # B broadcast over A's batch
    _close(x, tx)
    for inp, tinp in ((a, ta), (b, tb)):
        _second_order(
            ag.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit),
            torch.linalg.solve_triangular(ta, tb, upper=upper, left=left, unitriangular=unit),
            inp,
            tinp,
        )


def test_errors_match_torch():
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]])
    for lib, t in ((ag, ag.tensor), (torch, torch.tensor)):
        with pytest.raises(RuntimeError, match="the leading minor of order 2 is not positive"):
            lib.linalg.cholesky(t(not_pd))
        with pytest.raises(RuntimeError, match="must be batches of square matrices"):
            lib.linalg.cholesky(t(np.ones((2, 3))))
        with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
            lib.linalg.solve_triangular(t(np.eye(3)), t(np.ones((2, 2))), upper=False)


def test_reachable_as_ag_linalg():
    assert ag.linalg.cholesky is ag.ops.cholesky
    assert ag.linalg.solve_triangular is ag.ops.solve_triangular
