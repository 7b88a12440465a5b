"""Load a vendored program as a module, either as vendored (on autograd_engine) or with its
import lines put back to upstream's (on PyTorch, the oracle).

Each vendored file lists its edits in its header, one ``#   line N: 'upstream' -> 'ours'``
line per changed import; the PyTorch flavour undoes exactly those edits (all but the ones
that name torchvision, which is not installed; those modules are unused by the tests)."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path

VENDORED = Path(__file__).parent / "vendored"
_EDIT = re.compile(r"^#   line (\d+): (.*)$")


def import_edits(path: Path) -> list[tuple[str, list[str]]]:
    """The (upstream line, replacement lines) pairs recorded in a vendored file's header."""
    edits = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        m = _EDIT.match(line)
        if m:
            old, new = m.group(2).split(" -> ")
            edits.append((ast.literal_eval(old), [ast.literal_eval(n) for n in new.split(" + ")]))
    return edits


def upstream(path: Path) -> str:
    """The upstream file as it was: the header dropped and every recorded edit undone (its
    sha256 is recorded in the header, so a test can show nothing else was changed)."""
    lines = path.read_text().split("\n")
    body = lines[[i for i, line in enumerate(lines) if line.startswith("# ----")][0] + 1 :]
    for old, new in import_edits(path):
        at = body.index(new[0])
        assert body[at : at + len(new)] == new, (path, new)
        body[at : at + len(new)] = [old]
    return "\n".join(body)


def recorded_sha256(path: Path) -> str:
    """The upstream file's sha256 written in the vendored file's header."""
    for line in path.read_text().splitlines():
        if line.startswith("# Upstream file sha256: "):
            return line.split(": ")[1]
    raise AssertionError(f"{path}: no upstream sha256 in the header")


def source(relpath: str, flavour: str) -> str:
    """The vendored source (``flavour="ours"``) or upstream's imports put back (``"torch"``)."""
    path = VENDORED / relpath
    text = path.read_text()
    if flavour == "torch":
        lines = text.splitlines()
        for old, new in import_edits(path):
            if "torchvision" in old:
                continue
            at = lines.index(new[0])
            assert lines[at : at + len(new)] == new, (relpath, new)
            lines[at : at + len(new)] = [old]
        text = "\n".join(lines) + "\n"
    return text


def load(relpath: str, flavour: str, name: str | None = None) -> types.ModuleType:
    """Execute a vendored file as a fresh module named ``name`` (registered in
    ``sys.modules``, as dataclasses need)."""
    name = name or f"programs_{flavour}_" + re.sub(r"\W", "_", relpath[:-3])
    module = types.ModuleType(name)
    module.__file__ = str(VENDORED / relpath)
    sys.modules[name] = module
    exec(compile(source(relpath, flavour), module.__file__, "exec"), module.__dict__)
    return module
