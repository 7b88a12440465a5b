"""``autograd_engine.export.dynamic_shapes`` (``torch.export.dynamic_shapes``): the
dynamic-dimension specs of ``torch.export``, which does not exist here (see
``autograd_engine.export``); they raise with the same message."""

from __future__ import annotations

__all__ = ["Dim", "ShapesCollection"]

_MESSAGE = (
    "torch.export.{name}: torch.export captures a model as a graph of PyTorch's ATen operators "
    "for PyTorch's runtimes, and autograd_engine has no such graph. To run the model outside "
    "Python use autograd_engine.onnx.export (docs/onnx.md, with dynamic_axes for dynamic "
    "sizes); to save it, autograd_engine.save(model.state_dict(), path); to speed up a "
    "training step, autograd_engine.compile (docs/compile.md)."
)


def _no_export(name: str):
    raise RuntimeError(_MESSAGE.format(name=name))


def Dim(name: str, *, min=None, max=None):  # noqa: A002 - PyTorch's keyword names
    """Raises RuntimeError: a dynamic dimension is a spec for ``torch.export``, which does not
    exist here (see ``autograd_engine.export``)."""
    _no_export("Dim")


class ShapesCollection:
    """Raises RuntimeError when constructed: a builder of dynamic shapes for
    ``torch.export`` (see ``autograd_engine.export``)."""

    def __init__(self, *args, **kwargs):
        _no_export("ShapesCollection")
