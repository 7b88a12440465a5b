"""The stand-in's ``cupy.cuda``: devices (with CuPy's thread-local stack of current devices),
streams and events that run nothing asynchronously, and the memory pools."""

from __future__ import annotations

import threading
import time

from cupy.cuda import runtime

__all__ = [
    "Device",
    "Event",
    "MemoryPool",
    "PinnedMemoryPool",
    "Stream",
    "get_current_stream",
    "get_device_id",
    "get_elapsed_time",
    "is_available",
    "runtime",
]

_local = threading.local()


def is_available() -> bool:
    return runtime.getDeviceCount() > 0


def get_device_id() -> int:
    return runtime.getDevice()


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class Device:
    """``cupy.cuda.Device``: ``with Device(1): ...`` makes device 1 current and restores the
    previous one on exit; ``Device(1).use()`` makes it current; ``Device()`` is the current
    one. An id that does not exist fails when it is entered or used, as in CuPy."""

    def __init__(self, device=None):
        self.id = runtime.getDevice() if device is None else int(device)

    def __int__(self) -> int:
        return self.id

    def __enter__(self):
        _stack().append(runtime.getDevice())
        if self.id != runtime.getDevice():
            try:
                runtime.setDevice(self.id)
            except Exception:
                _stack().pop()
                raise
        return self

    def __exit__(self, *exc):
        runtime.setDevice(_stack().pop())

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"

    def use(self):
        runtime.setDevice(self.id)
        return self

    def synchronize(self) -> None:
        """A no-op: stand-in kernels run synchronously on the host."""
        runtime.deviceGetAttribute(runtime.cudaDevAttrMultiProcessorCount, self.id)

    @property
    def compute_capability(self) -> str:
        major = runtime.deviceGetAttribute(runtime.cudaDevAttrComputeCapabilityMajor, self.id)
        minor = runtime.deviceGetAttribute(runtime.cudaDevAttrComputeCapabilityMinor, self.id)
        return f"{major}{minor}"

    @property
    def mem_info(self) -> tuple[int, int]:
        with self:
            return runtime.memGetInfo()

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and self.id == other.id

    def __hash__(self) -> int:
        return hash(("Device", self.id))


class Stream:
    """``cupy.cuda.Stream``: a context that makes it current; work on it is synchronous."""

    null: Stream

    def __init__(self, null=False, non_blocking=False, ptr=0, priority=None):
        self.ptr = 0 if null else id(self)
        self.device_id = runtime.getDevice()

    def __enter__(self):
        _local.streams = getattr(_local, "streams", []) + [self]
        return self

    def __exit__(self, *exc):
        _local.streams.pop()

    def use(self):
        _local.streams = [self]
        return self

    def synchronize(self) -> None:
        pass

    @property
    def done(self) -> bool:
        return True

    def record(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event) -> None:
        pass


Stream.null = Stream(null=True)


def get_current_stream(device_id=-1) -> Stream:
    streams = getattr(_local, "streams", [])
    return streams[-1] if streams else Stream.null


class Event:
    """``cupy.cuda.Event``: records the host clock (stand-in work is already done)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._time = None
        self._timing = not disable_timing

    def record(self, stream=None) -> None:
        self._time = time.perf_counter()

    def synchronize(self) -> None:
        pass

    @property
    def done(self) -> bool:
        return True


def get_elapsed_time(start_event: Event, end_event: Event) -> float:
    """Milliseconds between two recorded events (host time on the stand-in)."""
    if start_event._time is None or end_event._time is None:
        raise runtime.CUDARuntimeError(
            600, "cudaErrorNotReady", "device not ready (an event was not recorded)"
        )
    return (end_event._time - start_event._time) * 1000.0


class MemoryPool:
    """``cupy.cuda.MemoryPool`` (the default pool): bytes in use on the current device, and
    freed blocks kept cached until ``free_all_blocks``."""

    def __init__(self, allocator=None):
        self._limit = 0

    def used_bytes(self) -> int:
        from cupy._core import core

        return core._pool_used[runtime.getDevice()]

    def total_bytes(self) -> int:
        from cupy._core import core

        return core._pool_total_bytes(runtime.getDevice())

    def free_bytes(self) -> int:
        return self.total_bytes() - self.used_bytes()

    def n_free_blocks(self) -> int:
        from cupy._core import core

        return core._pool_blocks[runtime.getDevice()]

    def free_all_blocks(self, stream=None) -> None:
        from cupy._core import core

        dev = runtime.getDevice()
        core._pool_cached[dev] = 0
        core._pool_blocks[dev] = 0

    def set_limit(self, size=None, fraction=None) -> None:
        if fraction is not None:
            size = int(runtime._TOTAL_MEMORY * fraction)
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        return self._limit


class PinnedMemoryPool:
    """``cupy.cuda.PinnedMemoryPool``: the stand-in pins nothing."""

    def free_all_blocks(self) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0


def __getattr__(name: str):
    raise AttributeError(
        f"module 'cupy.cuda' has no attribute {name!r} (not modelled by the CuPy stand-in "
        "in tests/_cupy_standin)"
    )
