"""Sampling functions (ops/random.py) against PyTorch: the same shapes, dtypes, gradients (zero,
as PyTorch's) and errors; the distributions checked by their moments (the random streams are
NumPy's, not PyTorch's, so single draws differ)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import same_error

import autograd_engine as ag


def _gen(seed=0):
    return ag.Generator().manual_seed(seed)


def test_shapes_and_dtypes_match_torch(torch):
    cases = [
        lambda L: L.normal(L.zeros(2, 3), L.ones(2, 3)),
        lambda L: L.normal(L.zeros(3), 2.0),
        lambda L: L.normal(1.0, L.ones(4)),
        lambda L: L.normal(0.0, 1.0, size=(2, 5)),
        lambda L: L.normal(L.zeros(3, 1), L.ones(1, 4)),
        lambda L: L.normal(0.0, 1.0, (2,), dtype=L.float64),
        lambda L: L.bernoulli(L.full((3, 2), 0.5)),
        lambda L: L.bernoulli(L.full((3,), 0.5, dtype=L.float64)),
        lambda L: L.bernoulli(L.zeros(4), 0.3),
        lambda L: L.poisson(L.ones(2, 2) * 3),
        lambda L: L.multinomial(L.tensor([1.0, 2.0, 3.0]), 2),
        lambda L: L.multinomial(L.tensor([[1.0, 2.0], [3.0, 0.0]]), 5, replacement=True),
        lambda L: L.ones(3).multinomial(3),
    ]
    for i, fn in enumerate(cases):
        o, t = fn(ag), fn(torch)
        assert tuple(o.shape) == tuple(t.shape), i
        assert repr(o.dtype).replace("autograd_engine", "torch") == repr(t.dtype), i


def test_moments():
    n = 200_000
    z = ag.normal(ag.full((n,), 2.0), ag.full((n,), 3.0), generator=_gen())
    assert abs(z.mean().item() - 2.0) < 0.03 and abs(z.std().item() - 3.0) < 0.03
    b = ag.bernoulli(ag.full((n,), 0.3), generator=_gen(1))
    assert set(np.unique(b.numpy())) <= {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.01
    p = ag.poisson(ag.full((n,), 4.0), generator=_gen(2))
    assert abs(p.mean().item() - 4.0) < 0.03 and abs(p.var().item() - 4.0) < 0.1
    w = ag.tensor([1.0, 2.0, 0.0, 5.0])
    draws = ag.multinomial(w, n, replacement=True, generator=_gen(3)).numpy()
    freq = np.bincount(draws, minlength=4) / n
    np.testing.assert_allclose(freq, [1 / 8, 2 / 8, 0, 5 / 8], atol=0.005)


def test_multinomial_without_replacement():
    w = ag.tensor([[0.0, 1.0, 5.0, 0.0, 2.0]] * 3)
    out = ag.multinomial(w, 5, generator=_gen()).numpy()
    for row in out:
        assert sorted(row) == [0, 1, 2, 3, 4]  # each category once
        assert set(row[:3]) == {1, 2, 4}  # positive weights before zero ones
    firsts = ag.multinomial(ag.tensor([1.0, 9.0]).expand(20000, 2), 1, generator=_gen(5))
    assert abs(firsts.double().mean().item() - 0.9) < 0.01


def test_generator_makes_draws_reproducible():
    a = ag.normal(0.0, 1.0, size=(5,), generator=_gen(7))
    b = ag.normal(0.0, 1.0, size=(5,), generator=_gen(7))
    assert np.array_equal(a.numpy(), b.numpy())
    ag.manual_seed(3)
    c = ag.multinomial(ag.ones(10), 4)
    ag.manual_seed(3)
    assert np.array_equal(c.numpy(), ag.multinomial(ag.ones(10), 4).numpy())


def test_gradients_are_zero_as_in_torch(torch):
    for lib in (ag, torch):
        m = lib.zeros(3, requires_grad=True)
        s = lib.ones(3, requires_grad=True)
        p = lib.full((3,), 0.5, requires_grad=True)
        (lib.normal(m, s).sum() + lib.bernoulli(p).sum()).backward()
        for t in (m, s, p):
            assert np.array_equal(np.asarray(t.grad.detach().numpy() if lib is torch else
                                             t.grad.numpy()), np.zeros(3))  # fmt: skip
    out = ag.normal(ag.zeros(2, requires_grad=True), 1.0)
    assert out.grad_fn.name() == type(torch.normal(torch.zeros(2, requires_grad=True),
                                                   1.0).grad_fn).__name__  # fmt: skip


def test_inplace_fills(torch):
    x = ag.zeros(10000)
    assert x.bernoulli_(0.25, generator=_gen()) is x and abs(x.mean().item() - 0.25) < 0.02
    assert x.random_(0, 10, generator=_gen()) is x
    assert x.min().item() >= 0 and x.max().item() <= 9 and np.all(x.numpy() == np.round(x.numpy()))
    ints = ag.zeros(1000, dtype=ag.int64).random_(5)
    assert ints.dtype is ag.int64 and set(np.unique(ints.numpy())) <= set(range(5))
    assert abs(x.exponential_(2.0).mean().item() - 0.5) < 0.05
    g = x.geometric_(0.5)
    assert g.min().item() >= 1 and abs(g.mean().item() - 2.0) < 0.1
    assert np.all(x.log_normal_(0.0, 0.5).numpy() > 0)
    assert np.isfinite(x.cauchy_().numpy()).all()
    big = ag.zeros(1000).random_()
    assert big.max().item() <= 2**24 and big.max().item() > 1000
    v = ag.zeros(3)
    before = v._version
    v.bernoulli_(0.5)
    assert v._version == before + 1


ERRORS = [
    (lambda L: L.normal(0.0, -1.0, size=(2,)), "std >= 0.0"),
    (lambda L: L.normal(L.zeros(2), L.ones(3)), "must match the size"),
    (lambda L: L.normal(0.0, 1.0), None),
    (lambda L: L.bernoulli(L.tensor([1.5])), "p_in >= 0"),
    (lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
    (lambda L: L.multinomial(L.tensor([-1.0, 2.0]), 1), "element < 0"),
    (lambda L: L.multinomial(L.tensor([1.0, 2.0]), 3), "without replacement"),
    (lambda L: L.multinomial(L.tensor([1, 2]), 1), "floating-point dtypes"),
    (lambda L: L.multinomial(L.ones(2, 2, 2), 1), "1 or 2 dim"),
    (lambda L: L.zeros(3).random_(5, 2), None),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_pytorchs(torch, case):
    fn, match = ERRORS[case]
    same_error(fn, torch=torch, match=match)
