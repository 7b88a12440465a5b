"""MLP training step: Linear and ReLU layers, mean softmax cross-entropy, an SGD update.

CPU: 784-256-128-10 at batch 32, 256 and 2048. GPU: four layers 4096 wide (4096-4096-4096-
4096-10) at batch 4096. The reference is the eight (on the GPU, eleven) matmuls written out.
"""

from __future__ import annotations

from benchmarks import ours
from benchmarks.context import Context
from benchmarks.harness import Row, Target
from benchmarks.workloads.common import LR, cross_entropy_grad, float32_audit, linear_init

CPU_SIZES = (784, 256, 128, 10)
CPU_BATCHES = (32, 256, 2048)
QUICK_CPU_BATCHES = (32, 256)
GPU_SIZES = (4096, 4096, 4096, 4096, 10)
GPU_BATCH = 4096
QUICK_GPU_SIZES = (1024, 1024, 1024, 1024, 10)
QUICK_GPU_BATCH = 1024


def configs(ctx: Context) -> list[tuple[tuple[int, ...], int]]:
    """``(sizes, batch)`` of each MLP row on this device."""
    if ctx.is_cuda:
        if ctx.quick:
            return [(QUICK_GPU_SIZES, QUICK_GPU_BATCH)]
        return [(GPU_SIZES, GPU_BATCH)]
    return [(CPU_SIZES, b) for b in (QUICK_CPU_BATCHES if ctx.quick else CPU_BATCHES)]


def name(sizes, batch: int) -> str:
    if sizes == CPU_SIZES:
        return f"mlp b{batch}"
    return f"mlp {sizes[1]}x{len(sizes) - 1} b{batch}"


class Problem:
    """One MLP problem: weights in PyTorch's layout ``(out, in)``, inputs and labels."""

    def __init__(self, ctx: Context, sizes, batch: int):
        self.sizes, self.batch = tuple(sizes), batch
        self.weights = [
            (linear_init(ctx, n_in, n_out, n_in), linear_init(ctx, n_in, n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ]
        self.x = ctx.randn(batch, sizes[0])
        self.y = ctx.labels(sizes[-1], batch)


class Ours:
    """Our step: ``nn.Sequential`` + ``F.cross_entropy`` + ``optim.SGD`` when ``nn`` has them,
    otherwise the same network from raw ops with a plain-array SGD update."""

    def __init__(self, ctx: Context, problem: Problem):
        import autograd_engine as ag

        self.x = ctx.ours(problem.x)
        self.y = ctx.ours(problem.y)
        api = ours.nn_api("Linear", "ReLU")
        if api is not None:
            nn, self.F, optim = api
            layers = []
            for i, (w, b) in enumerate(problem.weights):
                layer = nn.Linear(w.shape[1], w.shape[0]).to(ctx.device)
                layer.weight.array[...] = ctx.ref(w)
                layer.bias.array[...] = ctx.ref(b)
                layers.append(layer)
                if i < len(problem.weights) - 1:
                    layers.append(nn.ReLU())
            self.model = nn.Sequential(*layers)
            self.linears = layers[::2]
            self.optimizer = optim.SGD(self.model.parameters(), lr=LR)
            self.kind = "nn+optim"
        else:
            self.model = None
            self.params = []
            for w, b in problem.weights:  # (in, out) so the forward is x @ W + b
                self.params += [ctx.ours(w.T, requires_grad=True), ctx.ours(b, requires_grad=True)]
            self.rows = ag.arange(problem.batch, device=ctx.device)
            self.kind = "raw ops"

    def forward(self, record=None):
        """The loss; with ``record`` (a list), also every intermediate tensor by name."""
        if self.model is not None:
            h = self.x
            for i, layer in enumerate(self.model):
                h = layer(h)
                if record is not None:
                    record.append((f"{type(layer).__name__}[{i}] output", h))
            loss = self.F.cross_entropy(h, self.y)
        else:
            h = self.x
            n = len(self.params) // 2
            for i in range(n):
                w, b = self.params[2 * i], self.params[2 * i + 1]
                h = h @ w + b
                if record is not None:
                    record.append((f"linear[{i}] output", h))
                if i < n - 1:
                    h = h.relu()
                    if record is not None:
                        record.append((f"relu[{i}] output", h))
            loss = ours.raw_cross_entropy(h, self.y, self.rows)
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

    def named_parameters(self):
        if self.model is not None:
            return [
                (n, p)
                for i, lin in enumerate(self.linears)
                for n, p in ((f"weight[{i}]", lin.weight), (f"bias[{i}]", lin.bias))
            ]
        return [
            (f"{'weight' if j % 2 == 0 else 'bias'}[{j // 2}]", p)
            for j, p in enumerate(self.params)
        ]

    def grads(self, ctx: Context) -> list:
        """Parameter gradients in PyTorch's layout, as NumPy arrays."""
        out = []
        for n, p in self.named_parameters():
            g = ctx.host(p.grad)
            out.append(g.T if self.model is None and n.startswith("weight") else g)
        return out

    def float32_problems(self) -> list[str]:
        """Run one step recording every activation and gradient; list what is not float32."""
        record = []
        params = self.named_parameters()
        for _, p in params:
            p.grad = None
        loss = self.forward(record)
        for _, t in record:
            if t.requires_grad:
                t.retain_grad()
        loss.backward()
        problems = float32_audit(record, params)
        if self.model is not None:
            self.optimizer.step()
        else:
            ours.sgd_update([p for _, p in params], LR)
        problems += [
            f"parameter {n} after the update: {p.dtype}"
            for n, p in params
            if p.array.dtype != "float32"
        ]
        return problems


class Reference:
    """The hand-written step: three (four) matmuls forward, five (seven) backward."""

    def __init__(self, ctx: Context, problem: Problem):
        self.xp = ctx.xp
        self.w = [ctx.ref(w.T) for w, _ in problem.weights]  # (in, out)
        self.b = [ctx.ref(b) for _, b in problem.weights]
        self.x, self.y = ctx.ref(problem.x), ctx.ref(problem.y)
        self.rows = self.xp.arange(problem.batch)
        self.last_grads = []

    def step(self):
        self.last_grads = ()  # kept only for the agreement check
        xp, w, b = self.xp, self.w, self.b
        n = len(w)
        acts = [self.x]
        for i in range(n):
            h = acts[-1] @ w[i]
            h += b[i]
            if i < n - 1:
                xp.maximum(h, 0, out=h)
            acts.append(h)
        loss, g = cross_entropy_grad(xp, acts.pop(), self.y, self.rows)
        grads = []
        for i in reversed(range(n)):
            gw = acts[i].T @ g
            gb = g.sum(axis=0)
            if i > 0:
                g = g @ w[i].T
                g *= acts[i] > 0  # NOTE: relu'(0) = 0, as in PyTorch
            w[i] -= LR * gw
            b[i] -= LR * gb
            grads.append((gw, gb))
        self.last_grads = grads
        return loss

    def grads(self, ctx: Context) -> list:
        out = []
        for gw, gb in reversed(self.last_grads):
            out += [ctx.host(gw).T, ctx.host(gb)]
        return out


class Torch:
    """PyTorch eager: ``torch.nn.Sequential``, ``F.cross_entropy``, ``torch.optim.SGD``."""

    def __init__(self, ctx: Context, problem: Problem):
        torch = ctx.torch
        layers = []
        for i, (w, b) in enumerate(problem.weights):
            layer = torch.nn.Linear(w.shape[1], w.shape[0], device=ctx.torch_device)
            with torch.no_grad():
                layer.weight.copy_(ctx.to_torch(w))
                layer.bias.copy_(ctx.to_torch(b))
            layers.append(layer)
            if i < len(problem.weights) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
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


def build(ctx: Context, sizes, batch: int) -> dict:
    """One implementation per side, all from the same weights and data."""
    problem = Problem(ctx, sizes, batch)
    sides = {"ours": Ours(ctx, problem), "ref": Reference(ctx, problem)}
    sides["torch"] = Torch(ctx, problem) if ctx.torch is not None else None
    return sides


def rows(ctx: Context) -> list[Row]:
    out = []
    for sizes, batch in configs(ctx):
        sides = build(ctx, sizes, batch)
        if ctx.is_cuda:
            target = Target("torch", 1.25, "<= 1.25x PyTorch CUDA eager")
        elif batch == 32:  # issue 17's eager targets
            target = Target("torch", 0.90, "<= 0.90x PyTorch eager")
        elif batch == 256:
            target = Target("torch", 0.95, "<= 0.95x PyTorch eager")
        else:
            target = None
        widths = "-".join(str(s) for s in sizes)
        out.append(
            Row(
                name(sizes, batch),
                "mlp",
                f"MLP {widths} step at batch {batch}: forward, cross-entropy, backward, SGD",
                {side: (impl.step if impl is not None else None) for side, impl in sides.items()},
                target=target,
                note=f"ours: {sides['ours'].kind}",
            )
        )
    return out
