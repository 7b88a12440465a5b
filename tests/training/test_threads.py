"""BLAS threads of the training command (issue 17 part 3): the workload's largest GEMM, the
automatic choice, --threads, and the limit being in force during the steps only."""

import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

from autograd_engine.training import RunConfig, train
from autograd_engine.training import _threads as T
from autograd_engine.training._build import build_model


def blas_threads_now() -> int:
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


def test_largest_gemm_of_the_default_mlp_and_the_cnn():
    mlp = build_model(RunConfig(), (1, 8, 8), 10)
    assert T.largest_gemm(mlp, (1, 8, 8), 32) == 32 * 64 * 256
    cnn = build_model(RunConfig(model="cnn"), (1, 8, 8), 10)
    # the second conv as im2col: (4 x 4 pixels) x (32 channels x 3 x 3) x 64, per sample
    assert T.largest_gemm(cnn, (1, 8, 8), 32) == 32 * 16 * 288 * 64


def test_auto_threads_uses_one_for_small_products_and_the_idle_cores_for_big_ones(monkeypatch):
    monkeypatch.setattr(T, "cpu_cores", lambda: 8)
    monkeypatch.setattr(T.os, "getloadavg", lambda: (2.2, 0.0, 0.0))
    assert T.auto_threads(T.SMALL_GEMM - 1) == 1
    assert T.auto_threads(T.SMALL_GEMM) == 6  # 8 cores, about 2 busy
    assert T.auto_threads(T.SMALL_GEMM, "cuda") == 1
    monkeypatch.setattr(T.os, "getloadavg", lambda: (11.8, 0.0, 0.0))
    assert T.auto_threads(10 * T.SMALL_GEMM) == 1  # every core is busy already


def test_threads_limit_blas_during_the_run_and_are_logged(monkeypatch):
    from autograd_engine.training import _loop

    seen, real = [], _loop.Trainer.train_step

    def step(self, x, y):
        seen.append(blas_threads_now())
        return real(self, x, y)

    monkeypatch.setattr(_loop.Trainer, "train_step", step)
    before = blas_threads_now()
    log = train(RunConfig(epochs=1, hidden=[16], quiet=True, threads=1))
    assert log["threads"] == 1 and set(seen) == {1}
    assert blas_threads_now() == before  # restored afterwards
    seen.clear()
    log = train(RunConfig(epochs=1, hidden=[16], quiet=True))
    assert log["threads"] == 1 and set(seen) == {1}  # the digits MLP is small: auto is 1


def test_threads_option_is_checked_and_reported(tmp_path, capsys):
    from autograd_engine.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--threads", "0"])
    assert "argument --threads: must be a positive integer, got 0" in capsys.readouterr().err
    assert main(["train", "--epochs", "1", "--threads", "2", "--out", str(tmp_path)]) == 0
    assert "device cpu, 2 BLAS threads" in capsys.readouterr().out


def test_the_threads_benchmark_runs(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks import bench_train_threads

    path = tmp_path / "t.json"
    result = bench_train_threads.main(
        ["--rounds", "1", "--only", "default", "--many", "1", "--json", str(path)]
    )
    (row,) = result["rows"]
    assert row["workload"] == "default" and row["auto_threads"] == 1
    assert row["largest_gemm"] == 32 * 64 * 256 and row["ratio"] > 0
    assert path.read_text().startswith("{")
