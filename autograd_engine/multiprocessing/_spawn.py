"""``spawn``: run ``fn(i, *args)`` in ``nprocs`` processes and re-raise the first failure
(``torch.multiprocessing.spawn``), as the ranks of one ``mpiexec`` job where MPI is there."""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn as mp_spawn
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import traceback

__all__ = [
    "ProcessContext",
    "ProcessExitedException",
    "ProcessRaisedException",
    "spawn",
    "start_processes",
]


class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, pid: int | None):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message holds its traceback (PyTorch's exception)."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code without raising (PyTorch's exception)."""

    def __init__(self, msg: str, error_index: int, error_pid, exit_code: int, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn, i: int, args, error_file: str) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        with open(error_file, "w") as f:
            f.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes of one ``spawn(..., join=False)``; ``join(timeout)`` waits for them and
    returns True when all have finished, raising the first failure."""

    def __init__(self, processes, error_files, mpiexec=None):
        self.processes = processes
        self.error_files = error_files
        self._mpiexec = mpiexec  # a Popen when the processes are the ranks of one mpiexec

    def pids(self) -> list[int]:
        """The process ids (the ``mpiexec`` process's when the processes are MPI ranks)."""
        if self._mpiexec is not None:
            return [self._mpiexec.pid]
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` s for the processes; True when all have ended, re-raising a
        process's error (``torch.multiprocessing.ProcessContext.join``)."""
        if self._mpiexec is not None:
            try:
                code = self._mpiexec.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            self._raise_first_error(code)
            return True
        for p in self.processes:
            p.join(timeout)
            if p.is_alive():
                return False
        codes = [p.exitcode for p in self.processes]
        self._raise_first_error(max(codes, key=lambda c: c != 0))
        return True

    def _raise_first_error(self, code: int) -> None:
        for i, path in enumerate(self.error_files):
            if os.path.exists(path):
                with open(path) as f:
                    trace = f.read()
                self._cleanup()
                raise ProcessRaisedException(
                    f"\n\n-- Process {i} terminated with the following error:\n{trace}", i, None
                )
        self._cleanup()
        if code != 0:
            codes = [p.exitcode for p in self.processes] if self._mpiexec is None else [code]
            index = next((i for i, c in enumerate(codes) if c != 0), 0)
            raise ProcessExitedException(
                f"process {index} terminated with exit code {codes[index]}",
                index,
                None,
                codes[index],
            )

    def _cleanup(self) -> None:
        if self.error_files:
            shutil.rmtree(os.path.dirname(self.error_files[0]), ignore_errors=True)


def _mpi_ready() -> str | None:
    from ..distributed import _mpi

    if not _mpi.available() or _mpi.world_from_environment() is not None:
        return None  # no MPI, or already inside an MPI job: plain processes
    return _mpi.find_mpiexec()


def start_processes(
    fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False, start_method="spawn"
):
    """``spawn`` with a choice of start method for the plain-process case."""
    tmp = tempfile.mkdtemp(prefix="ag-spawn-")
    error_files = [os.path.join(tmp, f"error{i}.txt") for i in range(nprocs)]
    mpiexec = _mpi_ready()
    if mpiexec is not None:
        payload = os.path.join(tmp, "payload.pkl")
        with open(payload, "wb") as f:
            # NOTE: two pickles: the child prepares __main__ before it can unpickle ``fn``
            preparation = mp_spawn.get_preparation_data("SpawnProcess")
            preparation.pop("authkey", None)  # not picklable, and not needed by the ranks
            pickle.dump(preparation, f)
            pickle.dump((fn, tuple(args)), f)
        cmd = [mpiexec, "-n", str(nprocs), sys.executable, "-m",
               "autograd_engine.multiprocessing._child", payload, tmp]  # fmt: skip
        context = ProcessContext([], error_files, subprocess.Popen(cmd))
    else:
        ctx = multiprocessing.get_context(start_method)
        processes = []
        for i in range(nprocs):
            p = ctx.Process(target=_run, args=(fn, i, tuple(args), error_files[i]), daemon=daemon)
            p.start()
            processes.append(p)
        context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):  # fmt: skip
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, each in its own process
    (``torch.multiprocessing.spawn``).

    With ``join`` (default) wait for all of them; if one raises, raise
    ``ProcessRaisedException`` carrying its traceback (``ProcessExitedException`` for a
    non-zero exit). With ``join=False`` return a :class:`ProcessContext`. ``fn`` and ``args``
    must be picklable (``fn`` defined at a module's top level; the script guards its entry
    point with ``if __name__ == "__main__":``).

    Where mpi4py and ``mpiexec`` are installed the processes are the ranks of one MPI job, so
    ``fn`` can call ``dist.init_process_group(...)`` with ``rank=i, world_size=nprocs`` as a
    PyTorch ``mp.spawn`` script does; otherwise they are ``multiprocessing`` processes started
    with ``start_method``.

    Example::

        def main(rank, world_size):
            dist.init_process_group("gloo", rank=rank, world_size=world_size)
            ...

        if __name__ == "__main__":
            mp.spawn(main, args=(2,), nprocs=2)
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
