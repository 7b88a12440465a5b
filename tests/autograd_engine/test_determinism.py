"""Determinism on the CPU: after ``manual_seed(n)`` the same program gives bit-identical results
(random creation, random in-place fills, generators, a training step, dropout, shuffling)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag


def _draws():
    return [
        ag.rand(3, 4).numpy(),
        ag.randn(5, dtype=ag.float64).numpy(),
        ag.randint(0, 100, (6,)).numpy(),
        ag.randperm(10).numpy(),
        ag.empty(2, 3).uniform_(-1, 1).numpy(),
        ag.empty(7).normal_(2.0, 0.5).numpy(),
        ag.rand_like(ag.zeros(2)).numpy(),
        ag.randn_like(ag.zeros(2)).numpy(),
    ]


def _assert_identical(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def test_manual_seed_replays_every_random_source():
    ag.manual_seed(1234)
    first = _draws()
    ag.manual_seed(1234)
    _assert_identical(first, _draws())
    ag.manual_seed(1235)
    other = _draws()
    assert not np.array_equal(first[0], other[0]) and not np.array_equal(first[5], other[5])


def test_generators_are_independent_of_the_default_one():
    g = ag.Generator().manual_seed(7)
    a = ag.rand(4, generator=g).numpy()
    ag.rand(100)  # the default generator moving on does not affect g's stream
    state = g.get_state()
    b = ag.empty(4).normal_(generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(ag.empty(4).normal_(generator=g).numpy(), b)
    np.testing.assert_array_equal(ag.rand(4, generator=ag.Generator().manual_seed(7)).numpy(), a)


def _training_run(seed: int):
    ag.manual_seed(seed)
    w1 = (ag.randn(6, 8) * 0.5).requires_grad_()
    w2 = (ag.randn(8, 3) * 0.5).requires_grad_()
    x = ag.randn(16, 6)
    target = ag.randint(0, 3, (16,))
    rows = ag.arange(16)
    for _ in range(5):
        h = (x @ w1).relu()
        loss = -(h @ w2).log_softmax(dim=1)[rows, target].mean()
        loss.backward()
        with ag.no_grad():
            for p in (w1, w2):
                p.sub_(p.grad, alpha=0.5)
                p.grad = None
    return [w1.numpy().copy(), w2.numpy().copy(), np.asarray(loss.item())]


def test_training_is_bit_identical_after_manual_seed():
    _assert_identical(_training_run(3), _training_run(3))


def test_dropout_masks_replay():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "Dropout"):
        pytest.skip("nn.Dropout is not available")
    drop = nn.Dropout(p=0.5)
    drop.train()
    x = ag.ones(64)
    ag.manual_seed(5)
    a = [drop(x).numpy() for _ in range(3)]
    ag.manual_seed(5)
    _assert_identical(a, [drop(x).numpy() for _ in range(3)])
    assert not np.array_equal(a[0], a[1])


def test_dataloader_shuffle_replays():
    data = pytest.importorskip("autograd_engine.utils.data")
    dataset = data.TensorDataset(ag.arange(50))

    def order():
        loader = data.DataLoader(dataset, batch_size=7, shuffle=True)
        return [batch[0].numpy() for batch in loader]

    ag.manual_seed(11)
    first = order()
    ag.manual_seed(11)
    _assert_identical(first, order())
    assert sorted(np.concatenate(first).tolist()) == list(range(50))
    ag.manual_seed(12)
    assert not np.array_equal(np.concatenate(first), np.concatenate(order()))


def test_module_initialization_replays():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("nn.Linear is not available")
    ag.manual_seed(9)
    a = [p.numpy().copy() for p in nn.Linear(5, 4).parameters()]
    ag.manual_seed(9)
    _assert_identical(a, [p.numpy().copy() for p in nn.Linear(5, 4).parameters()])
