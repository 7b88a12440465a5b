"""``nn.parallel`` (``torch.nn.parallel``): ``DistributedDataParallel`` (one process per
replica, gradients averaged over MPI or NCCL) and ``DataParallel`` (single-device only)."""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
