"""A compiled forward whose outputs are differentiated later, outside the compiled function
(``model = compile(model)`` in an ordinary training loop): the trace also records the backward
of the traced graph, from the outputs to the inputs and parameters, as a second program. A
replay runs the forward program and gives its outputs one region node (an
``autograd.Function``) whose backward runs the backward program on what that call saved, so
several calls may be differentiated in any order."""

from __future__ import annotations

import threading

from ..autograd import Function
from ..engine import _sum_to
from ..grad_mode import grad_enabled
from ..node import Node
from ..tensor import Tensor
from ._backward import _add, _add_leaf, _computed, _node_backward
from ._trace import Recorder, Value


class Region:
    """The backward program of a traced forward, and what a call must keep for it."""

    def __init__(self, steps, grads, targets):
        self.lock = threading.RLock()  # the program's, set by the Program (shared registers)
        self.steps = steps
        self.runs = [s.run for s in steps]
        self.grads = grads  # per differentiable output position: its gradient's Value
        self.targets = targets  # (Value of an input or parameter, Value of its gradient)
        made = {id(v) for s in steps for v in s.outs if v is not None}
        read = {}
        for s in steps:
            for v in s.ins:
                if v is not None and id(v) not in made and v.kind in ("step", "input"):
                    read[id(v)] = v
        self.saved_regs = [v.reg for v in read.values()]
        self.nodes = list({id(s.node): s.node for s in steps if s.node is not None}.values())

    def frame(self) -> tuple:
        """What the backward program reads from this call's forward."""
        return (
            [(r, r.array) for r in self.saved_regs],
            [(n, dict(n.__dict__)) for n in self.nodes],
        )

    def backward(self, frame, grads) -> list:
        with self.lock:
            return self._backward(frame, grads)

    def _backward(self, frame, grads) -> list:
        regs, nodes = frame
        for reg, array in regs:
            reg.array = array
        for node, state in nodes:
            node.__dict__.update(state)
        for gv, g in zip(self.grads, grads):
            if gv is not None:
                gv.reg.array = g.array
        for run in self.runs:
            run()
        return [None if g is None else Tensor._make(g.reg.array) for _, g in self.targets]


_DOUBLE_BACKWARD = (
    "autograd_engine.compile: double backward (create_graph=True) through a compiled forward "
    "is not supported; compile the step without it, or call the uncompiled module for "
    "higher-order gradients"
)


class RegionNode(Node):
    """The node of one replayed call with a single output (the common case, and cheaper than
    an ``autograd.Function``): forward replays the forward program and keeps that call's
    saved values; its backward runs the backward program on them."""

    def __init__(self, program, tensors):
        self.program, self.tensors = program, tensors

    def forward(self, *targets):
        (out,) = self.program.forward_arrays(self.tensors)
        self.frame = self.program.region.frame()
        return out

    def backward(self, grad):
        # NOTE: no backward_arrays: this Tensor form is the only one, and it refuses to be
        # recorded (create_graph), where its gradients would silently be constants.
        if grad_enabled():
            raise RuntimeError(_DOUBLE_BACKWARD)
        return tuple(self.program.region.backward(self.frame, [grad]))

    def name(self) -> str:
        return "CompiledForwardBackward"


class RegionCall(Function):
    """The node of one replayed call: forward replays the forward program; backward runs the
    backward program on that call's saved values."""

    @staticmethod
    def forward(ctx, program, tensors, *targets):
        outs = program.forward_arrays(tensors)
        ctx.program, ctx.frame = program, program.region.frame()
        return tuple(Tensor._make(a) for a in outs)

    @staticmethod
    def backward(ctx, *grads):
        if grad_enabled():
            raise RuntimeError(_DOUBLE_BACKWARD)
        return (None, None, *ctx.program.region.backward(ctx.frame, grads))


def trace_region(rec: Recorder, outputs: list[Tensor]) -> Region | None:
    """Record the backward of the traced forward from ``outputs`` (a dry run on gradients of
    ones, whose numbers are thrown away), stopping at the inputs and parameters."""
    boundary: dict[int, Value] = {}  # the grad_fn of an input that has one -> that input
    for v in rec.inputs:
        t = v.live
        if t.requires_grad and t.grad_fn is not None:
            if id(t.grad_fn) in boundary:
                rec.fail("two inputs of the compiled function share one grad_fn")
                return None
            boundary[id(t.grad_fn)] = v
    steps, rec.steps = rec.steps, []
    try:
        return _trace(rec, outputs, boundary)
    finally:
        region_steps, rec.steps = rec.steps, steps
        rec.region_steps = region_steps


def _trace(rec, outputs, boundary) -> Region | None:
    grads: list = []
    pending: dict[Node, Value] = {}
    leaf_grads: dict[int, list] = {}
    for out in outputs:
        node = out.grad_fn
        if not out.requires_grad or node is None or not out.array.dtype.kind == "f":
            grads.append(None)
            continue
        g = rec.new_value(out.device.xp.ones_like(out.array), "grad")
        grads.append(g)
        if id(node) in boundary:  # an input handed through
            _add_leaf(rec, leaf_grads, boundary[id(node)], g)
        elif node in pending:
            pending[node] = _add(rec, pending[node], g)
        else:
            pending[node] = g
    deps: dict[Node, int] = dict.fromkeys(pending, 0)
    stack = list(pending)
    while stack:
        node = stack.pop()
        if id(node) not in rec.forward_of:
            rec.fail(f"the compiled forward's graph reaches {node.name()}, made outside it")
            return None
        if node._hooks or node._retain is not None:
            rec.fail("a hook or retain_grad() on a tensor of the compiled forward")
            return None
        for nxt in node.next_edges:
            if isinstance(nxt, Node) and id(nxt) not in boundary:
                count = deps.get(nxt)
                if count is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = count + 1
    ready = [node for node in pending if deps[node] == 0]
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        in_grads = _node_backward(rec, node, grad)
        for nxt, g, shape in zip(node.next_edges, in_grads, node.in_shapes):
            if nxt is None or g is None:
                continue
            if g.reg.array.shape != shape:
                src = g.reg
                g = _computed(
                    rec, "sum_to", lambda src=src, shape=shape: _sum_to(src.array, shape), (g,)
                )
            if isinstance(nxt, Node) and id(nxt) in boundary:
                _add_leaf(rec, leaf_grads, boundary[id(nxt)], g)
            elif isinstance(nxt, Node):
                prev = pending.get(nxt)
                pending[nxt] = g if prev is None else _add(rec, prev, g)
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    ready.append(nxt)
            else:
                if nxt._hooks or getattr(nxt, "_post_hooks", None):
                    rec.fail("a hook on a parameter runs Python code during backward")
                    return None
                _add_leaf(rec, leaf_grads, rec.value_of(nxt), g)
    return Region(rec.steps, grads, list(leaf_grads.values()))
