"""Where our time goes: cProfile of one workload's ``ours`` side, sorted by own time, and its
median time next to the hand-written reference's (the same arithmetic without the engine).
Both clocks are the process's CPU time, so other programs on a shared machine matter less.

    python -m benchmarks.profiling per-op        # the fwd+bwd chain of 8x8 element-wise ops
    python -m benchmarks.profiling mlp --batch 32
    python -m benchmarks.profiling cnn --batch 64 --top 30
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

from benchmarks import env

WORKLOADS = ("per-op", "per-op-no-grad", "mlp", "cnn", "adam")


def _median_time(fn, n: int, rounds: int = 9) -> float:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            fn()
        samples.append((time.process_time() - start) / n)
    return statistics.median(samples)


def _sides(name: str, batch: int | None, ctx):
    """(ours step, reference step, calls per sample, ops per call) for one workload."""
    from benchmarks.workloads import cnn, mlp, optimizer, per_op

    if name.startswith("per-op"):
        rows = per_op.rows(ctx)
        row = rows[0] if name == "per-op" else rows[1]
        return row.sides["ours"], row.sides["ref"], 20, row.per
    if name == "mlp":
        sides = mlp.build(ctx, mlp.CPU_SIZES, batch or 32)
    elif name == "cnn":
        sides = cnn.build(ctx, batch or cnn.CPU_BATCH)
    else:
        row = optimizer.rows(ctx)[0]
        return row.sides["ours"], row.sides["ref"], 5, 1
    return sides["ours"].step, sides["ref"].step, 5, 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = parser.parse_args(argv)
    with env.pinned(tf32=False):
        from benchmarks.context import Context

        ctx = Context("cpu", quick=False, torch=None)
        ours, ref, n, per = _sides(args.workload, args.batch, ctx)
        for _ in range(5):
            ours()
            ref()
        t_ours = _median_time(ours, n) / per
        t_ref = _median_time(ref, n) / per
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(n * 5):
            ours()
        profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    unit = "per op" if per > 1 else "per step"
    print(
        f"{args.workload}: ours {t_ours * 1e6:.2f} µs {unit}, reference {t_ref * 1e6:.2f} µs "
        f"({t_ours / t_ref:.2f}x); ours minus reference: {(t_ours - t_ref) * 1e6:.2f} µs {unit}"
    )  # fmt: skip
    print(out.getvalue())


if __name__ == "__main__":
    main()
