"""What BLAS threads do to the training command (issue 17, part 3): the median epoch time of
``python -m autograd_engine train`` with one BLAS thread against BLAS's default thread count
(every core), as a ratio of medians of interleaved epochs in one process, for the default
job and two larger ones; and the count ``--threads`` chooses by itself for each.

    python benchmarks/bench_train_threads.py                 # 7 rounds, 3 workloads
    python benchmarks/bench_train_threads.py --rounds 15 --json out.json
    python benchmarks/bench_train_threads.py --many 4        # 1 thread against 4

Unlike the rest of the suite, BLAS threads are NOT pinned here before NumPy loads: the
default thread count is what is measured. Each side has its own Trainer (same seed); an
epoch of each runs in turn under ``threadpoolctl`` limits, so load from other jobs hits
both sides alike. The machine's load average is recorded before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> RunConfig options (the default job first)
WORKLOADS = {
    "default": {},
    "cnn": {"model": "cnn"},
    "wide": {"hidden": [1024, 1024], "batch_size": 256},
}


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def measure(names: list[str], rounds: int, many: int) -> dict:
    """Interleaved epoch times of each workload with 1 and with ``many`` BLAS threads."""
    from autograd_engine.training import RunConfig, Trainer
    from autograd_engine.training._loop import _Interrupt
    from autograd_engine.training._threads import blas_threads

    sides = (1, many)
    trainers = {}
    for name in names:
        config = RunConfig(quiet=True, silent=True, epochs=10**6, **WORKLOADS[name])
        trainers[name] = {n: Trainer(config) for n in sides}
    times = {name: {n: [] for n in sides} for name in names}
    interrupt = _Interrupt()
    for _ in range(rounds + 1):  # the first round warms up and is dropped
        for name in names:
            for n in sides:
                trainer = trainers[name][n]
                with blas_threads(n):
                    start = time.perf_counter()
                    record = trainer.train_epoch(interrupt)
                    times[name][n].append(time.perf_counter() - start)
                trainer.end_epoch(record)
    rows = []
    for name in names:
        one, other = (statistics.median(times[name][n][1:]) for n in sides)
        any_trainer = trainers[name][1]
        rows.append({
            "workload": name,
            "options": WORKLOADS[name],
            "largest_gemm": any_trainer.gemm,
            "auto_threads": any_trainer.threads,
            "median_s": {"1": one, str(many): other},
            "ratio": other / one,
            "epochs_s": {str(n): times[name][n][1:] for n in sides},
        })  # fmt: skip
    return {"rows": rows}


def table(result: dict) -> str:
    many = result["many"]
    lines = [
        f"| workload | largest GEMM (M mult-adds) | `--threads` auto | epoch, 1 thread | "
        f"epoch, {many} threads | ratio {many}/1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["rows"]:
        opts = " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in r["options"].items()
        )
        command = f"train {opts}".strip()
        lines.append(
            f"| `{command}` | {r['largest_gemm'] / 1e6:.1f} | "
            f"{r['auto_threads']} | {1e3 * r['median_s']['1']:.0f} ms | "
            f"{1e3 * r['median_s'][str(many)]:.0f} ms | **{r['ratio']:.2f}x** |"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    from autograd_engine.training._threads import blas_default, cpu_cores

    parser = argparse.ArgumentParser(prog="python benchmarks/bench_train_threads.py",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--rounds", type=int, default=7, help="timed epochs per side (default 7)")
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"workloads, comma-separated (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--many", type=int, default=None, help="the thread count compared with 1 (default: BLAS's)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every number here")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    default = blas_default()
    many = args.many or default or cpu_cores()
    load_before = _load()
    result = measure(names, args.rounds, many)
    result.update({
        "many": many, "blas_default_threads": default, "cores": cpu_cores(),
        "rounds": args.rounds, "load_before": load_before, "load_after": _load(),
        "machine": platform.machine(), "python": platform.python_version(),
    })  # fmt: skip
    print(
        f"{result['cores']} cores, BLAS default {default} threads; load average "
        f"{load_before} before, {result['load_after']} after; median of {args.rounds} "
        "interleaved epochs per side"
    )
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
