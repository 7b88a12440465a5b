"""Creating tensors: ``tensor`` and its dtype rules, ``zeros``/``ones``/``full``/``arange``/...,
the ``*_like`` forms, and random sampling with per-device ``Generator`` objects."""

from __future__ import annotations

import numbers

from . import array_backend, layouts
from ._args import out_arg
from .array_backend import Device
from .dtypes import as_dtype, default_float
from .tensor import Tensor, _check_requires_grad

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace",
    "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "Generator", "rand", "randn", "randint", "randperm", "manual_seed", "set_default_device",
    "get_default_device", "from_dlpack", "logspace", "scalar_tensor", "randint_like", "fill",
    "get_rng_state", "set_rng_state", "initial_seed", "seed",
]  # fmt: skip

_np = array_backend.numpy
int64, bool_ = _np.dtype("int64"), _np.dtype("bool")
_default_device = [array_backend.CPU]  # NOTE: a list, so that readers see updates


def set_default_device(device) -> None:
    """Make ``device`` where the creation functions put new tensors when no ``device=`` is
    given (``torch.set_default_device``); None restores the CPU."""
    _default_device[0] = array_backend.device(device)


def get_default_device():
    """Where new tensors go by default (``torch.get_default_device``)."""
    return _default_device[0]


def _infer_array(data, dtype, dev: Device):
    """Array for ``tensor(data)``: Python floats -> the default dtype (float32), ints -> int64,
    bools -> bool; arrays keep their dtype. Made (and cast) with ``dev`` current."""
    return array_backend.run_on(dev, _infer_on_device, data, dtype, dev)


def _infer_on_device(data, dtype, dev: Device):
    if isinstance(data, Tensor):
        data = data.array
    keeps_dtype = hasattr(data, "dtype") and hasattr(data, "shape")
    if keeps_dtype and data.dtype.kind not in "biufc" and data.dtype.name != "bfloat16":
        raise TypeError(
            f"can't convert an array of dtype {data.dtype} to a tensor: the supported "
            "types are floating point, integer, complex and bool arrays."
        )
    if dtype is not None:
        return array_backend.asarray(data, dev, dtype=dtype)
    if (
        not keeps_dtype
        and isinstance(data, (list, tuple))
        and any(isinstance(x, Tensor) for x in _flat(data))
    ):
        data = [x.array if isinstance(x, Tensor) else x for x in data]
    array = array_backend.asarray(data, dev)
    if not keeps_dtype:
        if array.dtype.kind == "f":
            array = array.astype(default_float(), copy=False)
        elif array.dtype.kind in "iu":
            array = array.astype(int64, copy=False)
        elif array.dtype.kind not in "b":
            raise TypeError(
                f"tensor(): cannot make a tensor from data of type {type(data).__name__} "
                f"(NumPy dtype {array.dtype}); pass numbers, nested lists or arrays."
            )
    return array


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _device_of_data(data) -> Device:
    if isinstance(data, Tensor):
        return data.device
    if array_backend.cupy is not None and isinstance(data, array_backend.cupy.ndarray):
        return array_backend.device_of(data)
    return _default_device[0]


def tensor(
    data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (``torch.tensor``).

    Python floats (and lists of them) become the default dtype (float32 unless changed with
    ``set_default_dtype``), Python ints int64, bools bool; a NumPy or CuPy array keeps its
    dtype. Without ``device`` the tensor goes to the data's device (CuPy arrays, tensors) or
    the default device.

    Example::

        ag.tensor([[1.0, 2.0]], requires_grad=True)
    """
    array = _leaf_array(data, dtype, device, requires_grad, copy=True)
    t = Tensor._make(array_backend.pinned_copy(array) if pin_memory else array)
    t.requires_grad = bool(requires_grad)
    return t


def _leaf_array(data, dtype, device, requires_grad: bool, copy: bool):
    """The array of a new leaf made from ``data`` (the dtype rules of :func:`tensor`); with
    ``copy`` it never shares memory with ``data``."""
    dev = array_backend.device(device) if device is not None else _device_of_data(data)
    src = data.array if isinstance(data, Tensor) else data
    array = _infer_array(src, as_dtype(dtype), dev)
    if copy and (array is src or getattr(array, "base", None) is src):
        array = array.copy()
    _check_requires_grad(array.dtype, requires_grad)
    return array


def class_array(args, dtype, device, requires_grad: bool):
    """The array of ``Tensor(*args)``, PyTorch's legacy constructor: ``Tensor()`` is empty,
    ``Tensor(2, 3)`` (or a ``Size``) uninitialized of that shape, ``Tensor(tensor)`` shares the
    tensor's memory, and ``Tensor(data)`` copies numbers as the default dtype (even ints)."""
    from .size import Size

    dtype = as_dtype(dtype) or default_float()
    dev = _dev(device) if device is not None else None
    if len(args) == 1 and isinstance(args[0], Tensor):
        array = args[0].array
    elif (
        not args
        or (all(_is_int(a) for a in args))
        or (len(args) == 1 and isinstance(args[0], Size))
    ):
        shape = _size(args) if args else (0,)
        where = dev or _default_device[0]
        array = array_backend.run_on(where, where.xp.empty, shape, dtype=dtype)
    elif len(args) == 1 and not isinstance(args[0], (str, bytes)) and hasattr(args[0], "__len__"):
        src = args[0].array if isinstance(args[0], Tensor) else args[0]
        array = _infer_array(src, dtype, dev or _device_of_data(src))
        if array is src or getattr(array, "base", None) is src:
            array = array.copy()
    else:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(
            f"Tensor(): expected sizes (ints), a Size, a sequence of numbers or a Tensor, got "
            f"({got}); use autograd_engine.tensor(value) for a 0-d tensor."
        )
    _check_requires_grad(array.dtype, requires_grad)
    return array


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _formatted(array, memory_format):
    if memory_format is None or memory_format is layouts.contiguous_format:
        return array
    if memory_format is layouts.preserve_format:
        return array
    return layouts.to_memory_format(array, memory_format)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that exports DLPack (``__dlpack__``): a NumPy
    or CuPy array, a PyTorch or JAX tensor (``torch.from_dlpack``); no copy is made."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ (a NumPy/CuPy array or a PyTorch "
            f"tensor), got {type(ext_tensor).__name__}; legacy DLPack capsules are not accepted"
        )
    device_type, _ = ext_tensor.__dlpack_device__()
    if int(device_type) == 1:  # kDLCPU
        return Tensor._make(array_backend.numpy.from_dlpack(ext_tensor))
    if int(device_type) in (2, 3) and array_backend.cupy is not None:  # kDLCUDA, pinned host
        return Tensor._make(array_backend.cupy.from_dlpack(ext_tensor))
    raise RuntimeError(
        f"from_dlpack: unsupported device type {device_type} (CPU and, with CuPy, CUDA are)"
    )


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with a NumPy array (``torch.from_numpy``)."""
    if not isinstance(array, array_backend.numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, without a copy when it already is one of that dtype and device
    (``torch.as_tensor``)."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    dev = array_backend.device(device) if device is not None else _device_of_data(data)
    return Tensor._make(_infer_array(data, as_dtype(dtype), dev))


def _size(size) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _new(array, requires_grad: bool, pin_memory: bool = False) -> Tensor:
    _check_requires_grad(array.dtype, requires_grad)
    if pin_memory:
        array = array_backend.pinned_copy(array)
    t = Tensor._make(array)
    t.requires_grad = bool(requires_grad)
    return t


def _dev(device) -> Device:
    if device is None:
        return _default_device[0]
    return array_backend.device(device)


def _filled(fn: str, size, dtype, device, requires_grad, pin_memory, memory_format) -> Tensor:
    """``zeros``/``ones``/``empty``: the array module's ``fn`` of ``size`` on ``device``."""
    dev = _dev(device)
    dtype = as_dtype(dtype) or default_float()
    array = array_backend.run_on(dev, getattr(dev.xp, fn), _size(size), dtype=dtype)
    return _new(_formatted(array, memory_format), requires_grad, pin_memory)


@out_arg
def zeros(
    *size,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """A tensor of zeros of the given size (``torch.zeros``)."""
    return _filled("zeros", size, dtype, device, requires_grad, pin_memory, memory_format)


@out_arg
def ones(
    *size,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """A tensor of ones of the given size (``torch.ones``)."""
    return _filled("ones", size, dtype, device, requires_grad, pin_memory, memory_format)


@out_arg
def empty(
    *size,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """An uninitialized tensor (``torch.empty``)."""
    return _filled("empty", size, dtype, device, requires_grad, pin_memory, memory_format)


def _fill_dtype(fill_value):
    if isinstance(fill_value, bool):
        return bool_
    if isinstance(fill_value, numbers.Integral):
        return int64
    return default_float()


@out_arg
def full(
    size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
) -> Tensor:
    """A tensor filled with ``fill_value`` (``torch.full``)."""
    dev = _dev(device)
    dtype = as_dtype(dtype) or _fill_dtype(fill_value)
    array = array_backend.run_on(dev, dev.xp.full, _size((size,)), fill_value, dtype=dtype)
    return _new(array, requires_grad, pin_memory)


@out_arg
def arange(
    start,
    end=None,
    step=1,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step`` (``torch.arange``)."""
    if end is None:
        start, end = 0, start
    dev = _dev(device)
    is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dtype = as_dtype(dtype) or (int64 if is_int else default_float())
    array = array_backend.run_on(dev, lambda: dev.xp.arange(start, end, step).astype(dtype))
    return _new(array, requires_grad, pin_memory)


@out_arg
def linspace(
    start,
    end,
    steps,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (``torch.linspace``)."""
    dev = _dev(device)
    dtype = as_dtype(dtype) or default_float()
    array = array_backend.run_on(dev, dev.xp.linspace, start, end, steps, dtype=dtype)
    return _new(array, requires_grad, pin_memory)


@out_arg
def eye(
    n, m=None, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
) -> Tensor:
    """The identity matrix (``torch.eye``)."""
    dev = _dev(device)
    array = array_backend.run_on(dev, dev.xp.eye, n, m, dtype=as_dtype(dtype) or default_float())
    return _new(array, requires_grad, pin_memory)


def _like(fn, t: Tensor, dtype, device, requires_grad, memory_format, *args):
    out = fn(*args, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
    fmt = memory_format
    if fmt is not layouts.contiguous_format:
        if fmt is None or fmt is layouts.preserve_format:  # keeps a channels-last input's layout
            fmt = (
                layouts.channels_last
                if t.ndim == 4
                and not t.array.flags.c_contiguous
                and layouts.is_in_memory_format(t.array, layouts.channels_last)
                else None
            )
        if fmt is not None:
            out.array = layouts.to_memory_format(out.array, fmt)
    return out


def zeros_like(
    t, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` (shape, dtype, device) from ``zeros`` (``torch.zeros_like``)."""
    return _like(zeros, t, dtype, device, requires_grad, memory_format, t.shape)


def ones_like(
    t, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` (shape, dtype, device) from ``ones`` (``torch.ones_like``)."""
    return _like(ones, t, dtype, device, requires_grad, memory_format, t.shape)


def empty_like(
    t, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` (shape, dtype, device) from ``empty`` (``torch.empty_like``)."""
    return _like(empty, t, dtype, device, requires_grad, memory_format, t.shape)


def full_like(
    t, fill_value, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` filled with ``fill_value`` (``torch.full_like``)."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)  # fmt: skip


def rand_like(
    t, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` (shape, dtype, device) from ``rand`` (``torch.rand_like``)."""
    return _like(rand, t, dtype, device, requires_grad, memory_format, t.shape)


def randn_like(
    t, dtype=None, device=None, requires_grad=False, *, layout=None, memory_format=None
) -> Tensor:
    """A tensor like ``t`` (shape, dtype, device) from ``randn`` (``torch.randn_like``)."""
    return _like(randn, t, dtype, device, requires_grad, memory_format, t.shape)


class Generator:
    """A random generator for one device, seeded with ``manual_seed`` (``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = array_backend.device(device)
        self._seed = None
        self.gen = array_backend.new_generator(self.device)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed this generator with ``seed`` and return it (``torch.Generator.manual_seed``)."""
        self._seed = array_backend.normalize_seed(seed)
        self.gen = array_backend.new_generator(self.device, self._seed)
        return self

    def initial_seed(self):
        """The seed given to ``manual_seed`` (None if never seeded)
        (``torch.Generator.initial_seed``)."""
        return self._seed

    def get_state(self) -> dict:
        """A snapshot of the generator (NumPy's state dict on the CPU; on CUDA the bytes of
        its cuRAND state, as ``torch.cuda.get_rng_state`` gives a byte tensor)."""
        return array_backend.snapshot_generator(self.gen)

    def set_state(self, state: dict) -> None:
        """Restore a state from ``get_state`` (``torch.Generator.set_state``)."""
        array_backend.restore_generator(self.gen, state)


def _gen(generator, dev: Device):
    if generator is None:
        return array_backend.generator_for(dev)
    if isinstance(generator, Generator):
        if generator.device.type != dev.type:  # a NumPy draw cannot feed a CuPy array
            raise RuntimeError(
                f"Expected a '{dev.type}' device type for generator but found "
                f"'{generator.device.type}' (the tensor is on {dev}; make the generator there: "
                f"Generator(device='{dev}'))"
            )
        return generator.gen
    return generator


def _random_float(method: str, size, generator, dtype, device, requires_grad,
                  pin_memory=False) -> Tensor:  # fmt: skip
    dev = _dev(device)
    dtype = as_dtype(dtype) or default_float()
    if dtype.kind != "f":
        raise TypeError(f"{method}: expected a floating point dtype, got {dtype}")
    gen = _gen(generator, dev)
    work = dtype if dtype.itemsize >= 4 else _np.dtype("float32")
    draw = getattr(gen, method)
    array = array_backend.run_on(
        dev, lambda: draw(_size(size), dtype=work).astype(dtype, copy=False)
    )
    return _new(array, requires_grad, pin_memory)


@out_arg
def rand(
    *size,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Uniform samples on [0, 1) (``torch.rand``)."""
    return _random_float("random", size, generator, dtype, device, requires_grad, pin_memory)


@out_arg
def randn(
    *size,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Standard normal samples (``torch.randn``)."""
    return _random_float(
        "standard_normal", size, generator, dtype, device, requires_grad, pin_memory
    )


@out_arg
def randint(
    low,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Integers uniform on [low, high) (``torch.randint(low=0, high, size)``)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    dev = _dev(device)
    integers = _gen(generator, dev).integers
    dtype = as_dtype(dtype) or int64
    array = array_backend.run_on(
        dev, lambda: integers(low, high, size=_size((size,))).astype(dtype, copy=False)
    )
    return _new(array, requires_grad, pin_memory)


@out_arg
def randperm(
    n: int,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """A random permutation of 0..n-1 (``torch.randperm``)."""
    dev = _dev(device)
    dtype = as_dtype(dtype) or int64
    array = array_backend.run_on(
        dev,
        lambda: array_backend.permutation(_gen(generator, dev), dev, n).astype(dtype, copy=False),
    )
    return _new(array, requires_grad, pin_memory)


def manual_seed(seed: int) -> None:
    """Seed the default random generator of every device (``torch.manual_seed``)."""
    array_backend.manual_seed(seed)


@out_arg
def logspace(start, end, steps, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False, layout=None, pin_memory=False) -> Tensor:  # fmt: skip
    """``steps`` values from base^start to base^end, evenly spaced in the exponent
    (``torch.logspace``)."""
    dev = _dev(device)
    dtype = as_dtype(dtype) or default_float()
    array = array_backend.run_on(dev, dev.xp.logspace, start, end, steps, base=base)
    return _new(array.astype(dtype), requires_grad, pin_memory)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> Tensor:  # fmt: skip
    """A 0-d tensor of the number ``s``, in the default float dtype unless ``dtype`` is given
    (``torch.scalar_tensor``)."""
    return full((), s, dtype=dtype or default_float(), device=device,
                requires_grad=requires_grad)  # fmt: skip


def randint_like(t, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 layout=None, memory_format=None) -> Tensor:  # fmt: skip
    """Integers uniform on [low, high) shaped like ``t``, in its dtype (``torch.randint_like``)."""
    if high is None:
        low, high = 0, low
    out = randint(low, high, tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device)
    out.requires_grad = requires_grad
    return out


def fill(input: Tensor, value) -> Tensor:
    """A new tensor like ``input`` filled with ``value`` (``torch.fill``, out of place)."""
    return input.clone().fill_(value) if input.requires_grad else Tensor._make(
        input.array.copy()).fill_(value)  # fmt: skip


def get_rng_state():
    """The CPU generator's state as a uint8 tensor (``torch.get_rng_state``; NumPy's PCG64
    state, so it round-trips through :func:`set_rng_state` but not into PyTorch)."""
    import pickle

    state = array_backend.generator_state(array_backend.CPU)
    raw = _np.frombuffer(pickle.dumps(state), dtype=_np.uint8).copy()
    return Tensor._make(raw)


def set_rng_state(new_state) -> None:
    """Restore the CPU generator from :func:`get_rng_state`'s tensor (``torch.set_rng_state``)."""
    import pickle

    if not isinstance(new_state, Tensor) or new_state.array.dtype != _np.uint8:
        raise TypeError("set_rng_state: expected a ByteTensor made by get_rng_state()")
    try:
        state = pickle.loads(new_state.array.tobytes())
    except Exception as exc:
        raise RuntimeError(
            "set_rng_state: not a state from autograd_engine.get_rng_state() (PyTorch's states "
            "are for another generator)"
        ) from exc
    array_backend.set_generator_state(array_backend.CPU, state)


def initial_seed() -> int:
    """The seed of the default generators (``torch.initial_seed``); a random one was drawn
    at start if ``manual_seed`` was never called."""
    array_backend.generator_for(array_backend.CPU)  # made (and its seed drawn) if missing
    return array_backend.initial_seed()


def seed() -> int:
    """Seed the default generators with a random number and return it (``torch.seed``)."""
    import random as _random

    value = _random.SystemRandom().randrange(2**63)
    manual_seed(value)
    return value
