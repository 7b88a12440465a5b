"""``autograd.Function``: differentiable operations written by users with PyTorch's ctx API.

There is one mechanism, the engine's: the ``ctx`` of a call *is* the graph node the engine runs
in backward (an instance of ``MyFnBackward``, a :class:`~autograd_engine.node.Node` subclass made
per Function class, as in PyTorch). ``apply`` runs the user's ``forward`` on Tensors with grad
off, then records that node with edges to the tensor inputs; the engine calls its ``backward``,
which calls the user's ``backward(ctx, *grads)``. A Function with several differentiable
outputs gives each output a small node that hands its gradient to the shared ctx node.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from .. import anomaly as _anomaly
from .. import array_backend
from ..grad_mode import grad_enabled as _grad_enabled
from ..grad_mode import no_grad
from ..node import Node, pack_saved, saved_hooks, unpack_saved
from ..tensor import Tensor
from ..views import copy_slices, move_retain, refresh_view

__all__ = [
    "FunctionCtx",
    "BackwardCFunction",
    "FunctionMeta",
    "Function",
    "InplaceFunction",
    "once_differentiable",
]

_function_ids = itertools.count()
_DIFFERENTIABLE_KINDS = "fc"  # dtypes whose tensors can carry a gradient


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) may do with ``ctx``
    (``torch.autograd.function.FunctionCtx``). Attributes set on ``ctx`` stay there for
    ``backward``; tensors needed in backward go through :meth:`save_for_backward`."""

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Save tensors (inputs, outputs or intermediates; ``None`` is allowed) for
        ``backward``, which reads them as ``ctx.saved_tensors``. Saved tensors are checked
        against in-place changes when read, and pass through saved-tensor hooks
        (``autograd.graph.saved_tensors_hooks``)."""
        self.to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Save tensors for ``jvp`` (forward-mode AD, which this engine does not implement;
        kept so that Functions written for both modes still run in reverse mode)."""
        for t in tensors:
            if not (isinstance(t, Tensor) or t is None):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should save "
                    "non-tensors as attributes on ctx."
                )
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Tensor) -> None:
        """Mark input tensors that ``forward`` modified in place; they must be returned as
        outputs. Their history becomes this Function, and their version counter moves on."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Tensor) -> None:
        """Mark outputs that carry no gradient (indices, masks): they do not require grad, and
        ``backward`` still gets a gradient for them (zeros, or None without materialization)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """With ``True`` (the default), ``backward`` gets zeros for outputs that received no
        gradient; with ``False`` it gets ``None`` for them."""
        self.materialize_grads = bool(value)

    def mark_shared_storage(self, *pairs) -> None:
        """Deprecated in PyTorch and a no-op here (it warns): shared storage is tracked
        automatically."""
        warnings.warn(
            "`mark_shared_storage` is deprecated. Tensors with shared storages are "
            "automatically tracked. Note that calls to `set_()` are not tracked",
            FutureWarning,
            stacklevel=2,
        )


class BackwardCFunction(FunctionCtx, Node):
    """The node recorded for one call of a Function; also the ``ctx`` its methods receive
    (``torch.autograd.function.BackwardCFunction``). Made per Function class as
    ``<Name>Backward``; never instantiated by users."""

    _forward_cls: type = None  # set on each generated subclass
    materialize_grads = True
    to_save: tuple = ()
    dirty_tensors: tuple = ()
    non_differentiable: tuple = ()
    _saved_vars: tuple | None = ()  # what save_for_backward kept (records); None once freed
    _unpack = None  # the unpack hook, when saved-tensor hooks were active at save time
    _single = None  # the output position when the node is that output's grad_fn directly
    _outputs_meta: tuple = ()  # per forward output: (shape, dtype, device) or None
    _input_meta: tuple = ()  # per forward argument: (shape, dtype, device) or None

    def name(self) -> str:
        return type(self).__name__

    def _get_user_fn(self) -> Callable:
        cls = self._forward_cls
        backward_fn, vjp_fn = cls.backward, cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError(
                "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                "You should only implement one of them."
            )
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    # --- saved tensors ------------------------------------------------------------------------
    def _save_variables(self) -> None:
        """Turn what ``forward`` gave ``save_for_backward`` into saved records (after the
        outputs have their history, so that a saved output is recognised as one)."""
        to_save = self.__dict__.pop("to_save", ())
        hooks = saved_hooks()
        records = []
        for i, t in enumerate(to_save):
            if t is None:
                records.append(None)
                continue
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}"
                )
            fn = t.grad_fn
            is_output = fn is self or (type(fn) is _FunctionOutput and fn.fn_node is self)
            if hooks:
                records.append(pack_saved(hooks, t, output=fn is self))
            elif is_output:
                # NOTE: the array, counter and position rather than the tensor, whose grad_fn
                # is this node: no reference cycle (as Node.save_output).
                link = None if fn is self else weakref.ref(fn)
                records.append(_SavedOutput(t.array, t._counter(), t._version, link))
            else:
                records.append((t, t._version))
        self._unpack = hooks[-1][1] if hooks else None
        self._saved_vars = tuple(records)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked against in-place changes since
        they were saved (``torch.autograd.function.FunctionCtx.saved_tensors``)."""
        records = self._saved_vars
        if records is None:
            self._raise_freed()
        if self._unpack is not None:
            return tuple(None if r is None else unpack_saved(self, r) for r in records)
        out = []
        for r in records:
            if r is None:
                out.append(None)
            elif type(r) is _SavedOutput:
                out.append(r.tensor(self))
            else:
                t, version = r
                if t._version != version:
                    raise self._modified_error(t, version)
                out.append(t)
        return tuple(out)

    saved_variables = saved_tensors  # the pre-1.0 name, still readable in PyTorch

    def release(self) -> None:
        if self._saved_vars:
            self._saved_vars = None
        self.__dict__.pop("_received", None)

    # --- the engine's side --------------------------------------------------------------------
    def backward(self, grad: Tensor):
        """Called by the engine: gather one gradient per forward output, run the user's
        ``backward``, check its results and return one gradient per tensor input."""
        if self._single is not None:
            received = {self._single: grad}
        else:
            received = self.__dict__.pop("_received", {})
        grads = []
        for k, meta in enumerate(self._outputs_meta):
            g = received.get(k)
            if g is None and meta is not None and self.materialize_grads:
                shape, dtype, device = meta
                g = Tensor._make(device.xp.zeros(shape, dtype=dtype))
            grads.append(g)
        result = self._get_user_fn()(self, *grads)
        return self._check_grads(result)

    def _check_grads(self, result) -> tuple:
        """PyTorch's checks on what a backward returned: one gradient per forward argument
        (extra trailing ``None`` allowed), ``None`` for non-tensor arguments, each a Tensor whose
        shape the input's shape broadcasts to; cast to the input's dtype."""
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._input_meta)
        if len(result) > n and all(g is None for g in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{n}, got {len(result)})"
            )
        grads = []
        for i, (g, meta) in enumerate(zip(result, self._input_meta)):
            j = len(grads)  # PyTorch numbers the gradients of tensor inputs only
            if meta is None:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable"
                    )
                continue
            if g is None:
                grads.append(None)
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            shape, dtype, device = meta
            if g.array.shape != shape and not _expandable(shape, g.array.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {j} - got "
                    f"{list(g.shape)} but expected shape compatible with {list(shape)}"
                )
            if g.device != device:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {j} - "
                    f"expected device {device} but got {g.device}"
                )
            if g.array.dtype != dtype:
                g = g.to(dtype)
            grads.append(g)
        return tuple(grads)


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (so a gradient of ``target``'s shape sums
    back to it)."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


class _SavedOutput:
    """A saved output of the Function, kept as its array and version counter (no reference to
    the output tensor, whose grad_fn is the node that keeps this)."""

    __slots__ = ("array", "counter", "version", "link")

    def __init__(self, array, counter: list, version: int, link):
        self.array, self.counter, self.version, self.link = array, counter, version, link

    def tensor(self, node: BackwardCFunction) -> Tensor:
        if self.counter[0] != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{self.array.dtype} tensor of shape "
                f"{tuple(self.array.shape)}], which is an output of {node.name()}, is at version "
                f"{self.counter[0]}; expected version {self.version} instead. Hint: call "
                ".clone() on the output before modifying it in place."
            )
        t = Tensor._make(self.array)
        t._vc = self.counter
        fn = node if self.link is None else self.link()
        if fn is not None:
            t._requires_grad = True
            t.grad_fn = fn
        return t


class _FunctionOutput(Node):
    """Output ``k`` of a Function with several differentiable outputs: its backward hands the
    gradient to the Function's node (which runs once every output has reported) and passes an
    empty tensor along its single edge, so the engine orders the two correctly."""

    def __init__(self, fn_node: BackwardCFunction, k: int):
        self.fn_node, self.k = fn_node, k

    def backward(self, grad):
        received = self.fn_node.__dict__.setdefault("_received", {})
        prev = received.get(self.k)
        received[self.k] = grad if prev is None else prev + grad
        return Tensor._make(grad.device.xp.empty((0,), dtype=grad.array.dtype))

    def name(self) -> str:
        return self.fn_node.name()


class FunctionMeta(type):
    """Makes ``<Name>Backward``, the node class of each Function class
    (``torch.autograd.function.FunctionMeta``)."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(
            name + "Backward",
            (BackwardCFunction,),
            {"_forward_cls": cls, "__module__": cls.__module__},
        )
        backward_cls._autograd_function_id = next(_function_ids)
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom differentiable operations (``torch.autograd.Function``).

    Subclass it with static ``forward`` and ``backward`` methods, then call ``apply``::

        class Exp(autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad_output):
                (y,) = ctx.saved_tensors
                return grad_output * y

        y = Exp.apply(x)

    ``forward(ctx, *args)`` runs with grad off on Tensors and any other arguments; it may
    return a Tensor, or a tuple mixing Tensors and other values. ``backward(ctx, *grads)`` gets
    one gradient per output and returns one per argument of ``forward`` (``None`` for
    non-tensors and for inputs that need none; ``ctx.needs_input_grad`` says which do). Written
    with Tensor ops, it is differentiable again (``create_graph=True``), unless decorated
    with :func:`once_differentiable`. Alternatively ``forward(*args)`` without ``ctx`` plus
    ``setup_context(ctx, inputs, output)``.
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are "
            "all static, so you should invoke them on the class itself. Instantiating an "
            "autograd function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "class MyFn(autograd_engine.autograd.Function) with @staticmethod forward(ctx, ...) "
            "and backward(ctx, ...), called as MyFn.apply(...))"
        )

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        """``forward(ctx, *args)``, or ``forward(*args)`` together with ``setup_context``."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        """Fill ``ctx`` from the inputs and output of a ``forward`` that takes no ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """One gradient per ``forward`` argument from one gradient per output."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward-mode derivative of a custom Function; not supported (raises, as PyTorch without
        it)."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD (autograd_engine does not implement forward-mode AD; "
            "autograd.functional.jvp computes Jacobian-vector products in reverse mode)."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the Function on ``args`` and record it for backward when grad is on and a tensor
        argument requires grad."""
        with_setup = cls.setup_context is not Function.setup_context
        if with_setup:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        ctx = cls._backward_cls()
        grad_on = _grad_enabled()
        tensors = [a for a in args if isinstance(a, Tensor)]
        if grad_on:
            for t in tensors:
                if t._base is not None and t._base.grad_fn is not t._view_fn:
                    refresh_view(t)  # a view whose base was modified in place since
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        executable = grad_on and any(ctx.needs_input_grad)
        if executable:
            # The edges are taken before forward runs: a dirty input's history changes below.
            edges, shapes = [], []
            for t in tensors:
                edges.append(t if t.grad_fn is None and t.requires_grad else t.grad_fn)
                shapes.append(t.array.shape)
            ctx.next_edges, ctx.in_shapes = tuple(edges), tuple(shapes)
        with no_grad():
            if with_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        return _wrap_outputs(ctx, args, output, executable)


def _meta(t: Tensor) -> tuple:
    return (t.array.shape, t.array.dtype, array_backend.device_of(t.array))


def _wrap_outputs(ctx: BackwardCFunction, args: tuple, output, executable: bool):
    """Give the outputs their history (PyTorch's ``_wrap_outputs``): dirty inputs are rebased
    onto the node, an input returned as is becomes an alias, differentiable float outputs get
    the node (or a per-output node) as grad_fn; then save what ``save_for_backward`` got."""
    is_seq = isinstance(output, (tuple, list))
    outs = list(output) if is_seq else [output]
    inputs = {id(a): a for a in args if isinstance(a, Tensor)}
    returned = {id(o) for o in outs if isinstance(o, Tensor)}
    dirty = set()
    for t in ctx.dirty_tensors:
        if id(t) not in inputs:
            warnings.warn(
                "ctx.mark_dirty() received a tensor that was not an input. Only input Tensors "
                "that have been mutated should be passed to ctx.mark_dirty().",
                stacklevel=3,
            )
            continue
        if id(t) not in returned:
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as "
                "output. The inputs that are modified inplace must all be outputs of the "
                "Function."
            )
        dirty.add(id(t))
    non_diff = {id(t) for t in ctx.non_differentiable}
    wrapped, diff = [], []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            wrapped.append(o)
            continue
        differentiable = executable and id(o) not in non_diff
        if id(o) in dirty:
            if executable:
                _check_dirty_leaf(o)
            o._counter()[0] += 1
        elif id(o) in inputs:
            o = o.detach()  # an input returned as is: an alias sharing data and version
        elif executable and o._base is not None:
            o._base = None  # a view made in forward: its history is this Function's
        if differentiable and o.array.dtype.kind in _DIFFERENTIABLE_KINDS:
            diff.append(k)
        wrapped.append(o)
    ctx._input_meta = tuple(_meta(a) if isinstance(a, Tensor) else None for a in args)
    ctx._outputs_meta = tuple(_meta(o) if isinstance(o, Tensor) else None for o in wrapped)
    if executable:
        for k in diff:
            o = wrapped[k]
            if len(diff) == 1:
                node = ctx
                ctx._single = k
            else:
                node = _FunctionOutput(ctx, k)
                node.next_edges, node.needs_input_grad = (ctx,), (True,)
                node.in_shapes = ((0,),)
            if id(outs[k]) in dirty:
                move_retain(o, node)
            o.grad_fn = node
            o._requires_grad = True
            if id(outs[k]) in dirty and o._base is not None:
                copy_slices(o._base, o)  # the base of a modified view gets the new history
        if _anomaly.enabled():
            _anomaly.record(ctx)
        ctx._save_variables()
    else:
        ctx.__dict__.pop("to_save", None)
    if not is_seq:
        return wrapped[0]
    return type(output)(wrapped) if isinstance(output, tuple) else wrapped


def _check_dirty_leaf(t: Tensor) -> None:
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad has been used in an in-place operation."
        )
    base = t._base
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


class InplaceFunction(Function):
    """Kept for old code (``torch.autograd.function.InplaceFunction``): a Function with an
    ``inplace`` flag. Use :class:`Function` in new code."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class _DelayedError(Node):
    """y = x; its backward raises (what ``once_differentiable`` puts on a backward's results
    when the backward is itself being recorded)."""

    def __init__(self, message: str):
        self.message = message

    def forward(self, a):
        return a

    def backward(self, grad):
        raise RuntimeError(self.message)

    def name(self) -> str:
        return "DelayedError"


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a Function's ``backward`` that is not itself differentiable
    (``torch.autograd.function.once_differentiable``): it runs with grad off, and a second
    differentiation through its results raises instead of giving wrong gradients."""

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not _grad_enabled():
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        message = (
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )

        def guard(v):
            if not isinstance(v, Tensor):
                return v
            leaf = v.detach()
            leaf._requires_grad = True
            return _DelayedError(message)(leaf)

        if isinstance(outputs, tuple):
            return tuple(guard(v) for v in outputs)
        return guard(outputs)

    return wrapper
