"""Data-parallel runs of the training command: under ``mpiexec -n N`` every rank takes its
share of each global batch and trains through DistributedDataParallel; rank 0 alone prints
and writes files."""

from __future__ import annotations

import numpy as np

import autograd_engine as ag
from autograd_engine.distributed import _mpi
from autograd_engine.training._build import RunError


class Ranks:
    """This process's place in the run: ``rank``, ``size`` (1 without mpiexec), ``main``."""

    def __init__(self, batch_size: int):
        world = _mpi.world_from_environment()
        self.rank, self.size = world if world is not None else (0, 1)
        self.active = self.size > 1
        self.main = self.rank == 0
        if not self.active:
            return
        import autograd_engine.distributed as dist

        if not dist.is_available():
            raise RunError(
                f"started by mpiexec as {self.size} ranks, but mpi4py is not installed: "
                f"{_mpi.INSTALL_HINT}"
            )
        if batch_size < self.size:
            raise RunError(
                f"--batch-size {batch_size} is smaller than the {self.size} ranks: each rank "
                "needs a share of every batch"
            )
        if not dist.is_initialized():
            dist.init_process_group("mpi")

    def wrap(self, model):
        """The model to call in training: DDP around ``model`` when there are several ranks."""
        if not self.active:
            return model
        from nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def share(self, index: list[int]) -> tuple[list[int], float]:
        """This rank's indices of a global batch, and the weight of its mean loss so that the
        average over the ranks is the mean over the whole batch."""
        if not self.active:
            return index, 1.0
        mine = index[self.rank :: self.size]
        return mine, len(mine) * self.size / len(index)

    def total(self, values: list[float]) -> list[float]:
        """``values`` summed over the ranks (the same list on every rank)."""
        if not self.active:
            return values
        import autograd_engine.distributed as dist

        t = ag.from_numpy(np.asarray(values, dtype=np.float64))
        dist.all_reduce(t)
        return t.numpy().tolist()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (the same answer on every rank)."""
        if not self.active:
            return bool(flag)
        return self.total([float(flag)])[0] > 0
