"""``autograd_engine.export`` (``torch.export``): the names exist so that code using them
stops at once with a clear message. ``torch.export`` captures a model as a graph of PyTorch's
ATen operators (an ``ExportedProgram``) for PyTorch's own runtimes and compilers; this engine
has no ATen graph to capture. What to use instead:

- to run the model outside Python: ``autograd_engine.onnx.export`` (docs/onnx.md);
- to save and reload it: ``autograd_engine.save(model.state_dict(), path)`` (docs/serialization.md);
- to speed up a training step: ``autograd_engine.compile`` (docs/compile.md).
"""

from __future__ import annotations

from . import dynamic_shapes
from .dynamic_shapes import Dim, ShapesCollection, _no_export

__all__ = [
    "export", "save", "load", "Dim", "ShapesCollection", "ExportedProgram", "dynamic_shapes",
]  # fmt: skip


def export(mod, args=(), kwargs=None, *, dynamic_shapes=None, strict=False,
           preserve_module_call_signature=()):  # fmt: skip
    """Raises RuntimeError: there is no ATen graph to export (see the module doc)."""
    _no_export("export")


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2):
    """Raises RuntimeError: there are no ExportedPrograms to save (see the module doc)."""
    _no_export("save")


def load(f, *, extra_files=None, expected_opset_version=None):
    """Raises RuntimeError: ExportedProgram files (``.pt2``) cannot be loaded here (see the
    module doc)."""
    _no_export("load")


class ExportedProgram:
    """``torch.export.ExportedProgram``: nothing is exported here, so no object is one
    (``isinstance`` checks are False); constructing one raises RuntimeError."""

    def __init__(self, *args, **kwargs):
        _no_export("ExportedProgram")
