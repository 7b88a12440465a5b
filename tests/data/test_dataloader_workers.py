"""DataLoader worker processes: the same batches as num_workers=0, PyTorch's seeds,
worker_init_fn and get_worker_info, errors re-raised with the worker's traceback, timeout,
persistent workers, prefetching, and clean shutdown (end of epoch, GC, Ctrl-C, a killed
parent); the lazy RandomSampler."""

from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    TensorDataset,
    _worker,
    get_worker_info,
)

ROOT = Path(__file__).resolve().parents[2]

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)


class Numbers(Dataset):
    """Sample i is (a float vector, i): a map-style dataset without a batch fast path."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i


class WhoAmI(Dataset):
    """Each sample says which worker made it and what its random generators gave."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "i": i,
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "pid": os.getpid(),
            "init": os.environ.get("WORKER_INIT", ""),
            "python": random.random(),
            "numpy": float(np.random.random_sample()),
            "engine": ag.rand(1).item(),
        }


class Failing(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 5:
            raise self.exc
        return np.zeros(2, dtype=np.float32)


def batches(loader, epochs=2):
    out = []
    for _ in range(epochs):
        for b in loader:
            out.append([np.asarray(x.numpy() if hasattr(x, "numpy") else x).tolist() for x in b])
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(batch_size=4, shuffle=True),
        dict(batch_size=5, shuffle=True, drop_last=True),
        dict(batch_size=None, shuffle=True),
        dict(batch_size=3, shuffle=False, collate_fn=lambda s: [np.stack([x for x, _ in s])]),
    ],
    ids=["shuffle", "drop_last", "no_batching", "collate_fn"],
)
def test_workers_give_the_same_batches_as_the_main_process(kwargs):
    def loader(workers):
        g = ag.Generator().manual_seed(7)
        return DataLoader(Numbers(), num_workers=workers, generator=g, **kwargs)

    assert batches(loader(2)) == batches(loader(0))
    assert batches(loader(3)) == batches(loader(0))


def test_workers_follow_manual_seed_and_the_batch_fast_path():
    data = TensorDataset(ag.arange(40).float().reshape(20, 2), ag.arange(20))
    ag.manual_seed(3)
    a = batches(DataLoader(data, batch_size=6, shuffle=True, num_workers=2))
    ag.manual_seed(3)
    b = batches(DataLoader(data, batch_size=6, shuffle=True))
    assert a == b


def test_worker_seeds_init_fn_and_worker_info_are_pytorchs():
    def init(worker_id):
        os.environ["WORKER_INIT"] = f"ran in {worker_id}"

    g = ag.Generator().manual_seed(5)
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=init, generator=g)
    samples = list(loader)
    base = int(ag.randint(0, 2**63 - 1, (), generator=ag.Generator().manual_seed(5)).item())
    assert [s["i"] for s in samples] == list(range(8))
    assert [s["id"] for s in samples] == [0, 1] * 4  # round-robin, returned in order
    for s in samples:
        wid = s["id"]
        assert s["num_workers"] == 2 and s["seed"] == base + wid
        assert s["init"] == f"ran in {wid}"
    for wid in (0, 1):
        first = next(s for s in samples if s["id"] == wid)
        random.seed(base + wid)
        assert first["python"] == random.random()
        np.random.seed(_worker._generate_state(base, wid))
        assert first["numpy"] == np.random.random_sample()
        ag.manual_seed(base + wid)
        assert first["engine"] == ag.rand(1).item()
    assert get_worker_info() is None  # in the main process


def test_numpy_worker_seed_is_pytorchs_generate_state():
    torch_worker = pytest.importorskip("torch.utils.data._utils.worker")
    for base, wid in [(0, 0), (1, 3), (2**40 + 17, 1), (2**63 - 2, 7)]:
        assert _worker._generate_state(base, wid) == torch_worker._generate_state(base, wid)


def test_worker_info_is_read_only():
    info = _worker.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        info.id = 2
    assert "num_workers=1" in repr(info)


@pytest.mark.parametrize("exc", [ValueError("bad sample 5"), KeyError("missing")])
def test_a_workers_exception_is_reraised_with_its_traceback(exc):
    loader = DataLoader(Failing(exc), batch_size=2, num_workers=2)
    with pytest.raises(type(exc)) as info:
        list(loader)
    message = str(info.value)
    assert f"Caught {type(exc).__name__} in DataLoader worker process 0" in message
    assert "Original Traceback (most recent call last)" in message
    assert "raise self.exc" in message


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            time.sleep(1.5)
        return np.zeros(1, dtype=np.float32)


def test_timeout_bounds_the_wait_for_a_batch():
    loader = DataLoader(Slow(), batch_size=None, num_workers=1, timeout=0.5)
    it = iter(loader)
    next(it), next(it)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        next(it)
    it._shutdown_workers()


def test_persistent_workers_survive_the_epoch_and_others_do_not():
    def pids(loader):
        return [{s["pid"] for s in loader} for _ in range(2)]

    kept = pids(DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True))
    assert kept[0] == kept[1] and len(kept[0]) == 2
    fresh = pids(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    assert not fresh[0] & fresh[1]


def test_prefetch_factor_bounds_the_batches_in_flight():
    it = iter(DataLoader(Numbers(40), batch_size=2, num_workers=2, prefetch_factor=3))
    assert it._send_idx == 6  # 3 per worker before the first batch is asked for
    next(it)
    assert it._send_idx - it._rcvd_idx == 6
    it._shutdown_workers()


def test_workers_stop_at_the_end_of_an_epoch_and_on_garbage_collection():
    loader = DataLoader(Numbers(), batch_size=4, num_workers=2)
    it = iter(loader)
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    gc.collect()
    assert not any(w.is_alive() for w in workers)
    it = iter(loader)
    workers = list(it._workers)
    list(it)
    assert not any(w.is_alive() for w in workers)


def test_a_worker_that_dies_is_reported(monkeypatch):
    class Dies(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(1)

    monkeypatch.setattr(_worker, "MP_STATUS_CHECK_INTERVAL", 0.2)
    match = r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    with pytest.raises(RuntimeError, match=match):
        list(DataLoader(Dies(), batch_size=None, num_workers=1))


def test_spawned_workers_get_a_pickled_dataset():
    data = TensorDataset(ag.arange(12).float(), ag.arange(12))
    loader = DataLoader(data, batch_size=5, num_workers=1, multiprocessing_context="spawn")
    assert batches(loader, 1) == batches(DataLoader(data, batch_size=5), 1)


def test_worker_option_errors_are_pytorchs():
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Numbers(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Numbers(), persistent_workers=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Numbers(), timeout=-1)
    with pytest.raises(ValueError, match="should specify a valid start method"):
        DataLoader(Numbers(), num_workers=1, multiprocessing_context="teleport")
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(Numbers(), multiprocessing_context="fork")
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no"):
        loader = DataLoader(Numbers(4), batch_size=2, pin_memory=True)
    assert len(list(loader)) == 2


INTERRUPTED = """
import os, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from autograd_engine.utils.data import DataLoader, Dataset, _worker

_worker.MP_STATUS_CHECK_INTERVAL = 0.2

class Slow(Dataset):
    def __len__(self):
        return 10**6
    def __getitem__(self, i):
        time.sleep(0.05)
        return np.zeros(1, dtype=np.float32)

it = iter(DataLoader(Slow(), batch_size=None, num_workers=2))
next(it)
print(" ".join(str(w.pid) for w in it._workers), flush=True)
for _ in it:
    pass
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("how", ["ctrl-c", "parent-killed"])
def test_no_orphan_workers_after_ctrl_c_or_a_killed_parent(tmp_path, how):
    script = tmp_path / "loop.py"
    script.write_text(textwrap.dedent(INTERRUPTED.format(root=str(ROOT))))
    # NOTE: SIGINT back to its default in the child: a test run started in the background
    # (`cmd &`, nohup) ignores SIGINT, the child inherits that, and Python then installs no
    # KeyboardInterrupt handler, so the "Ctrl-C" would do nothing.
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole group
            _, err = proc.communicate(timeout=20)
            assert "KeyboardInterrupt" in err
        else:
            proc.kill()
            proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "orphaned DataLoader workers"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_random_sampler_with_replacement_draws_lazily():
    sampler = RandomSampler(range(10), replacement=True, num_samples=10**10)
    assert len(sampler) == 10**10
    it = iter(sampler)
    first = [next(it) for _ in range(70)]  # instant: 32 at a time, not 10**10 up front
    assert all(0 <= i < 10 for i in first)
    g1, g2 = ag.Generator().manual_seed(0), ag.Generator().manual_seed(0)
    a = list(RandomSampler(range(5), replacement=True, num_samples=70, generator=g1))
    assert a == list(RandomSampler(range(5), replacement=True, num_samples=70, generator=g2))
    b = list(RandomSampler(range(4), num_samples=10, generator=g1))
    assert len(b) == 10 and sorted(b[:4]) == [0, 1, 2, 3] and sorted(b[4:8]) == [0, 1, 2, 3]
