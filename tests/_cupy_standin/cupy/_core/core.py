"""The stand-in's ``cupy.ndarray``: a NumPy array (the simulated device memory) and the id of
the device it lives on, with CuPy's rules rather than NumPy's where they differ.

Modelled on ``cupy/_core/core.pyx``, ``_kernel.pyx``, ``_scalar.pyx`` and
``_routines_indexing.pyx`` (CuPy 14):

- no implicit conversion to the host: ``__array__`` raises CuPy's TypeError, so
  ``numpy.asarray(x)``, ``numpy.array([x])`` and NumPy functions that convert fail;
  ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``repr(x)`` go through ``x.get()``, as
  in CuPy (NumPy's rules for sizes then apply: ``float()`` of a size-2 array is a TypeError);
  there is no ``__index__``;
- every operation that runs a kernel checks each array argument against the current device
  (``_check_peer_access``): another device raises CuPy's ValueError, or, with simulated peer
  access (``CUPY_STANDIN_PEER_ACCESS=1``), warns ``PerformanceWarning`` and goes on; its
  result is allocated on the current device. Views (reshape, transpose, slicing, ...) run no
  kernel and stay on their base's device;
- a ``numpy.ndarray`` operand raises ``TypeError: Unsupported type <class 'numpy.ndarray'>``
  (CuPy's CScalar), NumPy and Python scalars are fine;
- NumPy ufuncs and functions called on stand-in arrays dispatch to the stand-in
  (``__array_ufunc__``/``__array_function__``), as with CuPy; a function the stand-in lacks
  makes NumPy raise TypeError;
- integer-array indices wrap around (``x[[1, 3]]`` of a 3-vector is ``x[[1, 0]]``), in
  getitem, setitem, ``take``, ``take_along_axis``, ``put_along_axis`` and ``ufunc.at``; a
  scalar index out of bounds raises IndexError;
- there is no read-only flag: broadcast views are writable (``flags`` has only
  ``c_contiguous``, ``f_contiguous`` and ``owndata``);
- results that NumPy returns as scalars (reductions, ``x[0]`` of a vector) are 0-d arrays,
  and ``x[0]`` is a view;
- floating-point errors never warn (GPU kernels set no flags);
- ``empty`` memory holds garbage (NaN for floats), as pooled device memory does.
"""

from __future__ import annotations

import os
import warnings
import weakref

import numpy

from cupy.cuda import runtime

_PEER_ACCESS = os.environ.get("CUPY_STANDIN_PEER_ACCESS", "0") == "1"
# dtypes CuPy supports: bool, integers, floats (half to double), complex.
_SUPPORTED_CHARS = frozenset("?bBhHiIlLqQefdFD")
_SCALAR_TYPES = (int, float, bool, complex, numpy.generic)
_NOT_SET = object()


class PerformanceWarning(RuntimeWarning):
    """CuPy's ``cupy._util.PerformanceWarning``."""


def _standin_missing(what: str) -> str:
    return (
        f"{what} (the CuPy stand-in in tests/_cupy_standin implements only what the "
        "project uses; model the missing piece on CuPy's source before using it)"
    )


def check_dtype(dtype) -> numpy.dtype:
    """CuPy's ``check_supported_dtype``: object, string and long-double arrays do not exist."""
    dtype = numpy.dtype(dtype)
    if dtype.char not in _SUPPORTED_CHARS or dtype.byteorder == ">":
        raise ValueError(f"Unsupported dtype {dtype}")
    return dtype


# The memory pool: bytes of live allocations per device, rounded up to CuPy's 512-byte unit;
# a freed block stays cached (counted in total_bytes) until free_all_blocks().
_pool_used = [0] * runtime.getDeviceCount()
_pool_cached = [0] * runtime.getDeviceCount()
_pool_blocks = [0] * runtime.getDeviceCount()


def _release(dev: int, nbytes: int) -> None:
    _pool_used[dev] -= nbytes
    _pool_cached[dev] += nbytes
    _pool_blocks[dev] += 1


def _allocate(array: numpy.ndarray, dev: int) -> None:
    nbytes = -(-array.nbytes // 512) * 512
    if nbytes == 0:
        return
    _pool_used[dev] += nbytes
    if _pool_cached[dev] >= nbytes:  # reuse a cached block first
        _pool_cached[dev] -= nbytes
        _pool_blocks[dev] = max(0, _pool_blocks[dev] - 1)
    weakref.finalize(_root(array), _release, dev, nbytes)


def _root(a: numpy.ndarray) -> numpy.ndarray:
    """The NumPy array that owns ``a``'s memory (through as_strided's wrappers too)."""
    owner, obj = a, a.base
    while obj is not None:
        if isinstance(obj, numpy.ndarray):
            owner = obj
        obj = getattr(obj, "base", None)
    return owner


def _pool_total_bytes(dev: int) -> int:
    return _pool_used[dev] + _pool_cached[dev]


def _writable(a: numpy.ndarray) -> numpy.ndarray:
    """CuPy has no read-only flag: make NumPy's read-only views (broadcasts) writable."""
    if not a.flags.writeable:
        try:
            a.flags.writeable = True
        except ValueError:
            a = numpy.lib.stride_tricks.as_strided(a, a.shape, a.strides, writeable=True)
    return a


def _wrap(a: numpy.ndarray, dev: int, fresh: bool, base: ndarray | None = None) -> ndarray:
    """A stand-in array for the host array ``a`` on device ``dev`` (``fresh``: newly
    allocated device memory, counted in the memory pool; ``base``: the array it is a view
    of, whose ``base`` it takes when that is a view too, as CuPy's ``_view`` does)."""
    if a.dtype.char not in _SUPPORTED_CHARS:
        check_dtype(a.dtype)
    out = object.__new__(ndarray)
    out._a = _writable(a)
    out._dev = dev
    out._base = None if base is None else (base._base if base._base is not None else base)
    if fresh:
        _allocate(a, dev)
    return out


def _check_peer_access(arr: ndarray, dev: int) -> None:
    """CuPy's ``_kernel._check_peer_access``: a kernel on ``dev`` reading ``arr``."""
    if arr._dev == dev:
        return
    msg = (
        f"The device where the array resides ({arr._dev}) is "
        f"different from the current device ({dev})."
    )
    if not _PEER_ACCESS:
        raise ValueError(f"{msg} Peer access is unavailable between these devices.")
    warnings.warn(
        f"{msg} Peer access has been activated automatically.", PerformanceWarning, stacklevel=3
    )


def _unwrap(x, dev: int, allow_host: bool):
    """The host array behind a kernel argument, after CuPy's argument checks."""
    if type(x) is ndarray:
        _check_peer_access(x, dev)
        return x._a
    if isinstance(x, ndarray):
        _check_peer_access(x, dev)
        return x._a
    if isinstance(x, numpy.ndarray):
        if allow_host:
            return x
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, dev, allow_host) for v in x)
    return x


def launch(func, args, kwargs, *, allow_host: bool = False, name: str | None = None):
    """Run ``func`` (a NumPy function) as a CuPy kernel launch on the current device: check
    every array argument's device, refuse host arrays, compute, and wrap the results (views of
    an argument stay on its device; new arrays land on the current device)."""
    dev = runtime.getDevice()
    host_args = [_unwrap(a, dev, allow_host) for a in args]
    host_kwargs = {k: _unwrap(v, dev, allow_host) for k, v in kwargs.items()}
    out = kwargs.get("out")
    with numpy.errstate(all="ignore"):
        result = func(*host_args, **host_kwargs)
    if out is not None and isinstance(out, ndarray):
        return out
    return wrap_result(result, dev, args)


def wrap_result(result, dev: int, sources=()):
    if isinstance(result, numpy.ndarray):
        for src in _arrays_in(sources):
            if numpy.may_share_memory(result, src._a):
                return _wrap(result, src._dev, False, src)
        return _wrap(result, dev, True)
    if isinstance(result, numpy.generic):
        return _wrap(numpy.asarray(result), dev, True)
    if isinstance(result, tuple):
        return tuple(wrap_result(r, dev, sources) for r in result)
    if isinstance(result, list):
        return [wrap_result(r, dev, sources) for r in result]
    return result


def _arrays_in(args):
    for a in args:
        if isinstance(a, ndarray):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _arrays_in(a)


def view(x: ndarray, result: numpy.ndarray) -> ndarray:
    """A view of ``x`` (no kernel runs, so no device check): it stays on ``x``'s device."""
    return _wrap(result, x._dev, False, x)


def maybe_view(x: ndarray, func, *args, **kwargs):
    """NumPy's answer as a view of ``x`` when it is one, else as a kernel's output."""
    result = func(x._a, *args, **kwargs)
    if isinstance(result, numpy.ndarray) and numpy.may_share_memory(result, x._a):
        return _wrap(result, x._dev, False, x)
    dev = runtime.getDevice()
    _check_peer_access(x, dev)
    return wrap_result(result, dev)


def _ufunc(name: str):
    import cupy

    return getattr(cupy, name)


def _should_use_rop(x, y) -> bool:
    """CuPy's ``_should_use_rop`` (NEP 13 plus ``__array_priority__``)."""
    y_ufunc = getattr(y, "__array_ufunc__", _NOT_SET)
    if y_ufunc is not _NOT_SET:
        return y_ufunc is None
    return getattr(x, "__array_priority__", 0) < getattr(y, "__array_priority__", 0)


def _binary(name: str):
    np_ufunc = getattr(numpy, name)

    def op(self, other):
        if isinstance(other, ndarray):
            return _ufunc(name)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        return np_ufunc(self, other)

    def rop(self, other):
        return np_ufunc(other, self)

    def iop(self, other):
        return _ufunc(name)(self, other, out=self)

    return op, rop, iop


class Flags:
    """CuPy's ``flags``: c_contiguous, f_contiguous and owndata; no ``writeable``."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c: bool, f: bool, own: bool):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    def __getitem__(self, name: str) -> bool:
        key = {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous"}
        key["OWNDATA"] = "owndata"
        if name not in key:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, key[name])


class MemoryPointer:
    """``ndarray.data``: the device and an address (the host buffer's, in the stand-in)."""

    __slots__ = ("ptr", "device_id")

    def __init__(self, ptr: int, device_id: int):
        self.ptr, self.device_id = ptr, device_id

    @property
    def device(self):
        from cupy.cuda import Device

        return Device(self.device_id)


class ndarray:
    """``cupy.ndarray`` on the stand-in (see the module docstring for the rules)."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError(_standin_missing("cupy.ndarray(memptr=, strides=)"))
        dtype = check_dtype(dtype)
        a = numpy.empty(shape, dtype, order=order)
        _garbage(a)
        self._a = a
        self._dev = runtime.getDevice()
        self._base = None
        _allocate(a, self._dev)

    def __getattr__(self, name: str):
        raise AttributeError(_standin_missing(f"'cupy.ndarray' object has no attribute {name!r}"))

    # Attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)

    @property
    def flags(self) -> Flags:
        f = self._a.flags
        return Flags(f.c_contiguous, f.f_contiguous, self._base is None)

    @property
    def base(self):
        """The array a view was made from (that array's base if it is a view itself), or
        None for an array that owns its memory, as in CuPy."""
        return self._base

    @property
    def __cuda_array_interface__(self) -> dict:
        """Version 3 of the CUDA array interface; the address is the host buffer's."""
        from cupy.cuda import get_current_stream

        return {
            "shape": self.shape,
            "typestr": self.dtype.str,
            "descr": self.dtype.descr,
            "stream": get_current_stream().ptr or 1,
            "version": 3,
            "strides": None if self._a.flags.c_contiguous else self.strides,
            "data": (self.data.ptr if self.size else 0, False),
        }

    @property
    def data(self) -> MemoryPointer:
        return MemoryPointer(self._a.__array_interface__["data"][0], self._dev)

    @property
    def device(self):
        from cupy.cuda import Device

        return Device(self._dev)

    @property
    def T(self) -> ndarray:
        return view(self, self._a.T)

    @property
    def real(self) -> ndarray:
        return maybe_view(self, lambda a: a.real)

    @property
    def imag(self) -> ndarray:
        return maybe_view(self, lambda a: a.imag)

    # Host conversion: explicit only.
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def get(self, stream=None, order="C", out=None, blocking=True) -> numpy.ndarray:
        if out is not None:
            if not isinstance(out, numpy.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            if out.shape != self.shape or out.dtype != self.dtype:
                raise ValueError("Shape or dtype mismatch between out and self")
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None) -> None:
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self.shape}, new shape: {arr.shape}")
        if arr.dtype != self.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self.dtype} array")
        self._a[...] = arr

    def item(self):
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def tobytes(self, order="C") -> bytes:
        return self._a.tobytes(order)

    def __int__(self):
        return int(self.get())

    def __float__(self):
        return float(self.get())

    def __complex__(self):
        return complex(self.get())

    def __bool__(self):
        if self.size == 0:
            warnings.warn(
                "The truth value of an empty array is ambiguous. Returning False, but in "
                "future this will result in an error. Use `array.size > 0` to check that an "
                "array is not empty.",
                DeprecationWarning,
                stacklevel=2,
            )
            return False
        if self.size == 1:
            return bool(self._a.reshape(()))
        raise ValueError(
            "The truth value of an array with more than one element is ambiguous. "
            "Use a.any() or a.all()"
        )

    def __repr__(self) -> str:
        return repr(self.get())

    def __str__(self) -> str:
        return str(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo) -> ndarray:
        prev = runtime.getDevice()
        try:
            runtime.setDevice(self._dev)
            return self.copy()
        finally:
            runtime.setDevice(prev)

    def __reduce__(self):
        import cupy

        return cupy.array, (self.get(order="A"),)

    # NumPy interoperability (CuPy's __array_ufunc__ / __array_function__)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        import cupyx.scipy.special

        import cupy

        if "out" in kwargs:
            out = kwargs["out"]
            if len(out) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            kwargs["out"] = out[0]
        if method not in ("__call__", "outer", "at", "reduce", "accumulate", "reduceat"):
            return NotImplemented
        func = getattr(cupy, ufunc.__name__, None) or getattr(
            cupyx.scipy.special, ufunc.__name__, None
        )
        if func is None:
            return NotImplemented
        if method != "__call__":
            func = getattr(func, method, None)
            if func is None:
                return NotImplemented
        for x in inputs:
            if not isinstance(x, (*_SCALAR_TYPES, ndarray, numpy.ndarray)):
                return NotImplemented
        if ufunc.__name__ in ("greater", "greater_equal", "less", "less_equal", "equal"):
            inputs = tuple(
                x.item() if isinstance(x, numpy.ndarray) and x.ndim == 0 else x for x in inputs
            )
        return func(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        import cupy

        module = cupy
        for part in func.__module__.split(".")[1:]:
            module = getattr(module, part, None)
            if module is None:
                return NotImplemented
        cupy_func = getattr(module, func.__name__, None)
        if cupy_func is None or cupy_func is func:
            return NotImplemented
        for t in types:
            if not issubclass(t, (ndarray, numpy.ndarray)):
                return NotImplemented
        return cupy_func(*args, **kwargs)

    # Comparison (CuPy's __richcmp__)
    def _compare(self, other, name: str):
        if isinstance(other, ndarray):
            return _ufunc(name)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        if isinstance(other, numpy.ndarray) and other.ndim == 0:
            other = other.item()
        if name in ("equal", "not_equal") and (
            other is None or type(other).__eq__ is object.__eq__
        ):
            import cupy

            fill = cupy.zeros if name == "equal" else cupy.ones
            return fill(self.shape, dtype=numpy.bool_)
        return getattr(numpy, name)(self, other)

    def __eq__(self, other):
        return self._compare(other, "equal")

    def __ne__(self, other):
        return self._compare(other, "not_equal")

    def __lt__(self, other):
        return self._compare(other, "less")

    def __le__(self, other):
        return self._compare(other, "less_equal")

    def __gt__(self, other):
        return self._compare(other, "greater")

    def __ge__(self, other):
        return self._compare(other, "greater_equal")

    # Arithmetic
    __add__, __radd__, __iadd__ = _binary("add")
    __sub__, __rsub__, __isub__ = _binary("subtract")
    __mul__, __rmul__, __imul__ = _binary("multiply")
    __truediv__, __rtruediv__, __itruediv__ = _binary("true_divide")
    __floordiv__, __rfloordiv__, __ifloordiv__ = _binary("floor_divide")
    __mod__, __rmod__, __imod__ = _binary("remainder")
    __pow__, __rpow__, __ipow__ = _binary("power")
    __matmul__, __rmatmul__, _ = _binary("matmul")
    __and__, __rand__, __iand__ = _binary("bitwise_and")
    __or__, __ror__, __ior__ = _binary("bitwise_or")
    __xor__, __rxor__, __ixor__ = _binary("bitwise_xor")
    __lshift__, __rlshift__, __ilshift__ = _binary("left_shift")
    __rshift__, __rrshift__, __irshift__ = _binary("right_shift")
    del _

    def __neg__(self):
        return _ufunc("negative")(self)

    def __pos__(self):
        return _ufunc("positive")(self)

    def __abs__(self):
        return _ufunc("absolute")(self)

    def __invert__(self):
        return _ufunc("invert")(self)

    # Indexing
    def __getitem__(self, key):
        key, advanced = _prepare_index(self, key)
        if not advanced:
            return view(self, self._a[key])
        dev = runtime.getDevice()
        _check_peer_access(self, dev)
        key = tuple(_unwrap(k, dev, False) for k in key)
        out = self._a[key]
        # NumPy reads a 0-d integer array as a scalar index (a NumPy scalar, or a view);
        # CuPy's advanced indexing always makes a new array
        if not isinstance(out, numpy.ndarray) or numpy.may_share_memory(out, self._a):
            out = numpy.array(out)
        return _wrap(out, dev, True)

    def __setitem__(self, key, value):
        key, advanced = _prepare_index(self, key)
        dev = runtime.getDevice()
        _check_peer_access(self, dev)
        if isinstance(value, ndarray):
            _check_peer_access(value, dev)
            value = value._a
        elif not advanced:
            value = _fill_value(value, self.dtype)
        key = tuple(_unwrap(k, dev, False) for k in key)
        with numpy.errstate(all="ignore"):
            self._a[key] = value

    # Methods: views
    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return maybe_view(self, numpy.reshape, shape, order=order)

    def ravel(self, order="C"):
        return maybe_view(self, numpy.ravel, order=order)

    def view(self, dtype=None):
        return view(self, self._a.view() if dtype is None else self._a.view(dtype))

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return view(self, self._a.transpose(axes or None))

    def swapaxes(self, axis1, axis2):
        return view(self, self._a.swapaxes(axis1, axis2))

    def squeeze(self, axis=None):
        return view(self, self._a.squeeze(axis))

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return view(self, self._a.diagonal(offset, axis1, axis2))

    # Methods: kernels
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        dtype = check_dtype(dtype)
        if not copy and dtype == self.dtype:
            return self
        return launch(lambda a: a.astype(dtype, order=order), (self,), {})

    def copy(self, order="C"):
        dev = runtime.getDevice()
        if self._dev != dev:  # a copy between devices is a memcpy, not a kernel
            return _wrap(numpy.array(self._a, order=order, copy=True), dev, True)
        return launch(lambda a: numpy.array(a, order=order, copy=True), (self,), {})

    def fill(self, value):
        if isinstance(value, ndarray):
            if value.shape != ():
                raise ValueError("non-scalar cupy.ndarray cannot be used for fill")
        else:
            value = _fill_value(value, self.dtype)
        launch(lambda a, v: a.fill(v), (self, value), {})

    def flatten(self, order="C"):
        return launch(lambda a: a.flatten(order), (self,), {})

    def take(self, indices, axis=None, out=None):
        import cupy

        return cupy.take(self, indices, axis, out)

    def sort(self, axis=-1):
        launch(lambda a: a.sort(axis), (self,), {})

    def dot(self, b, out=None):
        import cupy

        return cupy.dot(self, b, out)

    def nonzero(self):
        return launch(numpy.nonzero, (self,), {})

    def argsort(self, axis=-1):
        return launch(numpy.argsort, (self,), {"axis": axis})

    def clip(self, min=None, max=None, out=None):
        return launch(numpy.clip, (self, min, max), {"out": out})

    def conj(self):
        return launch(numpy.conj, (self,), {})

    def repeat(self, repeats, axis=None):
        return launch(numpy.repeat, (self, repeats), {"axis": axis})

    def cumsum(self, axis=None, dtype=None, out=None):
        return launch(numpy.cumsum, (self,), {"axis": axis, "dtype": dtype, "out": out})

    def cumprod(self, axis=None, dtype=None, out=None):
        return launch(numpy.cumprod, (self,), {"axis": axis, "dtype": dtype, "out": out})

    def round(self, decimals=0, out=None):
        return launch(numpy.round, (self, decimals), {"out": out})


def _reduction(name: str, with_dtype: bool):
    np_func = getattr(numpy, name)

    if with_dtype:

        def method(self, axis=None, dtype=None, out=None, keepdims=False):
            return launch(np_func, (self,), _kw(axis=axis, dtype=dtype, out=out, keepdims=keepdims))

    else:

        def method(self, axis=None, out=None, keepdims=False):
            return launch(np_func, (self,), _kw(axis=axis, out=out, keepdims=keepdims))

    method.__name__ = name
    return method


def _kw(**kwargs) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


for _name in ("sum", "prod", "mean"):
    setattr(ndarray, _name, _reduction(_name, True))
for _name in ("max", "min", "all", "any"):
    setattr(ndarray, _name, _reduction(_name, False))


def _var(name):
    np_func = getattr(numpy, name)

    def method(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        kwargs = _kw(axis=axis, dtype=dtype, out=out, keepdims=keepdims)
        return launch(np_func, (self,), {**kwargs, "ddof": ddof})

    return method


ndarray.var = _var("var")
ndarray.std = _var("std")


def _arg_reduction(name):
    np_func = getattr(numpy, name)

    def method(self, axis=None, out=None, dtype=None, keepdims=False):
        result = launch(np_func, (self,), _kw(axis=axis, out=out, keepdims=keepdims))
        return result if dtype is None else result.astype(dtype, copy=False)

    return method


ndarray.argmax = _arg_reduction("argmax")
ndarray.argmin = _arg_reduction("argmin")
ndarray.__module__ = "cupy"


def _garbage(a: numpy.ndarray) -> None:
    """Uninitialised device memory: NaN in floats, a large value in integers."""
    if a.dtype.kind in "fc":
        a.fill(numpy.nan)
    elif a.dtype.kind in "iu":
        a.fill(numpy.iinfo(a.dtype).max // 3)


def _fill_value(value, dtype):
    """CuPy's ``fill``/basic setitem: a scalar, or a 0-d array; a host array is refused."""
    value = numpy.asarray(value, dtype=dtype)
    if value.shape != ():
        raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
    return value[()]


def _prepare_index(a: ndarray, key):
    """CuPy's ``_prepare_slice_list`` and the wrap-around of integer-array indices.

    Returns the key as a tuple (host index arrays and lists become device arrays; integer
    arrays are reduced modulo their axis' size) and whether it has an advanced index. A basic
    key gets an Ellipsis so that NumPy answers with a view (CuPy's ``x[0]`` is a 0-d view)."""
    items = list(key) if isinstance(key, tuple) else [key]
    advanced = False
    for i, s in enumerate(items):
        if s is None or s is Ellipsis or isinstance(s, slice):
            continue
        if isinstance(s, ndarray):
            advanced = True
            continue
        if isinstance(s, (list, tuple, numpy.ndarray)) or isinstance(s, (bool, numpy.bool_)):
            arr = numpy.asarray(s)
            if isinstance(s, (list, tuple)) and arr.size == 0:
                arr = arr.astype(numpy.int32)
            if arr.dtype.kind not in "biu":
                raise IndexError(
                    "arrays used as indices must be of integer or boolean type "
                    f"(actual: {arr.dtype.type})"
                )
            items[i] = _wrap(arr, runtime.getDevice(), True)  # core.array(s): to the device
            advanced = True
            continue
        if isinstance(s, (int, numpy.integer)):
            continue
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
            "integer or boolean arrays are valid indices"
        )
    _wrap_and_check(a, items)
    if not advanced and not any(s is Ellipsis for s in items):
        items.append(Ellipsis)
    return tuple(items), advanced


def _wrap_and_check(a: ndarray, items: list) -> None:
    """Scalar indices out of bounds raise; integer-array indices wrap around (CuPy's
    ``_prepare_array_indexing``/take kernels: ``i % n``)."""
    consumed = []
    for s in items:
        if s is None:
            consumed.append(0)
        elif s is Ellipsis:
            consumed.append(-1)
        elif isinstance(s, ndarray) and s.dtype.kind == "b":
            consumed.append(s.ndim)
        else:
            consumed.append(1)
    n_fixed = sum(c for c in consumed if c > 0)
    if n_fixed > a.ndim:
        raise IndexError(
            f"too many indices for array: array is {a.ndim}-dimensional, but {n_fixed} were indexed"
        )
    axis = 0
    for i, (s, c) in enumerate(zip(items, consumed)):
        if c == -1:
            axis += a.ndim - n_fixed
            continue
        if isinstance(s, (int, numpy.integer)) and not isinstance(s, (bool, numpy.bool_)):
            n = a.shape[axis]
            if not -n <= s < n:
                raise IndexError(f"Index {s} is out of bounds for axis {axis} with size {n}")
        elif isinstance(s, ndarray) and s.dtype.kind in "iu":
            n = a.shape[axis]
            if n == 0:
                if s.size:
                    raise IndexError("cannot do a non-empty take from an empty axes.")
            else:
                items[i] = _wrap(numpy.asarray(numpy.mod(s._a, n)), s._dev, True)  # 0-d too
        axis += c
