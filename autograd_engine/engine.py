"""The backward pass: order the graph without recursion, pass each node its complete gradient,
undo broadcasting once, accumulate into leaves (``backward``) or return gradients (``grad``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from . import anomaly as _anomaly
from . import array_backend
from . import node as _node
from .amp.autocast_mode import suspended as _autocast_suspended
from .array_backend import ARRAY_TYPES as _ARRAY_TYPES
from .array_backend import ensure_array as _as_array
from .grad_mode import grad_enabled as _grad_enabled
from .grad_mode import set_grad_enabled
from .node import Node
from .profiler import _record as _profiling
from .tensor import Tensor
from .views import refresh_view

_NUMPY_ARRAY = array_backend.numpy.ndarray


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple[Tensor, ...], grad_outputs) -> list[Tensor]:
    grad_outputs = list(_as_tuple(grad_outputs)) if grad_outputs is not None else []
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad_outputs has {len(grad_outputs)} entries but there are {len(outputs)} outputs; "
            "give one gradient per output (or None for scalar outputs)."
        )
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs else None
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                "it was not computed from a tensor with requires_grad=True (or grad was "
                "disabled). Call requires_grad_() on the inputs you want gradients for."
            )
        if g is None:
            if out.array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output has "
                    f"shape {tuple(out.shape)}. Pass gradient= (a tensor of that shape) to "
                    "backward(), or reduce the output first (e.g. .sum() or .mean())."
                )
            dev = out.device
            g = Tensor._make(array_backend.run_on(dev, dev.xp.ones, out.shape, out.array.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._make(array_backend.asarray(g, out.device, dtype=out.array.dtype))
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has shape {tuple(g.shape)} and output[{i}] "
                f"has shape {tuple(out.shape)}; the gradient must have the output's shape."
            )
        grads.append(g)
    return grads


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs,
    retain_graph: bool | None,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> dict:
    """The engine behind ``Tensor.backward`` and ``grad``, in three phases.

    1. ``_count_consumers``: how many consumers each node reachable from the outputs has.
    2. ``_propagate``: walk the graph with an explicit ready list; a node runs once all its
       consumers have passed it their gradients.
    3. ``_deliver``: with ``accumulate`` the leaves' ``.grad`` receive their gradients
       (restricted to ``inputs`` if given); otherwise the gradients of ``inputs`` are returned
       in a dict keyed by ``id``.

    Every piece of state lives in this call (no module-level state), so backward calls in
    different threads on different graphs do not interact.
    """
    rec = _node._recorder
    if rec is not None and rec.claims():  # a compiled step is being traced: it runs the pass
        return rec.run_backward(
            outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate
        )
    outputs = _as_tuple(outputs)
    if inputs is not None:
        inputs = _as_tuple(inputs)
    for t in outputs + (inputs or ()):
        if t._base is not None and t._base.grad_fn is not t._view_fn:
            refresh_view(t)  # a view whose base was modified in place since it was made
    grads = _root_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph

    # What to capture: leaves by identity, intermediate tensors through their node.
    wanted_leaves: set[int] | None = None
    wanted_nodes: dict[Node, Tensor] = {}
    if inputs is not None:
        wanted_leaves = set()
        for t in inputs:
            if t.grad_fn is None:
                wanted_leaves.add(id(t))
            else:
                wanted_nodes[t.grad_fn] = t
    captured: dict[int, Tensor] = {}

    pending: dict[Node, Tensor] = {}
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, grad]
    for out, g in zip(outputs, grads):
        node = out.grad_fn
        if node is None:
            _add_leaf_grad(leaf_grads, out, g)
        elif node in pending:
            pending[node] = pending[node] + g
        else:
            pending[node] = g
    leaf_deps: dict[int, int] = {}  # leaves with post-accumulate hooks: edges still to come
    deps = _count_consumers(pending, leaf_deps)
    owned: set[int] = set()  # the arrays already given to a leaf in this call

    def finish(leaf, g):  # NOTE: a hooked leaf is delivered once complete (PyTorch's timing),
        one = {id(leaf): [leaf, g]}  # so DDP's all-reduce overlaps the rest of backward
        _deliver(one, wanted_leaves, captured, accumulate, create_graph, grads, owned)

    early = (leaf_deps, finish)
    prof = _profiling._active  # the recording profiler, else None (one test per node)
    with set_grad_enabled(create_graph), _autocast_suspended():  # no autocast in backward
        if create_graph:
            _propagate(
                pending, deps, leaf_grads, wanted_nodes, captured, retain_graph, True, early, prof
            )
        else:
            _propagate_arrays(
                pending, deps, leaf_grads, wanted_nodes, captured, retain_graph, early, prof
            )
        _deliver(leaf_grads, wanted_leaves, captured, accumulate, create_graph, grads, owned)
    return captured


def _count_consumers(roots, leaf_deps: dict) -> dict[Node, int]:
    """The number of edges into each node reachable from ``roots``, found without recursion;
    ``leaf_deps`` gets the same count for leaves with post-accumulate hooks."""
    deps: dict[Node, int] = dict.fromkeys(roots, 0)
    stack: list[Node] = list(roots)
    while stack:
        node = stack.pop()
        for nxt in node.next_edges:
            if nxt is None:
                continue
            if not isinstance(nxt, Node):
                if nxt._post_hooks:
                    leaf_deps[id(nxt)] = leaf_deps.get(id(nxt), 0) + 1
                continue
            count = deps.get(nxt)
            if count is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = count + 1
    return deps


def _leaf_done(early, leaf) -> bool:
    """Count one more gradient in for ``leaf``; True once a leaf with post-accumulate hooks has
    all of them (it is then delivered at once, not at the end)."""
    leaf_deps = early[0]
    if not leaf_deps or id(leaf) not in leaf_deps:
        return False
    leaf_deps[id(leaf)] -= 1
    return leaf_deps[id(leaf)] == 0


def _propagate(
    pending, deps, leaf_grads, wanted_nodes, captured, retain_graph, create_graph, early, prof=None
):
    """Under ``create_graph``: run each node's Tensor ``backward`` (recorded) once its gradient
    is complete, passing the results on: to ``pending`` for nodes, to ``leaf_grads`` for leaves
    (broadcasting undone here, once); ``early`` delivers hooked leaves as they complete."""
    ready = [node for node in pending if deps[node] == 0]
    check_anomaly, check_nan = _anomaly.current()
    check_nan = check_anomaly and check_nan
    while ready:
        node = ready.pop()
        grad = _before_backward(node, pending.pop(node), wanted_nodes, captured)
        try:
            if prof is not None:  # a profiler records: the same call, timed
                in_grads = prof.call_backward(node, _backward_on_device, node, grad)
            elif type(grad.array) is _NUMPY_ARRAY:
                in_grads = node.backward(grad)
            else:  # array code in a backward runs on the gradient's GPU
                with array_backend.on_device_of(grad.array):
                    in_grads = node.backward(grad)
        except Exception as exc:
            if check_anomaly:
                _add_forward_trace(exc, node)
            raise
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if check_nan:
            _check_finite(node, in_grads)
        if not retain_graph:
            node.release()
        for nxt, g, shape in zip(node.next_edges, in_grads, node.in_shapes):
            if nxt is None or g is None:
                continue
            if g.array.shape != shape:
                g = g.sum_to_size(shape)
            if isinstance(nxt, Node):
                prev = pending.get(nxt)
                pending[nxt] = g if prev is None else prev + g
                count = deps[nxt] - 1
                deps[nxt] = count
                if count == 0:
                    ready.append(nxt)
            else:
                _add_leaf_grad(leaf_grads, nxt, g)
                if _leaf_done(early, nxt):
                    early[1](*leaf_grads.pop(id(nxt)))


def _propagate_arrays(
    pending, deps, leaf_grads, wanted_nodes, captured, retain_graph, early, prof=None
):
    """The same walk when nothing is recorded (the common case), on backend arrays: a node's
    ``backward_arrays`` runs where it has one (its Tensor ``backward`` elsewhere), and a
    gradient that arrives in pieces is summed in place into a buffer this call made. Tensors
    are made only for hooks, captures and leaves."""
    pending = {node: g.array for node, g in pending.items()}
    ready = [node for node in pending if deps[node] == 0]
    check_anomaly, check_nan = _anomaly.current()
    check_nan = check_anomaly and check_nan
    sums: set[int] = set()  # ids of the summed arrays this call made and still owns
    arrays: dict[int, list] = {}  # id(leaf) -> [leaf, gradient array]
    leaf_deps = early[0]  # the leaves with post-accumulate hooks (usually none)
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        if sums:
            sums.discard(id(grad))  # handed on from here: it may now be shared
        if (
            node._hooks is not None
            or node._retain is not None
            or (wanted_nodes and node in wanted_nodes)
        ):
            grad = _before_backward(node, Tensor._make(grad), wanted_nodes, captured).array
        # the node's array code and the sums run on the gradient's GPU (CuPy's current device)
        device = None if type(grad) is _NUMPY_ARRAY else array_backend.on_device_of(grad)
        if device is not None:
            device.__enter__()
        try:
            try:
                fast = node.backward_arrays
                if fast is not None:
                    in_grads = fast(grad) if prof is None else prof.call_backward(node, fast, grad)
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                else:
                    grad_t = Tensor._make(grad)
                    if prof is None:
                        in_grads = node.backward(grad_t)
                    else:
                        in_grads = prof.call_backward(node, node.backward, grad_t)
                    if not isinstance(in_grads, tuple):
                        in_grads = (in_grads,)
                    in_grads = [None if g is None else g.array for g in in_grads]
            except Exception as exc:
                if check_anomaly:
                    _add_forward_trace(exc, node)
                raise
            if check_nan:
                _check_finite(node, [None if g is None else Tensor._make(g) for g in in_grads])
            if not retain_graph:
                node.release()
            for nxt, g, shape in zip(node.next_edges, in_grads, node.in_shapes):
                if nxt is None or g is None:
                    continue
                if type(g) not in _ARRAY_TYPES:
                    g = _as_array(g)  # NumPy gives scalars for operations on 0-d arrays
                if g.shape != shape:
                    g = _sum_to(g, shape)
                if isinstance(nxt, Node):
                    prev = pending.get(nxt)
                    pending[nxt] = g if prev is None else _sum_into(prev, g, sums)
                    count = deps[nxt] - 1
                    deps[nxt] = count
                    if count == 0:
                        ready.append(nxt)
                else:
                    entry = arrays.get(id(nxt))
                    if entry is None:
                        arrays[id(nxt)] = [nxt, g]
                    else:
                        entry[1] = _sum_into(entry[1], g, sums)
                    if leaf_deps and _leaf_done(early, nxt):
                        leaf, g = arrays.pop(id(nxt))
                        sums.discard(id(g))  # handed on: it may now be shared
                        root = leaf_grads.pop(id(nxt), None)  # a root that is itself this leaf
                        g = g if root is None else _add(root[1].array, g)
                        early[1](leaf, Tensor._make(g))
        finally:
            if device is not None:
                device.__exit__(None, None, None)
    for key, (leaf, g) in arrays.items():
        entry = leaf_grads.get(key)
        if entry is None:
            leaf_grads[key] = [leaf, Tensor._make(g)]
        else:  # a root that is itself a leaf
            entry[1] = Tensor._make(_add(entry[1].array, g))


def _backward_on_device(node, grad: Tensor):
    """``node.backward(grad)`` with the gradient's GPU current (the profiled path's call)."""
    if type(grad.array) is _NUMPY_ARRAY:
        return node.backward(grad)
    with array_backend.on_device_of(grad.array):
        return node.backward(grad)


def _before_backward(node, grad: Tensor, wanted_nodes, captured) -> Tensor:
    """A node's complete gradient meets its hooks, ``retain_grad`` and ``grad(inputs=...)``."""
    hooks = node._hooks
    if hooks:
        grad = _run_hooks(hooks, grad)
    if node._retain is not None:
        node._retain(grad)
    if node in wanted_nodes:
        captured[id(wanted_nodes[node])] = grad
    return grad


def _sum_to(g, shape):
    """``g`` summed down to ``shape``, undoing broadcasting (``Tensor.sum_to_size`` on arrays,
    with the same reduction)."""
    lead = g.ndim - len(shape)
    kept = tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if not kept:
        return _as_array(g.sum(axis=tuple(range(lead))))
    return _as_array(g.sum(axis=tuple(range(lead)) + kept, keepdims=True)).reshape(shape)


def _add(a, b):
    """``a + b`` as an array, on ``a``'s device."""
    if type(a) is _NUMPY_ARRAY:
        return _as_array(a + b)
    with array_backend.on_device_of(a):
        return a + b


def _sum_into(a, b, sums: set[int]):
    """``a + b`` for two pieces of one gradient (arrays): in place when ``a`` is a sum this
    call made (so nothing else holds it), else into a new array that this call then owns."""
    if type(a) is not _NUMPY_ARRAY:  # on a's GPU (the pieces may come from a ToDevice)
        with array_backend.on_device_of(a):
            return _sum_here(a, b, sums)
    return _sum_here(a, b, sums)


def _sum_here(a, b, sums: set[int]):
    if id(a) in sums and a.dtype == b.dtype:
        a += b
        return a
    out = _as_array(a + b)
    sums.discard(id(a))  # NOTE: ids are only meaningful while the array lives
    sums.add(id(out))
    return out


def _deliver(leaf_grads, wanted_leaves, captured, accumulate, create_graph, roots, owned) -> None:
    """Run the leaves' hooks, then capture their gradients or accumulate them into ``.grad``,
    then run their post-accumulate hooks."""
    for leaf, g in leaf_grads.values():
        if wanted_leaves is not None:
            if id(leaf) not in wanted_leaves:
                continue  # not asked for: its hooks do not run (PyTorch's rule)
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g)
            captured[id(leaf)] = g
        elif leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if accumulate:
            if type(g.array) is _NUMPY_ARRAY:
                _accumulate(leaf, g, create_graph, roots, owned)
            else:  # the in-place sum and copies run on the gradient's GPU
                with array_backend.on_device_of(g.array):
                    _accumulate(leaf, g, create_graph, roots, owned)
            if leaf._post_hooks:
                for hook in tuple(leaf._post_hooks.values()):
                    hook(leaf)


def _run_hooks(hooks: dict, grad: Tensor) -> Tensor:
    """Call each hook in registration order on the gradient; a non-None result replaces it."""
    for hook in tuple(hooks.values()):  # a hook may remove itself
        new = hook(grad)
        if new is not None:
            if not isinstance(new, Tensor):
                raise TypeError(
                    f"expected Tensor, but hook '{getattr(hook, '__name__', hook)}' returned "
                    f"'{type(new).__name__}'; a hook must return None or a Tensor"
                )
            if new.array.shape != grad.array.shape:
                raise RuntimeError(
                    f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value: "
                    f"the gradient has shape {tuple(grad.shape)} but the hook returned "
                    f"{tuple(new.shape)}"
                )
            grad = new
    return grad


def _add_leaf_grad(leaf_grads: dict, leaf: Tensor, g: Tensor) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    elif _grad_enabled():  # create_graph: the sum is part of the recorded graph
        entry[1] = entry[1] + g
    else:
        entry[1] = Tensor._make(_add(entry[1].array, g.array))


def _accumulate(
    leaf: Tensor, g: Tensor, create_graph: bool, roots: list[Tensor], owned: set[int]
) -> None:
    """Add ``g`` into ``leaf.grad``: in place when the graph is not being recorded."""
    if g.array.dtype != leaf.array.dtype:
        g = g.to(leaf.array.dtype)
    if leaf.grad is None:
        if create_graph:
            leaf.grad = g
            return
        array = g.array
        # A gradient array may be shared (Add passes one array to both inputs, maybe through a
        # view), a read-only broadcast view, or the caller's own gradient: the leaf gets its
        # own copy then. A fresh array, or a view of one nothing else holds, is kept as is.
        base = array
        while base.base is not None:
            base = base.base
        if (
            not getattr(array.flags, "writeable", True)
            or (array.size > 1 and 0 in array.strides)
            or any(base is r.array or base is r.array.base for r in roots)
            or id(base) in owned
        ):
            array = array.copy()
        else:
            owned.add(id(base))
        leaf.grad = Tensor._make(array)
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + g
    else:
        leaf.grad.array += g.array


def _check_finite(node: Node, grads) -> None:
    """Anomaly mode: raise if a backward produced NaN or Inf, showing where the node was made."""
    for i, g in enumerate(grads):
        if g is None or g.array.dtype.kind not in "fc":
            continue
        xp = g.device.xp
        with array_backend.on_device_of(g.array):
            finite = bool(xp.isfinite(g.array).all())
            kind = "inf" if finite or not bool(xp.isnan(g.array).any()) else "nan"
        if not finite:
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output.\n"
                f"Traceback of forward call that caused the error:\n"
                f"{_anomaly.user_frames(node)}"
            )


def _add_forward_trace(exc: BaseException, node: Node) -> None:
    """Anomaly mode: attach to an error raised in ``node``'s backward where it was created."""
    note = (
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        f"{_anomaly.user_frames(node)}"
    )
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # pragma: no cover - Python 3.10
        warnings.warn(note, stacklevel=3)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``
    (``torch.autograd.backward``)."""
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate=True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated
    (``torch.autograd.grad``).

    Args:
        outputs: a tensor or sequence of tensors to differentiate.
        inputs: a tensor or sequence of tensors (leaves or intermediates) to differentiate by.
        grad_outputs: the vector in the vector-Jacobian product, one per output (``None`` for
            scalar outputs means 1).
        retain_graph: keep saved values for another backward (defaults to ``create_graph``).
        create_graph: record the backward pass, so the result can be differentiated again.
        allow_unused: return ``None`` for an input that the outputs do not depend on instead
            of raising.

    Example::

        x = ag.tensor([2.0], requires_grad=True)
        (dy,) = ag.grad((x**3).sum(), x, create_graph=True)   # 3x^2 = 12
        (d2y,) = ag.grad(dy.sum(), x)                           # 6x = 12
    """
    inputs_t = _as_tuple(inputs)
    for i, t in enumerate(inputs_t):
        if not t.requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) does not "
                "require grad. Call requires_grad_() on it before computing the outputs."
            )
    captured = run_backward(
        outputs, grad_outputs, retain_graph, create_graph, inputs_t, accumulate=False
    )
    result = []
    for i, t in enumerate(inputs_t):
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) appears "
                "to not have been used in the graph. Set allow_unused=True if this is the "
                "desired behavior."
            )
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
