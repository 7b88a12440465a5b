"""The tensor collectives: ``torch.distributed``'s functions over MPI (mpi4py) on the CPU and
NCCL (CuPy) on GPUs. Tensors are reduced in place, on their own device."""

from __future__ import annotations

import numpy as np

from .. import array_backend
from ._work import CompletedWork, ReduceOp, Work
from .process_group import ProcessGroup, _group, _group_rank

# --- argument checks -----------------------------------------------------------------------


def _tensor(t, op: str, what: str = "tensor"):
    import autograd_engine as ag

    if not isinstance(t, ag.Tensor):
        raise TypeError(f"{op}: {what} must be an autograd_engine Tensor, got {type(t).__name__}")
    return t


_OPS = (
    "all_reduce",
    "broadcast",
    "reduce",
    "all_gather",
    "all_gather_into_tensor",
    "reduce_scatter_tensor",
    "gather",
    "scatter",
    "reduce_scatter",
)
_DTYPES = (
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
    "complex64",
    "complex128",
)
_MAX_DIMS = 6


def _describe(row) -> str:
    ndim = int(row[3])
    dims = [int(d) for d in row[5 : 5 + min(ndim, _MAX_DIMS)]]
    shape = "(" + ", ".join(map(str, dims)) + ("," if ndim == 1 else "")
    shape += ", ...)" if ndim > _MAX_DIMS else ")"
    dtype = _DTYPES[int(row[1])] if 0 <= row[1] < len(_DTYPES) else "other"
    return f"shape {shape} {dtype}"


def _check_consistent(pg: ProcessGroup, op: str, t, root: int = -1, same_shape=True) -> None:
    """Compare the call across the group's ranks (one small all-gather) and raise the same
    error on every rank when they differ: mismatched shapes, dtypes, roots or collectives
    would otherwise hang or corrupt memory inside MPI."""
    if pg.size() == 1:
        return
    arr = t.array
    row = np.full(5 + _MAX_DIMS, -1, dtype=np.int64)
    row[0] = _OPS.index(op)
    name = str(arr.dtype)
    row[1] = _DTYPES.index(name) if name in _DTYPES else len(_DTYPES)
    row[2] = root
    row[3] = arr.ndim
    row[4] = arr.size
    row[5 : 5 + min(arr.ndim, _MAX_DIMS)] = arr.shape[:_MAX_DIMS]
    table = np.empty((pg.size(), row.size), dtype=np.int64)
    pg.mpi.allgather(row, table, name=op).wait()  # a timeout here names the user's call
    first = table[0]
    for r in range(1, pg.size()):
        other = table[r]
        if other[0] != first[0]:
            raise RuntimeError(
                f"{op}: the ranks called different collectives: rank {pg.ranks[0]} called "
                f"{_OPS[int(first[0])]}, rank {pg.ranks[r]} called {_OPS[int(other[0])]}. "
                "Every rank must call the same collectives in the same order."
            )
        if other[2] != first[2]:
            raise RuntimeError(
                f"{op}: the ranks passed different roots: rank {pg.ranks[0]} passed "
                f"{int(first[2])}, rank {pg.ranks[r]} passed {int(other[2])}"
            )
        differs = other[1] != first[1] or (same_shape and not np.array_equal(other, first))
        if differs:
            raise RuntimeError(
                f"{op}: the ranks passed different tensors: rank {pg.ranks[0]} has "
                f"{_describe(first)}, rank {pg.ranks[r]} has {_describe(other)}. Every rank "
                "must pass a tensor of the same shape and dtype."
            )


def _done(work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None


def _bump(*tensors) -> None:
    for t in tensors:
        t._version += 1  # written in place, like any in-place op


def _after(work: Work, *tensors) -> Work:
    """Bump the written tensors' versions when ``work`` completes."""
    finish = work._on_complete

    def done():
        finish()
        _bump(*tensors)

    work._on_complete = done
    return work


# --- collectives ---------------------------------------------------------------------------


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Block until every rank of ``group`` has reached this call (``torch.distributed.barrier``)."""
    pg = _group(group)
    if pg is None:
        return None
    work = pg.mpi.barrier()
    if async_op:
        return work
    work.wait(timeout)
    return None


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """A barrier that raises after ``timeout`` when a rank does not arrive."""
    pg = _group(group)
    if pg is not None:
        pg.mpi.barrier().wait(timeout)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across the ranks; every rank receives the result in place
    (``torch.distributed.all_reduce``).

    Example::

        t = ag.tensor([float(dist.get_rank() + 1)])
        dist.all_reduce(t)                      # [3.] on both of two ranks
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
    """
    _tensor(tensor, "all_reduce")
    op = _op(op, "all_reduce")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    _check_consistent(pg, "all_reduce", tensor)
    work = pg.impl(tensor.array).allreduce(tensor.array, op)
    return _done(_after(work, tensor), async_op)


def _op(op, name: str) -> ReduceOp:
    if isinstance(op, ReduceOp):
        return op
    raise TypeError(f"{name}: op must be a dist.ReduceOp (e.g. ReduceOp.SUM), got {op!r}")


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``
    (``torch.distributed.broadcast``)."""
    _tensor(tensor, "broadcast")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    root = _group_rank(pg, "broadcast", src, group_src, "src")
    _check_consistent(pg, "broadcast", tensor, root)
    work = pg.impl(tensor.array).broadcast(tensor.array, root)
    return _done(_after(work, tensor), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False, group_dst=None):
    """Reduce ``tensor`` across the ranks into rank ``dst``'s ``tensor``
    (``torch.distributed.reduce``); the other ranks' tensors keep their values."""
    _tensor(tensor, "reduce")
    op = _op(op, "reduce")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    root = _group_rank(pg, "reduce", dst, group_dst, "dst")
    _check_consistent(pg, "reduce", tensor, root)
    work = pg.impl(tensor.array).reduce(tensor.array, op, root)
    return _done(_after(work, tensor) if pg.rank() == root else work, async_op)


def _flat_like(t, n: int):
    xp = array_backend.get_array_module(t.array)
    return xp.empty((n,) + tuple(t.array.shape), dtype=t.array.dtype)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Every rank's ``tensor``, into ``tensor_list[r]`` for rank ``r`` of the group
    (``torch.distributed.all_gather``)."""
    _tensor(tensor, "all_gather")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    _check_list(tensor_list, pg.size(), tensor, "all_gather", "tensor_list")
    _check_consistent(pg, "all_gather", tensor)
    recv = _flat_like(tensor, pg.size())
    work = pg.impl(tensor.array).allgather(tensor.array, recv)
    return _done(_scatter_into(work, recv, tensor_list), async_op)


def _check_list(tensors, n: int, like, op: str, name: str) -> None:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{op}: {name} must be a list of {n} tensors (one per rank), got {got}")
    for i, t in enumerate(tensors):
        _tensor(t, op, f"{name}[{i}]")
        if t.array.shape != like.array.shape or t.array.dtype != like.array.dtype:
            raise ValueError(
                f"{op}: {name}[{i}] has shape {tuple(t.array.shape)} {t.array.dtype}, but the "
                f"tensor has shape {tuple(like.array.shape)} {like.array.dtype}; every entry "
                "must match it"
            )


def _scatter_into(work: Work, recv, tensors) -> Work:
    finish = work._on_complete

    def done():
        finish()
        for i, t in enumerate(tensors):
            t.array[...] = recv[i]
            t._version += 1

    work._on_complete = done
    return work


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``
    (``torch.distributed.all_gather_into_tensor``): the output's first dimension is
    ``world_size`` times the input's, or it has an extra leading dimension of ``world_size``."""
    _tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    _tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    out, inp = output_tensor.array, input_tensor.array
    if out.size != inp.size * pg.size() or out.dtype != inp.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output_tensor has shape {tuple(out.shape)} {out.dtype}, "
            f"it must hold world_size ({pg.size()}) times the input "
            f"{tuple(inp.shape)} {inp.dtype} (e.g. shape "
            f"{(inp.shape[0] * pg.size(),) + tuple(inp.shape[1:]) if inp.ndim else (pg.size(),)})"
        )
    _check_consistent(pg, "all_gather_into_tensor", input_tensor)
    work = pg.impl(inp).allgather(inp, out.reshape(-1) if out.flags.c_contiguous else out)
    return _done(_after(work, output_tensor), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``input`` across the ranks and give rank ``r`` the ``r``-th of ``world_size``
    equal chunks of the result, in ``output`` (``torch.distributed.reduce_scatter_tensor``)."""
    _tensor(output, "reduce_scatter_tensor", "output")
    _tensor(input, "reduce_scatter_tensor", "input")
    op = _op(op, "reduce_scatter_tensor")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    out, inp = output.array, input.array
    if inp.size != out.size * pg.size() or out.dtype != inp.dtype:
        raise ValueError(
            f"reduce_scatter_tensor: input has shape {tuple(inp.shape)} {inp.dtype}, it must "
            f"hold world_size ({pg.size()}) times the output {tuple(out.shape)} {out.dtype}"
        )
    _check_consistent(pg, "reduce_scatter_tensor", input)
    work = pg.impl(inp).reduce_scatter(inp, out, op)
    return _done(_after(work, output), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce the lists across ranks; rank ``r`` gets the reduced ``input_list[r]`` in
    ``output`` (``torch.distributed.reduce_scatter``)."""
    _tensor(output, "reduce_scatter", "output")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    _check_list(input_list, pg.size(), output, "reduce_scatter", "input_list")
    xp = array_backend.get_array_module(output.array)
    stacked = xp.stack([t.array for t in input_list])
    op = _op(op, "reduce_scatter")
    _check_consistent(pg, "reduce_scatter", output)
    work = pg.impl(stacked).reduce_scatter(stacked, output.array, op)
    return _done(_after(work, output), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False, group_dst=None):
    """Rank ``dst`` receives every rank's ``tensor`` in ``gather_list``
    (``torch.distributed.gather``); the other ranks pass no list."""
    _tensor(tensor, "gather")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    root = _group_rank(pg, "gather", dst, group_dst, "dst")
    if pg.rank() == root:
        _check_list(gather_list, pg.size(), tensor, "gather", "gather_list")
    elif gather_list:
        raise ValueError("gather: only the destination rank may pass gather_list")
    _check_consistent(pg, "gather", tensor, root)
    recv = _flat_like(tensor, pg.size()) if pg.rank() == root else None
    work = pg.impl(tensor.array).gather(tensor.array, recv, root)
    if pg.rank() == root:
        work = _scatter_into(work, recv, gather_list)
    return _done(work, async_op)


def scatter(
    tensor, scatter_list=None, src=None, group=None, async_op: bool = False, group_src=None
):
    """Rank ``r`` receives rank ``src``'s ``scatter_list[r]`` in ``tensor``
    (``torch.distributed.scatter``); the other ranks pass no list."""
    _tensor(tensor, "scatter")
    pg = _group(group)
    if pg is None:
        return _done(CompletedWork(), async_op)
    root = _group_rank(pg, "scatter", src, group_src, "src")
    send = None
    if pg.rank() == root:
        _check_list(scatter_list, pg.size(), tensor, "scatter", "scatter_list")
        xp = array_backend.get_array_module(tensor.array)
        send = xp.stack([t.array for t in scatter_list])
    elif scatter_list:
        raise ValueError("scatter: only the source rank may pass scatter_list")
    _check_consistent(pg, "scatter", tensor, root)
    work = pg.impl(tensor.array).scatter(send, tensor.array, root)
    return _done(_after(work, tensor), async_op)


def isend(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> Work:
    """Start sending ``tensor`` to rank ``dst``; returns a Work (``torch.distributed.isend``)."""
    _tensor(tensor, "isend")
    pg = _group(group)
    if pg is None:
        return CompletedWork()
    peer = _group_rank(pg, "isend", dst, group_dst, "dst")
    _not_self(pg, peer, "isend", "dst")
    return pg.impl(tensor.array).send(tensor.array, peer, tag)


def irecv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None); returns a Work
    (``torch.distributed.irecv``)."""
    _tensor(tensor, "irecv")
    pg = _group(group)
    if pg is None:
        return CompletedWork()
    peer = (
        None
        if (src is None and group_src is None)
        else _group_rank(pg, "irecv", src, group_src, "src")
    )
    if peer is not None:
        _not_self(pg, peer, "irecv", "src")
    return _after(pg.impl(tensor.array).recv(tensor.array, peer, tag), tensor)


def _not_self(pg, peer: int, op: str, name: str) -> None:
    if peer == pg.rank():
        raise ValueError(f"{op}: {name} is this rank ({pg.ranks[peer]}); it cannot talk to itself")


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it is sent (``torch.distributed.send``)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's
    rank (``torch.distributed.recv``)."""
    work = irecv(tensor, src, group, tag, group_src)
    try:
        work.wait()
    except Exception as exc:
        if "truncat" in str(exc).lower():
            raise RuntimeError(
                f"recv: the message is larger than the receiving tensor "
                f"{tuple(tensor.shape)} {tensor.dtype}; send and recv tensors must match"
            ) from exc
        raise
    pg = _group(group)
    if pg is None:
        return -1
    return pg.ranks[work.source]
