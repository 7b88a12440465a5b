"""The backward pass of a traced step: the engine's algorithm (``engine.run_backward`` with
``create_graph=False``, its array walk ``_propagate_arrays``: consumer counts, the same ready
order, gradients summed in the same order, accumulation into ``.grad``), each array operation
written down as a step of the program and run at once, so the traced call and every replay
compute the same numbers."""

from __future__ import annotations

from ..engine import _as_tuple, _count_consumers, _root_grads, _sum_to
from ..grad_mode import grad_enabled
from ..node import Node
from ..tensor import Tensor
from ._trace import Recorder, Step, Value, ensure_array


def trace_backward(rec: Recorder, outputs, grad_outputs) -> dict:
    outputs = _as_tuple(outputs)
    problem = _unsupported(rec, outputs)
    if problem is not None:
        rec.fail(problem)
        from ..engine import run_backward

        with rec.suspend():
            return run_backward(outputs, grad_outputs, None, False, None, True)
    with rec.suspend():
        roots = _root_grads(outputs, grad_outputs)
    given = list(_as_tuple(grad_outputs)) if grad_outputs is not None else [None] * len(roots)
    root_values = [
        rec.value_of(g) if isinstance(g0, Tensor) else rec.new_value(g.array, "const")
        for g, g0 in zip(roots, given)
    ]
    mode = grad_enabled()
    rec.set_grad_mode_step(False)

    pending: dict[Node, Value] = {}
    leaf_grads: dict[int, list] = {}
    for out, g in zip(outputs, root_values):
        node = out.grad_fn
        if node is None:
            _add_leaf(rec, leaf_grads, out, g)
        elif node in pending:
            pending[node] = _add(rec, pending[node], g)
        else:
            pending[node] = g
    deps = _count_consumers(pending, {})
    ready = [node for node in pending if deps[node] == 0]
    done, node_leaves = [], {}  # the leaf gradients that come from nodes, as the engine keeps them
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        in_grads = _node_backward(rec, node, grad)
        done.append(node)
        for nxt, g, shape in zip(node.next_edges, in_grads, node.in_shapes):
            if nxt is None or g is None:
                continue
            if g.reg.array.shape != shape:
                src = g.reg
                g = _computed(
                    rec, "sum_to", lambda src=src, shape=shape: _sum_to(src.array, shape), (g,)
                )
            if isinstance(nxt, Node):
                prev = pending.get(nxt)
                pending[nxt] = g if prev is None else _add(rec, prev, g)
                count = deps[nxt] - 1
                deps[nxt] = count
                if count == 0:
                    ready.append(nxt)
            else:
                _add_leaf(rec, node_leaves, nxt, g)
    for key, (leaf, g) in node_leaves.items():
        entry = leaf_grads.get(key)
        if entry is None:
            leaf_grads[key] = [leaf, g]
        else:  # a root that is itself a leaf
            entry[1] = _add(rec, entry[1], g)
    owned: set[int] = set()
    root_arrays = [g.array for g in roots]
    for leaf, g in leaf_grads.values():
        _accumulate(rec, leaf, g, root_arrays, owned)
    rec.set_grad_mode_step(mode)
    for node in done:  # eager mode frees what the graph saved (the program has its own copies)
        node.release()
    return {}


def _unsupported(rec: Recorder, outputs) -> str | None:
    """Why this backward cannot be traced (hooks, retain_grad, a rebased view, a node the trace
    did not see made), or None."""
    for t in outputs:
        if t._base is not None and t._base.grad_fn is not t._view_fn:
            return "backward() from a view whose base was modified in place"
    roots = {t.grad_fn for t in outputs if t.grad_fn is not None}
    leaves = [t for t in outputs if t.grad_fn is None]
    for node in _count_consumers(roots, {}):
        if id(node) not in rec.forward_of:
            return (
                f"backward through {node.name()}, which the trace did not see made (an "
                "autograd.Function, or a graph built before the compiled function was called)"
            )
        if node._hooks:
            return "a hook on a tensor (register_hook) runs Python code during backward"
        if node._retain is not None:
            return "retain_grad() on a tensor of the step"
        leaves += [t for t in node.next_edges if t is not None and not isinstance(t, Node)]
    for leaf in leaves:
        if leaf._hooks or getattr(leaf, "_post_hooks", None):
            return (
                "a hook on a parameter (register_hook, register_post_accumulate_grad_hook, "
                "DistributedDataParallel) runs Python code during backward"
            )
        if leaf.grad is not None and leaf.grad.requires_grad:
            return "a .grad that requires grad (made by backward(create_graph=True))"
    return None


def _computed(rec: Recorder, kind: str, compute, ins, node=None) -> Value:
    """A step whose output array is ``compute()``: run once now, then on every replay."""
    value = rec.new_value(ensure_array(compute()))
    reg = value.reg

    def run():
        reg.array = ensure_array(compute())

    rec.steps.append(Step(kind, run, ins, (value,), node))
    return value


def _add(rec: Recorder, a: Value, b: Value) -> Value:
    ra, rb = a.reg, b.reg
    return _computed(rec, "add", lambda: ra.array + rb.array, (a, b))


def _add_leaf(rec: Recorder, leaf_grads: dict, leaf: Tensor, g: Value) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = _add(rec, entry[1], g)


def _node_backward(rec: Recorder, node: Node, grad: Value) -> list:
    """The node's backward as a step: ``backward_arrays`` on arrays where the node has one,
    else its Tensor-op ``backward`` (which then builds tensors on every replay)."""
    rec.backward_done.add(id(node))
    pn = rec.program_node(node)
    greg = grad.reg
    fast = getattr(pn, "backward_arrays", None)
    if fast is not None:

        def call():
            res = fast(greg.array)
            return res if type(res) is tuple else (res,)

    else:

        def call():
            res = pn.backward(Tensor._make(greg.array))
            if not isinstance(res, tuple):
                res = (res,)
            return tuple(None if r is None else r.array for r in res)

    with rec.suspend():
        res = call()
    outs, slots = [], []
    for i, r in enumerate(res):
        if r is None:
            outs.append(None)
            continue
        value = rec.new_value(ensure_array(r))
        outs.append(value)
        slots.append((i, value.reg))

    def run():
        res = call()
        for i, reg in slots:
            reg.array = ensure_array(res[i])

    reads = [grad]  # and what the node saved, for the program's liveness analysis
    saved = pn.__dict__.get("_saved")
    if saved and isinstance(saved[0], Tensor):
        reads += [rec.by_tensor[id(r)] for r in saved]
    if "_out_vc" in pn.__dict__ and id(node) in rec.forward_of:
        reads.append(rec.forward_of[id(node)][1])
    outs_made = [v for v in outs if v is not None]
    info = (id(node), fast is None)  # True: the Tensor-op backward (needs grad mode off)
    rec.steps.append(Step("backward", run, reads, outs_made, pn, info=info))
    return outs


def _accumulate(rec: Recorder, leaf: Tensor, g: Value, root_arrays, owned: set) -> None:
    """``engine._accumulate`` as a step: into ``leaf.grad`` (read on every replay, since
    ``zero_grad`` may or may not have run), in place when it exists."""
    target = rec.value_of(leaf)
    rec.leaves.append(target)
    src = g.reg
    array = src.array
    dtype = leaf.array.dtype if array.dtype != leaf.array.dtype else None
    copy = False
    if dtype is None:
        base = array
        while base.base is not None:
            base = base.base
        copy = (
            g.kind != "step"
            or not getattr(array.flags, "writeable", True)
            or (array.size > 1 and 0 in array.strides)
            or any(base is r or base is r.base for r in root_arrays)
            or id(base) in owned
        )
        if not copy:
            owned.add(id(base))

    def run():
        a = src.array
        if dtype is not None:
            a = a.astype(dtype)
        t = target.live
        grad = t.grad
        if grad is None:
            t.grad = Tensor._make(a.copy() if copy else a)
        else:
            grad.array += a

    rec.run_step(Step("accumulate", run, (g, target), (), info=target))
