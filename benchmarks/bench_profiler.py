"""What the profiler costs: with no profiler running (its instrumentation must cost nothing
measurable) and while one records. Both engines run in one process, interleaved: this
checkout, and the same checkout with ``engine.py`` from ``--rev`` (before the backward pass
learnt to time its nodes; ``Node.__call__`` is only swapped for a timed one while a profiler
records, so the forward path is the same code on both sides).

    python benchmarks/bench_profiler.py                 # ratios of medians, CPU-time clock
    python benchmarks/bench_profiler.py --clock wall

Cases: the per-op chain of ``bench_safety`` (mul, add, tanh blocks, forward+backward), and an
MLP 784-256-128-10 step at batch 32 written with Tensor ops (matmul, add, relu, mean,
backward), each on the baseline, on this checkout with no profiler, and on this checkout
inside ``autograd_engine.profiler.profile()``.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # pin BLAS threads before NumPy loads

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_safety import chain, load_baseline, measure  # noqa: E402

BASELINE_REV = "b0e16ee"  # main just before the profiler
BASELINE_FILES = ("engine.py",)


def mlp_step(ag, batch: int = 32):
    """One forward+backward of a 784-256-128-10 MLP with Tensor ops (8 ops forward)."""
    rng = np.random.default_rng(0)

    def param(*shape):
        return ag.tensor(rng.standard_normal(shape).astype(np.float32) * 0.05, requires_grad=True)

    w1, b1, w2, b2 = param(784, 256), param(256), param(256, 128), param(128)
    w3, b3 = param(128, 10), param(10)
    params = (w1, b1, w2, b2, w3, b3)
    x = ag.tensor(rng.standard_normal((batch, 784)).astype(np.float32))

    def run():
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        out = h @ w3 + b3
        (out * out).mean().backward()
        for p in params:
            p.grad = None

    return run


def profiled(ag, run):
    def go():
        with ag.profiler.profile():
            run()

    return go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=BASELINE_REV, help="baseline git revision")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=50, help="blocks of 3 ops per chain run")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    import autograd_engine as ag

    with tempfile.TemporaryDirectory() as tmp:
        base = load_baseline(args.rev, Path(tmp), BASELINE_FILES)
        n_ops = 3 * args.blocks + 1
        chains = {
            "baseline chain": chain(base, args.blocks),
            "current chain": chain(ag, args.blocks),
            "current chain, profiling": profiled(ag, chain(ag, args.blocks)),
        }
        mlps = {
            "baseline mlp b32": mlp_step(base),
            "current mlp b32": mlp_step(ag),
            "current mlp b32, profiling": profiled(ag, mlp_step(ag)),
        }
        med = measure(chains, args.repeats, n_ops, clock)
        med.update(measure(mlps, max(args.repeats // 4, 10), 1, clock))

    print(f"median microseconds ({args.clock} clock, {args.repeats} interleaved runs; chain per "
          f"op of {n_ops}, mlp per step; baseline = engine.py of {args.rev})")  # fmt: skip
    for name, us in med.items():
        print(f"  {name:30s} {us:9.2f} us")
    for what in ("chain", "mlp b32"):
        off = med[f"current {what}"] / med[f"baseline {what}"]
        on = med[f"current {what}, profiling"] / med[f"current {what}"]
        print(f"ratio {what:8s} no profiler / baseline {off:.3f}; profiling / no profiler {on:.3f}")


if __name__ == "__main__":
    main()
