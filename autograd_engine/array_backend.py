"""The one module that knows NumPy and CuPy: devices, array modules, moving arrays between
devices, per-device random generators, and the few places where the two libraries differ."""

from __future__ import annotations

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
            index = 0
        self.type, self.index = kind, index

    @property
    def xp(self):
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
            "(pip install 'autograd_engine[cuda12]' or '[cuda13]') on a machine with an NVIDIA "
            "GPU, or use device='cpu'."
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
