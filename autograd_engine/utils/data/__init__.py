"""Datasets, samplers and the DataLoader: ``torch.utils.data`` for autograd_engine."""

from autograd_engine.utils.data import distributed
from autograd_engine.utils.data._worker import WorkerInfo, get_worker_info
from autograd_engine.utils.data.dataloader import DataLoader, default_collate
from autograd_engine.utils.data.dataset import (
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
)
from autograd_engine.utils.data.distributed import DistributedSampler
from autograd_engine.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WorkerInfo",
    "default_collate",
    "get_worker_info",
    "random_split",
]
