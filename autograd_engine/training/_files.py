"""Output paths checked before any work: the ``--out`` folder and the ``--checkpoint`` file
must be writable before the first training step, not found unwritable after the last."""

from __future__ import annotations

import os
import tempfile

from autograd_engine.training._build import RunError

__all__ = ["prepare_out", "check_checkpoint"]


def _probe(folder: str, option: str, path: str) -> None:
    """Create and remove a file in ``folder``: the only reliable test of writability (access
    bits say nothing for root, ACLs or read-only mounts)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-test-", dir=folder)
    except OSError as exc:
        raise RunError(f"{option} {path}: cannot write in {folder} ({exc.strerror})") from exc
    os.close(fd)
    os.remove(name)


def prepare_out(path: str, option: str = "--out") -> str:
    """Create the output folder ``path`` (and its parents) and check that it is writable."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise RunError(f"{option} {path}: is a file, not a folder; choose a folder for the outputs")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{option} {path}: cannot create the folder ({exc.strerror})") from exc
    _probe(path, option, path)
    return path


def check_checkpoint(path: str, option: str = "--checkpoint") -> None:
    """Check that a checkpoint can be written at ``path`` (its folder exists and is
    writable; ``path`` itself is not a folder). Nothing is created."""
    if os.path.isdir(path):
        raise RunError(f"{option} {path}: is a folder; give a file name, e.g. {path}/run.ckpt")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        shown = os.path.dirname(path) or "."
        raise RunError(
            f"{option} {path}: the folder {shown} does not exist; create it first "
            f"(mkdir -p {shown}) or choose another path"
        )
    _probe(folder, option, path)


# The files each command writes into its --out folder.
OUTPUTS = {
    "train": ("log.json", "curves.png", "grads.png"),
    "lr-find": ("lr_find.json", "lr_find.png"),
    "search": ("search.json", "search.csv"),
}


def outputs_in(folder: str, command: str) -> list[str]:
    """The files of ``command`` already in ``folder``."""
    return [name for name in OUTPUTS[command] if os.path.exists(os.path.join(folder, name))]


def choose_out(command: str, out: str | None, default: str, overwrite: bool = False) -> str:
    """The folder a command writes to. A folder holding an earlier run's outputs is never
    overwritten silently: the default folder gets a number (``runs/digits-mlp-2``, ``-3``,
    ...) and an explicit ``--out`` is refused, unless ``overwrite``. Raises ``ValueError``."""
    if out is not None:
        found = outputs_in(out, command) if os.path.isdir(out) else []
        if found and not overwrite:
            raise ValueError(
                f"--out {out} already holds the outputs of an earlier run ({', '.join(found)}); "
                "pass --overwrite to replace them, or choose another --out"
            )
        return out
    path, number = default, 1
    while not overwrite and os.path.isdir(path) and outputs_in(path, command):
        number += 1
        path = f"{default}-{number}"
    return path
