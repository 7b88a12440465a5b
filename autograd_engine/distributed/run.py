"""A torchrun-like launcher: ``python -m autograd_engine.distributed.run --nproc-per-node N
script.py args`` starts N ranks with ``mpiexec`` and gives each torchrun's environment."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from . import _mpi

__all__ = ["main", "get_args_parser"]


def get_args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m autograd_engine.distributed.run",
        description=(
            "Start N processes of a training script under mpiexec, each with torchrun's "
            "environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, "
            "MASTER_PORT), so a PyTorch DDP script runs with its imports changed."
        ),
    )
    p.add_argument(
        "--nproc-per-node", "--nproc_per_node", default="1",
        help="processes to start: a number, or 'auto'/'cpu' (one per CPU core) or 'gpu' "
        "(one per GPU)",
    )  # fmt: skip
    p.add_argument(
        "--nnodes", default="1",
        help="only 1 here; for several machines run mpiexec with a host file directly",
    )  # fmt: skip
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true", help="accepted (single node)")
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    p.add_argument("--rdzv-backend", "--rdzv_backend", default=None, help="accepted, unused")
    p.add_argument("--rdzv-endpoint", "--rdzv_endpoint", default=None, help="accepted, unused")
    p.add_argument("--rdzv-id", "--rdzv_id", default=None, help="accepted, unused")
    p.add_argument(
        "--mpiexec-args", default="",
        help="extra arguments for mpiexec, as one string (e.g. \"-bind-to core\")",
    )  # fmt: skip
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module")
    p.add_argument(
        "--no-python", "--no_python", action="store_true",
        help="run the target as a program, not a Python script",
    )  # fmt: skip
    p.add_argument("training_script", help="the script (or module, or program) to run")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _nproc(value: str) -> int:
    if value in ("auto", "cpu"):
        return os.cpu_count() or 1
    if value == "gpu":
        from .. import array_backend

        count = array_backend.cuda_device_count()
        if count == 0:
            raise SystemExit("--nproc-per-node gpu: CuPy sees no GPU here")
        return count
    try:
        n = int(value)
    except ValueError:
        raise SystemExit(
            f"--nproc-per-node must be a number, 'auto', 'cpu' or 'gpu', got {value!r}"
        ) from None
    if n < 1:
        raise SystemExit(f"--nproc-per-node must be at least 1, got {n}")
    return n


def command(args: argparse.Namespace) -> list[str]:
    """The mpiexec command line that runs ``args``'s script on N ranks."""
    if str(args.nnodes) not in ("1", "1:1"):
        raise SystemExit(
            f"--nnodes {args.nnodes}: this launcher starts ranks on one machine; for several "
            "machines run mpiexec yourself (mpiexec -n N -f hostfile python -m "
            "autograd_engine.distributed._rank script.py), see docs/distributed.md"
        )
    if args.max_restarts:
        raise SystemExit("--max-restarts is not supported: MPI jobs are not elastic")
    mpiexec = _mpi.find_mpiexec()
    if mpiexec is None:
        raise SystemExit(
            "no mpiexec found: " + _mpi.INSTALL_HINT + " (the mpich package provides mpiexec)"
        )
    n = _nproc(str(args.nproc_per_node))
    target = [args.training_script, *args.training_script_args]
    if args.module:
        target = ["-m", *target]
    elif args.no_python:
        target = ["--no-python", *target]
    return [
        mpiexec, "-n", str(n), *args.mpiexec_args.split(),
        sys.executable, "-m", "autograd_engine.distributed._rank", *target,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    cmd = command(args)
    env = dict(os.environ)
    env["MASTER_ADDR"] = args.master_addr
    env["MASTER_PORT"] = str(args.master_port)
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reached mpiexec too; let it stop the ranks
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
