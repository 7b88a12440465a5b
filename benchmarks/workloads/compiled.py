"""Compiled training steps (``autograd_engine.compile``): the MLP and CNN steps of the ``mlp``
and ``cnn`` groups, traced once and replayed, against the same hand-written reference and
PyTorch eager, plus our eager step on the same problem for the compiled/eager ratio.

On the CPU the MLP is 784-256-128-10 at batch 32 and 256, the CNN the ``cnn`` group's at batch
64. On a GPU the compiled MLP step at batch 32 runs as a CUDA graph
(``mode="reduce-overhead"``); its target (at least 3x faster than our eager CuPy step) reads
the ``eager`` row's time against the ``compiled`` row's.
"""

from __future__ import annotations

from benchmarks import ours
from benchmarks.context import Context
from benchmarks.harness import Row, Target
from benchmarks.workloads import cnn, mlp

CPU_MLP_BATCHES = (32, 256)
QUICK_CPU_MLP_BATCHES = (32,)


def _compiled(step, ctx: Context):
    import autograd_engine as ag

    mode = "reduce-overhead" if ctx.is_cuda else None
    return ag.compile(step, mode=mode)


def rows(ctx: Context) -> list[Row]:
    out = []
    batches = (32,) if ctx.is_cuda else (QUICK_CPU_MLP_BATCHES if ctx.quick else CPU_MLP_BATCHES)
    for batch in batches:
        sides = mlp.build(ctx, mlp.CPU_SIZES, batch)
        eager = mlp.Ours(ctx, mlp.Problem(ctx, mlp.CPU_SIZES, batch))
        compiled = _compiled(sides["ours"].step, ctx)
        target = None
        if batch == 32 and not ctx.is_cuda:
            target = Target("ref", 1.0, f"<= 1.0x hand-written {ctx.ref_name}")
        mode = "CUDA graph" if ctx.is_cuda else "replayed program"
        what = f"MLP 784-256-128-10 step at batch {batch}, compiled ({mode})"
        out.append(
            Row(
                f"compiled mlp b{batch}",
                "compiled",
                what,
                {"ours": compiled, "ref": sides["ref"].step, "torch": _torch(sides)},
                target=target,
                note=f"ours: {sides['ours'].kind}, compiled",
            )
        )
        if ctx.is_cuda:
            out.append(
                Row(
                    f"eager mlp b{batch}",
                    "compiled",
                    "the same step in eager mode (target: compiled >= 3x faster than this)",
                    {"ours": eager.step, "ref": sides["ref"].step, "torch": _torch(sides)},
                    note="ours: eager, for the compiled/eager ratio",
                )
            )
    batch = cnn.configs(ctx)[0]
    sides = cnn.build(ctx, batch)
    row = Row(
        f"compiled cnn b{batch}",
        "compiled",
        f"CNN step at batch {batch}, compiled",
        {
            "ours": _compiled(sides["ours"].step, ctx) if sides["ours"].available else None,
            "ref": sides["ref"].step,
            "torch": _torch(sides),
        },
        target=None if ctx.is_cuda else Target("torch", 0.7, "<= 0.7x PyTorch eager"),
        note=f"ours: {sides['ours'].kind}, compiled",
    )
    if not ours.conv_available():
        row.skip = "our conv2d/max_pool2d do not exist yet"
    out.append(row)
    return out


def _torch(sides):
    impl = sides.get("torch")
    return impl.step if impl is not None else None
