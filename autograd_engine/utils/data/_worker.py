"""DataLoader worker processes, as in ``torch.utils.data``: the worker loop, ``get_worker_info``,
PyTorch's per-worker seeds, and the main-process iterator that hands out index batches and
returns the batches in sampler order."""

from __future__ import annotations

import itertools
import os
import queue
import random
import sys
import traceback

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between liveness checks (PyTorch's value)

__all__ = ["WorkerInfo", "get_worker_info"]


class WorkerInfo:
    """What a worker knows about itself (``torch.utils.data.WorkerInfo``): ``id``,
    ``num_workers``, ``seed`` (this worker's seed, ``base_seed + id``) and ``dataset`` (this
    worker's copy of the dataset). Read-only."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = [f"{k}={getattr(self, k)}" for k in self.__keys]
        return f"{self.__class__.__name__}({', '.join(items)})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its :class:`WorkerInfo`; ``None`` in the main process
    (``torch.utils.data.get_worker_info``).

    Example (split a dataset's work among the workers in ``worker_init_fn``)::

        def worker_init_fn(worker_id):
            info = get_worker_info()
            info.dataset.shard(info.id, info.num_workers)
    """
    return _worker_info


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """The NumPy seed of a worker: PyTorch's ``_generate_state`` (a SeedSequence-style hash of
    the base seed and the worker id), so ``np.random`` differs between workers and from
    ``random``/``manual_seed``."""
    INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
    INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
    MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
    XSHIFT, MASK32 = 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & MASK32, base_seed >> 32, 0]
    pool = [0] * 4
    hash_const_a = INIT_A

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & MASK32
        hash_const_a = (hash_const_a * MULT_A) & MASK32
        value = (value * hash_const_a) & MASK32
        return (value ^ (value >> XSHIFT)) & MASK32

    def mix(x, y):
        result = ((MIX_MULT_L * x) & MASK32) - ((MIX_MULT_R * y) & MASK32)
        result &= MASK32
        return (result ^ (result >> XSHIFT)) & MASK32

    for i in range(4):
        pool[i] = hash_(entropy[i])
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = INIT_B
    state = []
    for i_dst in range(4):
        value = (pool[i_dst] ^ hash_const_b) & MASK32
        hash_const_b = (hash_const_b * MULT_B) & MASK32
        value = (value * hash_const_b) & MASK32
        state.append((value ^ (value >> XSHIFT)) & MASK32)
    return state


def base_seed(generator) -> int:
    """The seed an iterator draws from the loader's generator (PyTorch draws it for every
    iterator, with or without workers, so both see the sampler's same order)."""
    import autograd_engine as ag

    return int(ag.randint(0, 2**63 - 1, (), generator=generator).item())


class ExceptionWrapper:
    """An exception raised in a worker, with its formatted traceback, re-raised in the main
    process as PyTorch does: ``Caught ValueError in DataLoader worker process 0. Original
    Traceback ...``."""

    def __init__(self, exc_info=None, where: str = "in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError repr()s its argument; keep the traceback readable."""

    def __repr__(self):
        return self


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""


def _worker_loop(
    fetch, dataset, index_queue, data_queue, done_event, seed0, init_fn, worker_id, num_workers
):
    """Fetch the index batches that arrive on ``index_queue`` and put ``(idx, batch)`` (or an
    ExceptionWrapper) on ``data_queue`` until ``None`` arrives or the parent dies."""
    global _worker_info
    try:
        import numpy as np

        import autograd_engine as ag

        seed = seed0 + worker_id
        random.seed(seed)
        ag.manual_seed(seed)
        np.random.seed(_generate_state(seed0, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        parent = os.getppid()
        while os.getppid() == parent:  # NOTE: an orphan (the parent was killed) exits
            try:
                r = index_queue.get(timeout=min(MP_STATUS_CHECK_INTERVAL, 0.5))
            except queue.Empty:
                # NOTE: when the iterator dies in a garbage cycle its queues may be finalized
                # before the None it sends is written; the event alone then stops the worker.
                if done_event.is_set():
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                continue
            if r is None:
                break
            if done_event.is_set():
                continue  # shutting down: drain without working
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetch(dataset, index)
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass  # the main process gets the Ctrl-C too, and shuts the workers down
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()


class MultiProcessingIter:
    """The iterator of a ``DataLoader`` with ``num_workers > 0`` (PyTorch's
    ``_MultiProcessingDataLoaderIter``): index batches go round-robin to the workers, at most
    ``prefetch_factor * num_workers`` ahead; batches come back on one queue and are returned
    in sampler order."""

    def __init__(self, loader):
        import functools
        import multiprocessing

        from .dataloader import _fetch

        fetch = functools.partial(
            _fetch, auto_collation=loader._auto_collation, collate_fn=loader.collate_fn
        )
        self._move = loader._move_to_device
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._index_sampler = loader._index_sampler()
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = base_seed(loader.generator)
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._shutdown = False
        self._workers_done_event = ctx.Event()
        self._data_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker_loop,
                args=(
                    fetch,
                    loader.dataset,
                    index_queue,
                    self._data_queue,
                    self._workers_done_event,
                    self._base_seed,
                    loader.worker_init_fn,
                    i,
                    self._num_workers,
                ),
                daemon=True,
            )
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict = {}
        self._tasks_outstanding = 0
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:  # persistent workers: wait until each has acknowledged the new epoch
            for q in self._index_queues:
                q.put(_ResumeIteration())
            acks = self._num_workers
            while acks > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    acks -= 1
        for _ in range(self._prefetch):
            self._try_put_index()

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _try_put_index(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        worker = next(self._worker_cycle)
        self._index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def __next__(self):
        if self._rcvd_idx >= self._send_idx:
            if not self._persistent:
                self._shutdown_workers()
            raise StopIteration
        info = self._task_info[self._rcvd_idx]
        if len(info) == 2:  # arrived earlier, out of order
            del self._task_info[self._rcvd_idx]
            return self._process(info[1])
        while True:
            idx, data = self._get_data()
            if isinstance(idx, _ResumeIteration):
                continue
            self._tasks_outstanding -= 1
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            return self._process(data)

    def _process(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return self._move(data)

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if not ok:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            ok, data = self._try_get_data()
            if ok:
                return data

    def _try_get_data(self, timeout: float | None = None):
        if timeout is None:
            timeout = MP_STATUS_CHECK_INTERVAL
        try:
            return True, self._data_queue.get(timeout=timeout)
        except queue.Empty:
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(
                    f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
                ) from None
            return False, None

    def _shutdown_workers(self) -> None:
        """Tell the workers to stop, wait a little, then terminate any that remain."""
        if self._shutdown or not hasattr(self, "_workers"):
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for q in self._index_queues:
                try:
                    q.put(None)
                except Exception:
                    pass
            for w in self._workers:
                w.join(timeout=MP_STATUS_CHECK_INTERVAL)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)

    def __del__(self):
        self._shutdown_workers()
