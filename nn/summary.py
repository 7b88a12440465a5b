"""``nn.summary``: a Keras-style table of a model's layers, output shapes and parameter counts,
found by running one forward pass with hooks (beyond PyTorch; like Keras' ``model.summary()``
and torchinfo's ``summary``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.dtypes import as_dtype
from autograd_engine.tensor import Tensor

from .modules.module import Module

__all__ = ["summary", "ModelSummary", "SummaryRow"]


@dataclass
class SummaryRow:
    """One called layer: its dotted name, class name, output shape and parameter count (its
    own parameters, each counted once even if shared)."""

    name: str
    type: str
    output_shape: object = None
    params: int = 0


@dataclass
class ModelSummary:
    """What :func:`summary` returns; ``str()`` of it is the table."""

    model_name: str
    input_shapes: list
    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #")
        cells = [
            (f"{r.name} ({r.type})", _shape_text(r.output_shape), f"{r.params:,}")
            for r in self.rows
        ]
        widths = [max([len(header[i])] + [len(c[i]) for c in cells]) for i in range(3)]
        widths[0] = max(widths[0], 28)
        widths[1] = max(widths[1], 20)
        widths[2] = max(widths[2], 10)

        def line(c) -> str:
            return f"{c[0]:<{widths[0]}}  {c[1]:<{widths[1]}}  {c[2]:>{widths[2]}}"

        total_width = sum(widths) + 4
        inputs = ", ".join(_shape_text(s) for s in self.input_shapes)
        out = [
            f"{self.model_name} (input: {inputs})",
            "=" * total_width,
            line(header),
            "=" * total_width,
        ]
        out += [line(c) for c in cells]
        out += [
            "=" * total_width,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            "-" * total_width,
        ]
        return "\n".join(out)

    __repr__ = __str__


def _shape_text(shape) -> str:
    if shape is None:
        return "-"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return str(tuple(shape))


def _output_shape(out):
    if isinstance(out, Tensor):
        return tuple(out.shape)
    if isinstance(out, (tuple, list)):
        return [_output_shape(o) for o in out]
    if isinstance(out, dict):
        return [_output_shape(o) for o in out.values()]
    return None


def _make_inputs(input_size, dtypes, device):
    if (
        isinstance(input_size, (tuple, list))
        and input_size
        and all(isinstance(s, int) for s in input_size)
    ):
        sizes = [tuple(input_size)]
    else:
        sizes = [tuple(s) for s in input_size]
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(sizes)
    gen = ag.Generator(device).manual_seed(0)  # NOTE: a private generator: the user's stays
    inputs = []
    for size, dtype in zip(sizes, dtypes):
        dtype = as_dtype(dtype if dtype is not None else ag.float32)
        if dtype.kind == "f":
            inputs.append(ag.randn(*size, generator=gen, dtype=dtype, device=device))
        else:
            inputs.append(ag.zeros(*size, dtype=dtype, device=device))
    return inputs


def summary(
    model: Module, input_size=None, *, input_data=None, dtype=None, device=None, verbose: int = 1
) -> ModelSummary:
    """Print and return a table of the model's layers with their output shapes and parameter
    counts, plus the total, trainable and non-trainable parameter counts.

    Beyond PyTorch: Keras' ``model.summary()`` (and torchinfo's ``summary``). Runs one forward
    pass in eval mode under ``no_grad`` on a random (float) or zero (integer) input of
    ``input_size``, with hooks recording each layer's output; the model's training flags,
    parameters and buffers are left as they were. Rows are the layers called, in call order:
    modules without children and modules owning parameters directly. Buffers (BatchNorm's
    running statistics) are not parameters; parameters with ``requires_grad=False`` count as
    non-trainable.

    Args:
        model: the module.
        input_size: the input shape including the batch dim, e.g. ``(1, 3, 32, 32)``, or a
            list of shapes for a model taking several inputs.
        input_data: the input tensor(s) to run instead of ``input_size``.
        dtype: the input dtype (default float32; ``ag.int64`` for index inputs such as an
            Embedding's), or one per input.
        device: where to create the input (default: the device of the model's parameters).
        verbose: 1 prints the table, 0 only returns it.

    Returns:
        A :class:`ModelSummary` (``rows``, ``total_params``, ``trainable_params``,
        ``non_trainable_params``; ``str()`` gives the table).

    Example::

        >>> nn.summary(model, (64, 1, 28, 28))
    """
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else array_backend.CPU
    if input_data is None:
        if input_size is None:
            raise ValueError("summary: give input_size (a shape with the batch dim) or input_data")
        inputs = _make_inputs(input_size, dtype, array_backend.device(device))
    else:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]

    rows: list[SummaryRow] = []
    pending: dict[int, list[SummaryRow]] = {}  # rows whose output is not known yet, by module
    seen_params: set[int] = set()
    names = {id(m): name for name, m in model.named_modules()}

    def pre_hook(module, args):
        own = [p for p in module._parameters.values() if p is not None]
        if module._modules and not own:
            return  # a container: its children have the rows
        count = sum(p.numel() for p in own if id(p) not in seen_params)
        seen_params.update(id(p) for p in own)
        name = names.get(id(module)) or type(module).__name__
        row = SummaryRow(name, type(module).__name__, None, count)
        rows.append(row)
        pending.setdefault(id(module), []).append(row)

    def post_hook(module, args, out):
        waiting = pending.get(id(module))
        if waiting:
            waiting.pop().output_shape = _output_shape(out)

    modules = list(model.modules())
    training = [m.training for m in modules]
    handles = []
    try:
        for m in modules:
            handles.append(m.register_forward_pre_hook(pre_hook))
            handles.append(m.register_forward_hook(post_hook))
        model.eval()
        with ag.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, flag in zip(modules, training):
            m.training = flag

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    result = ModelSummary(
        type(model).__name__,
        [tuple(t.shape) for t in inputs],
        rows,
        total,
        trainable,
        total - trainable,
    )
    if verbose:
        print(result)
    return result
