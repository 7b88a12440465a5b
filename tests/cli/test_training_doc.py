"""docs/training.md as a user would copy it: every command parses and runs (with fewer epochs,
on small generated MNIST and CIFAR-10 files where it names ~/data), every Python block runs,
every option of the command is documented, and the error example is what the command prints."""

import gzip
import pickle
import re
import shlex
import struct
from pathlib import Path

import numpy as np
import pytest

from autograd_engine.cli import build_parser, config_from, main

DOC = Path(__file__).resolve().parents[2] / "docs" / "training.md"
PREFIX = "python -m autograd_engine "


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def commands() -> list[list[str]]:
    lines = [line for block in blocks("bash") for line in block.splitlines()]
    return [shlex.split(line[len(PREFIX) :]) for line in lines if line.startswith(PREFIX)]


def with_data(argv: list[str], data: Path) -> list[str]:
    return [str(data) + a[len("~/data") :] if a.startswith("~/data") else a for a in argv]


def capped(argv: list[str]) -> list[str]:
    """``argv`` with fewer epochs, trials or steps, so the whole page runs in a minute."""
    caps = {"train": {"--epochs": 2}, "search": {"--epochs": 1, "--trials": 2},
            "lr-find": {"--steps": 10}}[argv[0]]  # fmt: skip
    argv = list(argv)
    for option, cap in caps.items():
        if option in argv:
            i = argv.index(option) + 1
            argv[i] = str(min(int(argv[i]), cap))
        else:
            argv += [option, str(cap)]
    return argv


def write_fake_data(data: Path) -> None:
    """Tiny MNIST IDX files in data/mnist and CIFAR-10 batches in data/cifar-10-batches-py."""
    rng = np.random.default_rng(0)
    (data / "mnist").mkdir(parents=True)
    for prefix, n in [("train", 60), ("t10k", 20)]:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array in [("images-idx3", images), ("labels-idx1", labels)]:
            header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            with gzip.open(data / "mnist" / f"{prefix}-{kind}-ubyte.gz", "wb") as f:
                f.write(header + array.tobytes())
    folder = data / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, size=(8, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, size=8).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


def test_the_page_has_commands_for_each_subcommand():
    found = {argv[0] for argv in commands()}
    assert found == {"train", "lr-find", "search"}
    assert len(commands()) >= 20


def test_every_command_parses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in commands():
        config_from(build_parser().parse_args(with_data(argv, tmp_path / "data")))


def test_every_option_is_documented():
    text = DOC.read_text()
    parser = build_parser()
    for command in ("train", "lr-find", "search"):
        for option in parser.subparser(command).options():
            if option in ("--help", "--eval-batch-size"):  # the second is hidden from --help
                continue
            assert f"`{option}" in text, f"{command} {option} is not in docs/training.md"


@pytest.mark.slow
def test_every_command_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_fake_data(tmp_path / "data")
    for argv in commands():
        argv = capped(with_data(argv, tmp_path / "data"))
        assert main([*argv, "--quiet"]) == 0, f"{argv}: {capsys.readouterr().err}"
    assert (tmp_path / "runs" / "first" / "log.json").exists()
    assert (tmp_path / "run.ckpt").exists()


def test_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs_training"}
    code = blocks("python")
    assert len(code) == 2
    for i, block in enumerate(code):
        exec(compile(block, f"{DOC.name}, python block {i}", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("test accuracy: ")  # quiet=True still prints the result
    assert out[1:4] == [
        "3 True",
        "--lr: must be a positive number, got inf (only finite values are accepted)",
        "0.001",
    ]
    assert out[4].startswith("test accuracy ") and (tmp_path / "digits.ckpt").exists()


def test_the_error_example_is_what_the_command_prints(capsys):
    (example,) = [b for b in blocks("text") if b.startswith("$ ")]
    first, *expected = example.strip().splitlines()
    with pytest.raises(SystemExit):
        main(shlex.split(first[len("$ " + PREFIX) :]))
    assert capsys.readouterr().err.splitlines() == expected
