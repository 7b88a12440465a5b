"""What each rank runs under ``autograd_engine.distributed.run``: set torchrun's environment
from the MPI launcher's, then run the script (``python -m autograd_engine.distributed._rank
[-m | --no-python] target args``)."""

from __future__ import annotations

import os
import runpy
import sys

from ._mpi import world_from_environment


def _local_rank(rank: int) -> tuple[int, int | None]:
    for rank_key, size_key in (
        ("MPI_LOCALRANKID", "MPI_LOCALNRANKS"),  # MPICH
        ("OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),  # Open MPI
    ):
        if rank_key in os.environ:
            size = os.environ.get(size_key)
            return int(os.environ[rank_key]), None if size is None else int(size)
    return rank, None


def set_torchrun_environment() -> None:
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR/PORT."""
    world = world_from_environment()
    rank, size = world if world is not None else (0, 1)
    local, local_size = _local_rank(rank)
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = str(size)
    os.environ["LOCAL_RANK"] = str(local)
    os.environ["LOCAL_WORLD_SIZE"] = str(local_size if local_size is not None else size)
    os.environ["GROUP_RANK"] = "0"
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")


def main(argv: list[str]) -> None:
    set_torchrun_environment()
    if not argv:
        raise SystemExit("usage: python -m autograd_engine.distributed._rank script.py [args]")
    if argv[0] == "--no-python":
        os.execvp(argv[1], argv[1:])
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
