"""Samplers: the order in which a ``DataLoader`` visits a dataset, as in
``torch.utils.data``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
]


def _randperm(n: int, generator) -> list[int]:
    import autograd_engine as ag

    return ag.randperm(n, generator=generator).numpy().tolist()


class Sampler:
    """Base class of samplers: an iterable of dataset indices.

    Mirrors ``torch.utils.data.Sampler``.
    """

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``.

    Mirrors ``torch.utils.data.SequentialSampler``.
    """

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices on every pass (or draws with replacement).

    Mirrors ``torch.utils.data.RandomSampler``. The permutation comes from ``generator``
    (an ``autograd_engine.Generator``), or from the default CPU generator seeded by
    ``autograd_engine.manual_seed`` when it is ``None``; either way a seeded run visits the
    data in the same order every time.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator=None,
    ):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer, got {num_samples!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields: ``num_samples``, or the dataset's length by default."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # NOTE: a generator, drawn lazily as PyTorch's: with replacement 32 indices at a time
        # (so num_samples=10**10 costs nothing up front), without one permutation at a time.
        import autograd_engine as ag

        n = len(self.data_source)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from ag.randint(0, n, (32,), generator=self.generator).numpy().tolist()
            rest = self.num_samples % 32
            if rest:
                yield from ag.randint(0, n, (rest,), generator=self.generator).numpy().tolist()
            return
        if n == 0:
            return
        for _ in range(self.num_samples // n):
            yield from _randperm(n, self.generator)
        rest = self.num_samples % n
        if rest:
            yield from _randperm(n, self.generator)[:rest]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, drawn afresh on each pass.

    Mirrors ``torch.utils.data.SubsetRandomSampler``.
    """

    def __init__(self, indices, generator=None):
        self.indices = list(indices)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        return (self.indices[i] for i in _randperm(len(self.indices), self.generator))

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``). Mirrors ``torch.utils.data.BatchSampler``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
