"""The torchrun-like launcher, and the acceptance run: a PyTorch DDP script with only its
imports changed gives on 2 ranks (with DataLoader workers) the single-process numbers."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from autograd_engine.distributed import run as launcher
from tests.distributed.mpi_helper import ROOT, needs_mpi
from tests.distributed.mpi_helper import run as run_command

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

EXAMPLES = ROOT / "docs" / "examples"


def _code_lines(path):
    """The script's lines after its module docstring."""
    text = path.read_text()
    body = text.split('"""', 2)[2]
    return body.splitlines()


def test_the_ddp_example_differs_from_the_pytorch_script_only_in_its_imports():
    ours = _code_lines(EXAMPLES / "ddp_train.py")
    theirs = _code_lines(EXAMPLES / "ddp_train_torch.py")
    assert len(ours) == len(theirs)
    changed = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert changed, "the two scripts should differ in their imports"
    for a, b in changed:
        assert a.startswith(("import ", "from ")) and b.startswith(("import ", "from ")), (a, b)
        assert "torch" in b


@needs_mpi
def test_pytorch_ddp_script_on_two_ranks_gives_the_single_process_numbers(tmp_path):
    script = str(EXAMPLES / "ddp_train.py")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    single = run_command([sys.executable, script, "--out", str(one)], timeout=120)
    assert single.returncode == 0, single.stderr
    multi = run_command(
        [sys.executable, "-m", "autograd_engine.distributed.run", "--nproc-per-node", "2",
         script, "--out", str(two), "--workers", "2"],
        timeout=120,
    )  # fmt: skip
    assert multi.returncode == 0, multi.stderr
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    np.testing.assert_allclose(b["losses"], a["losses"], rtol=1e-5)
    np.testing.assert_allclose(b["fc2.bias"], a["fc2.bias"], rtol=1e-5, atol=1e-6)
    assert a["losses"][-1] < 0.5 * a["losses"][0]  # it trained
    assert multi.stdout.count("epoch 0:") == 1  # only rank 0 prints


LAUNCHED = """
import os, sys
line = " ".join([os.environ["RANK"], os.environ["LOCAL_RANK"], os.environ["WORLD_SIZE"],
                 os.environ["LOCAL_WORLD_SIZE"], os.environ["MASTER_ADDR"], repr(sys.argv[1:]),
                 __name__])
with open(os.path.join(os.path.dirname(__file__), "env" + os.environ["RANK"]), "w") as f:
    f.write(line)
sys.exit(int(sys.argv[1]) if os.environ["RANK"] == "1" else 0)
"""


@needs_mpi
def test_launcher_sets_torchruns_environment_and_returns_the_exit_code(tmp_path):
    script = tmp_path / "show.py"
    script.write_text(LAUNCHED)
    done = run_command(
        [sys.executable, "-m", "autograd_engine.distributed.run", "--nproc_per_node=2",
         str(script), "0", "--flag"],
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for r in range(2):
        written = (tmp_path / f"env{r}").read_text()
        assert written == f"{r} {r} 2 2 127.0.0.1 ['0', '--flag'] __main__"
    failed = run_command(
        [sys.executable, "-m", "autograd_engine.distributed.run", "--nproc-per-node", "2",
         str(script), "3"],
        timeout=60,
    )  # fmt: skip
    assert failed.returncode != 0


def test_launcher_builds_an_mpiexec_command_and_refuses_what_it_cannot_do(monkeypatch):
    monkeypatch.setattr(launcher._mpi, "find_mpiexec", lambda: "/opt/mpi/bin/mpiexec")
    parse = launcher.get_args_parser().parse_args
    cmd = launcher.command(parse(["--nproc-per-node", "3", "-m", "pkg.train", "--lr", "1"]))
    assert cmd[:3] == ["/opt/mpi/bin/mpiexec", "-n", "3"]
    assert cmd[-5:] == ["autograd_engine.distributed._rank", "-m", "pkg.train", "--lr", "1"]
    with pytest.raises(SystemExit, match="for several machines run mpiexec yourself"):
        launcher.command(parse(["--nnodes", "2", "train.py"]))
    with pytest.raises(SystemExit, match="must be a number"):
        launcher.command(parse(["--nproc-per-node", "many", "train.py"]))
    monkeypatch.setattr(launcher._mpi, "find_mpiexec", lambda: None)
    with pytest.raises(SystemExit, match=r"no mpiexec found.*pip install -e '\.\[distributed\]'"):
        launcher.command(parse(["train.py"]))
