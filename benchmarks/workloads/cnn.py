"""Small CNN training step: conv 1->8 3x3, ReLU, max-pool 2, flatten, linear to 10, mean
softmax cross-entropy, SGD; 28x28 inputs at batch 64 (CPU) or 256 (GPU).

The reference is im2col + one BLAS matmul for the convolution (columns ordered so that each
pooling-window position is a contiguous block), the max-pool as a running maximum, and the
linear layer's matmuls, forward and backward (the input needs no gradient, so no col2im).
"""

from __future__ import annotations

from benchmarks import ours
from benchmarks.context import Context
from benchmarks.harness import Row, Target
from benchmarks.workloads.common import LR, cross_entropy_grad, float32_audit, linear_init

CHANNELS, KERNEL, POOL, CLASSES, SIDE = 8, 3, 2, 10, 28
CONV_OUT = SIDE - KERNEL + 1  # 26
POOLED = CONV_OUT // POOL  # 13
FEATURES = CHANNELS * POOLED * POOLED  # 1352
CPU_BATCH, GPU_BATCH = 64, 256


def configs(ctx: Context) -> list[int]:
    if ctx.is_cuda:
        return [64 if ctx.quick else GPU_BATCH]
    return [16 if ctx.quick else CPU_BATCH]


class Problem:
    """One CNN problem: weights in PyTorch's layout, inputs ``(batch, 1, 28, 28)``, labels."""

    def __init__(self, ctx: Context, batch: int):
        fan_conv = KERNEL * KERNEL
        self.batch = batch
        self.conv_w = linear_init(ctx, fan_conv, CHANNELS, 1, KERNEL, KERNEL)
        self.conv_b = linear_init(ctx, fan_conv, CHANNELS)
        self.fc_w = linear_init(ctx, FEATURES, CLASSES, FEATURES)
        self.fc_b = linear_init(ctx, FEATURES, CLASSES)
        self.x = ctx.randn(batch, 1, SIDE, SIDE)
        self.y = ctx.labels(CLASSES, batch)


class Ours:
    """Our step with ``nn.Conv2d``/``nn.MaxPool2d`` modules when they exist, else with
    ``conv2d``/``max_pool2d`` functions and raw ops; ``available`` is False without either."""

    def __init__(self, ctx: Context, problem: Problem):
        import autograd_engine as ag

        self.x, self.y = ctx.ours(problem.x), ctx.ours(problem.y)
        api = ours.nn_api("Conv2d", "MaxPool2d", "Flatten", "Linear", "ReLU")
        self.model = None
        self.available = True
        if api is not None:
            nn, self.F, optim = api
            conv = nn.Conv2d(1, CHANNELS, KERNEL).to(ctx.device)
            fc = nn.Linear(FEATURES, CLASSES).to(ctx.device)
            for p, value in (
                (conv.weight, problem.conv_w),
                (conv.bias, problem.conv_b),
                (fc.weight, problem.fc_w),
                (fc.bias, problem.fc_b),
            ):
                p.array[...] = ctx.ref(value)
            self.model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(POOL), nn.Flatten(), fc)
            self.named = [
                ("conv.weight", conv.weight),
                ("conv.bias", conv.bias),
                ("fc.weight", fc.weight),
                ("fc.bias", fc.bias),
            ]
            self.optimizer = optim.SGD(self.model.parameters(), lr=LR)
            self.kind = "nn+optim"
            return
        self.conv2d, self.max_pool2d = ours.functional("conv2d"), ours.functional("max_pool2d")
        if self.conv2d is None or self.max_pool2d is None:
            self.available, self.kind = False, "unavailable"
            return
        self.named = [
            ("conv.weight", ctx.ours(problem.conv_w, requires_grad=True)),
            ("conv.bias", ctx.ours(problem.conv_b, requires_grad=True)),
            ("fc.weight", ctx.ours(problem.fc_w.T, requires_grad=True)),  # (in, out)
            ("fc.bias", ctx.ours(problem.fc_b, requires_grad=True)),
        ]
        self.params = [p for _, p in self.named]
        self.rows = ag.arange(problem.batch, device=ctx.device)
        self.kind = "functional + raw ops"

    def forward(self, record=None):
        if self.model is not None:
            h = self.x
            for i, layer in enumerate(self.model):
                h = layer(h)
                if record is not None:
                    record.append((f"{type(layer).__name__}[{i}] output", h))
            loss = self.F.cross_entropy(h, self.y)
        else:
            cw, cb, fw, fb = self.params
            steps = []
            h = self.conv2d(self.x, cw, cb)
            steps.append(("conv2d output", h))
            h = h.relu()
            steps.append(("relu output", h))
            h = self.max_pool2d(h, POOL)
            steps.append(("max_pool2d output", h))
            h = h.reshape(h.shape[0], -1) @ fw + fb
            steps.append(("linear output", h))
            loss = ours.raw_cross_entropy(h, self.y, self.rows)
            if record is not None:
                record += steps
        if record is not None:
            record.append(("loss", loss))
        return loss

    def step(self):
        if self.model is not None:
            self.optimizer.zero_grad()
            loss = self.forward()
            loss.backward()
            self.optimizer.step()
        else:
            ours.zero_grad(self.params)
            loss = self.forward()
            loss.backward()
            ours.sgd_update(self.params, LR)
        return loss

    def grads(self, ctx: Context) -> list:
        out = []
        for n, p in self.named:
            g = ctx.host(p.grad)
            out.append(g.T if self.model is None and n == "fc.weight" else g)
        return out

    def float32_problems(self) -> list[str]:
        record = []
        for _, p in self.named:
            p.grad = None
        loss = self.forward(record)
        for _, t in record:
            if t.requires_grad:
                t.retain_grad()
        loss.backward()
        problems = float32_audit(record, self.named)
        if self.model is not None:
            self.optimizer.step()
        else:
            ours.sgd_update(self.params, LR)
        problems += [
            f"parameter {n} after the update: {p.dtype}"
            for n, p in self.named
            if p.array.dtype != "float32"
        ]
        return problems


class Reference:
    """im2col + BLAS, with the im2col columns ordered by pooling-window offset: activations
    are ``(C, 2, 2, N, 13, 13)``, so the convolution is one ``(8, 9) @ (9, N*26*26)`` matmul
    and each of a window's four positions is one contiguous block for the max-pool."""

    def __init__(self, ctx: Context, problem: Problem):
        xp = self.xp = ctx.xp
        self.conv_w = ctx.ref(problem.conv_w.reshape(CHANNELS, -1))  # (8, 9)
        self.conv_b = ctx.ref(problem.conv_b)
        self.fc_w = ctx.ref(problem.fc_w.T)  # (1352, 10)
        self.fc_b = ctx.ref(problem.fc_b)
        self.x = ctx.ref(problem.x).transpose(1, 0, 2, 3)  # (1, N, 28, 28) view
        self.y = ctx.ref(problem.y)
        self.rows = xp.arange(problem.batch)
        self.last_grads = ()

    def im2col(self):
        """Columns ``(C*KH*KW, 2*2*N*13*13)``: conv output pixel ``(2p + a, 2q + b)`` of image
        ``n`` is column ``(a, b, n, p, q)``; one strided copy per kernel and window offset."""
        n = self.x.shape[1]
        shape = (1, KERNEL, KERNEL, POOL, POOL, n, POOLED, POOLED)
        cols = self.xp.empty(shape, dtype=self.x.dtype)
        for i in range(KERNEL):
            for j in range(KERNEL):
                for a in range(POOL):
                    for b in range(POOL):
                        rows = slice(i + a, i + a + CONV_OUT, POOL)
                        columns = slice(j + b, j + b + CONV_OUT, POOL)
                        cols[:, i, j, a, b] = self.x[:, :, rows, columns]
        return cols.reshape(KERNEL * KERNEL, -1)

    def step(self):
        self.last_grads = ()  # kept only for the agreement check
        xp = self.xp
        n = self.x.shape[1]
        cols = self.im2col()
        h = self.conv_w @ cols  # (8, 2*2*N*13*13)
        h += self.conv_b[:, None]
        xp.maximum(h, 0, out=h)
        h = h.reshape(CHANNELS, POOL * POOL, n, POOLED, POOLED)
        # Max-pool 2x2: the running maximum of the window's four positions.
        pooled = xp.maximum(h[:, 0], h[:, 1])
        for k in range(2, POOL * POOL):
            xp.maximum(pooled, h[:, k], out=pooled)
        flat = pooled.transpose(1, 0, 2, 3).reshape(n, FEATURES)  # PyTorch's (N, C*H*W) order
        logits = flat @ self.fc_w
        logits += self.fc_b
        loss, g = cross_entropy_grad(xp, logits, self.y, self.rows)

        g_fc_w = flat.T @ g
        g_fc_b = g.sum(axis=0)
        g_flat = g @ self.fc_w.T
        # Pool backward: each window's gradient goes to its first maximum (PyTorch's choice
        # on ties); ``rest`` is the gradient not yet routed.
        rest = xp.ascontiguousarray(
            g_flat.reshape(n, CHANNELS, POOLED, POOLED).transpose(1, 0, 2, 3)
        )
        g_h = xp.empty_like(h)
        for k in range(POOL * POOL - 1):
            xp.multiply(rest, h[:, k] == pooled, out=g_h[:, k])
            rest -= g_h[:, k]
        g_h[:, -1] = rest
        g_h *= h > 0  # NOTE: relu'(0) = 0, as in PyTorch
        g_h = g_h.reshape(CHANNELS, -1)
        g_conv_w = g_h @ cols.T
        g_conv_b = g_h.sum(axis=1)

        for p, grad in (
            (self.conv_w, g_conv_w),
            (self.conv_b, g_conv_b),
            (self.fc_w, g_fc_w),
            (self.fc_b, g_fc_b),
        ):
            p -= LR * grad
        self.last_grads = (g_conv_w, g_conv_b, g_fc_w, g_fc_b)
        return loss

    def grads(self, ctx: Context) -> list:
        g_conv_w, g_conv_b, g_fc_w, g_fc_b = (ctx.host(g) for g in self.last_grads)
        return [g_conv_w.reshape(CHANNELS, 1, KERNEL, KERNEL), g_conv_b, g_fc_w.T, g_fc_b]


class Torch:
    def __init__(self, ctx: Context, problem: Problem):
        torch = ctx.torch
        nn = torch.nn
        conv = nn.Conv2d(1, CHANNELS, KERNEL, device=ctx.torch_device)
        fc = nn.Linear(FEATURES, CLASSES, device=ctx.torch_device)
        with torch.no_grad():
            for p, value in (
                (conv.weight, problem.conv_w),
                (conv.bias, problem.conv_b),
                (fc.weight, problem.fc_w),
                (fc.bias, problem.fc_b),
            ):
                p.copy_(ctx.to_torch(value))
        self.model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(POOL), nn.Flatten(), fc)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.cross_entropy = torch.nn.functional.cross_entropy
        self.x, self.y = ctx.to_torch(problem.x), ctx.to_torch(problem.y)

    def step(self):
        self.optimizer.zero_grad()
        loss = self.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss

    def grads(self, ctx: Context) -> list:
        return [ctx.host(p.grad) for p in self.model.parameters()]


def build(ctx: Context, batch: int) -> dict:
    problem = Problem(ctx, batch)
    ours_side = Ours(ctx, problem)
    sides = {"ours": ours_side if ours_side.available else None, "ref": Reference(ctx, problem)}
    sides["torch"] = Torch(ctx, problem) if ctx.torch is not None else None
    return sides


def rows(ctx: Context) -> list[Row]:
    out = []
    for batch in configs(ctx):
        sides = build(ctx, batch)
        if ctx.is_cuda:
            target = Target("torch", 1.25, "<= 1.25x PyTorch CUDA eager")
        else:
            target = Target("torch", 0.7, "<= 0.7x PyTorch eager")
        mine = sides["ours"]
        row = Row(
            f"cnn b{batch}",
            "cnn",
            f"CNN step (conv 1->8 3x3, ReLU, max-pool 2, linear 1352->10) at batch {batch}",
            {side: (impl.step if impl is not None else None) for side, impl in sides.items()},
            target=target,
            note=f"ours: {mine.kind}" if mine is not None else "",
        )
        if mine is None:
            row.skip = "our conv2d/max_pool2d do not exist yet"
        out.append(row)
    return out
