"""The suite's command line: ``python -m benchmarks`` or ``python benchmarks/run.py``.

Options: ``--device cpu|cuda``, ``--quick``, ``--json PATH``, ``--markdown PATH``,
``--only NAME[,NAME]`` (groups: per-op, mlp, cnn, compiled, optim, matmul, memory, sequence),
``--repeat N``, ``--tf32``, ``--clock wall|process``, ``--no-torch``, ``--no-checks``. BLAS
threads are pinned to one before NumPy or PyTorch load.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable as a package
    _root = str(Path(__file__).resolve().parent.parent)
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = _root
    else:
        sys.path.insert(0, _root)

from benchmarks import env  # noqa: E402  (stdlib only: nothing BLAS-backed loads here)

GROUP_NAMES = ("per-op", "mlp", "cnn", "compiled", "optim", "matmul", "memory", "sequence")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time autograd_engine against a hand-written NumPy/CuPy reference and "
        "PyTorch eager, in one process, with interleaved rounds.",
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few rounds: checks that everything runs",
    )
    parser.add_argument("--json", metavar="PATH", help="write every number and the machine")
    parser.add_argument("--markdown", metavar="PATH", help="also write the tables to PATH")
    parser.add_argument(
        "--only", metavar="NAME[,NAME]", help=f"run only these groups: {', '.join(GROUP_NAMES)}"
    )
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="interleaved rounds per row (default 15, quick 3)"
    )
    parser.add_argument(
        "--tf32", action="store_true", help="allow TF32 matmuls on the GPU (CuPy and PyTorch alike)"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "process"),
        default="wall",
        help="wall time, or the process's CPU time (CPU only; steadier on a shared machine)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--no-checks", action="store_true", help="skip the float32 and gradient-agreement checks"
    )
    args = parser.parse_args(argv)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in GROUP_NAMES]
        if unknown:
            parser.error(
                f"unknown workload {', '.join(unknown)}; choose from {', '.join(GROUP_NAMES)}"
            )
        args.only = names
    else:
        args.only = list(GROUP_NAMES)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 15
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.clock == "process" and args.device == "cuda":
        parser.error("--clock process measures CPU time; GPU runs use the wall clock")
    return args


def _load_torch(args):
    if args.no_torch or importlib.util.find_spec("torch") is None:
        return None
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        return None  # a CPU-only PyTorch build has nothing to compare on the GPU
    return torch


def run_suite(argv=None) -> dict:
    """Run the suite and return the result (the ``--json`` content); prints the tables."""
    args = parse_args(argv)
    threads_pinned = env.pinning_is_effective()
    with env.pinned(args.tf32):
        torch = _load_torch(args)
        saved_torch = env.configure_torch(torch, args.tf32) if torch is not None else None
        try:
            return _run(args, torch, threads_pinned)
        finally:
            if torch is not None:
                env.restore_torch(torch, saved_torch)


def _run(args, torch, threads_pinned: bool) -> dict:
    import autograd_engine as ag
    from benchmarks import checks, harness, machine, report
    from benchmarks.context import Context
    from benchmarks.workloads import GROUPS

    if args.device == "cuda" and not ag.cuda.is_available():
        raise SystemExit("--device cuda needs CuPy and a CUDA GPU; neither is usable here.")
    # CuPy's compute type is process-wide, so this switch covers the reference's matmuls too.
    ag.backends.cuda.matmul.allow_tf32 = args.tf32
    ag.manual_seed(0)
    ctx = Context(args.device, args.quick, torch, clock=args.clock)
    sample_s = 0.002 if args.quick else 0.05
    options = {
        "device": args.device,
        "quick": args.quick,
        "repeat": args.repeat,
        "sample_s": sample_s,
        "only": args.only,
        "tf32": args.tf32,
        "clock": args.clock,
        "ref_name": ctx.ref_name,
    }
    result = {
        "machine": machine.info(ctx, threads_pinned, args.tf32),
        "options": options,
        "rows": [],
        "memory": [],
        "checks": None,
    }
    for group in args.only:
        for row in GROUPS[group].rows(ctx):
            harness.progress(f"[{group}] {row.name}")
            if isinstance(row, harness.MemoryRow):
                peaks = {} if row.skip else harness.measure_memory(row, ctx)
                result["memory"].append(report.memory_record(row, peaks))
                continue
            stats = {} if row.skip else harness.time_row(row, ctx, args.repeat, sample_s)
            result["rows"].append(report.timing_record(row, stats, harness.ratios(stats)))
    result["machine"]["load_average_end"] = machine.load_average()
    if not args.no_checks:
        harness.progress("[checks] float32 and gradient agreement")
        result["checks"] = checks.run(ctx)
    text = report.markdown(result)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return result


def main(argv=None) -> int:
    """Entry point; exit status 1 when a correctness check fails (timings never fail it)."""
    result = run_suite(argv)
    checks = result["checks"]
    return 1 if checks is not None and not checks["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
