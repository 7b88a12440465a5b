"""Per-op overhead: a chain of small element-wise ops on 8x8 tensors, ``y = tanh(y * a + b)``
repeated, then a sum; forward+backward and ``no_grad`` forward, in time per op."""

from __future__ import annotations

from benchmarks.context import Context
from benchmarks.harness import Row, Target

LINKS = 50  # three ops a link, plus the final sum
SIZE = 8


def _ours(ctx: Context, x0, a0, b0):
    import autograd_engine as ag

    x, a, b = (ctx.ours(v, requires_grad=True) for v in (x0, a0, b0))

    def fwd_bwd():
        x.grad = a.grad = b.grad = None
        y = x
        for _ in range(LINKS):
            y = (y * a + b).tanh()
        y.sum().backward()

    def forward():
        with ag.no_grad():
            y = x
            for _ in range(LINKS):
                y = (y * a + b).tanh()
            return y.sum()

    return fwd_bwd, forward


def _ref(ctx: Context, x0, a0, b0):
    xp = ctx.xp
    x, a, b = ctx.ref(x0), ctx.ref(a0), ctx.ref(b0)

    def fwd_bwd():
        inputs, outputs = [], []
        y = x
        for _ in range(LINKS):
            inputs.append(y)
            y = xp.tanh(y * a + b)
            outputs.append(y)
        y.sum()
        g = xp.ones_like(y)
        ga, gb = xp.zeros_like(a), xp.zeros_like(b)
        for y_in, y_out in zip(reversed(inputs), reversed(outputs)):
            g = g * (1 - y_out * y_out)
            gb += g
            ga += g * y_in
            g = g * a
        return g, ga, gb

    def forward():
        y = x
        for _ in range(LINKS):
            y = xp.tanh(y * a + b)
        return y.sum()

    return fwd_bwd, forward


def _torch(ctx: Context, x0, a0, b0):
    torch = ctx.torch
    x, a, b = (ctx.to_torch(v, requires_grad=True) for v in (x0, a0, b0))

    def fwd_bwd():
        x.grad = a.grad = b.grad = None
        y = x
        for _ in range(LINKS):
            y = (y * a + b).tanh()
        y.sum().backward()

    def forward():
        with torch.no_grad():
            y = x
            for _ in range(LINKS):
                y = (y * a + b).tanh()
            return y.sum()

    return fwd_bwd, forward


def rows(ctx: Context) -> list[Row]:
    x0, a0, b0 = (ctx.randn(SIZE, SIZE, scale=0.5) for _ in range(3))
    ours = _ours(ctx, x0, a0, b0)
    ref = _ref(ctx, x0, a0, b0)
    torch = _torch(ctx, x0, a0, b0) if ctx.torch is not None else (None, None)
    n_ops = 3 * LINKS + 1
    what = f"{n_ops} element-wise ops on {SIZE}x{SIZE} float32 (mul, add, tanh; sum)"
    return [
        Row(
            "per-op fwd+bwd",
            "per-op",
            what + ", forward and backward",
            {"ours": ours[0], "ref": ref[0], "torch": torch[0]},
            unit="op",
            per=n_ops,
            target=Target("torch", 1.0, "<= 1.0x PyTorch eager") if not ctx.is_cuda else None,
        ),
        Row(
            "per-op no_grad fwd",
            "per-op",
            what + ", forward under no_grad",
            {"ours": ours[1], "ref": ref[1], "torch": torch[1]},
            unit="op",
            per=n_ops,
            target=Target("torch", 1.0, "<= PyTorch's no_grad") if not ctx.is_cuda else None,
        ),
    ]
