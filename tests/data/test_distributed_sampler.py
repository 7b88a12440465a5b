"""DistributedSampler against torch's: the same indices for every rank, size, replica count,
drop_last, seed and epoch (the permutation fed from torch's generator, the assignment ours)."""

from __future__ import annotations

import itertools

import pytest

import autograd_engine as ag
from autograd_engine.utils.data import DataLoader, DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402


def _torch_permutation(self, n):
    g = torch.Generator()
    g.manual_seed(self.seed + self.epoch)
    return torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("shuffle", [False, True])
def test_index_assignment_matches_torch(monkeypatch, shuffle):
    monkeypatch.setattr(DistributedSampler, "_permutation", _torch_permutation)
    for n, replicas, drop_last, seed in itertools.product(
        [1, 2, 7, 10, 13], [1, 2, 3, 4, 8], [False, True], [0, 5]
    ):
        data = list(range(n))
        if drop_last and n < replicas:
            continue
        for rank in range(replicas):
            ours = DistributedSampler(data, replicas, rank, shuffle, seed, drop_last)
            theirs = TorchSampler(data, replicas, rank, shuffle, seed, drop_last)
            for epoch in (0, 3):
                ours.set_epoch(epoch)
                theirs.set_epoch(epoch)
                case = (n, replicas, rank, drop_last, seed, epoch)
                assert list(ours) == list(theirs), case
                assert len(ours) == len(theirs), case


def test_shuffled_shares_partition_the_data_and_change_with_the_epoch():
    shares = [DistributedSampler(range(10), 2, r, seed=1) for r in range(2)]
    first = [list(s) for s in shares]
    assert sorted(first[0] + first[1]) == list(range(10))
    for s in shares:
        s.set_epoch(1)
    assert [list(s) for s in shares] != first
    assert list(DistributedSampler(range(10), 2, 0, seed=1)) == first[0]  # deterministic


def test_in_a_dataloader_and_errors():
    data = [(ag.tensor([float(i)]), i) for i in range(6)]
    loader = DataLoader(data, batch_size=2, sampler=DistributedSampler(data, 3, 1, shuffle=False))
    assert [b[1].tolist() for b in loader] == [[1, 4]]
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval"):
        DistributedSampler(data, 3, 3)
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        DistributedSampler(data)
