"""Big matmul: one ``a @ b`` of square float32 matrices, forward alone and forward+backward
(``dA = g @ B^T``, ``dB = A^T @ g``); on the GPU ours must reach 80% of cupy.matmul."""

from __future__ import annotations

from benchmarks.context import Context
from benchmarks.harness import Row, Target

CPU_N, QUICK_CPU_N = 1024, 256
GPU_N, QUICK_GPU_N = 8192, 2048


def size(ctx: Context) -> int:
    if ctx.is_cuda:
        return QUICK_GPU_N if ctx.quick else GPU_N
    return QUICK_CPU_N if ctx.quick else CPU_N


def rows(ctx: Context) -> list[Row]:
    n = size(ctx)
    a0, b0, g0 = (ctx.randn(n, n, scale=n**-0.5) for _ in range(3))
    xp = ctx.xp

    a, b = ctx.ours(a0), ctx.ours(b0)
    ga, gb, gg = ctx.ours(a0, requires_grad=True), ctx.ours(b0, requires_grad=True), ctx.ours(g0)

    def ours_fwd_bwd():
        ga.grad = gb.grad = None
        (ga @ gb).backward(gg)

    ra, rb, rg = ctx.ref(a0), ctx.ref(b0), ctx.ref(g0)

    def ref_fwd_bwd():
        c = xp.matmul(ra, rb)
        return c, xp.matmul(rg, rb.T), xp.matmul(ra.T, rg)

    fwd = {"ours": lambda: a @ b, "ref": lambda: xp.matmul(ra, rb), "torch": None}
    fwd_bwd = {"ours": ours_fwd_bwd, "ref": ref_fwd_bwd, "torch": None}
    if ctx.torch is not None:
        ta, tb = ctx.to_torch(a0), ctx.to_torch(b0)
        tga, tgb = ctx.to_torch(a0, requires_grad=True), ctx.to_torch(b0, requires_grad=True)
        tg = ctx.to_torch(g0)

        def torch_fwd_bwd():
            tga.grad = tgb.grad = None
            (tga @ tgb).backward(tg)

        fwd["torch"] = lambda: ta @ tb
        fwd_bwd["torch"] = torch_fwd_bwd
    target = None
    if ctx.is_cuda:
        target = Target("ref", 1.25, ">= 80% of cupy.matmul throughput")
    return [
        Row(
            f"matmul {n}",
            "matmul",
            f"{n}x{n} @ {n}x{n} float32, forward",
            fwd,
            unit="call",
            flops=2.0 * n**3,
            target=target,
        ),
        Row(
            f"matmul {n} fwd+bwd",
            "matmul",
            f"{n}x{n} @ {n}x{n} float32, forward and both input gradients",
            fwd_bwd,
            unit="call",
            flops=6.0 * n**3,
        ),
    ]
