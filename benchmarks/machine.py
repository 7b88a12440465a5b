"""What a result was measured on: CPU model and cores, memory, GPU, library versions, the BLAS
NumPy uses, the repository commit and the date."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy

import autograd_engine

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _blas() -> str:
    try:
        config = numpy.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy has no dict mode
        return "unknown"


def _git() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: other work on the machine skews wall-clock times."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def info(ctx, threads_pinned: bool, tf32: bool) -> dict:
    """A JSON-ready description of the machine and the software that produced a run."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    data = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": cores,
        "usable_cores": usable,
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "blas": _blas(),
        "autograd_engine": autograd_engine.__version__,
        "commit": _git(),
        "torch": ctx.torch.__version__ if ctx.torch is not None else None,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "threads_pinned_before_import": threads_pinned,
        "torch_threads": ctx.torch.get_num_threads() if ctx.torch is not None else None,
        "load_average_start": load_average(),
        "device": ctx.device,
        "tf32": tf32,
    }
    if ctx.is_cuda:
        cupy = ctx.xp
        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"]
        data["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        data["cupy"] = cupy.__version__
        data["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        if ctx.torch is not None:
            data["torch_cuda"] = ctx.torch.version.cuda
    return data
