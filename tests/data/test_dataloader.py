"""DataLoader, samplers, collate, TensorDataset, Subset and random_split."""

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Squares(Dataset):
    """A plain map-style dataset: sample i is (array [i, i*i], i)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i

    def __len__(self):
        return self.n


def labels(loader):
    return [b[1].numpy().tolist() for b in loader]


def test_len_and_drop_last():
    ds = Squares(10)
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert labels(DataLoader(ds, batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert labels(DataLoader(ds, batch_size=3))[-1] == [9]
    assert len(DataLoader(ds)) == 10


def test_batches_are_tensors_with_pytorch_dtypes():
    x, y = next(iter(DataLoader(Squares(5), batch_size=5)))
    assert isinstance(x, ag.Tensor) and x.shape == (5, 2) and x.dtype == ag.float32
    assert y.dtype == ag.int64
    np.testing.assert_array_equal(x.numpy()[:, 1], [0, 1, 4, 9, 16])


def test_shuffle_is_deterministic_with_a_seeded_generator():
    ds = Squares(20)
    a = labels(DataLoader(ds, batch_size=4, shuffle=True, generator=ag.Generator().manual_seed(7)))
    b = labels(DataLoader(ds, batch_size=4, shuffle=True, generator=ag.Generator().manual_seed(7)))
    c = labels(DataLoader(ds, batch_size=4, shuffle=True, generator=ag.Generator().manual_seed(8)))
    assert a == b != c
    assert sorted(sum(a, [])) == list(range(20))


def test_shuffle_gives_a_new_order_each_epoch_and_follows_manual_seed():
    ds = Squares(20)
    ag.manual_seed(0)
    loader = DataLoader(ds, batch_size=20, shuffle=True)
    first, second = labels(loader), labels(loader)
    assert first != second
    ag.manual_seed(0)
    assert labels(loader) == first


def test_tensor_dataset_fast_path_matches_sample_by_sample():
    x = ag.randn(11, 3)
    y = ag.arange(11)
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True, generator=ag.Generator().manual_seed(1)))
    slow = list(
        DataLoader(
            ds,
            batch_size=4,
            shuffle=True,
            generator=ag.Generator().manual_seed(1),
            collate_fn=default_collate,
        )
    )
    assert len(fast) == len(slow) == 3
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_fast_path_is_one_index_per_tensor(monkeypatch):
    ds = TensorDataset(ag.randn(8, 2), ag.arange(8))
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("per sample"))
    assert [b[0].shape for b in DataLoader(ds, batch_size=5)] == [(5, 2), (3, 2)]


def test_subset_of_tensor_dataset_uses_fast_path_with_the_right_rows():
    ds = TensorDataset(ag.arange(10))
    sub = Subset(ds, [9, 3, 5])
    (batch,) = next(iter(DataLoader(sub, batch_size=3)))
    assert batch.numpy().tolist() == [9, 3, 5]
    assert sub[1][0].item() == 3


def test_tensor_dataset_size_mismatch_message():
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(ag.zeros(3, 2), ag.zeros(4))


def test_random_split_counts_fractions_and_seed():
    ds = Squares(10)
    a, b = random_split(ds, [7, 3], generator=ag.Generator().manual_seed(0))
    assert (len(a), len(b)) == (7, 3)
    assert sorted(a.indices + b.indices) == list(range(10))
    c, d = random_split(ds, [0.7, 0.3], generator=ag.Generator().manual_seed(0))
    assert c.indices == a.indices and d.indices == b.indices
    # PyTorch's remainder rule: floor each share, then one each round-robin
    assert [len(s) for s in random_split(Squares(11), [0.5, 0.3, 0.2])] == [6, 3, 2]
    assert [len(s) for s in random_split(Squares(10), [0.33, 0.33, 0.34])] == [4, 3, 3]


def test_random_split_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(11, [0.5, 0.3, 0.2]), (7, [0.25, 0.25, 0.5]), (100, [0.9, 0.1])]:
        ours = [len(s) for s in random_split(Squares(n), fractions)]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs


def test_random_split_bad_lengths_message():
    with pytest.raises(ValueError, match=r"add up to the dataset's length \(10\)"):
        random_split(Squares(10), [5, 4])


def test_default_collate_structures():
    batch = default_collate(
        [{"x": np.zeros(2), "n": 1.5, "s": "a"}, {"x": np.ones(2), "n": 2.5, "s": "b"}]
    )
    assert batch["x"].shape == (2, 2) and batch["x"].dtype == ag.float64
    assert batch["n"].dtype == ag.float64  # PyTorch collates Python floats to float64
    assert batch["s"] == ["a", "b"]
    stacked = default_collate([ag.ones(3), ag.zeros(3)])
    assert stacked.shape == (2, 3)
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int32


def test_default_collate_rejects_unknown_types():
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_samplers_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(range(6), generator=ag.Generator().manual_seed(3)))
    assert sorted(perm) == list(range(6))
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=10))
    assert len(drawn) == 10 and set(drawn) <= {0, 1, 2}
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(5), 0, False)


def test_dataloader_option_errors():
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Squares(3), num_workers=-1)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(3), sampler=SequentialSampler(range(3)), shuffle=True)


def test_batch_sampler_and_no_auto_batching():
    ds = Squares(5)
    loader = DataLoader(ds, batch_sampler=[[4, 0], [1]])
    assert labels(loader) == [[4, 0], [1]]
    x, i = next(iter(DataLoader(ds, batch_size=None)))
    assert i == 0 and x.shape == (2,)


def test_device_convenience_moves_batches():
    loader = DataLoader(Squares(4), batch_size=2, device="cpu")
    x, _ = next(iter(loader))
    assert x.device == ag.device("cpu")


def test_concat_dataset():
    ds = ConcatDataset([Squares(2), Squares(3)])
    assert len(ds) == 5 and ds[2][1] == 0 and ds[-1][1] == 2
