"""The training command under mpiexec: 2 ranks give the single-process run with the global
batch (history and test numbers), only rank 0 prints and writes, and --resume works."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from autograd_engine.distributed import _mpi
from tests.distributed.mpi_helper import needs_mpi, run

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

ARGS = ["--dataset", "digits", "--model", "mlp", "--seed", "3"]


def _train(tmp_path, name, ranks, *extra):
    cmd = [sys.executable, "-m", "autograd_engine", "train", *ARGS, *extra]
    if ranks > 1:
        cmd = [_mpi.find_mpiexec(), "-n", str(ranks), *cmd]
    done = run(cmd, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done


@needs_mpi
def test_two_ranks_equal_one_process_with_the_global_batch_and_resume(tmp_path):
    one = _train(tmp_path, "one", 1, "--epochs", "2", "--out", "one")
    two = _train(tmp_path, "two", 2, "--epochs", "2", "--out", "two")
    a = json.loads((tmp_path / "one" / "log.json").read_text())
    b = json.loads((tmp_path / "two" / "log.json").read_text())
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        np.testing.assert_allclose(
            [h[key] for h in b["history"]], [h[key] for h in a["history"]], rtol=1e-5
        )
    assert b["test"]["correct"] == a["test"]["correct"]
    assert two.stdout.count("test accuracy") == 1 and one.stdout.count("test accuracy") == 1
    assert two.stdout.count("epoch 2/2") == 1

    _train(tmp_path, "first", 2, "--epochs", "1", "--checkpoint", "run.ckpt", "--out", "c1")
    _train(tmp_path, "resumed", 2, "--epochs", "2", "--checkpoint", "run.ckpt",
           "--resume", "run.ckpt", "--out", "c2")  # fmt: skip
    c = json.loads((tmp_path / "c2" / "log.json").read_text())
    np.testing.assert_allclose(
        [h["train_loss"] for h in c["history"]], [h["train_loss"] for h in a["history"]],
        rtol=1e-5,
    )  # fmt: skip
