"""Peak memory of one training step (MLP and CNN): everything each side holds, from its own
copy of the parameters and inputs to the step's temporaries; ours against the hand-written
reference, and PyTorch on the GPU (where its allocator reports a peak)."""

from __future__ import annotations

from benchmarks import ours
from benchmarks.context import Context
from benchmarks.harness import MemoryRow
from benchmarks.workloads import cnn, mlp


def _makers(ctx: Context, module, problem) -> dict:
    def maker(cls):
        return lambda: cls(ctx, problem).step

    sides = {"ours": maker(module.Ours), "ref": maker(module.Reference), "torch": None}
    if ctx.torch is not None:
        sides["torch"] = maker(module.Torch)
    return sides


def rows(ctx: Context) -> list[MemoryRow]:
    sizes, batch = mlp.configs(ctx)[-1] if ctx.is_cuda else (mlp.CPU_SIZES, 256)
    out = [
        MemoryRow(
            f"peak {mlp.name(sizes, batch)}",
            "memory",
            f"peak memory of an MLP step at batch {batch}",
            _makers(ctx, mlp, mlp.Problem(ctx, sizes, batch)),
            note="ours: nn+optim" if ours.nn_api("Linear", "ReLU") else "ours: raw ops",
        )
    ]
    batch = cnn.configs(ctx)[0]
    row = MemoryRow(
        f"peak cnn b{batch}",
        "memory",
        f"peak memory of a CNN step at batch {batch}",
        _makers(ctx, cnn, cnn.Problem(ctx, batch)),
    )
    if not ours.conv_available():
        row.skip = "our conv2d/max_pool2d do not exist yet"
    out.append(row)
    return out
