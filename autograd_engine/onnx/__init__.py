"""Export a model to ONNX (``torch.onnx``): ``autograd_engine.onnx.export(model, args, f)``
traces one forward call -- every op the engine applies is a node of a known class with known
arguments -- and writes the same computation as an ONNX graph with the ``onnx`` package (the
``onnx`` extra: ``pip install -e '.[onnx]'``)."""

from __future__ import annotations

import enum
import inspect
import os

import numpy as np

from autograd_engine.onnx._trace import flatten, tracing
from autograd_engine.onnx.errors import OnnxExporterError, UnsupportedOperatorError

__all__ = [
    "export",
    "is_in_onnx_export",
    "TrainingMode",
    "OnnxExporterError",
    "UnsupportedOperatorError",
    "DEFAULT_OPSET",
    "supported_ops",
]

#: the opset written when ``opset_version`` is not given
DEFAULT_OPSET = 17
_MIN_OPSET = 13


class TrainingMode(enum.IntEnum):
    """The mode the model is exported in (``torch.onnx.TrainingMode``)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export() -> bool:
    """Whether this thread is inside ``export`` (``torch.onnx.is_in_onnx_export``)."""
    return tracing()


def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "autograd_engine.onnx.export needs the onnx package: install the onnx extra, "
            "pip install -e '.[onnx]' in the checkout (or pip install onnx onnxruntime)"
        ) from exc
    return onnx


def supported_ops() -> list[str]:
    """The names of the node classes the exporter converts, and of the modules it exports
    whole (LSTM, GRU, RNN)."""
    from autograd_engine.onnx._ops import CONVERTERS

    return sorted({cls.__name__ for cls in CONVERTERS} | {"LSTM", "GRU", "RNN"})


def export(
    model,
    args=(),
    f=None,
    *,
    kwargs: dict | None = None,
    verbose: bool | None = None,
    input_names=None,
    output_names=None,
    opset_version: int | None = None,
    dynamo: bool = False,
    export_params: bool = True,
    keep_initializers_as_inputs: bool = False,
    dynamic_axes=None,
    training: TrainingMode = TrainingMode.EVAL,
    do_constant_folding: bool = True,
):
    """Export ``model`` as an ONNX model (``torch.onnx.export``, its TorchScript-tracing form).

    The model runs once on ``args`` (and ``kwargs``) while every op the engine applies is
    recorded; each recorded node becomes ONNX nodes (``Linear`` -> Gemm or MatMul + Add,
    ``Conv2d`` -> Conv, ``LayerNorm`` -> LayerNormalization, an embedding lookup -> Gather,
    attention -> MatMul, Softmax and an additive causal mask, ...), and ``nn.LSTM`` /
    ``nn.GRU`` / ``nn.RNN`` modules become ONNX's LSTM / GRU / RNN ops (PyTorch's gate order
    converted). Parameters and buffers are initializers named by their ``state_dict`` keys;
    every other tensor the forward made without an op (e.g. ``arange`` positions) is a
    constant. An op with no ONNX form raises ``UnsupportedOperatorError`` naming it.

    To find the sizes that ``dynamic_axes`` makes dynamic inside the graph (the batch size in
    a reshape), the model runs a second time with those axes one larger and other input
    values; a value that changes between the two runs without being computed by recorded
    ops (e.g. through ``.numpy()`` or ``.item()``) is refused rather than frozen.

    Args:
        model: an ``nn.Module`` (or any callable on tensors).
        args: the example inputs: a Tensor or a tuple of them.
        f: the file to write (a path or a binary file object). ``None`` returns the
            ``onnx.ModelProto`` instead (beyond PyTorch).
        kwargs: keyword inputs, passed to the model.
        verbose: print the graph.
        input_names, output_names: names of the graph's inputs and outputs (default: the
            names of ``forward``'s parameters, and ``output``, ``output_1``, ...).
        opset_version: the ONNX opset (default 17; 13 or later).
        dynamo: accepted for PyTorch's signature; this exporter always traces the engine's
            graph (PyTorch's ``dynamo=False`` exporter, whose ``dynamic_axes`` it takes).
        export_params: store the parameters in the file (else they are graph inputs).
        keep_initializers_as_inputs: also list the initializers as graph inputs.
        dynamic_axes: ``{name: [axis, ...]}`` or ``{name: {axis: "dim_name"}}`` for inputs
            and outputs whose sizes may change (e.g. ``{"input": {0: "batch"}}``).
        training: ``TrainingMode.EVAL`` (default: exported in eval mode, the mode restored
            after), ``PRESERVE`` (the model's current mode) or ``TRAINING``.
        do_constant_folding: fold computations on constants (the transposed weight of a
            MatMul) into initializers.

    Example::

        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> autograd_engine.onnx.export(model, (ag.randn(3, 4),), "mlp.onnx",
        ...                             input_names=["x"], output_names=["y"],
        ...                             dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    """
    onnx = _require_onnx()
    from autograd_engine.onnx._build import build_model

    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not _MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"onnx.export: opset_version {opset_version} is not supported; use {_MIN_OPSET} to "
            f"{newest} (the installed onnx package's newest)"
        )
    args = _as_args(args)
    kwargs = dict(kwargs or {})
    names_in = _input_names(model, args, input_names)
    mode = TrainingMode(training)
    was_training = getattr(model, "training", None)
    try:
        if mode != TrainingMode.PRESERVE and was_training is not None:
            model.train(mode == TrainingMode.TRAINING)
        proto = build_model(
            onnx, model, args, kwargs, names_in, output_names, opset, export_params,
            keep_initializers_as_inputs, _dynamic_axes(dynamic_axes), do_constant_folding,
        )  # fmt: skip
    finally:
        if was_training is not None:
            model.train(was_training)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is None:
        return proto
    if isinstance(f, (str, os.PathLike)):
        onnx.save(proto, os.fspath(f))
    else:
        f.write(proto.SerializeToString())
    return None


def _as_args(args) -> tuple:
    from autograd_engine.tensor import Tensor

    if isinstance(args, Tensor):
        return (args,)
    if isinstance(args, list):
        return tuple(args)
    if not isinstance(args, tuple):
        raise TypeError(
            f"onnx.export: args must be a Tensor or a tuple of inputs, got {type(args).__name__}"
        )
    return args


def _input_names(model, args: tuple, given) -> list[str]:
    n = len(flatten(args))
    if given is not None:
        given = list(given)
        if len(given) > n:
            raise ValueError(
                f"onnx.export: {len(given)} input_names for {n} input tensors: {given}"
            )
    else:
        given = []
    try:
        params = list(inspect.signature(model.forward).parameters)
    except (AttributeError, TypeError, ValueError):
        params = []
    params = [p for p in params if p not in ("self", "args", "kwargs")]
    names = list(given)
    for i in range(len(given), n):
        names.append(params[i] if i < len(params) and len(params) >= n else f"input_{i}")
    return names


def _dynamic_axes(spec) -> dict:
    """``{name: {axis: dim_name}}`` from PyTorch's two spellings."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise TypeError(f"onnx.export: dynamic_axes must be a dict, got {type(spec).__name__}")
    out = {}
    for name, axes in spec.items():
        if isinstance(axes, dict):
            out[name] = {int(a): str(d) for a, d in axes.items()}
        elif isinstance(axes, (list, tuple)):
            out[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
        else:
            raise TypeError(
                f"onnx.export: dynamic_axes[{name!r}] must be a list of axes or a dict of axis "
                f"-> name, got {axes!r}"
            )
    return out


def _host(array) -> np.ndarray:
    from autograd_engine import array_backend

    return array_backend.to_device(array, array_backend.CPU)
