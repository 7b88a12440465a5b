"""Every Python block of docs/serialization.md runs as written, in order, in one namespace;
the bash one-liner that converts a PyTorch pickle runs too."""

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "serialization.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_python_blocks_run(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard", reason="the TensorBoard block needs the extra")
    monkeypatch.chdir(tmp_path)
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    # the blocks run as one module that pickle can find (a class defined in the doc is saved)
    module = types.ModuleType("docs_serialization")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    code = blocks("python")
    assert len(code) >= 10
    ran = 0
    for i, block in enumerate(code):
        if re.search(r"\btorch\b", block) and not has_torch:
            continue
        exec(compile(block, f"{DOC.name}, python block {i}", "exec"), namespace)
        ran += 1
    assert (tmp_path / "runs" / "example").is_dir()
    if has_torch:
        assert ran == len(code)


def test_conversion_one_liner_runs(tmp_path):
    torch = pytest.importorskip("torch")
    import autograd_engine as ag

    (line,) = [b.strip() for b in blocks("bash") if "save_file" in b]
    torch.save({"w": torch.arange(3.0)}, tmp_path / "model.pt")
    assert line.startswith("python -c ")
    argv = [sys.executable, "-c", line[len("python -c ") :].strip('"')]
    subprocess.run(argv, cwd=tmp_path, check=True, timeout=120)
    assert ag.load(tmp_path / "model.safetensors")["w"].tolist() == [0.0, 1.0, 2.0]
