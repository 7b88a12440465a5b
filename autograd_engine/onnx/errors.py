"""The exceptions of ``autograd_engine.onnx`` (``torch.onnx.errors``)."""

from __future__ import annotations

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """An error of the ONNX exporter (``torch.onnx.OnnxExporterError``)."""


class UnsupportedOperatorError(OnnxExporterError):
    """The model's forward used an operation the exporter has no ONNX form for
    (``torch.onnx.errors.UnsupportedOperatorError``). The message names it."""
