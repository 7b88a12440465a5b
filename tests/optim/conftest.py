"""Shared fixtures for the optim tests: a small MLP problem with hand-written NumPy gradients,
so optimizer trajectories do not depend on the engine's backward. (The ``torch`` oracle and
``device`` fixtures come from tests/conftest.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import optim


class MLPProblem:
    """A 2-layer ReLU MLP with a mean-squared loss on fixed random data.

    ``grads(arrays)`` returns the exact gradients of the loss for the parameter arrays
    ``[W1, b1, W2, b2]``, computed with NumPy, so the same gradients can be handed to this
    engine's optimizers and to PyTorch's.
    """

    def __init__(self, dtype=np.float64, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((16, 4)).astype(dtype)
        self.y = rng.standard_normal((16, 3)).astype(dtype)
        self.init = [
            (rng.standard_normal((4, 8)) * 0.5).astype(dtype),
            (rng.standard_normal(8) * 0.1).astype(dtype),
            (rng.standard_normal((8, 3)) * 0.5).astype(dtype),
            (rng.standard_normal(3) * 0.1).astype(dtype),
        ]

    def loss(self, arrays) -> float:
        w1, b1, w2, b2 = arrays
        out = np.maximum(self.x @ w1 + b1, 0) @ w2 + b2
        return float(np.mean((out - self.y) ** 2))

    def grads(self, arrays):
        w1, b1, w2, b2 = arrays
        z1 = self.x @ w1 + b1
        a1 = np.maximum(z1, 0)
        out = a1 @ w2 + b2
        dout = 2 * (out - self.y) / out.size
        da1 = dout @ w2.T
        dz1 = da1 * (z1 > 0)
        return [self.x.T @ dz1, dz1.sum(0), a1.T @ dout, dout.sum(0)]

    def ag_params(self, device=None):
        return [ag.tensor(a.copy(), device=device, requires_grad=True) for a in self.init]

    def set_ag_grads(self, params) -> None:
        for p, g in zip(params, self.grads([p.numpy() for p in params])):
            p.grad = ag.tensor(g, device=p.device)

    def torch_params(self, torch):
        return [torch.tensor(a.copy(), requires_grad=True) for a in self.init]

    def step_pair(self, torch, ours, theirs, opt, ref, steps: int) -> None:
        """``steps`` steps of our optimizer and PyTorch's, each on its own parameters."""
        for _ in range(steps):
            self.set_ag_grads(ours)
            for p, g in zip(theirs, self.grads([p.detach().numpy() for p in theirs])):
                p.grad = torch.from_numpy(g)
            opt.step()
            ref.step()

    def run_pair(self, torch, name, kwargs, ref_kwargs=None, groups=None, steps: int = 60):
        """Our optimizer ``name`` (``kwargs``) and PyTorch's (``ref_kwargs``, default the
        same) stepped side by side from the same start; both final parameter lists."""
        ours, theirs = self.ag_params(), self.torch_params(torch)
        groups = groups or (lambda params: params)
        opt = getattr(optim, name)(groups(ours), **kwargs)
        ref_kwargs = kwargs if ref_kwargs is None else ref_kwargs
        ref = getattr(torch.optim, name)(groups(theirs), **ref_kwargs)
        self.step_pair(torch, ours, theirs, opt, ref, steps)
        return [p.array for p in ours], [p.detach().numpy() for p in theirs]


@pytest.fixture
def mlp():
    return MLPProblem()


@pytest.fixture
def mlp_problem():
    """The MLPProblem class itself, for tests that need another dtype or seed."""
    return MLPProblem
