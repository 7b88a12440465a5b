"""A compiled function: its cache of programs by guard key, and what happens on a call (trace
on a new key, check the new program against eager mode on its first replay, then replay)."""

from __future__ import annotations

import functools
import types
import warnings
import weakref

from .. import array_backend
from .. import node as _node
from ..tensor import Tensor
from ._cuda_graph import CannotCapture, GraphedProgram
from ._program import GuardMiss, Program, output_spec
from ._state import Reach, Snapshot, all_modules, call_key, output_differences
from ._trace import Busy, Recorder, Unsupported

_compiled: weakref.WeakSet = weakref.WeakSet()  # every compiled function, for reset()


class CompileWarning(UserWarning):
    """A compiled function runs eagerly for some calls (why is in the message)."""


class _Entry:
    __slots__ = ("program", "reason", "verified", "graphed", "note")

    def __init__(self, program: Program | None = None, reason: str | None = None):
        self.program, self.reason, self.verified = program, reason, False
        self.graphed = None  # the program as CUDA graphs (mode="reduce-overhead")
        self.note = ""


class CompiledFunction:
    """What ``autograd_engine.compile(fn)`` returns: call it as ``fn``.

    The first call with a new guard key runs ``fn`` eagerly while tracing it; the second runs
    it eagerly once more and replays the new program from the same starting state, and keeps
    the program only if every result, gradient, parameter, optimizer state and the random
    generator agree bit for bit (on the CPU); later calls replay it.
    """

    def __init__(self, fn, *, fullgraph: bool, cudagraphs: bool, recompile_limit: int):
        self._orig_fn = fn
        self.fullgraph, self.cudagraphs = fullgraph, cudagraphs
        self.recompile_limit = recompile_limit
        self._cache: dict = {}
        self._warned: set[str] = set()
        self._reach = Reach(fn)
        functools.update_wrapper(self, fn, updated=())
        self._name = getattr(fn, "__qualname__", None) or type(fn).__name__
        _compiled.add(self)

    def __get__(self, obj, objtype=None):
        return self if obj is None else types.MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<compiled {self._name}: {len(self._cache)} traced signature(s)>"

    # --- calls ------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _node._recorder is not None:  # inside another trace: run inline, so it is recorded
            return self._orig_fn(*args, **kwargs)
        modules, optimizers, every_module = self._reach.get(args, kwargs)
        tensors: list = []
        key = call_key(args, kwargs, tensors, every_module, optimizers)
        entry = self._cache.get(key)
        if entry is None:
            if len(self._cache) >= self.recompile_limit:
                message = (
                    f"{self._name} has been traced for {self.recompile_limit} different "
                    "signatures (recompile_limit); new ones run eagerly. Input shapes, dtypes, "
                    "devices, Python number arguments, grad mode and train/eval mode each make "
                    "a signature."
                )
                if self.fullgraph:
                    raise Unsupported(f"autograd_engine.compile(fullgraph=True): {message}")
                self._warn("limit", message)
                return self._orig_fn(*args, **kwargs)
            return self._trace(key, args, kwargs, tensors, modules)
        program = entry.program
        if program is None:
            return self._orig_fn(*args, **kwargs)
        if not entry.verified:
            return self._verify(key, entry, args, kwargs, tensors, modules, optimizers)
        try:
            if entry.graphed is not None:
                try:
                    return entry.graphed.replay(tensors)
                except CannotCapture as exc:
                    entry.graphed = None
                    self._warn_no_graph(exc)
            return program.replay(tensors)
        except GuardMiss:
            del self._cache[key]
            return self(*args, **kwargs)

    def _trace(self, key, args, kwargs, tensors, modules):
        rec = Recorder(self.fullgraph, self._name)
        for i, t in enumerate(tensors):
            rec.add_input(t, i)
        for m in all_modules(modules):
            if m._forward_hooks or m._forward_pre_hooks:
                rec.fail(f"a forward hook on {type(m).__name__} runs Python code in the step")
        spec = None
        try:
            with rec.installed():
                result = self._orig_fn(*args, **kwargs)
                if rec.failed is None:
                    spec = rec.finish(result, output_spec)
        except Busy:  # another thread is tracing: eagerly this time
            return self._orig_fn(*args, **kwargs)
        if rec.failed is not None:
            self._cache[key] = _Entry(reason=rec.failed)
            self._warn(rec.failed, f"{self._name} runs eagerly for these inputs: {rec.failed}")
        else:
            self._cache[key] = _Entry(Program(rec, spec))
        return result

    def _verify(self, key, entry, args, kwargs, tensors, modules, optimizers):
        """Run the step eagerly, then replay it from the same starting state; keep the program
        only if both end in the same state (else this signature runs eagerly from now on)."""
        program = entry.program
        if program.draws_on_a_gpu():  # the check would draw twice: trust the trace
            entry.verified = True
            entry.note = " (not checked: a GPU's random generator cannot be rewound)"
            return program.replay(tensors)
        module_type, optimizer_type = _types()
        owners = [getattr(m, "__self__", None) for m in program.opaque]
        optimizers = list(optimizers) + [o for o in owners if isinstance(o, optimizer_type)]
        modules = all_modules(list(modules) + [o for o in owners if isinstance(o, module_type)])
        state = program.state_tensors()
        for m in modules:
            state += list(m.parameters(recurse=False)) + list(m.buffers(recurse=False))
        before = Snapshot(state, optimizers)
        result = self._orig_fn(*args, **kwargs)
        region = program.region
        if region is not None:  # differentiate both results the same way, then compare
            targets = [tensors[v.index] if v.kind == "input" else v.live for v, _ in region.targets]
            eager_grads = _probe_backward(result, targets)
        after_eager = Snapshot(state, optimizers)
        before.restore()
        try:
            replayed = program.replay(tensors)
            if region is not None:
                replayed_grads = _probe_backward(replayed, targets)
        except Exception as exc:  # noqa: BLE001  (any failure means: not this program)
            differences = [f"the replay raised {type(exc).__name__}: {exc}"]
        else:
            differences = after_eager.differences(Snapshot(state, optimizers))
            differences += output_differences(result, replayed)
            if region is not None:
                differences += output_differences(
                    eager_grads, replayed_grads, "the gradients of the result"
                )
        if not differences:
            entry.verified = True
            if self.cudagraphs:
                try:
                    entry.graphed = GraphedProgram(program)
                except CannotCapture as exc:
                    self._warn_no_graph(exc)
            return replayed
        after_eager.restore()
        entry.program = None
        entry.reason = (
            "its replay does not reproduce eager mode ("
            + "; ".join(dict.fromkeys(differences[:6]))
            + "): the step does work the trace cannot see (NumPy on .array, Python state, a "
            "tensor made from changing Python data)"
        )
        if self.fullgraph:
            raise Unsupported(
                f"autograd_engine.compile(fullgraph=True): cannot capture {self._name}: "
                f"{entry.reason}"
            )
        self._warn(entry.reason, f"{self._name} runs eagerly for these inputs: {entry.reason}")
        return result

    def _warn_no_graph(self, exc) -> None:
        if exc.quiet:
            return
        reason = f"no CUDA graph for {self._name}: {exc}; it is replayed without one"
        self._warn(reason, reason)

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(f"autograd_engine.compile: {message}", CompileWarning, stacklevel=4)

    # --- inspection ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every traced program (the next call traces again)."""
        self._cache.clear()
        self._warned.clear()

    def explain(self) -> list[str]:
        """One line per traced signature: its program, or why it runs eagerly."""
        out = []
        for entry in self._cache.values():
            if entry.program is not None:
                state = "replayed" if entry.verified else "traced, checked on the next call"
                out.append(f"{state}: {entry.program.describe()}{entry.note}")
            else:
                out.append(f"eager: {entry.reason}")
        return out


def _probe_backward(result, targets) -> list:
    """The gradients of ``targets`` for fixed pseudo-random upstream gradients of every output
    that requires grad (a check of a region's backward program against eager mode)."""
    from ..engine import grad
    from ._trace import _flat_tensors

    outs = [t for t in _flat_tensors(result) if t.requires_grad and t.grad_fn is not None]
    wanted = [t for t in targets if t.requires_grad]
    if not outs or not wanted:
        return []
    rng = array_backend.numpy.random.default_rng(0)
    upstream = [
        Tensor._make(t.device.xp.asarray(rng.standard_normal(t.shape).astype(t.dtype)))
        for t in outs
    ]
    # NOTE: retain_graph: the graph behind the inputs (outside the function) stays usable
    return list(grad(outs, wanted, upstream, retain_graph=True, allow_unused=True))


def _types():
    from autograd_engine.nn import Module
    from autograd_engine.optim import Optimizer

    return Module, Optimizer
