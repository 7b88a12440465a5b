"""Memory: a graph is freed by reference counting alone (no cycles between tensors and nodes),
backward releases what nodes saved, a ``no_grad`` forward keeps nothing, and a 2,000-step
training loop holds its memory flat."""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_engine as ag


@contextlib.contextmanager
def gc_off():
    """Run without the cycle collector: what is freed here is freed by reference counting."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _graph(x, w):
    h = (x @ w).relu()
    p = h.log_softmax(dim=1)
    return h, p, -p.mean()


def _refs(*objs):
    return [weakref.ref(o) for o in objs]


@pytest.mark.parametrize("do_backward", [True, False])
def test_graph_is_freed_without_the_cycle_collector(do_backward):
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.normal(size=(4, 5)))
    w = ag.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    with gc_off():
        h, p, loss = _graph(x, w)
        refs = _refs(h, p, loss, h.array, p.array, h.grad_fn, p.grad_fn, loss.grad_fn)
        if do_backward:
            loss.backward()
        del h, p, loss
        assert [r() for r in refs] == [None] * len(refs)
    assert w.grad is not None or not do_backward


def test_backward_releases_saved_values_while_the_output_lives():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with gc_off():
        y = x.exp()  # ExpBackward saves its output array
        z = y.sum()
        node = y.grad_fn
        ref = weakref.ref(y.array)
        del y
        assert ref() is not None  # kept for backward
        z.backward()
        assert ref() is None  # released, though z and the node are still alive
        assert node._saved is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


def test_no_grad_forward_keeps_nothing():
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.normal(size=(4, 5)))
    w = ag.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    with gc_off(), ag.no_grad():
        h, p, loss = _graph(x, w)
        assert h.grad_fn is None and p.grad_fn is None and loss.grad_fn is None
        assert not loss.requires_grad
        refs = _refs(h, h.array, p.array)
        del h, p
        assert [r() for r in refs] == [None] * len(refs)


def test_inplace_views_hooks_and_anomaly_traces_make_no_cycles():
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with gc_off(), pytest.warns(UserWarning), ag.detect_anomaly():
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 1)
        v = y[:2]
        v.mul_(3)  # rebases y through the view
        y[y > 0] = 0.5
        y.add_(1)
        loss = (y * y).sum()
        refs = _refs(y, v, y.grad_fn, v.grad_fn, loss.grad_fn)
        loss.backward()
        del y, v, loss
        assert [r() for r in refs] == [None] * len(refs)


def test_training_loop_memory_stays_flat():
    """A 20-32-10 MLP (matmul, relu, log_softmax; SGD by hand under no_grad) for 2,000 steps:
    the memory held after step 2,000 is within a small bound of that after step 100.

    NOTE: Python's free lists and NumPy's caches fill up over the first few hundred steps
    (about 120 KiB, then flat), so the bound from step 100 is loose and the one from step
    1,000 tight: a leak of even 16 bytes per step fails it."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(256, 20)).astype(np.float32)
    labels = rng.integers(0, 10, size=256)
    ag.manual_seed(0)
    w1 = (ag.randn(20, 32) * 0.3).requires_grad_()
    b1 = ag.zeros(32, requires_grad=True)
    w2 = (ag.randn(32, 10) * 0.3).requires_grad_()
    b2 = ag.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]
    rows = ag.arange(16)
    losses = np.zeros(2000)  # allocated before tracing starts

    def step(i):
        start = (i * 16) % 256
        x = ag.tensor(data[start : start + 16])
        y = ag.tensor(labels[start : start + 16])
        logits = (x @ w1 + b1).relu() @ w2 + b2
        loss = -logits.log_softmax(dim=1)[rows, y].mean()
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=0.1)
                p.grad = None
        return loss.item()

    with gc_off():  # leaked cycles would pile up here
        for i in range(100):
            losses[i] = step(i)
        tracemalloc.start()
        try:
            after_100 = tracemalloc.get_traced_memory()[0]
            for i in range(100, 1000):
                losses[i] = step(i)
            after_1000 = tracemalloc.get_traced_memory()[0]
            for i in range(1000, 2000):
                losses[i] = step(i)
            after_2000 = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert after_2000 - after_100 < 256 * 1024, (after_100, after_1000, after_2000)
    assert after_2000 - after_1000 < 16 * 1024, (after_100, after_1000, after_2000)
    assert np.mean(losses[-100:]) < np.mean(losses[:100])  # it did train
