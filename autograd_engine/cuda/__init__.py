"""``autograd_engine.cuda`` (``torch.cuda``): the GPU as PyTorch code asks about it, answered
by CuPy. Without CuPy these behave as on a CPU-only PyTorch build: the queries that have an
answer say so (``is_available()`` False, ``device_count()`` 0, ``memory_allocated()`` 0,
``manual_seed`` does nothing), and those that need a GPU raise ``AssertionError`` (CuPy not
installed, PyTorch's "not compiled with CUDA") or ``RuntimeError`` (CuPy but no GPU)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from .. import array_backend
from ..legacy import cuda_BoolTensor as BoolTensor  # noqa: F401  (torch.cuda.BoolTensor, ...)
from ..legacy import cuda_ByteTensor as ByteTensor  # noqa: F401
from ..legacy import cuda_CharTensor as CharTensor  # noqa: F401
from ..legacy import cuda_DoubleTensor as DoubleTensor  # noqa: F401
from ..legacy import cuda_FloatTensor as FloatTensor  # noqa: F401
from ..legacy import cuda_HalfTensor as HalfTensor  # noqa: F401
from ..legacy import cuda_IntTensor as IntTensor  # noqa: F401
from ..legacy import cuda_LongTensor as LongTensor  # noqa: F401
from ..legacy import cuda_ShortTensor as ShortTensor  # noqa: F401

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "device",
    "synchronize",
    "get_device_name",
    "get_device_capability",
    "get_device_properties",
    "manual_seed",
    "manual_seed_all",
    "is_bf16_supported",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
    "reset_max_memory_allocated",
    "empty_cache",
    "mem_get_info",
    "memory_summary",
    "Stream",
    "Event",
    "stream",
    "current_stream",
    "default_stream",
]


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA GPU (``torch.cuda.is_available``)."""
    return array_backend.cuda_available()


def device_count() -> int:
    """The number of GPUs CuPy sees; 0 without CuPy (``torch.cuda.device_count``)."""
    return array_backend.cuda_device_count()


def _cupy(error: type = AssertionError):
    """CuPy, after checking there is a GPU to talk to."""
    cupy = array_backend.cupy
    if cupy is None:
        raise error(
            "autograd_engine was asked for CUDA, but CuPy is not installed (PyTorch's 'Torch not "
            "compiled with CUDA enabled'). Install the GPU extra (pip install "
            "-e '.[cuda12]' or '.[cuda13]' in the checkout) on a machine with an NVIDIA GPU, or "
            "check autograd_engine.cuda.is_available() first."
        )
    if not array_backend.cuda_available():
        raise RuntimeError(
            "No CUDA GPUs are available: CuPy is installed but sees no GPU. Check "
            "autograd_engine.cuda.is_available() first, or use device='cpu'."
        )
    return cupy


def _index(dev=None, optional: bool = True) -> int:
    """A GPU number from an int, ``"cuda:N"``, a Device or None (the current GPU)."""
    if dev is None:
        return _cupy().cuda.runtime.getDevice()
    if isinstance(dev, int):
        return dev
    dev = array_backend.device(dev) if isinstance(dev, str) else dev
    if getattr(dev, "type", None) != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return dev.index if dev.index is not None else _cupy().cuda.runtime.getDevice()


def current_device() -> int:
    """The number of the current GPU (``torch.cuda.current_device``)."""
    return _cupy().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make ``device`` the current GPU of this thread (``torch.cuda.set_device``): a bare
    ``"cuda"`` (``device="cuda"``, ``.cuda()``, ``.to("cuda")``) means it from then on, as in
    PyTorch; a negative number does nothing."""
    index = _index(device)
    if index >= 0:
        _cupy().cuda.runtime.setDevice(index)


class device:
    """Context manager that makes a GPU current inside it (``torch.cuda.device``); a negative
    number does nothing."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx < 0:
            return
        cupy = _cupy(RuntimeError)  # PyTorch: "compiled without CUDA support" on entry
        self.prev_idx = cupy.cuda.runtime.getDevice()
        if self.prev_idx != self.idx:
            cupy.cuda.runtime.setDevice(self.idx)

    def __exit__(self, *exc) -> bool:
        if self.idx >= 0 and self.prev_idx != self.idx:
            array_backend.cupy.cuda.runtime.setDevice(self.prev_idx)
        return False


def synchronize(device=None) -> None:
    """Wait until all work queued on the GPU has finished (``torch.cuda.synchronize``)."""
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
        cupy.cuda.get_current_stream().synchronize()
        cupy.cuda.Device().synchronize()


def _properties(device=None) -> dict:
    return _cupy().cuda.runtime.getDeviceProperties(_index(device))


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. ``"NVIDIA H100 80GB HBM3"`` (``torch.cuda.get_device_name``)."""
    name = _properties(device)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple[int, int]:
    """The compute capability ``(major, minor)`` (``torch.cuda.get_device_capability``)."""
    props = _properties(device)
    return int(props["major"]), int(props["minor"])


@dataclass(frozen=True)
class _CudaDeviceProperties:
    """What ``get_device_properties`` returns (the fields of PyTorch's object that CUDA's
    runtime reports)."""

    name: str
    major: int
    minor: int
    total_memory: int
    multi_processor_count: int
    is_integrated: int
    is_multi_gpu_board: int
    L2_cache_size: int

    def __repr__(self) -> str:
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
            f"total_memory={self.total_memory // (1024 * 1024)}MB, "
            f"multi_processor_count={self.multi_processor_count}, "
            f"L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)"
        )


def get_device_properties(device=None) -> _CudaDeviceProperties:
    """Name, compute capability, memory and multiprocessors of a GPU
    (``torch.cuda.get_device_properties``)."""
    p = _properties(device)
    return _CudaDeviceProperties(
        name=get_device_name(device),
        major=int(p["major"]),
        minor=int(p["minor"]),
        total_memory=int(p["totalGlobalMem"]),
        multi_processor_count=int(p["multiProcessorCount"]),
        is_integrated=int(p.get("integrated", 0)),
        is_multi_gpu_board=int(p.get("isMultiGpuBoard", 0)),
        L2_cache_size=int(p.get("l2CacheSize", 0)),
    )


def manual_seed(seed: int) -> None:
    """Seed the current GPU's random generator (``torch.cuda.manual_seed``); without a GPU
    it does nothing, as in PyTorch. The CPU generator is left alone."""
    if is_available():
        array_backend.seed_device(array_backend.Device("cuda", current_device()), int(seed))


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's random generator (``torch.cuda.manual_seed_all``); without a GPU it
    does nothing."""
    for i in range(device_count()):
        array_backend.seed_device(array_backend.Device("cuda", i), int(seed))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 tensors can be used on the GPU (``torch.cuda.is_bf16_supported``):
    needs a GPU of compute capability 8.0 or newer, and a bfloat16 dtype in this engine."""
    from .. import dtypes

    if not is_available() or getattr(dtypes, "bfloat16", None) is None:
        return False
    return get_device_capability() >= (8, 0)


# --- memory: CuPy's memory pool ------------------------------------------------------------------
class _PeakTracker:
    """The largest ``memory_allocated`` seen per GPU. CuPy keeps no peak, so the first call to
    ``max_memory_allocated`` or ``reset_peak_memory_stats`` wraps CuPy's allocator to watch
    every allocation from then on (a few hundred nanoseconds each)."""

    def __init__(self):
        self.peak: dict[int, int] = {}
        self.installed = False

    def install(self, cupy) -> None:
        if self.installed:
            return
        inner = cupy.cuda.get_allocator()
        pool = cupy.get_default_memory_pool()
        peak = self.peak

        def malloc(size):
            mem = inner(size)
            dev = mem.device_id
            used = pool.used_bytes()
            if used > peak.get(dev, 0):
                peak[dev] = used
            return mem

        cupy.cuda.set_allocator(malloc)
        self.installed = True


_peaks = _PeakTracker()


def _pool_bytes(device, what: str) -> int:
    if not is_available():
        return 0
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
        return int(getattr(cupy.get_default_memory_pool(), what)())


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors now: CuPy's memory pool in use
    (``torch.cuda.memory_allocated``); 0 without a GPU."""
    return _pool_bytes(device, "used_bytes")


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or cached (``torch.cuda.memory_reserved``);
    0 without a GPU."""
    return _pool_bytes(device, "total_bytes")


def max_memory_allocated(device=None) -> int:
    """The peak of ``memory_allocated`` since the last ``reset_peak_memory_stats``
    (``torch.cuda.max_memory_allocated``); 0 without a GPU. NOTE: CuPy keeps no peak, so
    watching starts at the first call to this or to ``reset_peak_memory_stats`` (call the
    latter before the code you measure, as PyTorch's examples do)."""
    if not is_available():
        return 0
    cupy = _cupy()
    _peaks.install(cupy)
    index = _index(device)
    now = memory_allocated(index)
    peak = max(_peaks.peak.get(index, 0), now)
    _peaks.peak[index] = peak
    return peak


def max_memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds (it only grows until ``empty_cache``), so its current size
    (``torch.cuda.max_memory_reserved``); 0 without a GPU."""
    return memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    """Start the peak of ``max_memory_allocated`` afresh from the memory in use now
    (``torch.cuda.reset_peak_memory_stats``)."""
    cupy = _cupy()
    _peaks.install(cupy)
    index = _index(device)
    _peaks.peak[index] = memory_allocated(index)


def reset_max_memory_allocated(device=None) -> None:
    """The old name of :func:`reset_peak_memory_stats`."""
    warnings.warn(
        "torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        FutureWarning,
        stacklevel=2,
    )
    reset_peak_memory_stats(device)


def empty_cache() -> None:
    """Give the GPU memory that CuPy's pools cache but no tensor uses back to the driver
    (``torch.cuda.empty_cache``); nothing to do without a GPU."""
    if not is_available():
        return
    cupy = _cupy()
    cupy.get_default_memory_pool().free_all_blocks()
    cupy.get_default_pinned_memory_pool().free_all_blocks()


def mem_get_info(device=None) -> tuple[int, int]:
    """``(free, total)`` bytes of the GPU as the driver reports them
    (``torch.cuda.mem_get_info``)."""
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
        free, total = cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """A short table of the GPU memory statistics above (``torch.cuda.memory_summary``; NOTE:
    CuPy's pool reports current and peak bytes only, not PyTorch's per-pool breakdown)."""
    index = _index(device)
    free, total = mem_get_info(index)
    rows = [
        ("Allocated memory", memory_allocated(index), max_memory_allocated(index)),
        ("Reserved memory (CuPy pool)", memory_reserved(index), max_memory_reserved(index)),
    ]
    lines = [
        f"|{'':=<75}|",
        f"| {'autograd_engine CUDA memory summary, device ID ' + str(index):<73} |",
        f"|{'':-<75}|",
        f"| {'Metric':<33} | {'Cur Usage':>17} | {'Peak Usage':>17} |",
        f"|{'':-<75}|",
    ]
    for name, cur, peak in rows:
        lines.append(f"| {name:<33} | {_mib(cur):>17} | {_mib(peak):>17} |")
    lines += [
        f"| {'GPU memory free / total':<33} | {_mib(free):>17} | {_mib(total):>17} |",
        f"|{'':=<75}|",
    ]
    return "\n".join(lines) + "\n"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


# --- streams and events: CuPy's ------------------------------------------------------------------
class Stream:
    """A CUDA stream (``torch.cuda.Stream``), wrapping ``cupy.cuda.Stream``: work queued while
    it is current (``with cuda.stream(s):``) runs in order on it, concurrently with other
    streams.

    Args:
        device: the GPU (default: the current one).
        priority: lower numbers run first (CUDA's stream priorities); 0 is the default.
    """

    def __init__(self, device=None, priority: int = 0, **kwargs):
        cupy = array_backend.cupy
        if cupy is None or not array_backend.cuda_available():
            raise RuntimeError(
                "autograd_engine.cuda.Stream requires CUDA support (CuPy and a GPU); check "
                "autograd_engine.cuda.is_available() first."
            )
        self.device_index = _index(device)
        with cupy.cuda.Device(self.device_index):
            self.cupy_stream = kwargs.pop("_cupy_stream", None) or cupy.cuda.Stream(
                non_blocking=True, priority=priority
            )

    def synchronize(self) -> None:
        """Wait until everything queued on this stream has finished."""
        self.cupy_stream.synchronize()

    def query(self) -> bool:
        """True if everything queued on this stream has finished."""
        return bool(self.cupy_stream.done)

    def wait_event(self, event: Event) -> None:
        """Make later work on this stream wait for ``event``."""
        self.cupy_stream.wait_event(event.cupy_event)

    def wait_stream(self, stream: Stream) -> None:
        """Make later work on this stream wait for what is queued on ``stream`` now."""
        self.wait_event(stream.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        """Record an event on this stream (a new one if none is given) and return it."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and self.cupy_stream.ptr == other.cupy_stream.ptr

    def __hash__(self) -> int:
        return hash(self.cupy_stream.ptr)

    def __repr__(self) -> str:
        ptr = self.cupy_stream.ptr
        return f"<autograd_engine.cuda.Stream device=cuda:{self.device_index} ptr={ptr:#x}>"


class Event:
    """A CUDA event (``torch.cuda.Event``), wrapping ``cupy.cuda.Event``: a marker in a
    stream, to wait for or to time GPU work (``start.elapsed_time(end)`` in milliseconds).

    Example::

        start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
        start.record()
        y = x @ x
        end.record()
        cuda.synchronize()
        ms = start.elapsed_time(end)
    """

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):  # fmt: skip
        cupy = array_backend.cupy
        if cupy is None or not array_backend.cuda_available():
            raise RuntimeError(
                "autograd_engine.cuda.Event requires CUDA support (CuPy and a GPU); check "
                "autograd_engine.cuda.is_available() first."
            )
        self.cupy_event = cupy.cuda.Event(
            block=blocking, disable_timing=not enable_timing, interprocess=interprocess
        )

    def record(self, stream: Stream | None = None) -> None:
        """Record the event on ``stream`` (default: the current stream)."""
        self.cupy_event.record(None if stream is None else stream.cupy_stream)

    def wait(self, stream: Stream | None = None) -> None:
        """Make later work on ``stream`` (default: the current one) wait for this event."""
        (stream or current_stream()).wait_event(self)

    def query(self) -> bool:
        """True if the work before the event has finished."""
        return bool(self.cupy_event.done)

    def synchronize(self) -> None:
        """Wait until the work before the event has finished."""
        self.cupy_event.synchronize()

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds between this event and ``end_event`` (both recorded, with
        ``enable_timing=True``)."""
        cuda = array_backend.cupy.cuda
        return float(cuda.get_elapsed_time(self.cupy_event, end_event.cupy_event))


def current_stream(device=None) -> Stream:
    """The stream work is queued on now (``torch.cuda.current_stream``)."""
    cupy = _cupy()
    index = _index(device)
    with cupy.cuda.Device(index):
        return Stream(index, _cupy_stream=cupy.cuda.get_current_stream())


def default_stream(device=None) -> Stream:
    """The GPU's default stream (``torch.cuda.default_stream``)."""
    cupy = _cupy()
    index = _index(device)
    return Stream(index, _cupy_stream=cupy.cuda.Stream.null)


class stream:
    """Context manager that makes ``stream`` current inside it (``torch.cuda.stream``);
    ``None`` does nothing."""

    def __init__(self, stream: Stream | None):
        self.stream = stream

    def __enter__(self) -> None:
        if self.stream is not None:
            self.stream.cupy_stream.__enter__()

    def __exit__(self, *exc) -> bool:
        if self.stream is not None:
            self.stream.cupy_stream.__exit__(*exc)
        return False


from . import amp  # noqa: E402  (autograd_engine.cuda.amp, after the functions it may use)
