"""The node contract: a differentiable operation with ``forward`` on backend arrays and
``backward`` written with Tensor ops, plus what it saves for backward and when it records."""

from __future__ import annotations

import contextvars
import weakref
from typing import Any

from . import anomaly as _anomaly
from . import array_backend
from .amp.autocast_mode import cast_inputs as _autocast_inputs
from .amp.autocast_mode import regions as _autocast_regions
from .amp.autocast_mode import state as _autocast_state
from .anomaly import enabled as _anomaly_enabled
from .grad_mode import grad_enabled as _grad_enabled
from .tensor import Tensor
from .views import refresh_view

_ARRAY_TYPES = array_backend.ARRAY_TYPES
_ALL_OF_TWO = (0, 1)
_make_tensor = Tensor._make  # NOTE: one lookup less on the path every op takes
_NUMPY_ARRAY = array_backend.numpy.ndarray
_as_array = array_backend.ensure_array

# Saved-tensor hooks (``autograd.graph.saved_tensors_hooks``): a per-thread stack of
# ``(pack_hook, unpack_hook)`` pairs; the innermost pair applies to what nodes save.
_saved_hooks = contextvars.ContextVar("autograd_engine.saved_tensors_hooks", default=())
saved_hooks = _saved_hooks.get

# NOTE: the recorder of ``autograd_engine.compile`` (or ``autograd_engine.onnx.export``) while a
# call is being traced, else None. Every op application (``Node.__call__``), backward pass,
# optimizer step, in-place write and host read of a tensor tells it what happened; outside a
# trace the cost is this one global check.
_recorder = None


class Node:
    """A differentiable operation and, once applied, one vertex of the graph.

    Subclasses implement ``forward(*arrays) -> array`` on backend arrays (taking the array
    module from the data, ``xp = get_array_module(a)``) and ``backward(grad) -> grads`` with
    Tensor ops (one gradient per input, ``None`` where an input needs none). Non-tensor
    arguments go to ``__init__``. ``forward`` saves what backward needs with
    ``save_inputs(i, ...)``, ``save_output()`` and ``save_for_backward(*arrays)``; the engine
    frees them after backward unless the graph is retained.

    A hot node may also define ``backward_arrays(grad) -> grads``: the same formulas on
    backend arrays (reading ``saved_values`` instead of ``saved_tensors``). The engine uses it
    when the backward pass is not recorded (``create_graph=False``, the common case), which
    skips one Tensor dispatch per operation of the formula; ``backward`` stays the reference
    and the only path under ``create_graph``. The gradient registry checks both: first order
    runs through ``backward_arrays``, second order through ``backward``.
    """

    __slots__ = ("next_edges", "in_shapes", "needs_input_grad", "__dict__", "__weakref__")
    # NOTE: what most nodes never set is a class-level default rather than a slot: reading an
    # unset slot goes through AttributeError (about 0.4 us), which cost about 1.5 us per op.
    # NOTE: a node that always saves the same things may declare them here instead of calling
    # save_inputs/save_output in forward (``_saved = (0, 1)``, ``_save_out = True`` on the
    # class): the same effect, and nothing to do when grad is off (a call costs ~0.1 us).
    _saved = ()  # indices given to save_inputs, then the saved tensors; None once freed
    _saved_versions = ()
    _save_out = False
    _out_data = None
    _extra = None  # what save_for_backward kept
    _hooks = None  # the hooks of the tensor this node made (Tensor.register_hook)
    _retain = None  # the keeper installed by ``Tensor.retain_grad()``; runs after the hooks
    _trace = None  # the creation stack, recorded in anomaly mode
    backward_arrays = None  # optional: backward on arrays, used outside create_graph
    _unpack = None  # the unpack hook, when saved-tensor hooks packed what this node saved
    _backward_name = None  # PyTorch's name of this backward when it is not <Class>Backward0

    # --- what forward saves -------------------------------------------------------------
    def save_inputs(self, *indices: int) -> None:
        """Keep the inputs at ``indices`` for backward (read them as ``saved_tensors``)."""
        self._saved = indices

    def save_output(self) -> None:
        """Keep the output for backward; it comes last in ``saved_tensors``."""
        self._save_out = True

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep extra backend arrays or values (masks, indices) for backward."""
        self._extra = arrays

    @property
    def saved_arrays(self) -> tuple:
        """The extra arrays this node saved with ``save_for_backward``; raises once they were
        freed."""
        extra = self._extra
        if extra is None:
            self._raise_freed()
        return extra

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The saved inputs (in the order given to ``save_inputs``), then the output.

        A saved tensor written in place since it was saved comes back as a stand-in whose use
        raises PyTorch's in-place error, so backward fails exactly when it reads a changed
        value (``Mul`` reads its first input only for the gradient of its second).
        """
        saved = self._saved
        if saved is None:
            self._raise_freed()
        if self._unpack is not None:
            return tuple([unpack_saved(self, r) for r in saved])
        versions = self._saved_versions
        for i, (t, v) in enumerate(zip(saved, versions)):
            vc = t._vc  # None: never written, still at version 0
            if vc is not None and vc[0] != v:
                saved = saved[:i] + (_Modified(self._modified_error(t, v)),) + saved[i + 1 :]
        if self._save_out:
            if self._out_vc[0] != self._out_version:
                return (*saved, _Modified(self._modified_error(None, self._out_version)))
            out = Tensor._make(self._out_data)
            out._requires_grad = True
            out.grad_fn = self
            return (*saved, out)
        return saved

    @property
    def saved_values(self) -> tuple:
        """``saved_tensors`` as backend arrays, for ``backward_arrays``: a saved value written
        in place since it was saved comes back as a stand-in that raises PyTorch's in-place
        error when an array operation uses it."""
        saved = self._saved
        if saved is None:
            self._raise_freed()
        if self._unpack is not None:
            return tuple([unpack_saved(self, r).array for r in saved])
        if not self._save_out and len(saved) == 2:  # NOTE: Mul, Div, MatMul...: spelled out
            (a, b), (va, vb) = saved, self._saved_versions
            if (a._vc is None or a._vc[0] == va) and (b._vc is None or b._vc[0] == vb):
                return a.array, b.array
        values = []
        for t, v in zip(saved, self._saved_versions):
            vc = t._vc
            if vc is not None and vc[0] != v:
                values.append(_ModifiedArray(self._modified_error(t, v)))
            else:
                values.append(t.array)
        if self._save_out:
            if self._out_vc[0] != self._out_version:
                values.append(_ModifiedArray(self._modified_error(None, self._out_version)))
            else:
                values.append(self._out_data)
        return tuple(values)

    def saves(self, t: Tensor) -> bool:
        """Whether ``t`` is one of the inputs this node saved (packed by hooks or not)."""
        return any(s is t or (type(s) is _Packed and s.source == id(t)) for s in self._saved)

    def _pack(self, result: Tensor) -> None:
        """Saved-tensor hooks are on: hand the saved inputs and output to the pack hook."""
        hooks = _saved_hooks.get()
        records = [pack_saved(hooks, t) for t in self._saved]
        if self._save_out:
            records.append(pack_saved(hooks, result, output=True))
            self._out_data = None  # the hook keeps what it wants of it
        self._saved = tuple(records)
        self._unpack = hooks[-1][1]

    def _raise_freed(self):
        raise RuntimeError(
            f"Trying to backward through the graph a second time (or to read the saved tensors "
            f"of {self.name()} after they were freed). Saved values are freed "
            "after backward; pass retain_graph=True to the first backward() (or autograd_engine."
            "grad()) if you need to backward through the same graph again."
        )

    def _modified_error(self, t: Tensor | None, version: int) -> RuntimeError:
        """PyTorch's error for a saved tensor (``None``: the saved output) written in place."""
        if t is None:
            array, now, origin = self._out_data, self._out_vc[0], f"output 0 of {self.name()}"
        else:
            array, now = t.array, t._version
            origin = f"output 0 of {t.grad_fn.name()}" if t.grad_fn is not None else "a leaf"
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{array.dtype} tensor of shape {tuple(array.shape)}], which is "
            f"{origin}, is at version {now}; expected version {version} instead. "
            f"{self.name()} saved it for its backward. Hint: call .clone() on the tensor before "
            "the in-place operation (or use the out-of-place op), so that the saved value is "
            "kept; autograd_engine.set_detect_anomaly(True) shows where "
            f"{self.name()} was created."
        )

    def release(self) -> None:
        """Free what forward saved (after a backward that does not retain the graph)."""
        self._saved = None
        if self._out_data is not None:
            self._out_data = None
        if self._extra is not None:
            self._extra = None

    # --- the contract -------------------------------------------------------------------
    def forward(self, *arrays):  # pragma: no cover - abstract
        """Compute the output array from the input arrays; each op defines it (the node
        contract)."""
        raise NotImplementedError

    def backward(self, grad: Tensor):  # pragma: no cover - abstract
        """Return one gradient per input (Tensor ops, None where none is needed); each op defines
        it."""
        raise NotImplementedError

    # --- application ----------------------------------------------------------------------
    def __call__(self, *inputs: Tensor) -> Tensor:
        """Run forward on the inputs' arrays; record this node when grad is on and an input
        requires grad, otherwise return a plain tensor and keep nothing."""
        if _autocast_regions[0]:  # an autocast region is open (in some thread)
            active = _autocast_state()
            if active is not None:  # in this one: cast the inputs as its policy says
                inputs = _autocast_inputs(self, inputs, active)
        try:
            # NOTE: explicit calls for one and two inputs: a comprehension plus star-unpacking
            # costs about 0.2 us, a tenth of a small op's whole overhead. A GPU input (anything
            # but a NumPy array first) runs on its device, after one type check.
            n = len(inputs)
            if n == 2:
                a = inputs[0].array
                if type(a) is _NUMPY_ARRAY:
                    out = self.forward(a, inputs[1].array)
                else:
                    out = self._forward_on_gpu(inputs, (a, inputs[1].array))
            elif n == 1:
                a = inputs[0].array
                if type(a) is _NUMPY_ARRAY:
                    out = self.forward(a)
                else:
                    out = self._forward_on_gpu(inputs, (a,))
            else:
                arrays = [t.array for t in inputs]
                if not arrays or type(arrays[0]) is _NUMPY_ARRAY:
                    out = self.forward(*arrays)
                else:
                    out = self._forward_on_gpu(inputs, arrays)
        except _MixedDevices:
            moved = self._cpu_scalars_moved(inputs)
            if moved is None:
                raise self._device_error(inputs) from None
            return self(*moved)
        except ValueError as exc:
            moved = self._cpu_scalars_moved(inputs)
            if moved is not None:
                return self(*moved)
            raise (self._device_error(inputs) or self._shape_error(inputs, exc)) from None
        except TypeError as exc:
            moved = self._cpu_scalars_moved(inputs)
            if moved is not None:
                return self(*moved)
            raise (self._device_error(inputs) or exc) from None
        if type(out) not in _ARRAY_TYPES:
            out = _as_array(out)
        result = _make_tensor(out)
        base = out.base
        if base is not None and inputs:
            a = inputs[0]
            if base is a.array or base is a.array.base:
                # A view (it shares the input's memory): one version counter for both.
                result._vc = a._counter()
                root = a._base if a._base is not None else a
                result._base = root
                result._view_fn = root.grad_fn
        if _recorder is not None:
            _recorder.record_node(self, inputs, result)
        if not _grad_enabled():
            return result
        if n == 2:  # NOTE: the commonest case spelled out: no lists, loops or tuple() calls
            a, b = inputs
            if a._base is not None and a._base.grad_fn is not a._view_fn:
                refresh_view(a)  # its base was rebased by an in-place op since it was made
            if b._base is not None and b._base.grad_fn is not b._view_fn:
                refresh_view(b)
            need_a, need_b = a._requires_grad, b._requires_grad
            if not (need_a or need_b):
                return result
            fa, fb = a.grad_fn, b.grad_fn
            self.next_edges = (
                a if fa is None and need_a else fa,
                b if fb is None and need_b else fb,
            )
            self.needs_input_grad = (need_a, need_b)
            self.in_shapes = (a.array.shape, b.array.shape)
        else:
            requires_grad = False
            for t in inputs:
                if t._base is not None and t._base.grad_fn is not t._view_fn:
                    refresh_view(t)
                if t._requires_grad:
                    requires_grad = True
            if not requires_grad:
                return result
            edges, needs, shapes = [], [], []  # NOTE: one loop: 3x cheaper than three genexprs
            for t in inputs:
                fn, needed = t.grad_fn, t._requires_grad
                edges.append(t if fn is None and needed else fn)
                needs.append(needed)
                shapes.append(t.array.shape)
            self.next_edges = tuple(edges)
            self.needs_input_grad = tuple(needs)
            self.in_shapes = tuple(shapes)
        saved = self._saved
        if saved:
            if saved == _ALL_OF_TWO and n == 2:  # NOTE: Mul, Div, MatMul...: no comprehensions
                saved = self._saved = inputs
                va, vb = inputs[0]._vc, inputs[1]._vc
                self._saved_versions = (0 if va is None else va[0], 0 if vb is None else vb[0])
            else:
                saved = self._saved = tuple([inputs[i] for i in saved])
                self._saved_versions = tuple([0 if t._vc is None else t._vc[0] for t in saved])
        if self._save_out:
            self._out_data = out
            self._out_vc = result._counter()  # the counter, not the tensor: no reference cycle
            self._out_version = self._out_vc[0]
        if _anomaly_enabled():
            _anomaly.record(self)
        result._requires_grad = True
        result.grad_fn = self
        if (saved or self._save_out) and _saved_hooks.get():
            self._pack(result)
        return result

    def _shape_error(self, inputs, exc) -> Exception:
        if "different from the current device" in str(exc):  # CuPy: an operand the node holds
            return RuntimeError(
                f"{type(self).__name__}: expected all tensors to be on the same device, but "
                f"they are not ({exc}). Move them to one device with .to(device) first."
            )
        shapes = [tuple(t.array.shape) for t in inputs]
        shown = " and ".join(str(s) for s in shapes)
        if "broadcast" in str(exc) and len(shapes) == 2:
            return RuntimeError(broadcast_message(type(self).__name__, *shapes))
        return RuntimeError(
            f"{type(self).__name__}: cannot apply to tensors of shapes {shown}: {exc}; check "
            "the input shapes against what the operation expects."
        )

    def _forward_on_gpu(self, inputs, arrays):
        """``forward`` with the inputs' GPU current (CuPy runs kernels on the current device);
        inputs on two devices are refused here, as CuPy with peer access would not."""
        context = array_backend.device_context(arrays)
        if context is None:
            raise _MixedDevices
        with context:
            return self.forward(*arrays)

    @staticmethod
    def _cpu_scalars_moved(inputs):
        """PyTorch's one exception to "all inputs on one device": 0-d CPU tensors (scalars)
        may meet tensors of one GPU. The inputs with those scalars moved there (a recorded,
        differentiable move), or None when that is not the case."""
        scalars, devices = False, set()
        for t in inputs:
            if t.array.ndim == 0 and type(t.array) is _NUMPY_ARRAY:
                scalars = True
            else:
                devices.add(t.device)
        if not scalars or len(devices) != 1:
            return None
        (device,) = devices
        if device.type != "cuda":
            return None
        return [t.to(device) if t.array.ndim == 0 and type(t.array) is _NUMPY_ARRAY else t
                for t in inputs]  # fmt: skip

    def _device_error(self, inputs) -> RuntimeError | None:
        """PyTorch's error for inputs on more than one device (None if they share one)."""
        devices = {str(t.device) for t in inputs}
        if len(devices) > 1:
            where = ", ".join(f"input {i} on {t.device}" for i, t in enumerate(inputs))
            return RuntimeError(
                f"{type(self).__name__}: expected all tensors to be on the same device, but "
                f"found {where}. Move them to one device with .to(device) first."
            )
        return None

    def name(self) -> str:
        """PyTorch's name of this node's backward function (``MulBackward0``,
        ``SumBackward1``), as ``repr(tensor.grad_fn)`` and messages show it."""
        return self._backward_name or f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class _MixedDevices(Exception):
    """Raised inside ``Node.__call__`` when a GPU input meets an input on another device."""


class _ModifiedArray:
    """What ``saved_values`` gives for a saved array modified in place: any array operation on
    it (a ufunc, an operator, an attribute) raises the in-place error."""

    __slots__ = ("_error",)
    __array_priority__ = 10_000

    def __init__(self, error: RuntimeError):
        self._error = error

    def _raise(self, *args, **kwargs):
        raise RuntimeError(*self._error.args)

    __array_ufunc__ = __array_function__ = _raise
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _raise
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _raise
    __neg__ = __getitem__ = __array__ = _raise

    def __getattr__(self, name):
        self._raise()


class _Packed:
    """A saved tensor as the pack hook returned it, with what is needed to give the unpacked
    tensor the saved one's place in the graph (its grad_fn, or the leaf it came from)."""

    __slots__ = ("packed", "source", "requires_grad", "output", "grad_fn", "leaf")


def pack_saved(hooks: tuple, t: Tensor, output: bool = False) -> _Packed:
    """Pass ``t`` to the innermost pack hook; ``output``: ``t`` is the saving node's output."""
    version = t._version
    packed = hooks[-1][0](t)
    if t._version != version:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as input "
            "to pack hook cannot be modified by in-place operations as this can lead to "
            "unexpected side-effects. Return a modified copy (e.g. t.clone()) instead."
        )
    rec = _Packed()
    rec.packed, rec.source, rec.requires_grad, rec.output = packed, id(t), t.requires_grad, output
    rec.grad_fn = None if output else t.grad_fn
    # NOTE: a weak reference to a leaf: the hooks may be there to let the saved data go.
    rec.leaf = weakref.ref(t) if t.requires_grad and t.grad_fn is None and not output else None
    return rec


def unpack_saved(node: Node, rec: _Packed) -> Tensor:
    """The unpack hook's tensor, in the saved tensor's place in the graph (PyTorch: the
    unpacked tensor has the original's grad_fn; in-place checks do not apply with hooks)."""
    data = node._unpack(rec.packed)
    if not isinstance(data, Tensor):
        raise TypeError(
            "Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
            f"{type(data).__name__}"
        )
    if not rec.requires_grad:
        return data
    t = Tensor._make(data.array)
    t._requires_grad = True
    if rec.output:
        t.grad_fn = node
    elif rec.grad_fn is not None:
        t.grad_fn = rec.grad_fn
    else:
        leaf = rec.leaf()
        if leaf is not None:  # an identity node into the leaf, so its gradient still arrives
            from .ops.arith import Clone  # NOTE: an ordinary op; imported here, used rarely

            alias = Clone()
            alias.next_edges, alias.needs_input_grad = (leaf,), (True,)
            alias.in_shapes = (leaf.array.shape,)
            t.grad_fn = alias
    return t


def broadcast_message(op: str, a: tuple, b: tuple) -> str:
    """PyTorch's message for shapes that do not broadcast, with both shapes and the fix."""
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            dim = max(len(a), len(b)) - i
            return (
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at "
                f"non-singleton dimension {dim}: {op} got shapes {a} and {b}, which do not "
                "broadcast; reshape or unsqueeze the inputs so that each dimension is equal or 1."
            )
    return f"{op}: shapes {a} and {b} do not broadcast"


class _Modified(Tensor):
    """What ``saved_tensors`` gives for a saved tensor modified in place: reading its data (or
    anything computed from it) raises the in-place error."""

    __slots__ = ("_error",)

    def __init__(self, error: RuntimeError):
        self._error = error
        self._requires_grad, self.grad_fn = False, None

    @property
    def array(self):
        raise RuntimeError(*self._error.args)
