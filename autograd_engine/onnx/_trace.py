"""The trace of one forward call: every op the engine applies (each ``Node`` with its input
and output tensors, in order), recorded through the engine's recorder hook; recurrent modules
are recorded whole, as one step, since ONNX has an op for each of them."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from autograd_engine import node as _node_module
from autograd_engine.tensor import Tensor

__all__ = ["Op", "Trace", "trace", "tracing", "flatten"]

_state = threading.local()


def tracing() -> bool:
    """Whether this thread is tracing a model for ONNX export."""
    return getattr(_state, "active", False)


@dataclass
class Op:
    """One recorded step: a node (``node`` is the Node) or a whole module (``module``)."""

    node: object
    inputs: tuple
    output: object  # a Tensor, or for a module its outputs as it returned them
    module: object = None
    versions: tuple = ()  # each input's version counter when the op read it
    out_version: int = 0  # the output's when the op made it


@dataclass
class Trace:
    ops: list = field(default_factory=list)
    keep: list = field(default_factory=list)  # everything whose id() is used as a key


def _recurrent(module) -> bool:
    """Whether ``module`` is an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` (recognized by what
    they hold: the core does not import ``nn``)."""
    return getattr(module, "mode", None) in _RECURRENT_MODES and hasattr(module, "all_weights")


_RECURRENT_MODES = ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")


class _Recorder:
    """Installed as the engine's recorder for one forward call. Only this thread's ops are
    recorded, and none inside a module recorded whole."""

    def __init__(self, result: Trace):
        self.result = result
        self.thread = threading.get_ident()
        self.suppressed = 0

    def record_node(self, node, inputs, output) -> None:
        if self.suppressed or threading.get_ident() != self.thread:
            return
        versions = tuple(t._version for t in inputs)
        op = Op(node, tuple(inputs), output, versions=versions, out_version=output._version)
        self.result.ops.append(op)
        self.result.keep.append((node, inputs, output))

    # What autograd_engine.compile's hooks ask of a recorder: this one claims nothing, so
    # backward passes, optimizer steps and host reads run as usual.
    def claims(self) -> bool:
        return False

    def host_read(self, tensor, what: str) -> None:
        return None

    def module_pre(self, module, args):
        if threading.get_ident() == self.thread:
            self.suppressed += 1

    def module_post(self, module, args, output):
        if threading.get_ident() != self.thread:
            return
        self.suppressed -= 1
        if not self.suppressed:
            self.result.ops.append(Op(None, tuple(args), output, module=module))
            self.result.keep.append((module, args, output))


@contextmanager
def _installed(recorder: _Recorder, model):
    if _node_module._recorder is not None:
        raise RuntimeError(
            "onnx.export: another trace (autograd_engine.compile or an export) is running in "
            "this process; export when it is done"
        )
    handles = []
    for m in model.modules() if hasattr(model, "modules") else ():
        if _recurrent(m):
            handles.append(m.register_forward_pre_hook(recorder.module_pre))
            handles.append(m.register_forward_hook(recorder.module_post))
    _node_module._recorder = recorder
    _state.active = True
    try:
        yield
    finally:
        _node_module._recorder = None
        _state.active = False
        for h in handles:
            h.remove()


def trace(model, args: tuple, kwargs: dict) -> tuple[Trace, object]:
    """Run ``model(*args, **kwargs)`` once, recording it; returns (trace, outputs)."""
    result = Trace()
    recorder = _Recorder(result)
    with _installed(recorder, model):
        outputs = model(*args, **kwargs)
    result.keep.append(outputs)
    _check_no_inplace(result, outputs)
    return result, outputs


def _check_no_inplace(result: Trace, outputs) -> None:
    """In-place writes are not recorded: refuse a trace in which a tensor was changed between
    being made by one op and being read by another (or returned)."""
    made = {}
    for op in result.ops:
        if op.node is None:
            continue
        for t, v in zip(op.inputs, op.versions):
            if made.get(id(t), v) != v:
                raise _inplace_error(type(op.node).__name__, t)
        made[id(op.output)] = op.out_version
    for t in flatten(outputs):
        if made.get(id(t), t._version) != t._version:
            raise _inplace_error("the model's output", t)


def flatten(value) -> list:
    """The tensors of a (nested) tuple/list/dict of outputs, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten(v)]
    return []


def _inplace_error(reader: str, t: Tensor):
    from autograd_engine.onnx.errors import UnsupportedOperatorError

    return UnsupportedOperatorError(
        f"onnx.export: a tensor of shape {tuple(t.shape)} read by {reader} was "
        "changed in place during the forward pass (an in-place op such as relu_(), add_() or "
        "x += y); in-place writes cannot be exported. Use the out-of-place op in the model's "
        "forward (x = x + y, F.relu(x), nn.ReLU(inplace=False))."
    )
