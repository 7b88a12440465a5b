"""docs/gpt.md and docs/onnx.md as a user would copy them: every command of docs/gpt.md parses,
and runs with a tiny model for a few steps; the Python blocks of both pages run (the ONNX page's
where the onnx extra is installed)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from autograd_engine.cli import build_parser, config_from, main

DOCS = Path(__file__).resolve().parents[2] / "docs"
PREFIX = "python -m autograd_engine "
TINY = {"--n-layer": "1", "--n-head": "2", "--n-embd": "16", "--block-size": "16",
        "--steps": "2", "--eval-interval": "1", "--batch-size": "4"}  # fmt: skip


def blocks(page: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def commands() -> list[list[str]]:
    lines = [line for block in blocks("gpt.md", "bash") for line in block.splitlines()]
    return [shlex.split(line[len(PREFIX) :]) for line in lines if line.startswith(PREFIX)]


def tiny(argv: list[str]) -> list[str]:
    """A train command with a tiny model and two steps (other options kept)."""
    argv = list(argv)
    for option, value in TINY.items():
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    return argv


def test_the_page_shows_train_and_generate():
    found = [argv[0] for argv in commands()]
    assert {"train", "generate"} <= set(found) and len(found) >= 5


def test_every_command_parses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in commands():
        args = build_parser().parse_args(argv)
        if argv[0] != "generate":
            config_from(args)


def test_every_command_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for argv in commands():
        if argv[0] == "train":
            assert main([*tiny(argv), "--quiet"]) == 0, capsys.readouterr().err
    for argv in commands():
        if argv[0] == "generate":
            argv = [a for a in argv]
            if "--max-new-tokens" in argv:
                argv[argv.index("--max-new-tokens") + 1] = "20"
            assert main(argv) == 0, capsys.readouterr().err


def test_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = blocks("gpt.md", "python")
    assert code
    namespace: dict = {"__name__": "docs_gpt"}
    for i, block in enumerate(code):
        if "onnx" in block:
            pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
        exec(compile(block, f"gpt.md python block {i}", "exec"), namespace)


def test_onnx_page_python_blocks_run(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    monkeypatch.chdir(tmp_path)
    code = blocks("onnx.md", "python")
    assert code
    namespace: dict = {"__name__": "docs_onnx"}
    for i, block in enumerate(code):
        exec(compile(block, f"onnx.md python block {i}", "exec"), namespace)
    assert (tmp_path / "mlp.onnx").exists()
