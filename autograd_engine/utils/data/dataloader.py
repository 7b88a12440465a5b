"""``DataLoader`` and ``default_collate``: batches of samples as Tensors, as in
``torch.utils.data``."""

from __future__ import annotations

import collections.abc
import numbers
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from autograd_engine.utils.data._worker import MultiProcessingIter, base_seed
from autograd_engine.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate"]


def _is_tensor(x) -> bool:
    import autograd_engine as ag

    return isinstance(x, ag.Tensor)


def _stack_tensors(batch):
    import autograd_engine as ag

    arrays = [t.array for t in batch]
    if all(isinstance(a, np.ndarray) for a in arrays):
        return ag.from_numpy(np.stack(arrays))
    xp = ag.array_backend.get_array_module(arrays[0])
    return ag.tensor(xp.stack([xp.asarray(a) for a in arrays]), device=batch[0].device)


def default_collate(batch):
    """Merge a list of samples into a batch, keeping the samples' structure.

    Mirrors ``torch.utils.data.default_collate``: Tensors and NumPy arrays are stacked along a
    new first dimension into a Tensor; Python ints become an int64 Tensor and Python floats a
    float64 Tensor (PyTorch's dtypes); NumPy scalars keep their dtype; strings stay a list;
    tuples, lists, named tuples and dicts are collated field by field.

    Example::

        >>> default_collate([(np.zeros(3), 0), (np.ones(3), 1)])
        [Tensor of shape (2, 3), Tensor([0, 1])]
    """
    import autograd_engine as ag

    if not batch:
        raise ValueError("default_collate got an empty batch")
    elem = batch[0]
    if _is_tensor(elem):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found a numpy array of dtype {elem.dtype}"
            )
        return ag.from_numpy(np.stack(batch))
    if isinstance(elem, np.generic):
        return ag.from_numpy(np.asarray(batch))
    if isinstance(elem, bool):
        return ag.from_numpy(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return ag.from_numpy(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return ag.from_numpy(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _move(batch, device):
    if _is_tensor(batch):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _move(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_move(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_move(v, device) for v in batch)
    return batch


class DataLoader:
    """Iterate over a dataset in batches.

    Mirrors ``torch.utils.data.DataLoader``. ``shuffle=True`` visits the data in a new random
    order each epoch, drawn from ``generator`` (an ``autograd_engine.Generator``) or from the
    default CPU generator seeded by ``autograd_engine.manual_seed``. ``drop_last`` drops a
    last, incomplete batch. ``len(loader)`` is the number of batches.

    ``num_workers > 0`` loads in that many worker processes, as PyTorch does: the sampler runs
    in the main process and hands index batches round-robin to the workers (at most
    ``prefetch_factor`` per worker ahead); batches come back in sampler order, so they are the
    same as with ``num_workers=0`` for the same seed. Each worker seeds ``random``,
    ``autograd_engine`` (``base_seed + worker_id``) and ``numpy.random`` (PyTorch's hash of
    both) from a base seed drawn from ``generator`` per epoch, then calls
    ``worker_init_fn(worker_id)``; ``get_worker_info()`` tells a worker who it is. A worker's
    exception is re-raised in the main process with the worker's traceback; ``timeout`` (s)
    bounds the wait for one batch. Workers stop at the end of each epoch, unless
    ``persistent_workers=True``, and when the iterator is garbage-collected or Ctrl-C
    interrupts the loop; a worker whose parent dies exits on its own. Batches travel between
    processes by pickling. ``pin_memory`` is accepted (a no-op here: with no CUDA it warns,
    as PyTorch does).

    When ``collate_fn`` is the default and the dataset can fetch whole batches (a
    ``TensorDataset``, a ``Subset`` of one, or one of ``autograd_engine.datasets`` without a
    transform), each batch is gathered with one fancy index per array instead of sample by
    sample.

    Beyond PyTorch: ``device`` (keyword only) moves every batch to that device, e.g.
    ``DataLoader(ds, batch_size=64, device="cuda")`` (in the main process).

    Example::

        >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
        ...                     num_workers=2, generator=ag.Generator().manual_seed(0))
        >>> for xb, yb in loader:
        ...     ...
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | None = None,
        batch_sampler: Sampler | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        device=None,
    ):
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if multiprocessing_context is not None:
            multiprocessing_context = _check_context(multiprocessing_context, num_workers)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if pin_memory and not _cuda_available():
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=2,
            )

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.collate_fn = collate_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.device = None if device is None else _device(device)
        self._iterator = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _move_to_device(self, batch):
        return batch if self.device is None else _move(batch, self.device)

    def _fetch(self, index):
        """The batch (or, without auto-batching, the sample) for ``index``."""
        batch = _fetch(self.dataset, index, self._auto_collation, self.collate_fn)
        return self._move_to_device(batch)

    def __iter__(self) -> Iterator:
        if self.num_workers == 0:
            indices = iter(self._index_sampler())
            # NOTE: PyTorch's iterators all draw a base seed from the generator, with or
            # without workers; drawing it here too keeps the sampler's order the same.
            base_seed(self.generator)
            return self._single_process_iter(indices)
        if not self.persistent_workers:
            return MultiProcessingIter(self)
        if self._iterator is None:
            self._iterator = MultiProcessingIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def _single_process_iter(self, indices) -> Iterator:
        for index in indices:
            yield self._fetch(index)

    def __len__(self) -> int:
        return len(self._index_sampler())


def _fetch(dataset, index, auto_collation: bool, collate_fn):
    """The batch for ``index`` (a list of indices), or the sample without auto-batching; runs
    in the main process or in a worker."""
    if not auto_collation:
        sample = dataset[index]
        return sample if collate_fn is None else collate_fn(sample)
    if collate_fn is None and hasattr(dataset, "_get_batch"):
        return dataset._get_batch(np.asarray(index, dtype=np.int64))
    collate = default_collate if collate_fn is None else collate_fn
    return collate([dataset[i] for i in index])


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            f"multiprocessing. (got {num_workers!r})"
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers "
            "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_context(context, num_workers: int):
    import multiprocessing

    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                "multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={context!r}"
            )
        return multiprocessing.get_context(context)
    if not hasattr(context, "Process"):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context!r}"
        )
    return context


def _cuda_available() -> bool:
    import autograd_engine as ag

    return ag.cuda.is_available()


def _device(spec):
    import autograd_engine as ag

    return ag.device(spec)
