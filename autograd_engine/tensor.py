"""The Tensor: one backend array plus what autograd needs (``grad``, ``requires_grad``,
``grad_fn``), with PyTorch's methods. Operations live in ``ops/``; this file wires them up."""

from __future__ import annotations

import weakref

from . import array_backend
from .array_backend import Device
from .dtypes import _BY_NUMPY as _DTYPES
from .dtypes import as_dtype, bool_, float16, float32, float64, int32, int64
from .dtypes import torch_dtype as _torch_dtype
from .grad_mode import grad_enabled as _grad_enabled
from .hooks import RemovableHandle
from .tensor_methods import (
    ElementwiseMethods,
    InplaceMethods,
    MatrixMethods,
    MemoryMethods,
    ReductionMethods,
    ShapeMethods,
)

_tuple_new = tuple.__new__
_np_dtype = array_backend.numpy.dtype

_as_array = array_backend.ensure_array


def _check_requires_grad(dtype, requires_grad: bool) -> None:
    if requires_grad and dtype.kind != "f":
        raise RuntimeError(
            f"Only Tensors of floating point dtype can require gradients, got dtype {dtype}. "
            "Convert with .float() (or create it with dtype=autograd_engine.float32)."
        )


class Tensor(
    ElementwiseMethods, ReductionMethods, ShapeMethods, MatrixMethods, InplaceMethods, MemoryMethods
):
    """An n-dimensional array that records the operations applied to it (``torch.Tensor``).

    ``Tensor(*args)`` is PyTorch's legacy constructor: ``Tensor(2, 3)`` is an uninitialized
    tensor of that shape, ``Tensor([1, 2])`` a copy of the data in the default dtype (float32,
    even for ints), ``Tensor(t)`` shares ``t``'s memory, ``Tensor()`` is empty. Beyond
    PyTorch it also takes ``requires_grad=`` and ``dtype=``. Prefer :func:`tensor`.

    Attributes: ``data`` (a detached Tensor sharing this one's memory, as in PyTorch),
    ``array`` (the NumPy or CuPy array itself), ``grad`` (a Tensor or None),
    ``requires_grad``, ``grad_fn`` (the node that made it; None for a leaf), ``shape``,
    ``dtype``, ``device``.

    Example::

        x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = (x @ x).relu().sum()
        y.backward()
        x.grad            # dy/dx, a Tensor of shape (2, 2)
    """

    __slots__ = ("array", "_requires_grad", "grad_fn", "__dict__", "__weakref__")
    # NOTE: what most tensors never set is a class-level default rather than a slot, so that
    # making a tensor writes three attributes (the instance dict appears only when one of the
    # others is set). ``_vc`` is the version counter, a one-element list bumped by every
    # in-place write and shared by a view and its base (their memory is shared); it is made
    # on first need (None means version 0). ``_base`` is the tensor a view looks into, and
    # ``_view_fn`` the base's grad_fn when the view's history was made.
    grad = None
    _vc = None
    _base = None
    _view_fn = None
    _hooks = None
    _post_hooks = None  # register_post_accumulate_grad_hook's: id -> hook(tensor)
    _retains_grad = False
    __array_priority__ = 1000  # numpy_array * tensor defers to Tensor.__rmul__

    def __init__(self, *args, device=None, requires_grad: bool = False, dtype=None):
        self.array = _creation.class_array(args, dtype, device, requires_grad)
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None

    @classmethod
    def _make(cls, array) -> Tensor:
        """Wrap a backend array without copying or checks (the ops' fast path)."""
        t = object.__new__(Tensor)
        t.array = array
        t._requires_grad = False
        t.grad_fn = None
        return t

    # --- attributes ------------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """A Tensor sharing this tensor's memory, outside the graph (``torch.Tensor.data``).

        It does not require grad and has its own version counter, so in-place writes through
        it (``p.data.add_(...)``, ``p.data.copy_(...)``) are invisible to autograd's checks.
        Assigning ``t.data = other`` makes ``t`` hold ``other``'s array (shape and dtype may
        change, as in PyTorch). Internal code reads the backend array as ``t.array``.
        """
        return Tensor._make(self.array)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Tensor.data must be set to a Tensor, got {type(value).__name__}; wrap arrays "
                "with autograd_engine.as_tensor(...) first."
            )
        self.array = value.array

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        _check_requires_grad(self.array.dtype, value)
        self._requires_grad = value

    @property
    def shape(self) -> Size:
        """The sizes of the dimensions, a :class:`Size` (a tuple)."""
        return _tuple_new(Size, self.array.shape)

    @property
    def dtype(self) -> dtype:
        """The element type, an ``autograd_engine.dtype`` (equal to the array's NumPy dtype)."""
        d = _DTYPES.get(self.array.dtype)
        return d if d is not None else _torch_dtype(self.array.dtype)

    @property
    def device(self) -> Device:
        """Where the data lives: ``device(type='cpu')`` or a CUDA device
        (``torch.Tensor.device``)."""
        return array_backend.device_of(self.array)

    @property
    def ndim(self) -> int:
        """The number of dimensions (``torch.Tensor.ndim``)."""
        return self.array.ndim

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded operation made (``grad_fn`` is None); only leaves keep
        ``.grad`` (``torch.Tensor.is_leaf``)."""
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        """Whether the data is on a GPU (``torch.Tensor.is_cuda``)."""
        return self.device.type == "cuda"

    @property
    def T(self) -> Tensor:
        """The dimensions in reverse order, a view (``torch.Tensor.T``)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped, a view (``torch.Tensor.mT``)."""
        return self.transpose(-2, -1)

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad is not False

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor (or a view sharing its memory) has seen."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._counter()[0] = value

    def _counter(self) -> list:
        """The version counter, made on first need."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def size(self, dim: int | None = None):
        """The shape as a :class:`Size`, or the size of dimension ``dim``."""
        if dim is None:
            return _tuple_new(Size, self.array.shape)
        if self.array.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self.array.shape[_norm_dim(dim, self.array.ndim)[0]]

    def dim(self) -> int:
        """The number of dimensions (``torch.Tensor.dim``)."""
        return self.array.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements (``torch.Tensor.numel``)."""
        return int(self.array.size)

    nelement = numel

    def element_size(self) -> int:
        """The size of one element in bytes (``torch.Tensor.element_size``)."""
        return self.array.dtype.itemsize

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type (``torch.Tensor.is_floating_point``)."""
        return self.array.dtype.kind == "f"

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def item(self):
        """The value of a one-element tensor as a Python number (``torch.Tensor.item``)."""
        if _node._recorder is not None:  # a compiled step reads a value: it cannot be replayed
            _node._recorder.host_read(self, "item()")
        if self.array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.array.size} elements cannot be converted to a Python "
                f"scalar (shape {tuple(self.shape)}); index it or reduce it first."
            )
        return self.array.reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of numbers (``torch.Tensor.tolist``)."""
        return self.numpy().tolist()

    def numpy(self, *, force: bool = False):
        """A host NumPy array of the data (shared on the CPU, copied from a GPU); ``force`` is
        accepted (it never needs to copy more than that here)."""
        if _node._recorder is not None:
            _node._recorder.host_read(self, "numpy()")
        return array_backend.to_device(self.array, array_backend.CPU)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if _node._recorder is not None:
            _node._recorder.host_read(self, "bool()")
        if self.array.size != 1:
            raise RuntimeError(
                f"Boolean value of a Tensor with {self.array.size} values (shape "
                f"{tuple(self.shape)}) is ambiguous; use .any() or .all()."
            )
        return bool(self.array.reshape(()).item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    # --- operators ----------------------------------------------------------------------------
    # NOTE: the commonest arithmetic, two tensors of one dtype, goes straight to its node: two
    # Python frames fewer than ops.add -> binary (about 0.15 us of a 1 us op). Any other operand
    # (a Python number, another dtype) takes the general path, which promotes types.
    def __add__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return _ops.Add()(self, other)
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return _ops.Sub()(self, other)
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return _ops.Mul()(self, other)
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        t = self.array.dtype
        if isinstance(other, Tensor) and other.array.dtype is t and t.kind == "f":
            return _ops.Div()(self, other)
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.div(self, other, rounding_mode="floor")

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(_operand(other, self), self)

    def __neg__(self):
        return _ops.Neg()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        """``t[index] = value`` in place: slices, ints, index arrays or masks; ``value`` a
        tensor or scalar broadcast to ``t[index]``. Differentiable w.r.t. both the tensor's
        history and ``value``."""
        _inplace.setitem(self, index, value)

    def __iadd__(self, other):
        return _inplace.add_(self, other)

    def __isub__(self, other):
        return _inplace.sub_(self, other)

    def __imul__(self, other):
        return _inplace.mul_(self, other)

    def __itruediv__(self, other):
        return _inplace.div_(self, other)

    def __eq__(self, other):
        return _ops.compare("__eq__", self, other)

    def __ne__(self, other):
        return _ops.compare("__ne__", self, other)

    def __lt__(self, other):
        return _ops.compare("__lt__", self, other)

    def __le__(self, other):
        return _ops.compare("__le__", self, other)

    def __gt__(self, other):
        return _ops.compare("__gt__", self, other)

    def __ge__(self, other):
        return _ops.compare("__ge__", self, other)

    def __invert__(self):
        return Tensor._make(~self.array)

    def __and__(self, other):
        return _ops.compare("__and__", self, other)

    def __or__(self, other):
        return _ops.compare("__or__", self, other)

    def __xor__(self, other):
        return _ops.compare("__xor__", self, other)

    __hash__ = object.__hash__

    # --- autograd --------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``torch.Tensor.backward``).

        Args:
            gradient: d(loss)/d(self) for a non-scalar ``self``; omit it for a scalar.
            retain_graph: keep saved values so that backward can run again through the graph
                (defaults to ``create_graph``).
            create_graph: record the backward pass, for higher-order gradients.
            inputs: accumulate only into these leaves.
        """
        from .engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data (and version counter), outside the graph."""
        t = Tensor._make(self.array)
        t._vc = self._counter()
        return t

    def __deepcopy__(self, memo) -> Tensor:
        """A copy of a leaf (data, ``requires_grad`` and ``grad``); a tensor with history
        cannot be deep-copied (PyTorch's rule), since its graph is not copied."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment. Copy t.detach() (or t.clone()) instead."
            )
        out = memo.get(id(self))
        if out is None:
            out = Tensor._make(self.array.copy())
            out._requires_grad = self._requires_grad
            if self.grad is not None:
                out.grad = self.grad.__deepcopy__(memo)
            memo[id(self)] = out
        return out

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place: it becomes a leaf
        (``torch.Tensor.detach_``)."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return the tensor
        (``torch.Tensor.requires_grad_``)."""
        self.requires_grad = requires_grad  # the property checks leaf and dtype, as PyTorch
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (``torch.Tensor.retain_grad``).

        The retained gradient is the one after this tensor's hooks (whenever they were
        registered), it accumulates over backward calls like a leaf's, and it follows the
        tensor through in-place operations (it is the gradient of the latest value).
        """
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad is not False:
            return
        ref = weakref.ref(self)  # NOTE: weak, so the graph does not keep the tensor alive

        def keep(grad):
            t = ref()
            if t is not None:
                g = grad.detach() if not _grad_enabled() else grad
                t.grad = g if t.grad is None else t.grad + g

        self.grad_fn._retain = keep
        self._retains_grad = keep

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time this tensor's gradient is computed; a non-None return
        (of the same shape) replaces the gradient (``torch.Tensor.register_hook``).

        Hooks run in registration order, each seeing the previous one's result. On a leaf they
        run before the gradient is accumulated into ``.grad``; on a non-leaf, before the
        gradient flows on to its inputs. Returns a handle whose ``remove()`` unregisters it.

        Example::

            h = y.register_hook(lambda g: g.clamp(-1, 1))   # clip y's gradient
            ...
            h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        owner = self.grad_fn if self.grad_fn is not None else self  # a node's or a leaf's hooks
        hooks = owner._hooks
        if hooks is None:
            hooks = owner._hooks = {}
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf right after backward has accumulated its gradient
        into ``.grad`` (``torch.Tensor.register_post_accumulate_grad_hook``).

        The hook runs as soon as the leaf's gradient is complete, while the rest of backward
        is still to run (DistributedDataParallel starts its bucket all-reduce from here).
        Returns a handle whose ``remove()`` unregisters it.

        Example::

            w.register_post_accumulate_grad_hook(lambda p: print(p.grad.norm()))
        """
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._post_hooks
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # --- conversion ------------------------------------------------------------------------------
    def to(self, *args, non_blocking=False, copy=False, memory_format=None, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``, and
        ``memory_format=``; differentiable, and ``self`` when nothing changes (unless
        ``copy=True``). ``non_blocking`` is accepted; copies here are synchronous."""
        dev, dtype = None, None
        for a in list(args) + [kwargs.pop("device", None), kwargs.pop("dtype", None)]:
            if a is None:
                continue
            if isinstance(a, Tensor):
                dev, dtype = a.device, a.dtype
            elif isinstance(a, (str, Device)):
                dev = array_backend.device(a)
            elif isinstance(a, int) and not isinstance(a, bool):
                dev = array_backend.device(f"cuda:{a}")
            else:
                dtype = as_dtype(a)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        out = self
        if dev is not None and dev != self.device:
            out = _ops.to_device(out, dev)
        if dtype is not None and dtype != out.array.dtype:
            out = _ops.cast(out, dtype)
        fmt = memory_format
        if fmt is not None and not _layouts.is_in_memory_format(out.array, fmt):
            return _ops.clone(out, memory_format=fmt)
        if copy and out is self:
            out = _ops.clone(self)
        return out

    def cpu(self, memory_format=None) -> Tensor:
        """The tensor on the CPU (itself if it is there) (``torch.Tensor.cpu``)."""
        return self.to("cpu", memory_format=memory_format)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        """A copy on the GPU (``device``: an index or ``"cuda:N"``; the current one by
        default); ``non_blocking`` is accepted, the copy is synchronous here."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device, memory_format=memory_format)

    def float(self) -> Tensor:
        """Cast to float32 (``torch.Tensor.float``)."""
        return self.to(float32)

    def double(self) -> Tensor:
        """Cast to float64 (``torch.Tensor.double``)."""
        return self.to(float64)

    def half(self) -> Tensor:
        """Cast to float16 (``torch.Tensor.half``)."""
        return self.to(float16)

    def long(self) -> Tensor:
        """Cast to int64 (``torch.Tensor.long``)."""
        return self.to(int64)

    def int(self) -> Tensor:
        """Cast to int32 (``torch.Tensor.int``)."""
        return self.to(int32)

    def bool(self) -> Tensor:
        """Cast to bool (``torch.Tensor.bool``)."""
        return self.to(bool_)

    def byte(self) -> Tensor:
        """Cast to uint8 (``torch.Tensor.byte``)."""
        return self.to(_np_dtype("uint8"))

    def char(self) -> Tensor:
        """Cast to int8 (``torch.Tensor.char``)."""
        return self.to(_np_dtype("int8"))

    def short(self) -> Tensor:
        """Cast to int16 (``torch.Tensor.short``)."""
        return self.to(_np_dtype("int16"))

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """With no argument, PyTorch's type string (``"torch.FloatTensor"``,
        ``"torch.cuda.LongTensor"``); else this tensor converted to ``dtype`` (a dtype, a
        legacy type such as ``autograd_engine.LongTensor``, or a type string), or itself if it
        already has that type (``torch.Tensor.type``)."""
        if dtype is None:
            return _legacy.type_string(self)
        return _legacy.convert(self, dtype, non_blocking)

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to ``other``'s dtype (``torch.Tensor.type_as``)."""
        return self.to(other.dtype)

    def clone(self, *, memory_format=None) -> Tensor:
        """A copy with its own memory, differentiable (``torch.Tensor.clone``)."""
        return _ops.clone(self, memory_format=memory_format)

    def contiguous(self, memory_format=None) -> Tensor:
        """Self if its array is laid out in ``memory_format`` (C order by default), else a copy
        that is (``torch.Tensor.contiguous``; so an in-place op on the result of
        ``x.T.contiguous()`` leaves ``x`` alone)."""
        if memory_format is None or memory_format is _layouts.contiguous_format:
            return self if self.array.flags.c_contiguous else _ops.clone(self)
        if _layouts.is_in_memory_format(self.array, memory_format):
            return self
        return _ops.clone(self, memory_format=memory_format)

    def new_tensor(self, data, dtype=None, requires_grad=False) -> Tensor:
        """A new leaf tensor of ``data`` on this tensor's device, with its dtype unless given
        (``torch.Tensor.new_tensor``)."""
        return _creation.tensor(data, dtype=dtype or self.dtype, device=self.device,
                      requires_grad=requires_grad)  # fmt: skip

    def new_zeros(self, *size, dtype=None) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device (``torch.Tensor.new_zeros``)."""
        return _creation.zeros(*size, dtype=dtype or self.dtype, device=self.device)

    def new_ones(self, *size, dtype=None) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device (``torch.Tensor.new_ones``)."""
        return _creation.ones(*size, dtype=dtype or self.dtype, device=self.device)

    def new_full(self, size, fill_value, dtype=None) -> Tensor:
        """``fill_value`` in ``size`` with this tensor's dtype and device
        (``torch.Tensor.new_full``)."""
        return _creation.full(size, fill_value, dtype=dtype or self.dtype, device=self.device)

    # --- printing --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        """PyTorch's layout: ``tensor([1.0000, 2.5000], requires_grad=True)``."""
        return _printing.tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.array.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


from . import creation as _creation  # noqa: E402  (creation needs Tensor defined first)
from . import layouts as _layouts  # noqa: E402
from . import legacy as _legacy  # noqa: E402
from . import node as _node  # noqa: E402  (node needs Tensor defined first)
from . import ops as _ops  # noqa: E402  (the ops need Tensor defined first)
from . import printing as _printing  # noqa: E402
from .dtypes import dtype  # noqa: E402
from .ops import inplace as _inplace  # noqa: E402
from .ops._util import norm_dim as _norm_dim  # noqa: E402
from .ops._util import operand as _operand  # noqa: E402
from .size import Size  # noqa: E402
