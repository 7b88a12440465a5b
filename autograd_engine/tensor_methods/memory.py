"""Tensor methods about memory: strides and offsets, memory formats, DLPack export, pinned
host memory, shared memory for other processes (``Tensor`` inherits them from
``MemoryMethods``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import array_backend, layouts
from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time

if TYPE_CHECKING:
    from ..tensor import Tensor


class MemoryMethods:
    __slots__ = ()

    # --- layout ----------------------------------------------------------------------------------
    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (``torch.Tensor.stride``)."""
        a = self.array
        steps = tuple(s // a.itemsize for s in a.strides)
        if dim is None:
            return steps
        return steps[_t._norm_dim(dim, a.ndim)[0]]

    def is_contiguous(self, memory_format=layouts.contiguous_format) -> bool:
        """Whether the elements are laid out in ``memory_format`` (C order by default)."""
        return layouts.is_in_memory_format(self.array, memory_format)

    def storage_offset(self) -> int:
        """The position of the first element in the underlying buffer, in elements."""
        a, root = self.array, self.array
        while getattr(root, "base", None) is not None and hasattr(root.base, "dtype"):
            root = root.base
        return (_address(a) - _address(root)) // a.itemsize

    def data_ptr(self) -> int:
        """The address of the first element (``torch.Tensor.data_ptr``)."""
        return _address(self.array)

    @property
    def nbytes(self) -> int:
        """The size of the data in bytes (``torch.Tensor.nbytes``)."""
        return int(self.array.nbytes)

    @property
    def itemsize(self) -> int:
        """The size of one element in bytes (``torch.Tensor.itemsize``)."""
        return int(self.array.itemsize)

    @property
    def layout(self):
        """``autograd_engine.strided``: tensors here are dense."""
        return layouts.strided

    @property
    def is_cpu(self) -> bool:
        """Whether the data is on the CPU (``torch.Tensor.is_cpu``)."""
        return self.device.type == "cpu"

    is_sparse = is_quantized = is_meta = is_mps = is_xpu = is_mkldnn = is_nested = False

    def is_complex(self) -> bool:
        """False: no dtype here is complex (``torch.Tensor.is_complex``)."""
        return False

    def is_conj(self) -> bool:
        """False: real tensors are never conjugated views (``torch.Tensor.is_conj``)."""
        return False

    def is_neg(self) -> bool:
        """False: real tensors are never negated views (``torch.Tensor.is_neg``)."""
        return False

    def conj(self) -> Tensor:
        """Itself: the conjugate of a real tensor (``torch.Tensor.conj``)."""
        return self

    conj_physical = resolve_conj = resolve_neg = conj

    @property
    def real(self) -> Tensor:
        """Itself: the real part of a real tensor (``torch.Tensor.real``)."""
        return self

    @property
    def imag(self):
        """PyTorch's error: real tensors have no imaginary part (``torch.Tensor.imag``)."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """Itself (converted to ``dtype`` if given): tensors here are dense."""
        return self if dtype is None else self.to(dtype)

    def to_sparse(self, *args, **kwargs):
        """Raises: sparse tensors are not supported (``torch.Tensor.to_sparse``)."""
        raise RuntimeError(
            "to_sparse: sparse tensors are not supported by autograd_engine; keep the tensor "
            "dense (or keep the indices and values of its nonzeros: t.nonzero(), t[t != 0])"
        )

    def to_padded_tensor(self, padding, output_size=None):
        """Raises: this is a method of nested tensors, which do not exist here."""
        raise RuntimeError(
            "to_padded_tensor is a method of nested tensors, which autograd_engine does not "
            "have; pad sequences with autograd_engine.nn.utils.rnn.pad_sequence"
        )

    def resize_(self, *sizes, memory_format=None) -> Tensor:
        """Give the tensor the shape ``sizes`` in place (``torch.Tensor.resize_``): the
        elements are kept in row-major order and new ones are uninitialized."""
        from ..creation import _size

        shape = _size(sizes)
        if self.requires_grad:
            raise RuntimeError(
                "cannot resize variables that require grad (resize_ is not differentiable; "
                "use reshape or detach first)"
            )
        xp = array_backend.get_array_module(self.array)
        n = 1
        for s in shape:
            n *= s
        flat = self.array.reshape(-1)
        if n == flat.size:
            out = flat.reshape(shape)
        else:
            out = xp.empty(shape, dtype=self.array.dtype)
            k = min(n, flat.size)
            out.reshape(-1)[:k] = flat[:k]
        self.array = out
        self._counter()[0] += 1
        return self

    def resize_as_(self, other, memory_format=None) -> Tensor:
        """``resize_`` to ``other``'s shape (``torch.Tensor.resize_as_``)."""
        return self.resize_(*other.shape)

    def resize(self, *sizes) -> Tensor:
        """Deprecated in PyTorch (it warns): a copy resized as :meth:`resize_` does."""
        import warnings

        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return _t.Tensor._make(self.array.copy()).resize_(*sizes)

    def apply_(self, callable) -> Tensor:
        """Replace each element ``x`` by ``callable(x)``, in Python, on a CPU tensor
        (``torch.Tensor.apply_``; slow, and not differentiable)."""
        self._check_python_map("apply_")
        values = [callable(v) for v in self.array.reshape(-1).tolist()]
        self.array[...] = array_backend.numpy.asarray(values).reshape(self.array.shape)
        self._counter()[0] += 1
        return self

    def map_(self, tensor, callable) -> Tensor:
        """Replace each element ``x`` by ``callable(x, y)`` with ``y`` from ``tensor``
        (broadcast), on CPU tensors (``torch.Tensor.map_``)."""
        self._check_python_map("map_")
        other = array_backend.numpy.broadcast_to(tensor.array, self.array.shape)
        pairs = zip(self.array.reshape(-1).tolist(), other.reshape(-1).tolist())
        values = [callable(a, b) for a, b in pairs]
        self.array[...] = array_backend.numpy.asarray(values).reshape(self.array.shape)
        self._counter()[0] += 1
        return self

    def _check_python_map(self, op: str) -> None:
        if self.device.type != "cpu":
            raise TypeError(f"{op} is only implemented on CPU tensors")
        if self.requires_grad:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be changed in Python")

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """An uninitialized tensor of ``size``, with this tensor's dtype and device unless given
        (``torch.Tensor.new_empty``)."""
        dtype, device = dtype or self.dtype, device or self.device
        return _t._creation.empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    # --- DLPack ----------------------------------------------------------------------------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Export the data without copying (the DLPack protocol): ``numpy.from_dlpack(t)``,
        ``torch.from_dlpack(t)`` and ``cupy.from_dlpack(t)`` share its memory."""
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {"stream": stream}
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        try:
            return self.array.__dlpack__(**kwargs)
        except TypeError:  # an older NumPy/CuPy: only ``stream``
            return self.array.__dlpack__(stream=stream)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    # --- pinned and shared memory ----------------------------------------------------------------
    def pin_memory(self, device=None) -> Tensor:
        """A copy in page-locked host memory, for faster copies to the GPU
        (``torch.Tensor.pin_memory``); needs CuPy and a GPU, as PyTorch needs an accelerator."""
        return _t.Tensor._make(array_backend.pinned_copy(self.array))

    def is_pinned(self, device=None) -> bool:
        """Whether the data is in page-locked host memory made by :meth:`pin_memory`."""
        return array_backend.is_pinned(self.array)

    def share_memory_(self) -> Tensor:
        """Move the data into shared memory, so that processes started afterwards (and those
        it is sent to through ``multiprocessing``) see one copy (``torch.Tensor.share_memory_``);
        a no-op on a GPU or when already shared."""
        if self.device.type == "cpu" and not array_backend.is_shared(self.array):
            self.array = array_backend.shared_copy(self.array)
            _send_shared_by_handle(type(self))
        return self

    def is_shared(self) -> bool:
        """Whether the data is in shared memory (:meth:`share_memory_`), as PyTorch reports it
        (CUDA tensors count as shared)."""
        return self.device.type == "cuda" or array_backend.is_shared(self.array)


def _address(a) -> int:
    interface = getattr(a, "__cuda_array_interface__", None) or a.__array_interface__
    return interface["data"][0]


_REGISTERED: set = set()


def _send_shared_by_handle(cls) -> None:
    """Make ``multiprocessing`` send tensors of class ``cls`` whose data is shared as a handle
    to the segment (PyTorch's ``torch.multiprocessing`` reductions) instead of a copy."""
    if cls in _REGISTERED:
        return
    from multiprocessing.reduction import ForkingPickler

    ForkingPickler.register(cls, _reduce_tensor)
    _REGISTERED.add(cls)


def _reduce_tensor(t):
    where = array_backend.shared_segment(t.array)
    if where is None:
        return t.__reduce_ex__(4)
    a = t.array
    meta = (where[0], where[1], a.shape, a.strides, a.dtype.str)
    return _rebuild_shared, (type(t), meta, bool(t.requires_grad))


def _rebuild_shared(cls, meta, requires_grad: bool):
    array = array_backend.attach_shared(*meta)
    t = _t.Tensor._make(array)
    if cls is not _t.Tensor:
        return cls(t, requires_grad)
    t.requires_grad = requires_grad
    return t
