"""Run a Python script on N ranks under ``mpiexec`` from pytest, with a hard timeout: a hang
becomes a failure, and the whole process group (mpiexec and its ranks) is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograd_engine.distributed import _mpi

ROOT = Path(__file__).resolve().parents[2]


def skip_reason() -> str | None:
    """Why multi-process tests cannot run here (None when they can)."""
    if not _mpi.available():
        return "mpi4py is not installed (pip install -e '.[distributed]' in the checkout)"
    if _mpi.find_mpiexec() is None:
        return "no mpiexec found (pip install mpich, or install a system MPI)"
    return None


needs_mpi = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def env() -> dict:
    """The environment for child processes: this checkout first on the path, one BLAS thread."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        e[key] = "1"
    e.setdefault("MPLBACKEND", "Agg")
    return e


def run(cmd: list[str], timeout: float, cwd=None) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own session; on timeout kill the session and fail the test."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=cwd,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(
            f"{' '.join(cmd[:4])}... hung: killed after {timeout} s\n"
            f"--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def mpirun(
    source: str, tmp_path: Path, n: int = 2, timeout: float = 90, check: bool = True, args=()
):
    """Run ``source`` (a script; ``RESULT_DIR`` is defined for it) on ``n`` ranks. Each rank
    may call ``report(obj)``; returns ``(completed_process, [rank 0's obj, rank 1's, ...])``."""
    prelude = textwrap.dedent(
        f"""
        import json as _json
        RESULT_DIR = {str(tmp_path)!r}

        def report(obj):
            from mpi4py import MPI as _MPI
            _r = _MPI.COMM_WORLD.Get_rank()
            with open(f"{{RESULT_DIR}}/rank{{_r}}.json", "w") as _f:
                _json.dump(obj, _f)
        """
    )
    script = tmp_path / "script.py"
    script.write_text(prelude + textwrap.dedent(source))
    cmd = [_mpi.find_mpiexec(), "-n", str(n), sys.executable, str(script), *args]
    done = run(cmd, timeout)
    if check and done.returncode != 0:
        pytest.fail(
            f"mpiexec -n {n} failed with exit code {done.returncode}\n"
            f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
        )
    results = []
    for r in range(n):
        path = tmp_path / f"rank{r}.json"
        results.append(json.loads(path.read_text()) if path.exists() else None)
    return done, results
