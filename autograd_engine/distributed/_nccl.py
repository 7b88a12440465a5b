"""The NCCL backend: collectives on CuPy arrays through ``cupy.cuda.nccl``, enqueued on the
current CUDA stream. The communicator's unique id travels from rank 0 over MPI.

NOTE: written against CuPy's documented NCCL API; this machine has no GPU, so only the
bootstrap (the unique id over MPI) is exercised by the tests, with a stand-in NCCL module."""

from __future__ import annotations

import pickle
import time

from .. import array_backend
from ._work import DistBackendError, ReduceOp, Work

_DTYPES = {
    "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
    "float16": "NCCL_FLOAT16",
    "int32": "NCCL_INT32",
    "int64": "NCCL_INT64",
    "int8": "NCCL_INT8",
    "uint8": "NCCL_UINT8",
    "bool": "NCCL_UINT8",
}
_OPS = {
    ReduceOp.SUM: "NCCL_SUM",
    ReduceOp.AVG: "NCCL_AVG",
    ReduceOp.PRODUCT: "NCCL_PROD",
    ReduceOp.MIN: "NCCL_MIN",
    ReduceOp.MAX: "NCCL_MAX",
}


class NCCLBackend:
    """Collectives of one NCCL communicator on CuPy arrays; each returns a :class:`Work` whose
    ``wait()`` waits for the CUDA event recorded after the call."""

    name = "nccl"

    def __init__(self, module, comm, rank: int, size: int, timeout: float):
        self.module = module  # cupy.cuda.nccl (or a stand-in in tests)
        self.comm = comm
        self.rank = rank
        self.size = size
        self.timeout = timeout

    @classmethod
    def bootstrap(cls, mpi, module, device_id=None) -> NCCLBackend:
        """Make the communicator of ``mpi``'s ranks: rank 0 draws NCCL's unique id and
        broadcasts it over MPI; every rank then joins with its rank."""
        if device_id is not None:
            index = device_id if isinstance(device_id, int) else array_backend.device(device_id)
            index = index if isinstance(index, int) else (index.index or 0)
            array_backend.cupy.cuda.Device(index).use()
        uid = module.get_unique_id() if mpi.rank == 0 else None
        payload = pickle.dumps(uid) if mpi.rank == 0 else None
        uid = pickle.loads(mpi.broadcast_bytes(payload, 0))
        comm = module.NcclCommunicator(mpi.size, uid, mpi.rank)
        return cls(module, comm, mpi.rank, mpi.size, mpi.timeout)

    def _dtype(self, array):
        name = _DTYPES.get(str(array.dtype))
        if name is None:
            raise TypeError(
                f"backend nccl cannot reduce dtype {array.dtype}; use one of {sorted(_DTYPES)}"
            )
        return getattr(self.module, name)

    def _op(self, op: ReduceOp, array):
        name = _OPS.get(op)
        if name is None:
            raise ValueError(
                f"backend nccl has no ReduceOp.{op.name}; use SUM, AVG, PRODUCT, MIN or MAX"
            )
        if op == ReduceOp.AVG and array.dtype.kind != "f":
            raise ValueError(f"ReduceOp.AVG needs a floating point tensor, got dtype {array.dtype}")
        return getattr(self.module, name)

    def _work(self, opname: str, buffers, written=()) -> Work:
        cupy = array_backend.cupy
        event = cupy.cuda.Event(disable_timing=True)
        event.record()

        def wait(op, requests, timeout):
            limit = self.timeout if timeout is None else timeout
            deadline = time.monotonic() + limit
            while not event.done:
                if time.monotonic() > deadline:
                    raise DistBackendError(
                        f"{op} (nccl) timed out after {limit:g} s on rank {self.rank}: another "
                        "rank did not join this collective"
                    )
                time.sleep(1e-4)

        def done():
            for dst, src in written:
                dst[...] = src

        return Work(opname, [], wait, done, keep=buffers)

    @staticmethod
    def _contiguous(array):
        cupy = array_backend.cupy
        return array if array.flags.c_contiguous else cupy.ascontiguousarray(array)

    def _stream(self) -> int:
        return array_backend.cupy.cuda.get_current_stream().ptr

    def allreduce(self, array, op: ReduceOp) -> Work:
        buf = self._contiguous(array)
        self.comm.allReduce(
            buf.data.ptr, buf.data.ptr, buf.size, self._dtype(buf), self._op(op, buf),
            self._stream(),
        )  # fmt: skip
        return self._work("all_reduce", [buf], [] if buf is array else [(array, buf)])

    def broadcast(self, array, root: int) -> Work:
        buf = self._contiguous(array)
        self.comm.bcast(buf.data.ptr, buf.size, self._dtype(buf), root, self._stream())
        return self._work("broadcast", [buf], [] if buf is array else [(array, buf)])

    def reduce(self, array, op: ReduceOp, root: int) -> Work:
        buf = self._contiguous(array)
        self.comm.reduce(
            buf.data.ptr, buf.data.ptr, buf.size, self._dtype(buf), self._op(op, buf), root,
            self._stream(),
        )  # fmt: skip
        back = [] if (buf is array or self.rank != root) else [(array, buf)]
        return self._work("reduce", [buf], back)

    def allgather(self, send, recv) -> Work:
        s, r = self._contiguous(send), self._contiguous(recv)
        self.comm.allGather(s.data.ptr, r.data.ptr, s.size, self._dtype(s), self._stream())
        return self._work("all_gather", [s, r], [] if r is recv else [(recv, r)])

    def reduce_scatter(self, send, recv, op: ReduceOp) -> Work:
        s, r = self._contiguous(send), self._contiguous(recv)
        self.comm.reduceScatter(
            s.data.ptr, r.data.ptr, r.size, self._dtype(r), self._op(op, r), self._stream()
        )
        return self._work("reduce_scatter", [s, r], [] if r is recv else [(recv, r)])

    def gather(self, send, recv, root: int) -> Work:
        s = self._contiguous(send)
        nccl, stream, dtype = self.module, self._stream(), self._dtype(s)
        nccl.groupStart()
        if self.rank == root:
            flat = recv.reshape(self.size, -1)
            for peer in range(self.size):
                if peer == root:
                    flat[peer] = s.reshape(-1)
                else:
                    self.comm.recv(flat[peer].data.ptr, s.size, dtype, peer, stream)
        else:
            self.comm.send(s.data.ptr, s.size, dtype, root, stream)
        nccl.groupEnd()
        return self._work("gather", [s, recv])

    def scatter(self, send, recv, root: int) -> Work:
        r = self._contiguous(recv)
        nccl, stream, dtype = self.module, self._stream(), self._dtype(r)
        nccl.groupStart()
        if self.rank == root:
            flat = self._contiguous(send).reshape(self.size, -1)
            for peer in range(self.size):
                if peer == root:
                    r.reshape(-1)[...] = flat[peer]
                else:
                    self.comm.send(flat[peer].data.ptr, r.size, dtype, peer, stream)
        else:
            self.comm.recv(r.data.ptr, r.size, dtype, root, stream)
        nccl.groupEnd()
        return self._work("scatter", [r, send], [] if r is recv else [(recv, r)])

    def send(self, array, dst: int, tag: int) -> Work:
        s = self._contiguous(array)
        self.comm.send(s.data.ptr, s.size, self._dtype(s), dst, self._stream())
        return self._work("send", [s])

    def recv(self, array, src: int | None, tag: int) -> Work:
        if src is None:
            raise ValueError("backend nccl cannot receive from any source: pass src=")
        r = self._contiguous(array)
        self.comm.recv(r.data.ptr, r.size, self._dtype(r), src, self._stream())
        work = self._work("recv", [r], [] if r is array else [(array, r)])
        work.source = src
        return work

    def free(self) -> None:
        self.comm.destroy()
