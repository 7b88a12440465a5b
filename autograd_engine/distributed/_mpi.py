"""The MPI backend: collectives on NumPy arrays through mpi4py's non-blocking calls, with a
host staging copy for CuPy arrays (the pip MPICH is not CUDA-aware)."""

from __future__ import annotations

import importlib.util
import os
import time

import numpy as np

from .. import array_backend
from ._work import DistBackendError, ReduceOp, Work

INSTALL_HINT = (
    "install the distributed extra: pip install -e '.[distributed]' in the checkout "
    "(mpi4py and the MPICH runtime), or pip install mpi4py against a system MPI"
)


def available() -> bool:
    """Whether mpi4py is installed (checked without initialising MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def load():
    """``mpi4py.MPI``, initialising MPI on first use; a clear error when mpi4py is missing."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(
            f"autograd_engine.distributed needs mpi4py, which is not installed: {INSTALL_HINT}"
        ) from exc
    return MPI


def find_mpiexec() -> str | None:
    """The ``mpiexec`` that matches this Python's mpi4py: the one installed beside the
    interpreter (the ``mpich`` wheel puts it there), else the first on ``PATH``."""
    import shutil
    import sys

    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


def world_from_environment() -> tuple[int, int] | None:
    """(rank, size) that an MPI launcher gave this process, read from its environment without
    initialising MPI; None when the process was not started by ``mpiexec``."""

    for rank_key, size_key in (
        ("PMI_RANK", "PMI_SIZE"),  # MPICH (Hydra), Intel MPI
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),  # Open MPI
        ("PMIX_RANK", "PMIX_SIZE"),
    ):
        if rank_key in os.environ and size_key in os.environ:
            return int(os.environ[rank_key]), int(os.environ[size_key])
    return None


def _mpi_op(MPI, op: ReduceOp, dtype):
    if dtype == np.bool_:  # MPI has no arithmetic on C_BOOL: sum/max act as or, min/product as and
        return {
            ReduceOp.SUM: MPI.LOR,
            ReduceOp.MAX: MPI.LOR,
            ReduceOp.BOR: MPI.LOR,
            ReduceOp.MIN: MPI.LAND,
            ReduceOp.PRODUCT: MPI.LAND,
            ReduceOp.BAND: MPI.LAND,
            ReduceOp.BXOR: MPI.LXOR,
        }[op]
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iu":
        raise ValueError(
            f"ReduceOp.{op.name} needs an integer or bool tensor, got dtype {dtype}; use SUM, "
            "PRODUCT, MIN, MAX or AVG for floating point"
        )
    if op == ReduceOp.AVG and dtype.kind not in "fc":
        raise ValueError(
            f"ReduceOp.AVG needs a floating point tensor, got dtype {dtype}; reduce with SUM "
            "and divide, or convert the tensor to float first"
        )
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,  # divided by the group size on completion
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


class _Staged:
    """A contiguous host array standing for ``array`` during an MPI call; ``finish()`` writes
    the result back when the two differ (a CuPy array, a strided view, float16)."""

    __slots__ = ("array", "host", "dtype")

    def __init__(self, array):
        self.array = array
        dtype = np.dtype(array.dtype)
        # NOTE: MPI has no half type; float16 travels as float32 and is rounded back at the end.
        self.dtype = np.dtype(np.float32) if dtype == np.float16 else dtype
        if isinstance(array, np.ndarray) and array.flags.c_contiguous and dtype == self.dtype:
            self.host = array
        else:
            host = array_backend.to_device(array, array_backend.CPU)
            self.host = np.ascontiguousarray(host, dtype=self.dtype)

    @property
    def copied(self) -> bool:
        return self.host is not self.array

    def finish(self) -> None:
        if self.host is self.array:
            return
        xp = array_backend.get_array_module(self.array)
        self.array[...] = xp.asarray(self.host.astype(self.array.dtype, copy=False))


class MPIBackend:
    """Collectives of one MPI communicator; every call returns a :class:`Work`."""

    name = "mpi"

    def __init__(self, comm, timeout: float):
        self.MPI = load()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout

    def _new(self, op, requests, waiter, on_complete, keep=None, tester=None) -> Work:
        tester = tester or self.MPI.Request.Testall
        return Work(op, requests, waiter, on_complete, keep=keep, tester=tester)

    def _wait(self, op: str, requests, timeout: float | None, statuses=None) -> None:
        """Wait for ``requests``, yielding the CPU while waiting and raising after the timeout
        (MPI itself would block forever on a rank that never joins)."""

        def Testall(requests):
            return self.MPI.Request.Testall(requests, statuses)

        if Testall(requests):
            return
        limit = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + limit
        pause = 0.0
        while not Testall(requests):
            now = time.monotonic()
            if now > deadline:
                raise DistBackendError(
                    f"{op} timed out after {limit:g} s on rank {self.rank} of {self.size}: "
                    "another rank did not join this collective (it may have failed, or be "
                    "waiting in a different one). If a step is legitimately this slow, pass a "
                    "longer timeout to init_process_group(timeout=datetime.timedelta(...))."
                )
            # NOTE: MPI moves a message only while some call polls it, so poll without
            # sleeping for the first 20 ms (yielding the core to a rank that shares it), then
            # back off to sleeps of up to 1 ms for a rank that is still computing.
            if now - start < 0.02:
                os.sched_yield()
            else:
                time.sleep(pause)
                pause = min(pause + 5e-5, 1e-3)

    def _average(self, staged: _Staged, op: ReduceOp):
        if op != ReduceOp.AVG:
            return None

        def divide():
            staged.host /= self.size

        return divide

    def allreduce(self, array, op: ReduceOp) -> Work:
        s = _Staged(array)
        req = self.comm.Iallreduce(self.MPI.IN_PLACE, s.host, _mpi_op(self.MPI, op, s.dtype))
        return self._new("all_reduce", [req], self._wait, self._finisher([s], self._average(s, op)))

    def _finisher(self, staged, before=None):
        def done():
            if before is not None:
                before()
            for s in staged:
                s.finish()

        return done

    def broadcast(self, array, root: int) -> Work:
        s = _Staged(array)
        req = self.comm.Ibcast(s.host, root=root)
        return self._new("broadcast", [req], self._wait, self._finisher([s]))

    def reduce(self, array, op: ReduceOp, root: int) -> Work:
        s = _Staged(array)
        mop = _mpi_op(self.MPI, op, s.dtype)
        if self.rank == root:
            req = self.comm.Ireduce(self.MPI.IN_PLACE, s.host, mop, root=root)
            return self._new("reduce", [req], self._wait, self._finisher([s], self._average(s, op)))
        # NOTE: PyTorch leaves the non-root tensors unspecified; here they keep their values.
        req = self.comm.Ireduce(s.host, None, mop, root=root)
        return self._new("reduce", [req], self._wait, lambda: None, keep=s)

    def allgather(self, send, recv, name: str = "all_gather") -> Work:
        """``recv`` (``size * send.size`` elements) receives every rank's ``send`` in order."""
        s, r = _Staged(send), _Staged(recv)
        req = self.comm.Iallgather(s.host, r.host)
        return self._new(name, [req], self._wait, self._finisher([r]), keep=s)

    def reduce_scatter(self, send, recv, op: ReduceOp) -> Work:
        s, r = _Staged(send), _Staged(recv)
        mop = _mpi_op(self.MPI, op, r.dtype)
        req = self.comm.Ireduce_scatter_block(s.host, r.host, mop)
        done = self._finisher([r], self._average(r, op))
        return self._new("reduce_scatter", [req], self._wait, done, keep=s)

    def gather(self, send, recv, root: int) -> Work:
        s = _Staged(send)
        r = _Staged(recv) if recv is not None else None
        req = self.comm.Igather(s.host, None if r is None else r.host, root=root)
        done = self._finisher([r] if r is not None else [])
        return self._new("gather", [req], self._wait, done, keep=s)

    def scatter(self, send, recv, root: int) -> Work:
        s = _Staged(send) if send is not None else None
        r = _Staged(recv)
        req = self.comm.Iscatter(None if s is None else s.host, r.host, root=root)
        return self._new("scatter", [req], self._wait, self._finisher([r]), keep=s)

    def send(self, array, dst: int, tag: int) -> Work:
        s = _Staged(array)
        req = self.comm.Isend(s.host, dest=dst, tag=tag)
        return self._new("send", [req], self._wait, lambda: None, keep=s)

    def recv(self, array, src: int | None, tag: int) -> Work:
        r = _Staged(array)
        source = self.MPI.ANY_SOURCE if src is None else src
        req = self.comm.Irecv(r.host, source=source, tag=tag)
        statuses = [self.MPI.Status()]

        def wait(op, requests, timeout):
            self._wait(op, requests, timeout, statuses)

        def done():
            r.finish()
            work.source = statuses[0].Get_source()

        work = self._new(
            "recv", [req], wait, done, tester=lambda reqs: self.MPI.Request.Testall(reqs, statuses)
        )
        return work

    def barrier(self) -> Work:
        return self._new("barrier", [self.comm.Ibarrier()], self._wait, lambda: None)

    def allgather_bytes(self, payload: bytes) -> list[bytes]:
        """Every rank's ``payload``, in rank order (for the object collectives)."""
        sizes = np.zeros(self.size, dtype=np.int64)
        self._new(
            "all_gather_object",
            [self.comm.Iallgather(np.array([len(payload)], dtype=np.int64), sizes)],
            self._wait,
            lambda: None,
        ).wait()
        out = np.empty(int(sizes.sum()), dtype=np.uint8)
        counts = [int(n) for n in sizes]
        displs = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()
        send = np.frombuffer(payload, dtype=np.uint8)
        req = self.comm.Iallgatherv(send, [out, counts, displs, self.MPI.BYTE])
        self._new("all_gather_object", [req], self._wait, lambda: None).wait()
        return [out[d : d + n].tobytes() for d, n in zip(displs, counts)]

    def broadcast_bytes(self, payload: bytes | None, root: int) -> bytes:
        """Rank ``root``'s ``payload`` on every rank."""
        size = np.array([0 if payload is None else len(payload)], dtype=np.int64)
        self._new("broadcast", [self.comm.Ibcast(size, root=root)], self._wait, lambda: None).wait()
        if self.rank == root:
            buf = np.frombuffer(payload, dtype=np.uint8).copy()
        else:
            buf = np.empty(int(size[0]), dtype=np.uint8)
        self._new("broadcast", [self.comm.Ibcast(buf, root=root)], self._wait, lambda: None).wait()
        return buf.tobytes()

    def split(self, ranks: list[int] | None):
        """A communicator over ``ranks`` (world ranks), or None on ranks outside it; every rank
        of this communicator must call it."""
        MPI = self.MPI
        member = ranks is None or self.rank in ranks
        key = ranks.index(self.rank) if (member and ranks is not None) else self.rank
        comm = self.comm.Split(0 if member else MPI.UNDEFINED, key)
        return comm if member else None

    def abort(self, code: int = 1) -> None:
        self.comm.Abort(code)

    def free(self) -> None:
        if self.comm != self.MPI.COMM_WORLD:
            self.comm.Free()
