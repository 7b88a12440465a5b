"""The stand-in's module-level functions: creation on the current device, ufuncs (with CuPy's
``at``/``outer``/``reduce``), kernels-as-NumPy-calls with CuPy's argument rules, and views that
run no kernel. Where CuPy's function differs from NumPy's (wrap-around indices, ``take``
without ``mode``, ``ufunc.at`` dtypes, ``result_type`` of arrays), CuPy's behaviour is kept."""

from __future__ import annotations

import numpy

from cupy._core import core
from cupy._core.core import _wrap, check_dtype, launch, ndarray
from cupy.cuda import runtime


def _here() -> int:
    return runtime.getDevice()


# Creation: host data and shapes to new arrays on the current device.
def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    if subok:
        raise NotImplementedError
    if isinstance(obj, ndarray):
        dev = _here()
        if obj._dev != dev:  # a copy between devices
            src = numpy.array(obj._a, copy=True)
            out = _wrap(src if dtype is None else src.astype(check_dtype(dtype)), dev, True)
        elif copy or (dtype is not None and numpy.dtype(dtype) != obj.dtype):
            out = obj.astype(obj.dtype if dtype is None else dtype, order=order)
        else:
            out = obj
        if ndmin > out.ndim:
            out = out.reshape((1,) * (ndmin - out.ndim) + out.shape)
        return out
    if isinstance(obj, (list, tuple)) and _has_device_arrays(obj):
        return _nested(obj, dtype)
    a = numpy.array(obj, dtype=dtype, ndmin=ndmin, copy=True)
    if a.dtype.kind in "OSUVM" or a.dtype.char not in core._SUPPORTED_CHARS:
        check_dtype(a.dtype)
    return _wrap(a, _here(), True)


def _has_device_arrays(obj) -> bool:
    for x in obj:
        if isinstance(x, ndarray):
            return True
        if isinstance(x, (list, tuple)) and _has_device_arrays(x):
            return True
    return False


def _nested(obj, dtype):
    """CuPy's ``_array_from_nested_cupy_sequence``: every leaf must be a device array."""

    def build(x):
        if isinstance(x, (list, tuple)):
            return launch(numpy.stack, ([build(v) for v in x],), {})
        if not isinstance(x, ndarray):
            raise TypeError(f"Unsupported type {type(x)}")
        return x

    out = build(obj)
    return out if dtype is None else out.astype(dtype, copy=False)


def asarray(a, dtype=None, order=None, *, blocking=False):
    return array(a, dtype=dtype, copy=False, order=order or "K")


def asanyarray(a, dtype=None, order=None):
    return asarray(a, dtype, order)


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a)})")
    if a.flags.c_contiguous and (dtype is None or numpy.dtype(dtype) == a.dtype):
        return a
    return launch(lambda x: numpy.ascontiguousarray(x, dtype=dtype), (a,), {})


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    if out is None:
        return numpy.array(a, order=order, copy=False)
    out[...] = a
    return out


def get_array_module(*args):
    import cupy

    return cupy if any(isinstance(a, ndarray) for a in args) else numpy


def _new(shape, dtype, order, fill):
    dtype = check_dtype(float if dtype is None else dtype)
    a = numpy.empty(shape, dtype, order=order)
    if fill is None:
        core._garbage(a)
    else:
        a.fill(fill)
    return _wrap(a, _here(), True)


def empty(shape, dtype=float, order="C"):
    return _new(shape, dtype, order, None)


def zeros(shape, dtype=float, order="C"):
    return _new(shape, dtype, order, 0)


def ones(shape, dtype=float, order="C"):
    return _new(shape, dtype, order, 1)


def full(shape, fill_value, dtype=None, order="C"):
    if isinstance(fill_value, ndarray):
        fill_value = fill_value.get()
    if dtype is None:
        dtype = numpy.asarray(fill_value).dtype
    return _new(shape, dtype, order, numpy.asarray(fill_value, dtype=dtype)[()])


def _like(a, dtype, shape):
    if not isinstance(a, ndarray):
        raise TypeError(f"Unsupported type {type(a)}")
    return (a.shape if shape is None else shape), (a.dtype if dtype is None else dtype)


def empty_like(a, dtype=None, order="K", subok=None, shape=None):
    shape, dtype = _like(a, dtype, shape)
    return empty(shape, dtype)


def zeros_like(a, dtype=None, order="K", subok=None, shape=None):
    shape, dtype = _like(a, dtype, shape)
    return zeros(shape, dtype)


def ones_like(a, dtype=None, order="K", subok=None, shape=None):
    shape, dtype = _like(a, dtype, shape)
    return ones(shape, dtype)


def full_like(a, fill_value, dtype=None, order="K", subok=None, shape=None):
    shape, dtype = _like(a, dtype, shape)
    return full(shape, fill_value, dtype)


def arange(start, stop=None, step=1, dtype=None):
    return _wrap(numpy.arange(start, stop, step, dtype=dtype), _here(), True)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out = numpy.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if retstep:
        return _wrap(out[0], _here(), True), out[1]
    return _wrap(out, _here(), True)


def eye(N, M=None, k=0, dtype=float, order="C"):
    return _wrap(numpy.eye(N, M, k, dtype=check_dtype(dtype), order=order), _here(), True)


def tri(N, M=None, k=0, dtype=float):
    return _wrap(numpy.tri(N, M, k, dtype=check_dtype(dtype)), _here(), True)


def identity(n, dtype=float):
    return eye(n, dtype=dtype)


# Ufuncs.
class ufunc:
    """``cupy.ufunc``: calls run as kernels; ``at`` scatters with wrap-around indices and
    CuPy's dtype limits; ``reduce``/``accumulate`` exist for add and multiply only."""

    _SCATTER = {
        "add": (
            "add",
            "int32, int64, float16, float32, float64, uint32, uint64",
            "ilqefdIQL",
        ),
        "subtract": ("sub", "int32, uint32,", "iI"),
        "maximum": ("max", "int32, int64, float32, float64, uint32, uint64", "ilqfdIQL"),
        "minimum": ("min", "int32, int64, float32, float64, uint32, uint64", "ilqfdIQL"),
    }

    def __init__(self, np_ufunc: numpy.ufunc):
        self._np = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.name = "cupy_" + np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}'>"

    def __call__(self, *args, dtype=None, out=None, casting="same_kind", **kwargs):
        if kwargs:
            raise TypeError(f"Wrong arguments {kwargs}")
        kw = {"casting": casting}
        if dtype is not None:
            kw["dtype"] = dtype
        if out is not None:
            kw["out"] = out
        return launch(self._np, args, kw)

    def outer(self, A, B, **kwargs):
        return launch(self._np.outer, (A, B), kwargs)

    def at(self, a, indices, b=None):
        if self.__name__ not in self._SCATTER:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        _, names, chars = self._SCATTER[self.__name__]
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        key, _ = core._prepare_index(a, indices)
        if b is not None and not isinstance(b, ndarray):  # core.array(value): host is fine
            b = asarray(numpy.asarray(b, dtype=a.dtype))
        if isinstance(b, ndarray):
            vdtype = b.dtype
        else:
            vdtype = a.dtype
        if numpy.dtype(vdtype).char not in chars or a.dtype.char not in chars:
            raise TypeError(f"cupy.{self.__name__}.at only supports {names} as data type")
        launch(lambda x, k, v: self._np.at(x, k, v), (a, key, b), {})

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ == "add":
            return array.sum(axis, dtype, out, keepdims)
        if self.__name__ == "multiply":
            return array.prod(axis, dtype, out, keepdims)
        raise NotImplementedError(f"`{self.name}.reduce` is not supported yet")

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ == "add":
            return array.cumsum(axis, dtype, out)
        if self.__name__ == "multiply":
            return array.cumprod(axis, dtype, out)
        raise NotImplementedError(f"`{self.name}.accumulate` is not supported yet")


UFUNCS = """add subtract multiply true_divide floor_divide power float_power remainder fmod
negative positive absolute sign sqrt square cbrt reciprocal exp exp2 expm1 log log2 log10 log1p
sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh hypot maximum
minimum fmax fmin floor ceil trunc rint equal not_equal less less_equal greater greater_equal
logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor invert
left_shift right_shift isfinite isinf isnan signbit copysign nextafter ldexp deg2rad rad2deg
conjugate heaviside logaddexp logaddexp2""".split()
ALIASES = {
    "divide": "true_divide",
    "abs": "absolute",
    "mod": "remainder",
    "conj": "conjugate",
    "bitwise_not": "invert",
}


def _routine(np_func, name: str):
    def routine(*args, **kwargs):
        return launch(np_func, args, kwargs)

    routine.__name__ = routine.__qualname__ = name
    routine.__doc__ = f"``cupy.{name}`` on the stand-in: ``numpy.{name}`` as a kernel."
    return routine


def _view_routine(np_func, name: str):
    """A function that makes views: it runs no kernel and keeps the input's device."""

    def routine(a, *args, **kwargs):
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        return core.view(a, np_func(a._a, *args, **kwargs))

    routine.__name__ = routine.__qualname__ = name
    return routine


ROUTINES = """where clip stack concatenate hstack vstack pad einsum dot vdot tensordot inner
outer kron sum mean prod amax amin argmax argmin var std all any cumsum cumprod sort argsort
unique nonzero flatnonzero count_nonzero argwhere isclose allclose array_equal tril triu diag
trace repeat tile split array_split round around unravel_index ravel_multi_index searchsorted
bincount roll cross diff nan_to_num isneginf isposinf median percentile quantile nansum nanmean
nanmax nanmin
matmul copyto fix histogram isin cov corrcoef meshgrid""".split()
VIEW_ROUTINES = """flip fliplr flipud expand_dims squeeze transpose swapaxes moveaxis rollaxis
atleast_1d diagonal""".split()


def broadcast_to(array, shape):
    """A writable broadcast view (CuPy has no read-only flag)."""
    if not isinstance(array, ndarray):
        raise TypeError(f"Unsupported type {type(array)}")
    b = numpy.broadcast_to(array._a, shape)
    return core.view(array, numpy.lib.stride_tricks.as_strided(array._a, b.shape, b.strides))


def broadcast_arrays(*args):
    shape = numpy.broadcast_shapes(*(a.shape for a in args))
    return [broadcast_to(a, shape) for a in args]


def reshape(a, newshape, order="C"):
    return a.reshape(newshape, order=order)


def ravel(a, order="C"):
    return a.ravel(order)


def max(a, axis=None, out=None, keepdims=False):  # noqa: A001 - CuPy's name
    return a.max(axis, out, keepdims)


def min(a, axis=None, out=None, keepdims=False):  # noqa: A001 - CuPy's name
    return a.min(axis, out, keepdims)


def take(a, indices, axis=None, out=None):
    """CuPy's ``take``: no ``mode``; out-of-bounds indices wrap around."""
    if not isinstance(a, ndarray):
        raise TypeError(f"Unsupported type {type(a)}")
    if not isinstance(indices, ndarray):
        indices = asarray(indices)
    return launch(lambda x, i, o: numpy.take(x, i, axis, o, mode="wrap"), (a, indices, out), {})


def _along_axis_index(arr: ndarray, indices: ndarray, axis):
    if indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        return arr.ravel(), indices, 0
    if arr.ndim != indices.ndim:
        raise ValueError("`indices` and `a` must have the same number of dimensions")
    axis = numpy.lib.array_utils.normalize_axis_index(axis, arr.ndim)
    return arr, indices, axis


def take_along_axis(a, indices, axis):
    """CuPy builds a fancy index, so out-of-bounds indices wrap around."""
    a, indices, axis = _along_axis_index(a, indices, axis)
    n = a.shape[axis]
    return launch(
        lambda x, i: numpy.take_along_axis(x, numpy.mod(i, n) if n else i, axis), (a, indices), {}
    )


def put_along_axis(arr, indices, values, axis):
    if axis is None:
        raise NotImplementedError("put_along_axis(axis=None) is not modelled by the stand-in")
    arr_, indices, axis = _along_axis_index(arr, indices, axis)
    n = arr.shape[axis]
    launch(
        lambda x, i, v: numpy.put_along_axis(x, numpy.mod(i, n) if n else i, v, axis),
        (arr, indices, values),
        {},
    )


def result_type(*arrays_and_dtypes):
    return numpy.result_type(*(a.dtype if isinstance(a, ndarray) else a for a in arrays_and_dtypes))


def shape(a):
    return a.shape if isinstance(a, ndarray) else numpy.shape(a)


def ndim(a):
    return a.ndim if isinstance(a, ndarray) else numpy.ndim(a)


def size(a, axis=None):
    if isinstance(a, ndarray):
        return a.size if axis is None else a.shape[axis]
    return numpy.size(a, axis)


def namespace() -> dict:
    """Every public name of the stand-in's top-level module."""
    ns = {}
    for name in UFUNCS:
        ns[name] = ufunc(getattr(numpy, name))
    for alias, name in ALIASES.items():
        ns[alias] = ns[name]
    for name in ROUTINES:
        if name not in ns:
            ns[name] = _routine(getattr(numpy, name), name)
    for name in VIEW_ROUTINES:
        ns[name] = _view_routine(getattr(numpy, name), name)
    return ns
