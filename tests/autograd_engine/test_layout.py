"""The package layout's promises: ``autograd_engine.nn``/``.optim`` are the top-level packages
under the engine's name, and the core does not import ``nn`` or ``optim`` (only the training
application and the command line may)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import autograd_engine as ag
import nn
import optim

ROOT = Path(ag.__file__).parent
APP = ("training/", "cli.py", "__main__.py")


def test_aliases_are_the_same_modules():
    import autograd_engine.nn.functional as F
    import autograd_engine.optim.lr_scheduler as sched
    from autograd_engine.nn import Linear

    assert ag.nn is nn and ag.optim is optim
    assert F is nn.functional and sched is optim.lr_scheduler and Linear is nn.Linear
    assert sys.modules["autograd_engine.nn"] is nn


def test_bare_import_reaches_nn_and_optim_as_attributes():
    code = (
        "import autograd_engine as torch\n"
        "m = torch.nn.Sequential(torch.nn.Linear(2, 1))\n"
        "opt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "print(type(opt).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "SGD"


def test_unknown_attribute_still_raises_attribute_error():
    try:
        ag.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_does_not_import_nn_or_optim():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(APP):
            continue
        bad = _imports(path) & {"nn", "optim"}
        if bad:
            offenders.append(f"{rel} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)
