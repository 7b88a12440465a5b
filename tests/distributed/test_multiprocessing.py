"""autograd_engine.multiprocessing.spawn: PyTorch's mp.spawn + init_process_group pattern runs
as the ranks of one mpiexec job; a raising process is re-raised with its traceback; without MPI
the processes are plain multiprocessing ones."""

from __future__ import annotations

import re
import sys
import textwrap

import pytest

import autograd_engine.multiprocessing as mp
from autograd_engine.multiprocessing import _spawn as spawn_module
from tests.distributed.mpi_helper import needs_mpi, run

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

SPAWNING = """
import autograd_engine as ag
import autograd_engine.distributed as dist
import autograd_engine.multiprocessing as mp

def main(rank, world_size, scale):
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456",
                            rank=rank, world_size=world_size)
    t = ag.tensor([float(rank + 1) * scale])
    dist.all_reduce(t)
    print(f"rank {rank} sum {t.item()}", flush=True)
    if scale < 0 and rank == 1:
        raise ValueError("boom on rank 1")
    dist.destroy_process_group()

if __name__ == "__main__":
    mp.spawn(main, args=(2, 10.0), nprocs=2)
    try:
        mp.spawn(main, args=(2, -1.0), nprocs=2)
    except mp.ProcessRaisedException as e:
        print("raised", e.error_index, str(e).strip().splitlines()[-1])
"""


@needs_mpi
def test_spawn_runs_a_pytorch_style_ddp_entry_point_on_mpi_ranks(tmp_path):
    script = tmp_path / "spawner.py"
    script.write_text(textwrap.dedent(SPAWNING))
    done = run([sys.executable, str(script)], timeout=90, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout  # the ranks' lines may interleave: look for each, not line by line
    assert sorted(re.findall(r"rank \d sum 30\.0", out)) == ["rank 0 sum 30.0", "rank 1 sum 30.0"]
    assert "raised 1 ValueError: boom on rank 1" in out


def _square(i, out_dir):
    with open(f"{out_dir}/{i}.txt", "w") as f:
        f.write(str(i * i))


def _fails(i):
    if i == 1:
        raise KeyError("worker one")


def test_spawn_without_mpi_uses_plain_processes(tmp_path, monkeypatch):
    monkeypatch.setattr(spawn_module, "_mpi_ready", lambda: None)
    mp.spawn(_square, args=(str(tmp_path),), nprocs=3, start_method="fork")
    assert sorted((tmp_path / f"{i}.txt").read_text() for i in range(3)) == ["0", "1", "4"]
    with pytest.raises(mp.ProcessRaisedException, match="Process 1 terminated") as info:
        mp.spawn(_fails, nprocs=2, start_method="fork")
    assert "KeyError: 'worker one'" in str(info.value) and info.value.error_index == 1
    context = mp.spawn(_square, args=(str(tmp_path),), nprocs=1, join=False, start_method="fork")
    while not context.join(timeout=5):
        pass
    assert mp.get_start_method() in mp.get_all_start_methods()
