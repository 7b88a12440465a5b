"""The program a trace produces: a flat list of steps over registers, replayed without
building a Tensor, a Node or a graph. Inputs are bound into their registers, parameters and
buffers are read from the live tensors, and the outputs are rebuilt in the function's shape."""

from __future__ import annotations

import threading

from .. import array_backend
from ..grad_mode import _set as _set_grad_mode
from ..grad_mode import grad_enabled
from ..node import Node
from ..tensor import Tensor
from . import _rules as rules
from ._trace import Recorder, Step, Value, ensure_array

_ARRAY_TYPES = array_backend.ARRAY_TYPES
# What Node itself keeps (saved values, hooks): never an input of the op.
_NODE_STATE = frozenset(
    ("_saved", "_saved_versions", "_save_out", "_out_data", "_out_vc", "_out_version", "_extra",
     "_hooks", "_retain", "_trace")
)  # fmt: skip


class GuardMiss(Exception):
    """A parameter or buffer changed shape, dtype or device since the trace."""


class Program:
    """Steps and registers of one traced signature."""

    def __init__(self, rec: Recorder, outputs):
        self.inputs: list[Value] = rec.inputs
        self.externals: list[Value] = rec.externals
        self.leaves: list[Value] = rec.leaves
        self.opaque = list(rec.opaque)
        self.outputs = outputs
        self.out_values: list[Value] = rec.out_values
        self.region = rec.region
        self.lock = threading.RLock()
        if self.region is not None:
            self.region.lock = self.lock
        if self.region is not None:
            # NOTE: imported here: the region's Function lives in autograd_engine.autograd,
            # which a bare `import autograd_engine` does not import.
            from ._region import RegionCall, RegionNode

            self._node_type, self._function_type = RegionNode, RegionCall
        self.steps: list[Step] = rec.steps
        for step in self.steps:
            if step.run is None:
                step.run, hidden = forward_step(rec, step)
                step.node = rec.program_node(step.node)
                step.ins += tuple(hidden)
        if rules.enabled and self.region is None:  # (a region keeps each call's arrays)
            rules.apply(rec, self.steps, outputs)
        self.runs = _merged_runs(self.steps)
        self._external_checks = [
            (v, v.live, v.shape, v.dtype, type(v.reg.array)) for v in self.externals
        ]

    def replay(self, tensors: list[Tensor]):
        """Run the program on the call's input tensors (flattened arguments). One call at a
        time: the registers are the program's (calls from several threads wait in turn)."""
        with self.lock:
            return self._replay(tensors)

    def _replay(self, tensors: list[Tensor]):
        region = self.region
        if region is not None and grad_enabled():
            targets = [tensors[v.index] if v.kind == "input" else v.live for v, _ in region.targets]
            if any(t.requires_grad for t in targets):
                if len(self.out_values) == 1 and region.grads[0] is not None:
                    outs = (self._node_type(self, tensors)(*targets),)
                else:
                    outs = self._function_type.apply(self, tensors, *targets)
                return rebuild(self.outputs, {id(v): t for v, t in zip(self.out_values, outs)})
        self.forward_arrays(tensors)
        return rebuild(self.outputs)

    def forward_arrays(self, tensors: list[Tensor]) -> list:
        """Bind the inputs, run the steps; the output values' arrays."""
        for value in self.inputs:
            t = tensors[value.index]
            value.reg.array = t.array
            value.live = t
        for value, live, shape, dtype, kind in self._external_checks:
            a = live.array
            if a is value.reg.array:  # the same array as on the last call: nothing to check
                continue
            if a.shape != shape or a.dtype != dtype or type(a) is not kind:
                raise GuardMiss(
                    f"a tensor the step reads changed from {tuple(shape)} {dtype} to "
                    f"{tuple(a.shape)} {a.dtype}"
                )
            value.reg.array = a
        mode = grad_enabled()
        try:
            for run in self.runs:
                run()
        finally:
            _set_grad_mode(mode)
        return [v.reg.array for v in self.out_values]

    def state_tensors(self) -> list[Tensor]:
        """The live tensors the program reads or writes: parameters, buffers, leaves, and the
        tensors its nodes hold (BatchNorm's running statistics, which its forward moves)."""
        out = [v.live for v in self.externals]
        out += [v.live for v in self.leaves if v.kind == "external"]
        registers = {id(v.reg) for s in self.steps for v in (*s.ins, *s.outs) if v is not None}
        for step in self.steps:
            if step.node is None:
                continue
            for attr in step.node.__dict__.values():
                items = attr if isinstance(attr, tuple) else (attr,)
                out += [t for t in items if isinstance(t, Tensor) and id(t) not in registers]
        return out

    def draws_on_a_gpu(self) -> bool:
        """Whether a node of the program draws random numbers from a GPU's generator (whose
        state cannot be saved and restored, so the first replay cannot be checked)."""
        from ..ops.stochastic import Dropout

        return any(
            type(s.node) is Dropout and type(s.ins[0].reg.array) is not array_backend.numpy.ndarray
            for s in self.steps
            if s.kind == "forward"
        )

    def describe(self) -> str:
        kinds: dict[str, int] = {}
        for step in self.steps:
            kinds[step.kind] = kinds.get(step.kind, 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in kinds.items())
        return f"{len(self.steps)} steps ({parts})"


def _merged_runs(steps: list[Step]) -> list:
    """The runs to call, in order: consecutive accumulations as one run, and on the CPU the
    grad-mode switches around a backward pass dropped when every step in it works on arrays
    only (no Tensor-op backward, which must not be recorded)."""
    keep = [True] * len(steps)
    start = None
    for i, step in enumerate(steps):
        if step.kind == "grad_mode" and step.info is False:
            start = i
        elif step.kind == "grad_mode" and start is not None:
            inside = steps[start + 1 : i]
            if all(_array_only(s) for s in inside):
                keep[start] = keep[i] = False
            start = None
    runs, batch = [], []
    for step, k in zip(steps, keep):
        if not k:
            continue
        if step.kind == "accumulate":
            batch.append(step.run)
            continue
        if batch:
            runs.append(_batch(batch))
            batch = []
        runs.append(step.run)
    if batch:
        runs.append(_batch(batch))
    return runs


def _array_only(step: Step) -> bool:
    if step.kind == "backward" and step.info[1]:  # (a rule may fall back to it on some calls)
        return False
    arrays = [v.reg.array for v in (*step.ins, *step.outs) if v is not None]
    return step.kind in ("backward", "add", "sum_to", "accumulate") and all(
        type(a) is array_backend.numpy.ndarray for a in arrays
    )


def _batch(runs: list):
    if len(runs) == 1:
        return runs[0]

    def run():
        for r in runs:
            r()

    return run


# --- forward steps ----------------------------------------------------------------------------
def forward_step(rec: Recorder, step: Step):
    """Replay one op: ``node.forward`` on the registers' arrays, the result bound to the output
    register, and what the node saved for backward pointed at the registers again. Returns the
    run and the values the node reads through its attributes."""
    pn = rec.program_node(step.node)
    ins = [v.reg for v in step.ins]
    out = step.outs[0].reg
    fwd = pn.forward
    hidden, hidden_values = _hidden_inputs(rec, pn)
    saved = pn.__dict__.get("_saved")
    if not (saved and isinstance(saved[0], Tensor)):
        saved = None
    save_out = "_out_vc" in pn.__dict__

    if len(ins) == 1:
        (a,) = ins

        def compute():
            return fwd(a.array)

    elif len(ins) == 2:
        a, b = ins

        def compute():
            return fwd(a.array, b.array)

    else:

        def compute():
            return fwd(*[r.array for r in ins])

    if not hidden and saved is None and not save_out:

        def run():
            o = compute()
            out.array = o if type(o) in _ARRAY_TYPES else ensure_array(o)

        return run, hidden_values

    def run():
        for name, make in hidden:
            setattr(pn, name, make())
        o = compute()
        if type(o) not in _ARRAY_TYPES:
            o = ensure_array(o)
        out.array = o
        if saved is not None:
            pn._saved = saved
        if save_out:
            pn._out_data = o

    return run, hidden_values


def _hidden_inputs(rec: Recorder, pn: Node) -> list:
    """Attributes of a node that hold arrays of the step's values (the class indices of a
    cross-entropy, an index tensor): ``(name, make)`` pairs that rebind them on a replay.
    Tensor attributes holding values are pointed at the registers once, here. Returns the pairs
    and the values so read."""
    hidden, values = [], []
    for name, attr in list(pn.__dict__.items()):
        if name in _NODE_STATE:
            continue
        if isinstance(attr, Tensor):
            value = rec.by_tensor.get(id(attr))
            if value is not None and value.kind in ("step", "input"):
                setattr(pn, name, value.reg)
                values.append(value)
        elif type(attr) in _ARRAY_TYPES:
            value = rec.by_array.get(id(attr))
            if value is not None and value.kind in ("step", "input"):
                reg = value.reg
                hidden.append((name, lambda reg=reg: reg.array))
                values.append(value)
        elif isinstance(attr, tuple) and any(
            type(x) in _ARRAY_TYPES or isinstance(x, Tensor) for x in attr
        ):
            parts, live = [], False
            for x in attr:
                key = id(x) if type(x) in _ARRAY_TYPES else None
                value = rec.by_array.get(key) if key is not None else None
                if value is not None and value.kind in ("step", "input"):
                    parts.append(value.reg)
                    values.append(value)
                    live = True
                else:
                    parts.append(x)
            if live:
                hidden.append((name, _tuple_maker(parts)))
    return hidden, values


def _tuple_maker(parts):
    regs = [(i, p) for i, p in enumerate(parts) if isinstance(p, Tensor)]

    def make():
        out = list(parts)
        for i, reg in regs:
            out[i] = reg.array
        return tuple(out)

    return make


# --- outputs ----------------------------------------------------------------------------------
def output_spec(rec: Recorder, obj):
    """The shape of the function's result, with each tensor replaced by its value."""
    if isinstance(obj, Tensor):
        value = rec.value_of(obj)
        return ("tensor", value)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", type(obj), [output_spec(rec, x) for x in obj])
    if isinstance(obj, (tuple, list)):
        return ("seq", type(obj), [output_spec(rec, x) for x in obj])
    if isinstance(obj, dict):
        return ("dict", type(obj), [(k, output_spec(rec, v)) for k, v in obj.items()])
    return ("const", obj)


def rebuild(spec, given: dict | None = None):
    """The function's result from its spec; ``given``: tensors to use for some values."""
    kind = spec[0]
    if kind == "tensor":
        value = spec[1]
        if given is not None and id(value) in given:
            return given[id(value)]
        if value.kind in ("external", "input"):
            return value.live
        a = value.reg.array
        return Tensor._make(a.copy() if value.kind == "const" else a)
    if kind == "const":
        return spec[1]
    if kind == "namedtuple":
        return spec[1](*[rebuild(s, given) for s in spec[2]])
    if kind == "seq":
        return spec[1](rebuild(s, given) for s in spec[2])
    return spec[1]((k, rebuild(s, given)) for k, s in spec[2])
