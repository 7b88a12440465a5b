"""Optimizer step: Adam over 100 parameter tensors (50 weights 128x128, 50 biases of 128) with
fixed gradients; the reference is the update written out with in-place array ops.

NOTE: on the GPU, PyTorch's default Adam is the multi-tensor (foreach) kernel, which launches
a few kernels for all 100 tensors; ours and the reference launch about a dozen per tensor.
"""

from __future__ import annotations

import math

from benchmarks import ours
from benchmarks.context import Context
from benchmarks.harness import Row

N_PARAMS = 100
WIDTH = 128
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8


def shapes() -> list[tuple[int, ...]]:
    return [(WIDTH, WIDTH) if i % 2 == 0 else (WIDTH,) for i in range(N_PARAMS)]


class Reference:
    """Adam in PyTorch's form (bias corrections folded into the step size and denominator),
    every update in place through one scratch buffer per parameter: no allocation per step."""

    def __init__(self, ctx: Context, values, grads):
        xp = self.xp = ctx.xp
        self.params = [ctx.ref(v) for v in values]
        self.grads = [ctx.ref(g) for g in grads]
        self.exp_avg = [xp.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [xp.zeros_like(p) for p in self.params]
        self.scratch = [xp.empty_like(p) for p in self.params]
        self.t = 0

    def step(self):
        xp = self.xp
        beta1, beta2 = BETAS
        self.t += 1
        step_size = LR / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.t)
        for p, g, m, v, tmp in zip(
            self.params, self.grads, self.exp_avg, self.exp_avg_sq, self.scratch
        ):
            m *= beta1
            xp.multiply(g, 1 - beta1, out=tmp)
            m += tmp
            v *= beta2
            xp.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            xp.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += EPS
            xp.divide(m, tmp, out=tmp)
            tmp *= -step_size
            p += tmp


def rows(ctx: Context) -> list[Row]:
    values = [ctx.randn(*s) for s in shapes()]
    grads = [ctx.randn(*s, scale=0.1) for s in shapes()]
    adam = ours.optimizer("Adam")
    sides = {"ref": Reference(ctx, values, grads).step}
    if adam is not None:
        params = [ctx.ours(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = ctx.ours(g)
        sides["ours"] = adam(params, lr=LR, betas=BETAS, eps=EPS).step
    else:
        sides["ours"] = None
    if ctx.torch is not None:
        torch = ctx.torch
        tparams = [ctx.to_torch(v, requires_grad=True) for v in values]
        for p, g in zip(tparams, grads):
            p.grad = ctx.to_torch(g)
        sides["torch"] = torch.optim.Adam(tparams, lr=LR, betas=BETAS, eps=EPS).step
    else:
        sides["torch"] = None
    row = Row(
        f"adam {N_PARAMS} params",
        "optim",
        f"Adam step over {N_PARAMS} tensors (50 of {WIDTH}x{WIDTH}, 50 of {WIDTH})",
        {"ours": sides["ours"], "ref": sides["ref"], "torch": sides["torch"]},
        note="torch: default (for-loop on CPU, foreach on CUDA)",
    )
    if adam is None:
        row.skip = "optim.Adam does not exist yet"
    return [row]
