"""The process group: ``init_process_group`` over MPI (and NCCL), groups, ranks and backends
(``torch.distributed``'s names)."""

from __future__ import annotations

import datetime
import os
import sys

import numpy as np

from .. import array_backend
from . import _mpi
from ._work import seconds

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
        """This process's rank in the group."""
        return self.mpi.rank

    def size(self) -> int:
        """The number of processes in the group."""
        return self.mpi.size

    def name(self) -> str:
        """The group's backend name (``"mpi"``, ``"nccl"``, ...)."""
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
    """Whether mpi4py is installed (``torch.distributed.is_mpi_available``)."""
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
    """Whether a torchelastic-style launcher started this process (``TORCHELASTIC_RUN_ID`` is set)
    (``torch.distributed.is_torchelastic_launched``)."""
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
            "-e '.[cuda12]' (or '.[cuda13]') in the checkout on a machine with NVIDIA GPUs, or use "
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
    """The global ranks of ``group``'s members, in group-rank order
    (``torch.distributed.get_process_group_ranks``)."""
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
