"""The one module that knows NumPy and CuPy: devices, array modules, moving arrays between
devices, per-device random generators, and the few places where the two libraries differ."""

from __future__ import annotations

import contextlib
import warnings

import numpy

try:  # CuPy is optional: without it (or without a GPU) everything runs on NumPy.
    import cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    cupy = None

ARRAY_TYPES = frozenset(
    (numpy.ndarray,) if cupy is None else (numpy.ndarray, cupy.ndarray)
)  # exact types an op's output may have; anything else (a NumPy scalar) becomes an array

__all__ = [
    "Device",
    "device",
    "cuda_available",
    "get_array_module",
    "device_of",
    "to_device",
    "generator_for",
    "manual_seed",
    "scatter_add",
    "erf",
    "special",
    "numpy",
    "cupy",
]


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - depends on the machine
        return False


def cuda_device_count() -> int:
    return cupy.cuda.runtime.getDeviceCount() if cuda_available() else 0


class Device:
    """A place where arrays live: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:1")``.

    Mirrors ``torch.device``: ``.type`` is ``"cpu"`` or ``"cuda"``, ``.index`` the GPU number
    (``None`` on the CPU). ``.xp`` is the array module (``numpy`` or ``cupy``).
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, num = spec.partition(":")
        if kind not in ("cpu", "cuda") or (num and not num.isdigit()):
            raise RuntimeError(
                f"Unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N' (N a GPU number)."
            )
        if num:
            index = int(num)
        if kind == "cpu":
            index = None
        elif index is None:
            index = _current_gpu()  # PyTorch: a bare "cuda" is the current GPU
        self.type, self.index = kind, index

    @property
    def xp(self):
        """The array module of this device: ``numpy`` on the CPU, ``cupy`` on a GPU."""
        if self.type == "cpu":
            return numpy
        _check_cuda(self)
        return cupy

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self) -> str:
        if self.type == "cpu":
            return "device(type='cpu')"
        return f"device(type='cuda', index={self.index})"


CPU = Device("cpu")


def _current_gpu() -> int:
    """CuPy's current GPU for this thread (``cuda.set_device``, ``with cuda.device(n)``); 0
    without CuPy or a GPU."""
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDevice())
    except Exception:  # pragma: no cover - CuPy installed on a machine without a GPU
        return 0


def device(spec: str | Device | None = None) -> Device:
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a Device into a Device (None means CPU)."""
    if spec is None:
        return CPU
    if isinstance(spec, Device):
        return spec
    return CPU if spec == "cpu" else Device(spec)


def _check_cuda(dev: Device) -> None:
    if cupy is None:
        raise RuntimeError(
            f"Device {dev} was requested but CuPy is not installed. Install the GPU extra "
            "(pip install -e '.[cuda12]' or '.[cuda13]' in the checkout) on a machine with an "
            "NVIDIA GPU, or use device='cpu'."
        )
    count = cuda_device_count()
    if dev.index >= count:
        raise RuntimeError(
            f"Device {dev} was requested but CUDA reports {count} GPU(s). "
            "Use device='cpu' or a GPU number that exists."
        )


def get_array_module(array):
    """``numpy`` or ``cupy``: the module that owns ``array``."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return numpy


def device_of(array) -> Device:
    if cupy is not None and isinstance(array, cupy.ndarray):
        return Device("cuda", array.device.id)
    return CPU


def to_device(array, dev: Device):
    """Copy ``array`` to ``dev`` (returns it unchanged if it is already there)."""
    if dev.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return numpy.asarray(array)
    _check_cuda(dev)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(array)


def asarray(data, dev: Device, dtype=None):
    """Make a backend array on ``dev`` from any array-like."""
    if dev.type == "cpu":
        if cupy is not None and isinstance(data, cupy.ndarray):
            data = cupy.asnumpy(data)
        return numpy.asarray(data, dtype=dtype)
    _check_cuda(dev)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(data, dtype=dtype)


class _Generators:
    """One random generator per device, all reseeded by ``manual_seed``."""

    def __init__(self):
        self.seed = None
        self.by_device: dict[Device, object] = {}

    def get(self, dev: Device):
        gen = self.by_device.get(dev)
        if gen is None:
            if self.seed is None:  # NOTE: a random seed, kept so that initial_seed() can tell it
                self.seed = int(numpy.random.SeedSequence().entropy) % 2**64
            gen = new_generator(dev, self.seed)
            self.by_device[dev] = gen
        return gen


def new_generator(dev: Device, seed=None):
    """A fresh random generator for ``dev`` (``numpy.random.Generator`` or CuPy's)."""
    if dev.type == "cpu":
        return numpy.random.Generator(numpy.random.PCG64(seed))
    _check_cuda(dev)
    with cupy.cuda.Device(dev.index):
        return cupy.random.Generator(cupy.random.XORWOW(seed))


_generators = _Generators()


def generator_for(dev: Device):
    """The default random generator of ``dev``."""
    return _generators.get(dev)


def normalize_seed(seed) -> int:
    """``seed`` as the unsigned 64-bit value PyTorch keeps: a negative seed wraps around
    (``manual_seed(-1)`` is ``2**64 - 1``); outside [-2**63, 2**64) is a ValueError."""
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError(
            f"seed must be within the range [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], "
            f"got {seed}"
        )
    return seed % 2**64


def manual_seed(seed: int) -> None:
    """Reseed the default generator of every device."""
    seed = normalize_seed(seed)
    _generators.seed = seed
    _generators.by_device.clear()


def seed_device(dev: Device, seed: int) -> None:
    """Reseed the default generator of ``dev`` only (``torch.cuda.manual_seed``)."""
    _generators.by_device[dev] = new_generator(dev, normalize_seed(seed))


def initial_seed() -> int | None:
    return _generators.seed


def generator_state(dev: Device) -> dict:
    """A JSON-friendly snapshot of ``dev``'s generator (CPU only)."""
    gen = generator_for(dev)
    if dev.type != "cpu":
        raise RuntimeError("Saving the state of a CUDA generator is not supported.")
    return gen.bit_generator.state


def set_generator_state(dev: Device, state: dict) -> None:
    generator_for(dev).bit_generator.state = state


def ensure_array(x):
    """``x`` as an array: NumPy turns 0-d results into scalars, which Tensors never hold."""
    return x if type(x) in ARRAY_TYPES else numpy.asarray(x)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` with repeated indices accumulating (NumPy's ``add.at``)."""
    xp = get_array_module(target)
    if xp is numpy:
        numpy.add.at(target, index, values)
    else:
        from .runtime import check_deterministic  # NOTE: atomics: the float sums' order varies

        check_deterministic("scatter_add_cuda_kernel")
        cupy.add.at(target, index, values)


def erf(x):
    """The error function on either backend."""
    if get_array_module(x) is numpy:
        from scipy.special import erf as _erf

        return _erf(x)
    from cupyx.scipy.special import erf as _erf  # type: ignore[import-not-found]

    return _erf(x)


def erfinv(x):
    """The inverse error function on either backend."""
    if get_array_module(x) is numpy:
        from scipy.special import erfinv as _erfinv

        return _erfinv(x)
    from cupyx.scipy.special import erfinv as _erfinv  # type: ignore[import-not-found]

    return _erfinv(x)


def special(name: str):
    """The function ``name`` of ``scipy.special`` (``cupyx.scipy.special`` for CuPy arrays):
    ``special("gammaln")(x)``; for the functions NumPy lacks (lgamma, digamma, polygamma)."""

    def call(*arrays):
        # any argument decides: polygamma(n, x) leads with the order n
        if all(get_array_module(a) is numpy for a in arrays):
            import scipy.special as module
        else:
            import cupyx.scipy.special as module  # type: ignore[import-not-found]
        return getattr(module, name)(*arrays)

    return call


def axpy_(y, x, alpha: float) -> None:
    """``y += alpha * x`` in place, each element rounded once: BLAS axpy for contiguous
    float32/float64 NumPy arrays (PyTorch's ``add_(x, alpha=...)`` rounds the same way, and
    it is one pass over memory instead of two); NumPy's or CuPy's two steps otherwise."""
    if (
        type(y) is numpy.ndarray
        and type(x) is numpy.ndarray
        and y.dtype == x.dtype
        and y.dtype.char in "fd"
        and y.flags.c_contiguous
        and x.flags.c_contiguous
        and y.flags.writeable
        and y.shape == x.shape
    ):
        from scipy.linalg import blas

        flat = y.reshape(-1)
        (blas.saxpy if y.dtype.char == "f" else blas.daxpy)(x.reshape(-1), flat, a=alpha)
        return
    y += alpha * x


def silence_float_warnings() -> None:
    """Ignore NumPy's floating-point RuntimeWarnings ("divide by zero encountered", "invalid
    value", "overflow", "underflow") raised inside this project's own packages.

    NOTE: PyTorch computes inf and NaN silently, and so does the engine: ``log(0)`` is -inf
    without a warning (``detect_anomaly`` is the tool to find where NaN appears). The filter
    is scoped by module, so NumPy code of the user's still warns as it always did; a
    ``numpy.errstate`` around every op would cost about 2 us each.
    """
    warnings.filterwarnings(
        "ignore",
        message=r"(divide by zero|invalid value|overflow|underflow) encountered",
        category=RuntimeWarning,
        module=r"(autograd_engine|nn|optim)(\.|$)",
    )


# --- the current GPU ---------------------------------------------------------------------------
# NOTE: CuPy runs every kernel on the *current* device and allocates its result there; an
# operand on another GPU raises (or, with peer access, is read across the bus and the result
# lands on the wrong GPU). PyTorch runs an op on its inputs' device, so every piece of CuPy
# code that is not inside a node's forward enters the device of its data first.
_NO_DEVICE_CHANGE = contextlib.nullcontext()


def on_device(dev: Device):
    """A context that makes ``dev`` the current GPU while CuPy code runs; a shared no-op for
    the CPU."""
    if dev.type == "cpu":
        return _NO_DEVICE_CHANGE
    _check_cuda(dev)
    return cupy.cuda.Device(dev.index)


def run_on(dev: Device, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with ``dev`` current (creation functions, random draws): on the
    CPU a plain call."""
    if dev.type == "cpu":
        return fn(*args, **kwargs)
    _check_cuda(dev)
    with cupy.cuda.Device(dev.index):
        return fn(*args, **kwargs)


def indices_by_device(arrays) -> list[list[int]]:
    """The positions of ``arrays`` grouped by the device each lives on (in first-seen order)."""
    groups: dict = {}
    for i, a in enumerate(arrays):
        key = a.device.id if cupy is not None and isinstance(a, cupy.ndarray) else None
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def scalar_array(x, like, dtype):
    """A 0-d array holding ``x`` on ``like``'s device (a Python scalar operand)."""
    if type(like) is numpy.ndarray or cupy is None or not isinstance(like, cupy.ndarray):
        return numpy.asarray(x, dtype=dtype)
    with cupy.cuda.Device(like.device.id):
        return cupy.asarray(x, dtype=dtype)


def on_device_of(array):
    """:func:`on_device` for the device ``array`` lives on."""
    if type(array) is numpy.ndarray or cupy is None or not isinstance(array, cupy.ndarray):
        return _NO_DEVICE_CHANGE
    return cupy.cuda.Device(array.device.id)


def device_context(arrays):
    """The context that runs CuPy code on the one GPU holding every array of ``arrays`` (when
    the first is a CuPy array), or None when they are not all on that GPU."""
    if cupy is None or not isinstance(arrays[0], cupy.ndarray):
        return _NO_DEVICE_CHANGE  # a host value that is not an ndarray (a NumPy scalar)
    dev = arrays[0].device.id
    for a in arrays[1:]:
        if not isinstance(a, cupy.ndarray) or a.device.id != dev:
            return None
    return cupy.cuda.Device(dev)


# --- indexing and in-place writes --------------------------------------------------------------
def check_index_bounds(index: tuple, shape: tuple) -> None:
    """PyTorch's IndexError for an integer index array with an entry outside ``[-n, n)``.

    NumPy raises by itself; CuPy wraps such indices around silently (``x[[1, 3]]`` of a
    3-vector reads ``x[0]``), so CuPy index arrays are checked here: one reduction each, and
    one host sync for all of them. ``index`` is a normalised tuple (masks already turned into
    integer arrays, an Ellipsis present)."""
    fixed = sum(0 if i is None or i is Ellipsis else 1 for i in index)
    checks = []
    axis = 0
    for i in index:
        if i is Ellipsis:
            axis += len(shape) - fixed
            continue
        if i is None:
            continue
        if isinstance(i, cupy.ndarray) and i.dtype.kind in "iu" and axis < len(shape):
            n = shape[axis]
            bad = cupy.logical_or(i < -n, i >= n) if i.dtype.kind == "i" else i >= n
            checks.append((i, axis, n, bad))
        axis += 1
    if not checks:
        return
    flags = [bad.any() for _, _, _, bad in checks]
    flag = flags[0]
    for f in flags[1:]:
        flag = cupy.logical_or(flag, f)
    if not bool(flag):
        return
    for i, axis, n, bad in checks:
        if bool(bad.any()):
            value = int(i[bad].ravel()[0])
            raise IndexError(f"index {value} is out of bounds for dimension {axis} with size {n}")


def has_internal_overlap(array) -> bool:
    """Whether two elements of ``array`` share memory (a zero stride over a dimension longer
    than 1: an expanded view), PyTorch's test before an in-place write. CuPy has no read-only
    flag to catch it, so the engine checks the strides on every device."""
    return any(s == 0 and n > 1 for n, s in zip(array.shape, array.strides))


# --- random numbers ----------------------------------------------------------------------------
def permutation(gen, dev: Device, n: int):
    """A random permutation of ``0..n-1``: NumPy's ``Generator.permutation``; CuPy's Generator
    has none, so there it is the argsort of ``n`` uniform draws."""
    if dev.type == "cpu":
        return gen.permutation(n)
    with on_device(dev):
        return cupy.argsort(gen.random(n))


def snapshot_generator(gen) -> dict:
    """A snapshot of ``gen``'s state: NumPy's ``bit_generator.state`` dict; for CuPy, the bytes
    of its cuRAND state (a host copy of the device buffer)."""
    if isinstance(gen, numpy.random.Generator):
        return gen.bit_generator.state
    # NOTE: CuPy's bit generator keeps its cuRAND states in the device array ``_state`` and
    # exposes only its address (``state()``); copying the array is the one way to snapshot it.
    bit = gen.bit_generator
    return {"bit_generator": type(bit).__name__, "state": cupy.asnumpy(bit._state)}


def restore_generator(gen, state: dict) -> None:
    """Put back a state from :func:`snapshot_generator`."""
    if isinstance(gen, numpy.random.Generator):
        gen.bit_generator.state = state
        return
    bit = gen.bit_generator
    if state.get("bit_generator") != type(bit).__name__ or "state" not in state:
        raise ValueError(
            f"set_state: the state is not one of a CUDA {type(bit).__name__} generator "
            f"(got keys {sorted(state)}); pass what get_state() of a CUDA generator returned."
        )
    with cupy.cuda.Device(bit._current_device_id):
        bit._state[...] = cupy.asarray(state["state"])


# --- pinned and shared host memory --------------------------------------------------------------
def pinned_copy(a):
    """A copy of ``a`` in page-locked host memory (CuPy's pinned allocator), for fast
    transfers to the GPU; PyTorch's error where there is no GPU."""
    if cupy is None or not cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if isinstance(a, cupy.ndarray):
        raise RuntimeError("cannot pin a CUDA tensor: only dense CPU tensors can be pinned")
    import cupyx  # type: ignore[import-not-found]

    out = cupyx.empty_pinned(a.shape, dtype=a.dtype)
    out[...] = a
    return out


def is_pinned(a) -> bool:
    """Whether ``a`` lives in page-locked memory made by :func:`pinned_copy`."""
    if cupy is None or not isinstance(a, numpy.ndarray):
        return False
    base = a
    while base is not None:
        if isinstance(base, cupy.cuda.PinnedMemoryPointer):
            return True
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return False


_SHARED: dict = {}  # segment name -> (SharedMemory, address, size, creating pid)


def shared_copy(a):
    """A copy of the NumPy array ``a`` in a new shared-memory segment (kept open for the life of
    the process; the creating process unlinks it at exit)."""
    import os
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=max(a.nbytes, 1))
    raw = numpy.frombuffer(shm.buf, dtype=numpy.uint8)
    _SHARED[shm.name] = (shm, raw.__array_interface__["data"][0], shm.size, os.getpid())
    out = numpy.ndarray(a.shape, dtype=a.dtype, buffer=shm.buf)
    out[...] = a
    return out


def shared_segment(a):
    """``(name, byte offset)`` of the shared segment holding ``a``, or None."""
    if not isinstance(a, numpy.ndarray) or not _SHARED:
        return None
    start = a.__array_interface__["data"][0]
    for name, (_, address, size, _) in _SHARED.items():
        if address <= start < address + size:
            return name, start - address
    return None


def is_shared(a) -> bool:
    return shared_segment(a) is not None


def attach_shared(name: str, offset: int, shape, strides, dtype):
    """The array at ``offset`` in the shared segment ``name`` (opened by another process)."""
    from multiprocessing import resource_tracker, shared_memory

    if name not in _SHARED:
        shm = shared_memory.SharedMemory(name=name)
        # NOTE: before Python 3.13 attaching registers the segment with this process's
        # resource tracker, which would unlink it when this process exits; the creator owns it.
        try:
            resource_tracker.unregister(shm._name, "shared_memory")
        except Exception:  # pragma: no cover - depends on the Python version
            pass
        raw = numpy.frombuffer(shm.buf, dtype=numpy.uint8)
        _SHARED[name] = (shm, raw.__array_interface__["data"][0], shm.size, None)
    shm = _SHARED[name][0]
    return numpy.ndarray(shape, dtype=dtype, buffer=shm.buf, offset=offset, strides=strides)


def _unlink_shared() -> None:
    import os

    for shm, _, _, pid in list(_SHARED.values()):
        if pid == os.getpid():
            try:
                shm.unlink()
            except Exception:  # pragma: no cover - already gone
                pass


import atexit as _atexit  # noqa: E402

_atexit.register(_unlink_shared)
