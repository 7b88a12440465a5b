"""Shared helpers of the compile tests: small models, data, and an eager/compiled run of the same
training loop from the same seed."""

from __future__ import annotations

import numpy as np
from autograd_engine.nn import functional as F

import autograd_engine as ag
from autograd_engine import nn


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 5))


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 5)
    )


def bn_dropout() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(144, 5),
    )


def batches(shape, n: int = 6, classes: int = 5, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [
        (
            ag.tensor(rng.standard_normal(shape).astype(np.float32)),
            ag.tensor(rng.integers(0, classes, shape[0])),
        )
        for _ in range(n)
    ]


def train(make_model, make_opt, data, compiled: bool, **compile_kwargs):
    """Train from seed 0 on ``data`` with a step function, compiled or not. Returns the losses,
    the model, the optimizer and the compiled function (or None)."""
    ag.manual_seed(0)
    model = make_model()
    opt = make_opt(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = ag.compile(step, **compile_kwargs) if compiled else step
    losses = [fn(x, y).numpy().copy() for x, y in data]
    return losses, model, opt, fn if compiled else None


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def assert_same_state(m1, m2) -> None:
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    for k in s1:
        assert same_bits(s1[k].numpy(), s2[k].numpy()), k
    for (n, p1), (_, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        assert (p1.grad is None) == (p2.grad is None), n
        if p1.grad is not None:
            assert same_bits(p1.grad.numpy(), p2.grad.numpy()), n
