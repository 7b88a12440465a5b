"""``DistributedSampler``: each rank's share of a dataset, with PyTorch's index assignment
(``torch.utils.data.distributed``)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from autograd_engine.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of rank ``rank``'s share of ``dataset`` among ``num_replicas`` ranks
    (``torch.utils.data.distributed.DistributedSampler``).

    With ``shuffle`` the whole dataset is permuted by a generator seeded with
    ``seed + epoch`` (the same on every rank; call ``set_epoch(epoch)`` before each epoch for
    a new order). Without ``drop_last`` the index list is padded by repeating its start until
    it divides evenly; with it, the tail is dropped. Rank ``r`` takes every
    ``num_replicas``-th index starting at ``r`` — PyTorch's assignment exactly; only the
    permutation comes from autograd_engine's generator rather than PyTorch's.

    ``num_replicas`` and ``rank`` default to the default process group's world size and rank.

    Example::

        sampler = DistributedSampler(train_set, shuffle=True)
        loader = DataLoader(train_set, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for x, y in loader:
                ...
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            import autograd_engine.distributed as dist

            if not dist.is_available():
                raise RuntimeError(
                    "Requires distributed package to be available: install mpi4py (pip "
                    "install -e '.[distributed]' in the checkout) or pass num_replicas and rank"
                )
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _permutation(self, n: int) -> list[int]:
        import autograd_engine as ag

        g = ag.Generator().manual_seed(self.seed + self.epoch)
        return ag.randperm(n, generator=g).numpy().tolist()

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        indices = self._permutation(n) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffling seed, so each epoch has its own order (the same on
        every rank)."""
        self.epoch = epoch
