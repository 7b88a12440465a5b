"""Replay rules for the hottest ops on the CPU: the same NumPy calls as the node's own code, in
the same order (so the numbers are the same bits), written into buffers allocated once per
program (``out=``), and in place over an input that nothing reads afterwards. A step without a
rule replays the node's own forward / ``backward_arrays``.

A value may get a reused buffer only when it is private to the program: not returned, not
accumulated into a ``.grad`` (which outlives the call), not written by an in-place step, and not
sharing memory with another value (a view). ``enabled = False`` turns the rules off (the
generic replay then runs every step), for tests and measurements.
"""

from __future__ import annotations

from .. import array_backend
from ..grad_mode import _set as set_grad_mode
from ..grad_mode import grad_enabled
from ..ops.activation import ReLU
from ..ops.linalg import Linear
from ..ops.loss import SoftmaxCrossEntropy, _all_classes
from ..tensor import Tensor
from ._trace import ensure_array

np = array_backend.numpy
axpy_ = array_backend.axpy_
enabled = True


class Plan:
    """What the rules need to know about the program: which values are private, and the
    index of the last step that reads each value."""

    def __init__(self, rec, steps, outputs):
        self.rec, self.steps = rec, steps
        self.last_read: dict[int, int] = {}
        escaped: set[int] = set()
        for i, step in enumerate(steps):
            for v in step.ins:
                if v is not None:
                    self.last_read[id(v)] = i
            if step.kind in ("accumulate", "inplace"):
                escaped.update(id(v) for v in step.ins if v is not None)
        _outputs(outputs, escaped)
        # values that share memory with another value (a view, or viewed)
        by_array = {id(v.reg.array): v for s in steps for v in s.outs if v is not None}
        for s in steps:
            for v in s.outs:
                if v is None:
                    continue
                base = v.reg.array.base
                while base is not None:
                    owner = by_array.get(id(base))
                    if owner is not None:
                        escaped.add(id(owner))
                        escaped.add(id(v))
                    base = base.base
        self.escaped = escaped
        self.shared: dict[int, dict] = {}  # per program node: state a forward rule hands on

    def private(self, value) -> bool:
        return (
            value is not None
            and value.kind == "step"
            and id(value) not in self.escaped
            and type(value.reg.array) is np.ndarray
        )

    def dead_after(self, value, index: int) -> bool:
        return self.last_read.get(id(value), -1) <= index


def _outputs(spec, escaped: set) -> None:
    kind = spec[0]
    if kind == "tensor":
        escaped.add(id(spec[1]))
    elif kind in ("seq", "namedtuple"):
        for s in spec[2]:
            _outputs(s, escaped)
    elif kind == "dict":
        for _, s in spec[2]:
            _outputs(s, escaped)


def apply(rec, steps, outputs) -> None:
    """Replace the runs of the steps a rule covers (where its conditions hold)."""
    plan = Plan(rec, steps, outputs)
    stable: dict[int, object] = {}  # id(value) -> the buffer it now always lives in
    plan.stable = stable
    for i, step in enumerate(steps):
        if step.kind == "call":
            make = _call_rule(step.info)
        elif step.node is None:
            continue
        else:
            make = _RULES.get((step.kind, type(step.node)))
        if make is not None:
            run = make(plan, i, step)
            if run is not None:
                run._rule = True
                step.run = run


def _buffer(plan, value, index: int, reuse=None):
    """The buffer ``value`` is written into on every replay: the buffer of ``reuse`` (an input
    this step is the last to read) when allowed, else a new one; None if the value must be made
    fresh on every call."""
    if not plan.private(value):
        return None
    a = value.reg.array
    if (
        reuse is not None
        and id(reuse) in plan.stable
        and plan.private(reuse)
        and plan.dead_after(reuse, index)
        and reuse.reg.array.shape == a.shape
        and reuse.reg.array.dtype == a.dtype
    ):
        buf = plan.stable[id(reuse)]
    else:
        buf = np.empty(a.shape, a.dtype)
    plan.stable[id(value)] = buf
    return buf


_RULES: dict = {}


def _rule(kind: str, cls):
    def register(make):
        _RULES[(kind, cls)] = make
        return make

    return register


# --- Linear: out = x @ w.T (+ b) -----------------------------------------------------------------
@_rule("forward", Linear)
def _linear_forward(plan, i, step):
    out = step.outs[0]
    if type(out.reg.array) is not np.ndarray or out.reg.array.ndim != 2:
        return None
    buf = _buffer(plan, out, i)
    if buf is None:
        return None
    regs = [v.reg for v in step.ins[:3]]
    reg = out.reg
    matmul, add = np.matmul, np.add
    if len(regs) == 3:
        x, w, b = regs

        def run():
            matmul(x.array, w.array.T, out=buf)
            add(buf, b.array, out=buf)
            reg.array = buf

    else:
        x, w = regs

        def run():
            matmul(x.array, w.array.T, out=buf)
            reg.array = buf

    return run


# --- ReLU: y = max(a, 0); dy = g * ~(y <= 0) ----------------------------------------------------
@_rule("forward", ReLU)
def _relu_forward(plan, i, step):
    (a,), out = step.ins[:1], step.outs[0]
    buf = _buffer(plan, out, i, reuse=a)
    if buf is None:
        return None
    pn, ra, reg, maximum = step.node, a.reg, out.reg, np.maximum

    def run():
        maximum(ra.array, 0, out=buf)
        reg.array = buf
        pn._out_data = buf

    return run


@_rule("backward", ReLU)
def _relu_backward(plan, i, step):
    grad, y = step.ins[0], step.ins[-1]
    (out,) = step.outs
    if type(grad.reg.array) is not np.ndarray or id(y) not in plan.stable:
        return None
    buf = _buffer(plan, out, i, reuse=grad)
    if buf is None:
        return None
    mask = np.empty(out.reg.array.shape, bool)
    ybuf = plan.stable[id(y)]
    rg, reg = grad.reg, out.reg
    less_equal, logical_not, multiply = np.less_equal, np.logical_not, np.multiply

    def run():
        less_equal(ybuf, 0, out=mask)
        logical_not(mask, out=mask)
        multiply(rg.array, mask, out=buf)
        reg.array = buf

    return run


# --- softmax cross-entropy on class indices, mean or sum ------------------------------------------
@_rule("forward", SoftmaxCrossEntropy)
def _sce_forward(plan, i, step):
    pn = step.node
    (a,) = step.ins[:1]
    arr = a.reg.array
    if pn.reduction not in ("mean", "sum") or type(arr) is not np.ndarray or arr.ndim != 2:
        return None
    target = plan.rec.by_array.get(id(pn.target))
    treg = target.reg if target is not None else None
    constant = pn.target
    n, c = arr.shape
    if constant.shape != (n,):
        return None
    generic = step.run
    ra, reg = a.reg, step.outs[0].reg
    ignore = pn.ignore_index
    rows = np.arange(n)
    at_rows = rows  # _class_positions' first index: arange(n) reshaped to (n,)
    shifted, e = np.empty_like(arr), np.empty_like(arr)
    logs, loss = np.empty((n, 1), arr.dtype), np.empty(n, arr.dtype)
    count = np.asarray(n, dtype=arr.dtype)
    subtract, exp, log, divide = np.subtract, np.exp, np.log, np.divide
    state = plan.shared[id(pn)] = {"fast": False, "probs": e, "rows": at_rows}
    mean = pn.reduction == "mean"

    def run():
        t = treg.array if treg is not None else constant
        if (
            t.dtype.kind not in "iu"
            or not _all_classes(t, c, np)
            or (0 <= ignore < c and bool((t == ignore).any()))
        ):
            state["fast"] = False  # ignored or invalid targets: the node's own path (and error)
            generic()
            return
        state["fast"], state["target"] = True, t
        a = ra.array
        # NOTE: the reductions without out= (NumPy's out= path costs more for small arrays);
        # total / count cannot warn here (count = n > 0), so no errstate either.
        subtract(a, a.max(axis=1, keepdims=True), out=shifted)
        exp(shifted, out=e)
        s = e.sum(axis=1, keepdims=True)
        log(s, out=logs)
        subtract(logs.reshape(n), shifted[at_rows, t], out=loss)
        divide(e, s, out=e)
        total = loss.sum()
        reg.array = ensure_array(total / count if mean else total)

    return run


@_rule("backward", SoftmaxCrossEntropy)
def _sce_backward(plan, i, step):
    pn = step.node
    state = plan.shared.get(id(pn))
    grad = step.ins[0]
    if state is None or len(step.outs) != 1:
        return None
    (out,) = step.outs
    # NOTE: no "return None" here once the forward rule ran: the node's own backward would
    # read the probabilities its forward saved at trace time. A gradient that escapes (a view
    # of it is kept, e.g. by a reshape) gets a new array on every call instead of a buffer.
    buf = _buffer(plan, out, i)
    generic, rg, reg = _without_grad(step.run), grad.reg, out.reg
    step.info = (step.info[0], False)  # its Tensor-op fallback turns grad mode off itself
    e, rows = state["probs"], state["rows"]
    n = e.shape[0]
    count = np.asarray(n, dtype=e.dtype)
    weight = np.ones(n, dtype=e.dtype)
    if pn.reduction == "mean":
        weight = weight / count
    factor = np.empty(n, e.dtype)

    def run():
        if not state["fast"]:
            generic()
            return
        np.multiply(rg.array.reshape(1), weight, out=factor)
        g = np.multiply(e, factor.reshape(n, 1), out=buf)
        g[rows, state["target"]] -= factor
        reg.array = g

    return run


def _without_grad(run):
    """``run`` (a Tensor-op backward) with grad mode off, as the engine runs it."""

    def wrapped():
        mode = grad_enabled()
        set_grad_mode(False)
        try:
            run()
        finally:
            set_grad_mode(mode)

    return wrapped


# --- SGD without momentum or weight decay: p += -lr g (``optim._functional.sgd``) ----------------
def _call_rule(method):
    from autograd_engine.optim import SGD, Optimizer

    opt = getattr(method, "__self__", None)
    if (
        getattr(method, "__name__", "") == "step"
        and isinstance(opt, SGD)
        and type(opt).step is Optimizer.step
        and type(opt)._update is Optimizer._update
    ):
        return _sgd_step
    return None


def _sgd_step(plan, i, step):
    """``opt.step()`` of a plain SGD, read for its hyperparameters on every call: when the
    group has no momentum, weight decay or maximize, a number lr and the parameters that had a
    gradient in the trace have one now (and only they), the update runs directly on the
    arrays; anything else runs ``opt.step()`` itself."""
    opt = step.info.__self__
    generic = step.run
    touched = {id(v.live) for v in plan.rec.leaves if v.kind == "external"}
    groups = []
    for group in opt.param_groups:
        params = group["params"]
        with_grad = [p for p in params if id(p) in touched]
        if any(p.ndim == 0 for p in with_grad):
            return None
        groups.append((group, params, with_grad, [id(p) in touched for p in params]))

    def run():
        for group, params, _with_grad, has_grad in groups:
            lr = group["lr"]
            if (
                group["momentum"] != 0
                or group["weight_decay"] != 0
                or group["maximize"]
                or isinstance(lr, Tensor)
                or [p.grad is not None for p in params] != has_grad
            ):
                return generic()
        for _group, _params, with_grad, _ in groups:
            alpha = -_group["lr"]
            for p in with_grad:
                axpy_(p.array, p.grad.array, alpha)
                p._version += 1

    return run
