"""Map-style datasets and splitting them: ``Dataset``, ``TensorDataset``, ``Subset``,
``ConcatDataset`` and ``random_split``, as in ``torch.utils.data``."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """An abstract map-style dataset: ``dataset[i]`` is sample ``i``, ``len(dataset)`` the count.

    Mirrors ``torch.utils.data.Dataset``. Subclasses define ``__getitem__`` and ``__len__``.
    A subclass may also define ``_get_batch(indices)``, returning an already collated batch
    for an integer index array; ``DataLoader`` uses it (with the default ``collate_fn``) to
    fetch a whole batch at once instead of sample by sample.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _tensor_rows(tensor, indices):
    """Rows ``indices`` (an int64 NumPy array) of a Tensor, as a new Tensor on its device."""
    import autograd_engine as ag

    data = tensor.array
    if isinstance(data, np.ndarray):
        return ag.from_numpy(data[indices])
    xp = ag.array_backend.get_array_module(data)
    rows = data[xp.asarray(indices)]
    return ag.tensor(rows, device=tensor.device)


class TensorDataset(Dataset):
    """A dataset of Tensors that share their first dimension; sample ``i`` is
    ``tuple(t[i] for t in tensors)``.

    Mirrors ``torch.utils.data.TensorDataset``. ``DataLoader`` fetches a batch of a
    ``TensorDataset`` with one fancy index per tensor, not one per sample.

    Example::

        >>> ds = TensorDataset(ag.randn(100, 4), ag.zeros(100, dtype=ag.int64))
        >>> x, y = ds[0]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        for t in tensors:
            if t.shape[0] != n:
                shapes = ", ".join(str(tuple(x.shape)) for x in tensors)
                raise ValueError(
                    f"Size mismatch between tensors: TensorDataset needs every tensor to have "
                    f"the same first dimension, got shapes {shapes}"
                )
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def _get_batch(self, indices):
        return tuple(_tensor_rows(t, indices) for t in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Mirrors ``torch.utils.data.Subset``.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def __getattr__(self, name):
        # NOTE: only reached for attributes Subset lacks; lets _get_batch appear exactly when
        # the wrapped dataset has one, so DataLoader's fast path follows through Subsets.
        if name == "_get_batch" and hasattr(self.__dict__.get("dataset"), "_get_batch"):
            base = np.asarray(self.indices, dtype=np.int64)
            return lambda indices: self.dataset._get_batch(base[indices])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ConcatDataset(Dataset):
    """Several datasets one after another. Mirrors ``torch.utils.data.ConcatDataset``."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset (got an empty iterable)")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise IndexError(f"index {idx} is out of range for a dataset of {len(self)}")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def _lengths_from_fractions(fractions: Sequence[float], n: int) -> list[int]:
    # PyTorch's rule: floor each share, then hand out the remainder one by one, round-robin.
    lengths = [int(math.floor(n * f)) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset`` s of the given lengths.

    Mirrors ``torch.utils.data.random_split``: ``lengths`` are counts that add up to
    ``len(dataset)``, or fractions that add up to 1 (each share is floored and the
    remainder handed out round-robin, as PyTorch does). ``generator`` (an
    ``autograd_engine.Generator``) makes the split reproducible; without it the default
    CPU generator (seeded by ``autograd_engine.manual_seed``) is used.

    Example::

        >>> train, val = random_split(ds, [0.9, 0.1], generator=ag.Generator().manual_seed(0))
    """
    import autograd_engine as ag

    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative, got {lengths}")
    if all(isinstance(x, int) for x in lengths) and sum(lengths) == n:
        counts = lengths
    elif math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1.0 + 1e-9:
        if any(x > 1 for x in lengths):
            raise ValueError(f"random_split fractions must lie in [0, 1], got {lengths}")
        counts = _lengths_from_fractions(lengths, n)
    else:
        raise ValueError(
            f"random_split lengths {lengths} must be counts that add up to the dataset's "
            f"length ({n}) or fractions that add up to 1"
        )
    order = ag.randperm(n, generator=generator).numpy().tolist()
    out, offset = [], 0
    for count in counts:
        out.append(Subset(dataset, order[offset : offset + count]))
        offset += count
    return out
