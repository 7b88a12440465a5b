"""Threads: grad mode and anomaly mode are per thread, and backward keeps no shared state, so
separate graphs in separate threads train exactly as they would alone (PyTorch's guarantee)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import autograd_engine as ag
import nn
import optim


@pytest.fixture
def fast_switching():
    """Make the interpreter switch threads often, so that races show up in a short test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _run_threads(target, n: int, *args) -> list:
    results: list = [None] * n
    errors: list = []

    def run(i):
        try:
            results[i] = target(i, *args)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a thread did not finish within 120 s"
    if errors:
        raise errors[0]
    return results


def test_no_grad_in_one_thread_leaves_other_threads_recording():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with ag.no_grad():
            inside.set()
            release.wait(10)
            seen["quiet"] = ag.is_grad_enabled()

    t = threading.Thread(target=quiet)
    t.start()
    assert inside.wait(10)
    x = ag.ones(2, requires_grad=True)
    seen["main"] = ag.is_grad_enabled()
    seen["main_records"] = (x * 2).requires_grad
    release.set()
    t.join(10)
    assert seen == {"quiet": False, "main": True, "main_records": True}


def test_overlapping_no_grad_blocks_in_two_threads_restore_grad_mode():
    # Thread A enters, thread B enters, A exits, B exits: with one process-wide flag B's exit
    # restored A's "off" and left recording off for everyone.
    barrier = threading.Barrier(2)
    order = [threading.Event() for _ in range(2)]
    after = {}

    def worker(i, *_):
        barrier.wait(10)
        with ag.no_grad():
            barrier.wait(10)
            if i == 1:
                order[0].wait(10)
        if i == 0:
            order[0].set()
        after[i] = ag.is_grad_enabled()

    _run_threads(worker, 2)
    assert after == {0: True, 1: True}
    assert ag.is_grad_enabled()


def test_a_running_backward_leaves_grad_mode_on_in_other_threads():
    """H1: backward in one thread (held inside a tensor hook) does not switch recording off
    for another thread, which builds and differentiates its own graph meanwhile."""
    inside, release = threading.Event(), threading.Event()
    seen: dict = {}

    def hold(grad):
        inside.set()
        assert release.wait(timeout=60), "the other thread never released the backward"
        return grad

    def backward_thread():
        x = ag.ones(3, requires_grad=True)
        y = x * 2
        y.register_hook(hold)
        y.sum().backward()
        seen["grad"] = x.grad.numpy().tolist()

    t = threading.Thread(target=backward_thread)
    t.start()
    try:
        assert inside.wait(timeout=60), "the backward never reached its hook"
        seen["enabled"] = ag.is_grad_enabled()
        w = ag.ones(2, requires_grad=True)
        loss = (w * 3).sum()
        seen["recorded"] = loss.requires_grad
        loss.backward()
        seen["w_grad"] = w.grad.numpy().tolist()
    finally:
        release.set()
        t.join(timeout=60)
    assert not t.is_alive()
    assert seen == {"enabled": True, "recorded": True, "w_grad": [3.0, 3.0], "grad": [2.0] * 3}


def test_inference_mode_in_one_thread_leaves_other_threads_recording():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def infer():
        with ag.inference_mode():
            seen["inner"] = ag.is_inference_mode_enabled(), ag.is_grad_enabled()
            inside.set()
            assert done.wait(timeout=60)

    t = threading.Thread(target=infer)
    t.start()
    try:
        assert inside.wait(timeout=60)
        x = ag.ones(2, requires_grad=True)
        seen["outer"] = ag.is_inference_mode_enabled(), (x * 2).requires_grad
    finally:
        done.set()
        t.join(timeout=60)
    assert seen == {"inner": (True, False), "outer": (False, True)}


def test_a_new_thread_starts_with_grad_enabled_even_under_no_grad():
    seen = []
    with ag.no_grad():
        t = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        t.start()
        t.join(10)
    assert seen == [True]


def test_anomaly_mode_is_per_thread():
    seen = []
    with ag.set_detect_anomaly(True):
        t = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        t.start()
        t.join(10)
        assert ag.is_anomaly_enabled()
    assert seen == [False]
    assert not ag.is_anomaly_enabled()


def _train(seed: int, steps: int = 60) -> list[float]:
    """A small MLP trained with its own generator; uses no_grad for evaluation each step."""
    gen = ag.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    with ag.no_grad():
        for p in model.parameters():
            p.copy_(ag.randn(*p.shape, generator=gen) * 0.3)
    x = ag.randn(32, 8, generator=gen)
    y = ag.randn(32, 1, generator=gen)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        with ag.no_grad():
            losses.append(((model(x) - y) ** 2).mean().item())
    return losses


def test_threads_training_separate_models_match_single_thread_bit_for_bit(fast_switching):
    alone = [_train(seed) for seed in range(4)]
    together = _run_threads(lambda i: _train(i), 4)
    assert together == alone


def test_concurrent_backwards_never_share_a_gradient_array(fast_switching):
    # Add hands one gradient array to both of its inputs; the engine must give the second leaf
    # its own copy. With engine state shared between calls, another thread's backward could
    # clear that bookkeeping in between, and two leaves ended up sharing one .grad array.
    def worker(i):
        shared = 0
        for _ in range(1500):
            x = ag.ones(4, requires_grad=True)
            w = ag.ones(4, requires_grad=True)
            ((x + w) * 3.0).sum().backward()
            shared += np.shares_memory(x.grad.array, w.grad.array)
        return shared

    assert _run_threads(worker, 4) == [0, 0, 0, 0]


def test_zero_dim_parameter_used_twice_gets_a_zero_dim_array_gradient():
    # NumPy adds two 0-d arrays into a NumPy scalar; a gradient must stay an array of the
    # parameter's shape (SGD's momentum buffer was a scalar copy, and `buf *= m` never stuck).
    p = ag.tensor(2.0, requires_grad=True)
    (p * p + p * 3.0).backward()
    assert isinstance(p.grad.array, np.ndarray) and p.grad.shape == ()
    assert p.grad.item() == 7.0
    q = ag.tensor(1.5, requires_grad=True)
    h = q * 2.0
    (h * h + h).backward()  # the two uses meet inside the graph, not at the leaf
    assert isinstance(q.grad.array, np.ndarray) and q.grad.item() == pytest.approx(14.0)
