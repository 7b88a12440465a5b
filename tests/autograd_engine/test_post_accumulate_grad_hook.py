"""Tensor.register_post_accumulate_grad_hook: PyTorch's timing (as soon as a leaf's gradient
is complete, before the rest of backward) and rules, checked against torch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag

torch = pytest.importorskip("torch")


def _trace(lib, Tensor):
    """Run one backward with a post-accumulate hook on each of three leaves; record the order
    of hooks, what .grad was when each fired, and when a plain tensor hook ran."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w1 = lib.tensor([0.5, -1.0], requires_grad=True)
    w2 = lib.tensor([2.0, 3.0], requires_grad=True)
    events = []
    for name, p in (("w1", w1), ("w2", w2), ("x", x)):
        p.register_post_accumulate_grad_hook(
            lambda t, name=name: events.append((name, t.grad.numpy().round(6).tolist()))
        )
    h = (x * w1).tanh()  # w1 and x feed the first layer, w2 the second
    h.register_hook(lambda g: events.append(("h-grad",)))
    loss = (h * w2).sum() + (w2 * w2).sum()  # w2 used twice: its hook waits for both
    loss.backward()
    return events


def test_hooks_fire_when_each_gradient_is_complete_like_torch():
    ours = _trace(ag, ag.Tensor)
    theirs = _trace(torch, torch.Tensor)
    # w2's hook runs before backward reaches h; x and w1 come ready together (in either order)
    assert [e[0] for e in ours[:2]] == [e[0] for e in theirs[:2]] == ["w2", "h-grad"]
    assert {e[0] for e in ours[2:]} == {e[0] for e in theirs[2:]} == {"w1", "x"}
    grads = {e[0]: e[1] for e in theirs if len(e) > 1}
    for name, grad in (e for e in ours if len(e) > 1):
        np.testing.assert_allclose(grad, grads[name], rtol=1e-6)


def test_hooks_see_accumulated_grads_and_can_be_removed():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2


def test_grad_does_not_fire_them_and_non_leaves_are_refused():
    w = ag.tensor([1.0], requires_grad=True)
    fired = []
    w.register_post_accumulate_grad_hook(fired.append)
    ag.grad((w * 2).sum(), w)
    assert fired == []
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.tensor([1.0]).register_post_accumulate_grad_hook(print)
