"""The trace: one eager call of the compiled function with a recorder installed, which writes
down, in order, every array-level call the engine makes (each op's forward, each node's
backward, the sums and accumulations of the backward pass, optimizer steps and ``zero_grad``,
in-place writes) as steps over registers, and notices what it cannot replay."""

from __future__ import annotations

import copy
import os
import sys
import threading
from contextlib import contextmanager

from .. import anomaly, array_backend
from .. import node as _node_module
from ..grad_mode import _set as _set_grad_mode
from ..grad_mode import grad_enabled
from ..node import Node
from ..ops.stochastic import Dropout
from ..tensor import Tensor

_ARRAY_TYPES = array_backend.ARRAY_TYPES
_as_array = array_backend.ensure_array
# Nodes whose forward draws from a random generator, and how many draws each makes: a replay of
# the node draws again, so the random stream advances as in eager mode.
_RANDOM_NODES = {Dropout: 1}
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["autograd_engine"].__file__)))
_LIBRARY_DIRS = tuple(os.path.join(_ROOT, n) + os.sep for n in ("autograd_engine", "nn", "optim"))


_INSTALL = threading.Lock()


class Busy(Exception):
    """Another thread is tracing: this call runs eagerly (and is traced on a later call)."""


class Unsupported(RuntimeError):
    """What ``fullgraph=True`` raises when the function cannot be captured whole."""


class Value:
    """One value of the program: ``reg`` is the program's own Tensor whose ``array`` holds the
    value's current array. ``kind``: "input" (argument ``index``), "external" (state that lives
    outside the program, read through ``live`` on every call: parameters, buffers), "const"
    (made once at trace time) or "step" (made by a step of the program)."""

    __slots__ = ("reg", "kind", "index", "live", "shape", "dtype")

    def __init__(self, reg: Tensor, kind: str, index: int = -1, live: Tensor | None = None):
        self.reg, self.kind, self.index, self.live = reg, kind, index, live
        self.shape, self.dtype = reg.array.shape, reg.array.dtype


class Step:
    """One step of the program: ``run()`` does its array work. ``kind`` and the values it reads
    (``ins``) and writes (``outs``) let the program builder reason about it."""

    __slots__ = ("kind", "run", "ins", "outs", "node", "info")

    def __init__(self, kind, run, ins=(), outs=(), node=None, info=None):
        self.kind, self.run, self.ins, self.outs, self.node, self.info = (
            kind,
            run,
            tuple(ins),
            tuple(outs),
            node,
            info,
        )


def user_frame() -> str:
    """``file:line`` of the innermost frame outside the library (where the user's code is)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = os.path.abspath(frame.f_code.co_filename)
        if not name.startswith(_LIBRARY_DIRS):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class Recorder:
    """Installed in ``autograd_engine.node._recorder`` for the duration of one traced call.

    The hooks in the core call ``record_node`` (every op), ``run_backward`` (a backward pass,
    which the recorder then runs itself, step by step), ``opaque_call`` (``optimizer.step()``,
    ``zero_grad()``: replayed as they are), ``apply_inplace`` (in-place writes) and
    ``host_read`` (``item()``, ``bool()``, ``numpy()``). Only the tracing thread is recorded.
    """

    def __init__(self, fullgraph: bool, name: str):
        self.thread = threading.get_ident()
        self.fullgraph, self.name = fullgraph, name
        self.suspended = 0
        self.failed: str | None = None
        self.steps: list[Step] = []
        self.inputs: list[Value] = []
        self.externals: list[Value] = []
        self.by_tensor: dict[int, Value] = {}
        self.by_array: dict[int, Value] = {}
        self.keep: list = []  # everything whose id() is a key above stays alive
        self.program_nodes: dict[int, Node] = {}
        self.forward_of: dict[int, tuple] = {}  # id(node) -> (ins, out) of its forward step
        self.backward_done: set[int] = set()  # ids of nodes whose backward the trace ran
        self.leaves: list = []  # (leaf value, leaf tensor) accumulated into
        self.opaque: list = []  # the bound methods replayed as they are
        self.draws = 0  # random draws not yet explained by a random node
        self._generators: dict = {}
        self.ran_backward = False
        self.region = None  # the recorded backward of a forward compiled alone

    # --- installation -----------------------------------------------------------------------
    @contextmanager
    def installed(self):
        """Install the recorder for the traced call; raises ``Busy`` when another thread is
        tracing (one trace at a time: the hooks are module globals)."""
        with _INSTALL:
            if _node_module._recorder is not None:
                raise Busy
            _node_module._recorder = self
        self._wrap_generators()
        try:
            yield self
        finally:
            _node_module._recorder = None
            self._unwrap_generators()

    def claims(self) -> bool:
        """Whether the current call is to be recorded (the tracing thread, not inside a call
        that is replayed as a whole, and nothing unsupported seen yet)."""
        return self.suspended == 0 and self.failed is None and threading.get_ident() == self.thread

    @contextmanager
    def suspend(self):
        self.suspended += 1
        try:
            yield
        finally:
            self.suspended -= 1

    def fail(self, reason: str) -> None:
        """Mark the trace unsupported (the call goes on eagerly); raise under fullgraph."""
        if self.failed is not None:
            return
        self.failed = f"{reason} (at {user_frame()})"
        if self.fullgraph:
            raise Unsupported(
                f"autograd_engine.compile(fullgraph=True): cannot capture {self.name}: "
                f"{self.failed}"
            )

    def finish(self, result, output_spec):
        """At the end of the traced call: what the result is made of (None if unsupported).
        Outputs still to be differentiated (a forward compiled alone) get their backward
        recorded as a region (see ``_region``)."""
        from ._region import trace_region

        if self.draws:
            self.fail("a random number was drawn outside an operation that redraws it")
        tensors = [t for t in _flat_tensors(result) if self.value_of(t).kind == "step"]
        self.out_values = [self.value_of(t) for t in tensors]
        pending = [
            t
            for t in tensors
            if t.requires_grad and t.grad_fn is not None and id(t.grad_fn) not in self.backward_done
        ]
        if pending and self.failed is None:
            if self.ran_backward:
                self.fail(
                    "the function returns a tensor that requires grad besides running a "
                    "backward pass (return the loss only, or detached tensors)"
                )
            else:
                self.region = trace_region(self, tensors)
        spec = output_spec(self, result)
        return None if self.failed is not None else spec

    # --- values -------------------------------------------------------------------------------
    def _register(self, t, value: Value) -> Value:
        self.by_tensor[id(t)] = value
        self.by_array[id(t.array)] = value
        self.by_tensor[id(value.reg)] = value
        self.keep += (t, t.array)
        return value

    def add_input(self, t: Tensor, index: int) -> Value:
        known = self.by_tensor.get(id(t))
        if known is not None:
            return known
        value = Value(Tensor._make(t.array), "input", index, t)
        self.inputs.append(value)
        return self._register(t, value)

    def value_of(self, t: Tensor) -> Value:
        """The value a tensor seen by the trace holds (an external one when it is new)."""
        value = self.by_tensor.get(id(t))
        if value is not None:
            return value
        value = self.by_array.get(id(t.array))
        if value is not None:  # another tensor on a known array (detach(), .data)
            self.by_tensor[id(t)] = value
            self.keep.append(t)
            return value
        base = t.array.base
        while base is not None:
            if id(base) in self.by_array:
                self.fail(
                    "a view of a value computed in the step was made outside the recorded "
                    "operations (through .array or NumPy)"
                )
                break
            base = base.base
        value = Value(Tensor._make(t.array), "external", live=t)
        self.externals.append(value)
        return self._register(t, value)

    def new_value(self, array, kind: str = "step") -> Value:
        value = Value(Tensor._make(_as_array(array)), kind)
        self.by_tensor[id(value.reg)] = value
        self.by_array[id(value.reg.array)] = value
        self.keep.append(value.reg.array)
        return value

    def _rebound(self, value: Value) -> None:
        """After a step ran at trace time: its output array is this value's now."""
        self.by_array[id(value.reg.array)] = value
        self.keep.append(value.reg.array)

    def run_step(self, step: Step) -> Step:
        """Append a step and run it now: the traced call gets its results from the very code
        that the replays run."""
        self.steps.append(step)
        step.run()
        for value in step.outs:
            if value is not None:
                self._rebound(value)
        return step

    # --- forward --------------------------------------------------------------------------
    def record_node(self, node: Node, inputs, result: Tensor) -> None:
        if not self.claims():
            return
        if _node_module._saved_hooks.get():
            self.fail("saved-tensor hooks (autograd.graph.saved_tensors_hooks) are active")
            return
        if self.draws:
            expected = _RANDOM_NODES.get(type(node))
            if expected is None or expected != self.draws:
                self.fail(
                    "a random number was drawn outside an operation that redraws it when "
                    "replayed (e.g. ag.randn or an in-place uniform_/normal_ inside the step)"
                )
                return
            self.draws = 0
        ins = tuple(self.value_of(t) for t in inputs)
        out = Value(Tensor._make(result.array), "step")
        self._register(result, out)
        self.forward_of[id(node)] = (ins, out)
        self.keep.append(node)
        self.steps.append(Step("forward", None, ins, (out,), node, info=id(node)))

    def program_node(self, node: Node) -> Node:
        """The program's own copy of ``node``: what it saved now refers to registers, so a
        replay that rebinds the registers' arrays is what its backward reads."""
        pn = self.program_nodes.get(id(node))
        if pn is not None:
            return pn
        pn = copy.copy(node)
        saved = node.__dict__.get("_saved")
        if saved and isinstance(saved[0], Tensor):
            pn._saved = tuple(self.value_of(t).reg for t in saved)
            pn._saved_versions = (0,) * len(saved)
        if node.__dict__.get("_save_out") and "_out_vc" in node.__dict__:
            pn._out_vc, pn._out_version = [0], 0
        self.program_nodes[id(node)] = pn
        return pn

    # --- backward ---------------------------------------------------------------------------
    def run_backward(self, outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate):
        from . import _backward

        if create_graph:
            self.fail("backward(create_graph=True) (higher-order gradients)")
        elif inputs is not None or not accumulate:
            self.fail("autograd_engine.grad() or backward(inputs=...)")
        elif anomaly.current()[0]:
            self.fail("anomaly detection is on")
        if self.failed is not None:
            from ..engine import run_backward

            with self.suspend():
                return run_backward(
                    outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate
                )
        self.ran_backward = True
        return _backward.trace_backward(self, outputs, grad_outputs)

    def set_grad_mode_step(self, mode: bool) -> None:
        def run():
            _set_grad_mode(mode)

        self.run_step(Step("grad_mode", run, info=mode))

    # --- what is replayed as a whole ------------------------------------------------------
    def opaque_call(self, method, *args):
        """``optimizer.step()``, ``optimizer.zero_grad()``, ``module.zero_grad()``,
        ``nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (work on parameters and their
        gradients only): the replay calls the same function again, so hyperparameters and state
        are read then. A tensor it returns is a value of the program (set on every replay)."""
        if args and getattr(method, "__name__", "") == "step" and args[0] is not None:
            self.fail("optimizer.step(closure) (the closure re-evaluates the model)")
        if self.failed is not None:
            with self.suspend():
                return method(*args)
        with self.suspend():
            result = method(*args)
        self.opaque.append(method)
        if not isinstance(result, Tensor):
            self.steps.append(Step("call", lambda: method(*args), info=method))
            return result
        value = self.new_value(result.array)
        self._register(result, value)
        reg = value.reg

        def run():
            reg.array = method(*args).array

        self.steps.append(Step("call", run, (), (value,), info=method))
        return result

    def apply_inplace(self, apply_fn, t, compute, others, fast, needs_old):
        """An in-place write outside the graph: replayed on the same register (or the live
        tensor); writes recorded in the graph and writes into inputs are not supported."""
        recorded = grad_enabled() and (
            t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
        )
        target = self.by_tensor.get(id(t)) or self.by_array.get(id(t.array))
        if recorded:
            self.fail(f"an in-place operation on a tensor that requires grad ({tuple(t.shape)})")
        elif target is not None and target.kind == "input":
            self.fail("an in-place write into an input of the compiled function")
        elif t._base is not None:
            self.fail("an in-place write into a view")
        if self.failed is not None:
            with self.suspend():
                return apply_fn(t, compute, others, fast, needs_old)
        value = self.value_of(t)
        if fast is not None:
            args = [self.value_of(o) if isinstance(o, Tensor) else o for o in others]
            regs = [a.reg if isinstance(a, Value) else a for a in args]
            reg = value.reg

            def run():
                fast(reg.array, *[r.array if isinstance(r, Tensor) else r for r in regs])

            self.run_step(Step("inplace", run, [value, *[a for a in args if isinstance(a, Value)]]))
        else:
            out = self.value_of(compute(t, *others))
            reg, src = value.reg, out.reg

            def run():
                if src.array is not reg.array:
                    reg.array[...] = src.array

            self.run_step(Step("inplace", run, (value, out)))
        if value.kind == "external":  # parameters and buffers see the write, as in eager mode

            def bump():
                t._counter()[0] += 1

            self.run_step(Step("version", bump))
        else:
            t._counter()[0] += 1
        return t

    def host_read(self, t: Tensor, what: str) -> None:
        if self.claims():
            self.fail(
                f"Tensor.{what} reads a value on the host inside the step (the code after it "
                "may depend on the value, so it cannot be replayed); return the tensor and "
                "read it outside the compiled function"
            )

    # --- random generators --------------------------------------------------------------------
    def _wrap_generators(self) -> None:
        array_backend.generator_for(array_backend.CPU)  # made now (from the seed) if missing
        gens = array_backend._generators.by_device
        for dev, gen in list(gens.items()):
            self._generators[dev] = gen
            gens[dev] = _CountingGenerator(gen, self)

    def _unwrap_generators(self) -> None:
        gens = array_backend._generators.by_device
        for dev, gen in self._generators.items():
            if isinstance(gens.get(dev), _CountingGenerator):
                gens[dev] = gen


class _CountingGenerator:
    """A device's default generator during a trace: counts the draws, so that a draw made
    outside a random node (which a replay would not repeat) is noticed."""

    def __init__(self, gen, recorder: Recorder):
        self._gen, self._recorder = gen, recorder

    def __getattr__(self, name):
        attr = getattr(self._gen, name)
        if callable(attr) and name not in ("bit_generator", "spawn"):
            recorder = self._recorder

            def draw(*args, **kwargs):
                if recorder.claims():
                    recorder.draws += 1
                return attr(*args, **kwargs)

            return draw
        return attr


def _flat_tensors(obj) -> list:
    """The tensors of a (nested) result, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for x in obj for t in _flat_tensors(x)]
    if isinstance(obj, dict):
        return [t for x in obj.values() for t in _flat_tensors(x)]
    return []


def ensure_array(out):
    return out if type(out) in _ARRAY_TYPES else _as_array(out)
