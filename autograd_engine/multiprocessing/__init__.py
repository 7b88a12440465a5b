"""``torch.multiprocessing`` for autograd_engine: Python's ``multiprocessing`` plus ``spawn``.

``spawn(fn, args, nprocs)`` runs ``fn(i, *args)`` in ``nprocs`` processes. Where MPI is
installed they are started as the ranks of one ``mpiexec`` job, so ``fn`` can call
``autograd_engine.distributed.init_process_group`` (PyTorch's ``mp.spawn`` + DDP pattern)
and the world is ready; without MPI they are ordinary ``multiprocessing`` processes.
"""

from multiprocessing import *  # noqa: F403  (torch.multiprocessing re-exports it too)
from multiprocessing import get_all_start_methods, get_start_method, set_start_method

from ._spawn import (
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

__all__ = [
    "ProcessContext",
    "ProcessExitedException",
    "ProcessRaisedException",
    "get_all_start_methods",
    "get_start_method",
    "set_start_method",
    "spawn",
    "start_processes",
]
