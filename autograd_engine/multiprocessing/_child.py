"""One rank of ``autograd_engine.multiprocessing.spawn`` under mpiexec: restore the parent's
``__main__`` as multiprocessing's spawn does, then run ``fn(rank, *args)``."""

from __future__ import annotations

import multiprocessing.spawn as mp_spawn
import os
import pickle
import sys

from ..distributed._mpi import world_from_environment
from ._spawn import _run


def main(payload: str, tmp: str) -> None:
    with open(payload, "rb") as f:
        mp_spawn.prepare(pickle.load(f))  # imports the parent's script as __mp_main__
        fn, args = pickle.load(f)
    rank = world_from_environment()[0]
    _run(fn, rank, args, os.path.join(tmp, f"error{rank}.txt"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
