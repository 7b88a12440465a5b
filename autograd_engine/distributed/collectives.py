"""The process group and the collectives: ``torch.distributed``'s functions over MPI (mpi4py) on
the CPU and NCCL (CuPy) on GPUs. Tensors are reduced in place, on their own device."""

from __future__ import annotations

import datetime
import os
import pickle
import sys

import numpy as np

from .. import array_backend
from . import _mpi
from ._work import CompletedWork, DistBackendError, ReduceOp, Work, seconds

default_pg_timeout = datetime.timedelta(minutes=30)

_BACKENDS = ("mpi", "nccl", "gloo")


class Backend(str):
    """A backend name (``torch.distributed.Backend``): ``Backend("MPI") == "mpi"``.

    ``"mpi"`` runs on mpi4py; ``"nccl"`` on CuPy's NCCL between GPUs (CPU tensors of an NCCL
    group go through MPI); ``"gloo"`` is accepted for PyTorch scripts and runs over MPI too
    (same results, MPI on the wire).
    """

    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"
    UNDEFINED = "undefined"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise TypeError(f"Backend name must be a string, got {type(name).__name__}")
        value = name.lower()
        if value not in _BACKENDS:
            raise ValueError(
                f"Invalid backend: '{name}'. autograd_engine.distributed has the backends "
                "'mpi' (mpi4py, CPU and GPU tensors), 'nccl' (CuPy's NCCL, GPU tensors) and "
                "'gloo' (accepted for PyTorch scripts; runs over MPI)"
            )
        return super().__new__(cls, value)


class ProcessGroup:
    """A set of ranks that run collectives together (``torch.distributed.ProcessGroup``).

    ``rank()`` and ``size()`` are this process's rank in the group and the group's size.
    The default group (``group.WORLD``) holds every process of the job.
    """

    def __init__(self, backend: str, mpi, ranks: list[int], nccl=None):
        self.backend = backend
        self.mpi = mpi  # MPIBackend: CPU tensors, objects and the consistency checks
        self.nccl = nccl  # NCCLBackend or None: CUDA tensors
        self.ranks = ranks  # world ranks of the members, in group-rank order

    def rank(self) -> int:
        return self.mpi.rank

    def size(self) -> int:
        return self.mpi.size

    def name(self) -> str:
        return self.backend

    def impl(self, array):
        """The backend that moves ``array``: NCCL for device arrays of an NCCL group, else MPI."""
        if self.nccl is not None and not isinstance(array, np.ndarray):
            return self.nccl
        return self.mpi

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, rank={self.rank()}, size={self.size()})"


class _NonMember:
    """What ``new_group`` returns on ranks outside the group (``GroupMember.NON_GROUP_MEMBER``)."""

    def __repr__(self) -> str:
        return "GroupMember.NON_GROUP_MEMBER"


class GroupMember:
    """``GroupMember.WORLD`` (the default group once initialized) and ``NON_GROUP_MEMBER``."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = _NonMember()


class _WorldGroup:
    """``group.WORLD``: the default process group once ``init_process_group`` has run."""

    WORLD: ProcessGroup | None = None


group = _WorldGroup  # torch.distributed.group


class _State:
    default: ProcessGroup | None = None
    groups: list[ProcessGroup] = []
    previous_excepthook = None


def is_available() -> bool:
    """Whether distributed runs are possible: mpi4py is installed (checked without starting
    MPI). ``torch.distributed.is_available``."""
    return _mpi.available()


def is_mpi_available() -> bool:
    return _mpi.available()


def is_nccl_available() -> bool:
    """Whether CuPy with NCCL is installed (``torch.distributed.is_nccl_available``)."""
    cupy = array_backend.cupy
    if cupy is None:
        return False
    try:
        from cupy.cuda import nccl

        return bool(getattr(nccl, "available", True))
    except Exception:
        return False


def is_gloo_available() -> bool:
    """True when MPI is: ``backend="gloo"`` runs over MPI here."""
    return _mpi.available()


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (``torch.distributed.is_initialized``)."""
    return _State.default is not None


def is_torchelastic_launched() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ


def _parse_backend(backend) -> str:
    if backend is None:
        return Backend.MPI
    if isinstance(backend, str) and ":" in backend:  # "cpu:gloo,cuda:nccl"
        parts = dict(p.split(":", 1) for p in backend.split(",") if ":" in p)
        backend = parts.get("cuda", parts.get("cpu", backend))
    return Backend(backend)


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join this process to the job's default process group
    (``torch.distributed.init_process_group``).

    The job is the set of processes that ``mpiexec -n N`` (or
    ``python -m autograd_engine.distributed.run``) started: the world size and each rank come
    from MPI. ``init_method`` (``env://``, ``tcp://...``, ``file://...``) and ``store`` are
    accepted and not needed; ``world_size``/``rank`` (or the ``WORLD_SIZE``/``RANK``
    environment variables a launcher sets) must agree with MPI's when given.

    Args:
        backend: ``"mpi"`` (default; CPU tensors, and CUDA tensors through a host copy),
            ``"nccl"`` (CUDA tensors over NCCL via CuPy; its unique id travels over MPI) or
            ``"gloo"`` (accepted for PyTorch scripts; runs over MPI).
        timeout: how long a collective waits for the other ranks before raising
            ``DistBackendError`` (default 30 minutes).

    A rank that dies from an uncaught exception after this call aborts the whole job (MPI's
    ``Abort``), so the other ranks fail at once instead of waiting forever.

    Example::

        import autograd_engine.distributed as dist
        dist.init_process_group("mpi")
        print(dist.get_rank(), dist.get_world_size())
    """
    if _State.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = _parse_backend(backend)
    limit = seconds(timeout if timeout is not None else default_pg_timeout)
    if limit is None or limit <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    nccl_module = _nccl_module() if backend == Backend.NCCL else None
    MPI = _mpi.load()
    comm = MPI.COMM_WORLD
    _check_world(comm.Get_size(), comm.Get_rank(), world_size, rank)
    mpi = _mpi.MPIBackend(comm.Dup(), limit)
    nccl = None
    if nccl_module is not None:
        from ._nccl import NCCLBackend

        nccl = NCCLBackend.bootstrap(mpi, nccl_module, device_id)
    pg = ProcessGroup(backend, mpi, list(range(mpi.size)), nccl)
    _State.default = pg
    _State.groups = [pg]
    _WorldGroup.WORLD = GroupMember.WORLD = pg
    if mpi.size > 1:
        _install_abort_hook(mpi)


def _nccl_module():
    if array_backend.cupy is None:
        raise RuntimeError(
            "backend='nccl' needs CuPy with NCCL, and CuPy is not installed: pip install "
            "'autograd_engine[cuda12]' (or [cuda13]) on a machine with NVIDIA GPUs, or use "
            "backend='mpi' for CPU tensors"
        )
    try:
        from cupy.cuda import nccl
    except Exception as exc:
        raise RuntimeError(
            f"backend='nccl' needs CuPy's NCCL bindings (cupy.cuda.nccl), which failed to "
            f"load: {exc}. Install NCCL for your CUDA (pip install nvidia-nccl-cu12) or use "
            "backend='mpi'"
        ) from exc
    if not array_backend.cuda_available():
        raise RuntimeError(
            "backend='nccl' needs a CUDA GPU, and CuPy sees none; use backend='mpi' on the CPU"
        )
    return nccl


def _check_world(size: int, rank: int, world_size: int, want_rank: int) -> None:
    env_size = os.environ.get("WORLD_SIZE")
    env_rank = os.environ.get("RANK")
    if world_size == -1 and env_size is not None:
        world_size = int(env_size)
    if want_rank == -1 and env_rank is not None:
        want_rank = int(env_rank)
    how = (
        f"launch the script with mpiexec -n {world_size} python script.py, or "
        f"python -m autograd_engine.distributed.run --nproc-per-node {world_size} script.py"
    )
    if world_size != -1 and world_size != size:
        started = (
            "as a single process (not under mpiexec)"
            if size == 1
            else f"as one of {size} MPI processes"
        )
        raise ValueError(
            f"init_process_group: world_size={world_size}, but this process was started "
            f"{started}. The world comes from MPI: {how}"
        )
    if want_rank != -1 and want_rank != rank:
        raise ValueError(
            f"init_process_group: rank={want_rank}, but MPI started this process as rank "
            f"{rank}. Pass rank=-1 (the default) and let MPI number the processes"
        )


def _install_abort_hook(mpi) -> None:
    previous = sys.excepthook

    def abort_job(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        if issubclass(exc_type, SystemExit) or _State.default is None:
            return
        sys.stderr.write(
            f"autograd_engine.distributed: rank {mpi.rank} raised {exc_type.__name__}; "
            "aborting the job so the other ranks do not wait for it\n"
        )
        sys.stderr.flush()
        mpi.abort(1)

    _State.previous_excepthook = previous
    sys.excepthook = abort_job


def destroy_process_group(group=None) -> None:
    """Leave the default group (and every group made from it), or free one ``group``
    (``torch.distributed.destroy_process_group``)."""
    if group is None or group is _State.default:
        if _State.default is None:
            raise ValueError("Default process group has not been initialized")
        for pg in _State.groups:
            if pg.nccl is not None:
                pg.nccl.free()
            pg.mpi.free()
        _State.default = None
        _State.groups = []
        _WorldGroup.WORLD = GroupMember.WORLD = None
        if _State.previous_excepthook is not None:
            sys.excepthook = _State.previous_excepthook
            _State.previous_excepthook = None
        return
    if isinstance(group, ProcessGroup) and group in _State.groups:
        _State.groups.remove(group)
        group.mpi.free()


def _default() -> ProcessGroup:
    if _State.default is None:
        raise RuntimeError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group. (Start the ranks with mpiexec -n N, then call "
            "autograd_engine.distributed.init_process_group() before any collective.)"
        )
    return _State.default


def _group(group) -> ProcessGroup | None:
    """The group to use, or None when this rank is not a member (the call does nothing)."""
    pg = _default()
    if group is None or group is GroupMember.WORLD:
        return pg
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup from new_group(), got {group!r}")
    return group


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world); -1 outside the group."""
    pg = _group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    """The number of processes in ``group`` (default: the world); -1 outside the group."""
    pg = _group(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    """The backend name of ``group`` (default: the world)."""
    pg = _group(group)
    if pg is None:
        raise ValueError("Invalid process group specified: this rank is not in the group")
    return Backend(pg.backend)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The world rank of ``group_rank`` in ``group``."""
    return group.ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank in ``group`` of the world rank ``global_rank``."""
    if global_rank not in group.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return group.ranks.index(global_rank)


def get_process_group_ranks(group: ProcessGroup) -> list[int]:
    return list(group.ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, **kwargs):
    """A process group over ``ranks`` (world ranks; all by default)
    (``torch.distributed.new_group``). Every rank of the world must call it, members or not;
    non-members get ``GroupMember.NON_GROUP_MEMBER``, on which collectives do nothing."""
    world = _default()
    if ranks is not None:
        ranks = sorted(int(r) for r in ranks)
        bad = [r for r in ranks if not 0 <= r < world.size()]
        if bad:
            raise ValueError(
                f"new_group: ranks {bad} are outside the world of {world.size()} processes"
            )
    backend = _parse_backend(backend) if backend is not None else world.backend
    comm = world.mpi.split(ranks)
    if comm is None:
        return GroupMember.NON_GROUP_MEMBER
    limit = seconds(timeout) if timeout is not None else world.mpi.timeout
    mpi = _mpi.MPIBackend(comm, limit)
    nccl = None
    if backend == Backend.NCCL and world.nccl is not None:
        from ._nccl import NCCLBackend

        nccl = NCCLBackend.bootstrap(mpi, world.nccl.module, None)
    pg = ProcessGroup(backend, mpi, ranks if ranks is not None else list(range(world.size())), nccl)
    _State.groups.append(pg)
    return pg


# --- argument checks -----------------------------------------------------------------------


def _tensor(t, op: str, what: str = "tensor"):
    import autograd_engine as ag

    if not isinstance(t, ag.Tensor):
        raise TypeError(f"{op}: {what} must be an autograd_engine Tensor, got {type(t).__name__}")
    return t


def _group_rank(pg: ProcessGroup, op: str, rank, group_rank, name: str) -> int:
    if rank is not None and group_rank is not None:
        raise ValueError(f"{op}: pass {name} or group_{name}, not both")
    if group_rank is not None:
        r = int(group_rank)
    else:
        g = 0 if rank is None else int(rank)
        if g not in pg.ranks:
            raise ValueError(
                f"{op}: {name}={g} is not a rank of this group (its world ranks: {pg.ranks})"
            )
        r = pg.ranks.index(g)
    if not 0 <= r < pg.size():
        raise ValueError(f"{op}: group_{name}={r} is outside the group of {pg.size()} ranks")
    return r


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


# --- objects -------------------------------------------------------------------------------


def _dumps(obj) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None) -> None:
    """Replace ``object_list``'s entries on every rank with rank ``src``'s (picklable objects;
    ``torch.distributed.broadcast_object_list``). Only unpickle data you trust."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "broadcast_object_list", src, group_src, "src")
    payload = _dumps(list(object_list)) if pg.rank() == root else None
    data = pg.mpi.broadcast_bytes(payload, root)
    if pg.rank() != root:
        received = pickle.loads(data)
        if len(received) != len(object_list):
            raise ValueError(
                f"broadcast_object_list: rank {pg.ranks[root]} sent {len(received)} objects but "
                f"this rank's list has {len(object_list)} entries; make the lists the same length"
            )
        object_list[:] = received


def all_gather_object(object_list, obj, group=None) -> None:
    """``object_list[r]`` becomes rank ``r``'s ``obj`` on every rank (picklable objects;
    ``torch.distributed.all_gather_object``)."""
    pg = _group(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(
            f"all_gather_object: object_list must have world_size ({pg.size()}) entries, "
            f"got {len(object_list)}"
        )
    for i, data in enumerate(pg.mpi.allgather_bytes(_dumps(obj))):
        object_list[i] = pickle.loads(data)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """Rank ``dst`` receives every rank's ``obj`` in ``object_gather_list``
    (``torch.distributed.gather_object``)."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "gather_object", dst, group_dst, "dst")
    if pg.rank() == root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(
            f"gather_object: the destination rank needs object_gather_list with world_size "
            f"({pg.size()}) entries"
        )
    gathered = pg.mpi.allgather_bytes(_dumps(obj))
    if pg.rank() == root:
        for i, data in enumerate(gathered):
            object_gather_list[i] = pickle.loads(data)


def scatter_object_list(
    scatter_object_output_list, scatter_object_input_list=None, src=None, group=None, group_src=None
) -> None:
    """Rank ``r`` receives rank ``src``'s ``scatter_object_input_list[r]`` in
    ``scatter_object_output_list[0]`` (``torch.distributed.scatter_object_list``)."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "scatter_object_list", src, group_src, "src")
    payload = None
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(
                f"scatter_object_list: the source rank needs scatter_object_input_list with "
                f"world_size ({pg.size()}) entries"
            )
        payload = _dumps(list(scatter_object_input_list))
    objects = pickle.loads(pg.mpi.broadcast_bytes(payload, root))
    scatter_object_output_list[0] = objects[pg.rank()]


__all__ = [
    "Backend",
    "DistBackendError",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "default_pg_timeout",
    "destroy_process_group",
    "gather",
    "gather_object",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "irecv",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "isend",
    "monitored_barrier",
    "new_group",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
    "send",
]
