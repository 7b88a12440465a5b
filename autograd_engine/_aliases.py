"""``autograd_engine.nn`` and ``autograd_engine.optim``: the top-level ``nn`` and ``optim``
packages under the engine's name, as real code writes ``torch.nn`` and ``torch.optim``.

They are the same module objects, not copies: ``autograd_engine.nn.Linear is nn.Linear``, and
``import autograd_engine.nn.functional as F`` gives ``nn.functional``. Nothing is imported until
first use, so the core never depends on ``nn`` or ``optim``.

NOTE: ``nn`` and ``optim`` are also names of unrelated distributions on the package index; with
one of them installed in the same environment, the top-level name may resolve to it, while the
``autograd_engine.nn`` / ``autograd_engine.optim`` spellings always find this project's
packages as long as the checkout's packages come first on ``sys.path``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIASES = {"autograd_engine.nn": "nn", "autograd_engine.optim": "optim"}

# Subpackages of the engine reached as attributes after a bare ``import autograd_engine`` (as
# ``torch.autograd``, ``torch.utils.data``, ``torch.distributions`` after ``import torch``), but
# imported only on first use so that ``import autograd_engine`` stays fast.
LAZY_SUBMODULES = frozenset(
    {"autograd", "utils", "distributions", "jit", "accelerator", "linalg", "onnx", "testing",
     "special", "func", "functional", "hub", "fft", "version", "sparse", "nested", "export",
     "fx", "profiler"}
)  # fmt: skip


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)  # the real module, already initialised

    def exec_module(self, module) -> None:
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolve ``autograd_engine.nn[.sub]`` to ``nn[.sub]`` (and the same for ``optim``)."""

    def find_spec(self, fullname, path=None, target=None):
        for alias, real in ALIASES.items():
            if fullname == alias or fullname.startswith(alias + "."):
                name = real + fullname[len(alias) :]
                return importlib.util.spec_from_loader(fullname, _AliasLoader(name))
        return None


def install() -> None:
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())


def lazy_attribute(package: str, name: str):
    """``autograd_engine.nn``, ``.autograd`` etc. reached as attributes after a bare
    ``import autograd_engine``."""
    if f"{package}.{name}" in ALIASES or name in LAZY_SUBMODULES:
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise  # the module exists but something it imports is missing
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
