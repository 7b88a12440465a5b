"""Correctness checks that run with the timings: our MLP and CNN steps stay float32 end to end,
and the three sides compute the same gradients (so the reference is the same work)."""

from __future__ import annotations

from benchmarks.context import Context
from benchmarks.workloads import cnn, mlp
from benchmarks.workloads.common import max_rel_diff

TOLERANCE = 1e-3  # float32 sums over up to a few thousand terms, relative to the largest


def _workloads(ctx: Context) -> dict:
    """Each training-step workload at its smallest size on this device: name -> sides."""
    sizes, batch = mlp.configs(ctx)[0]
    return {
        mlp.name(sizes, batch): mlp.build(ctx, sizes, batch),
        f"cnn b{cnn.configs(ctx)[0]}": cnn.build(ctx, cnn.configs(ctx)[0]),
    }


def run(ctx: Context) -> dict:
    """``{"float32": {workload: problems}, "agreement": {workload: {pair: diff}}, "ok": bool}``.

    A workload whose ``ours`` side does not exist yet is reported as ``"skipped"``.
    """
    float32, agreement, ok = {}, {}, True
    for name, sides in _workloads(ctx).items():
        mine = sides["ours"]
        if mine is None:
            float32[name] = "skipped: not available yet"
        else:
            problems = mine.float32_problems()
            float32[name] = problems
            ok = ok and not problems
    for name, sides in _workloads(ctx).items():  # fresh weights: one step on every side
        diffs = {}
        stepped = {side: impl for side, impl in sides.items() if impl is not None}
        for impl in stepped.values():
            impl.step()
        grads = {side: impl.grads(ctx) for side, impl in stepped.items()}
        for left, right in (("ours", "ref"), ("ref", "torch"), ("ours", "torch")):
            if left in grads and right in grads:
                diff = max(max_rel_diff(a, b) for a, b in zip(grads[left], grads[right]))
                diffs[f"{left} vs {right}"] = diff
                ok = ok and diff <= TOLERANCE
        agreement[name] = diffs
    return {"float32": float32, "agreement": agreement, "tolerance": TOLERANCE, "ok": ok}
