"""What engine safety costs per op: the per-op forward+backward overhead of this checkout (with
its version counters, view tracking, and anomaly mode off) against the same checkout with the
engine core (tensor.py, node.py, engine.py) as it was before, as a ratio of medians of
interleaved runs.

    python benchmarks/bench_safety.py                  # core from --rev (before issue 3)
    python benchmarks/bench_safety.py --clock wall     # perf_counter instead of CPU time

The baseline is a copy of this checkout's package with the three core files taken from
``--rev`` (so the ops are the same on both sides), imported under another name: both engines
run in one process on the same arrays.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # pin BLAS threads before NumPy loads

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE_REV = "deb00c9"  # the engine core before issue 3 (engine safety)
CORE_FILES = ("tensor.py", "node.py", "engine.py")


def load_baseline(rev: str, where: Path, files: tuple[str, ...] = CORE_FILES):
    """Import this checkout's ``autograd_engine``, with ``files`` (the core files by default)
    as they are at ``rev``, under the name ``ag_baseline``."""
    pkg = where / "autograd_engine"
    shutil.copytree(
        ROOT / "autograd_engine", pkg, ignore=shutil.ignore_patterns("__pycache__", "data")
    )
    for name in files:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:autograd_engine/{name}"],
            check=True,
            capture_output=True,
        ).stdout
        (pkg / name).write_bytes(source)
    spec = importlib.util.spec_from_file_location(
        "ag_baseline", pkg / "__init__.py", submodule_search_locations=[str(pkg)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["ag_baseline"] = module
    spec.loader.exec_module(module)
    return module


def chain(ag, n: int):
    """``n`` blocks of three small ops (mul, add, tanh), then sum and backward: 3n+1 ops."""
    x = ag.tensor(np.linspace(-1, 1, 8, dtype=np.float32), requires_grad=True)
    w = ag.tensor(np.full(8, 0.9, dtype=np.float32), requires_grad=True)
    b = ag.tensor(np.full(8, 0.1, dtype=np.float32), requires_grad=True)

    def run():
        h = x
        for _ in range(n):
            h = (h * w + b).tanh()
        h.sum().backward()
        x.grad = w.grad = b.grad = None

    return run


def forward_only(ag, n: int):
    """The same chain under ``no_grad``: what every op pays even when nothing is recorded."""
    x = ag.tensor(np.linspace(-1, 1, 8, dtype=np.float32))
    w = ag.tensor(np.full(8, 0.9, dtype=np.float32))
    b = ag.tensor(np.full(8, 0.1, dtype=np.float32))

    def run():
        with ag.no_grad():
            h = x
            for _ in range(n):
                h = (h * w + b).tanh()

    return run


def measure(cases: dict, repeats: int, n_ops: int, clock) -> dict:
    """Median microseconds per op for each case, the cases interleaved within every repeat."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():  # warm up
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            start = clock()
            fn()
            times[name].append((clock() - start) / n_ops * 1e6)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=BASELINE_REV, help="baseline git revision")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=50, help="blocks of 3 ops per run")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: this process's CPU time (robust on a shared machine); wall: perf_counter",
    )
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    import autograd_engine as ag

    with tempfile.TemporaryDirectory() as tmp:
        base = load_baseline(args.rev, Path(tmp))
        n_ops = 3 * args.blocks + 1
        cases = {
            "baseline fwd+bwd": chain(base, args.blocks),
            "current fwd+bwd": chain(ag, args.blocks),
            "baseline no_grad": forward_only(base, args.blocks),
            "current no_grad": forward_only(ag, args.blocks),
        }
        if hasattr(ag, "detect_anomaly"):
            anomaly_run = chain(ag, args.blocks)

            def with_anomaly():
                with ag.detect_anomaly():
                    anomaly_run()

            cases["current fwd+bwd, anomaly on"] = with_anomaly
        med = measure(cases, args.repeats, n_ops, clock)

    print(f"per-op time in microseconds ({args.clock} clock, median of {args.repeats} "
          f"interleaved runs of {n_ops} ops; baseline = {args.rev})")  # fmt: skip
    for name, us in med.items():
        print(f"  {name:32s} {us:8.2f} us")
    ratios = [
        ("current/baseline, fwd+bwd", "current fwd+bwd", "baseline fwd+bwd"),
        ("current/baseline, no_grad", "current no_grad", "baseline no_grad"),
        ("anomaly on/off (current)", "current fwd+bwd, anomaly on", "current fwd+bwd"),
    ]
    for label, num, den in ratios:
        if num in med:
            print(f"ratio {label:28s} {med[num] / med[den]:.3f}")


if __name__ == "__main__":
    main()
