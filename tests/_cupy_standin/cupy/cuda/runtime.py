"""The stand-in's CUDA runtime: a number of simulated devices (``CUPY_STANDIN_DEVICES``,
default 2) and the current device, per thread as ``cudaSetDevice`` is (a new thread starts on
device 0)."""

from __future__ import annotations

import os
import threading

is_hip = False

cudaDevAttrMultiProcessorCount = 16
cudaDevAttrComputeCapabilityMajor = 75
cudaDevAttrComputeCapabilityMinor = 76

_DEVICE_COUNT = int(os.environ.get("CUPY_STANDIN_DEVICES", "2"))
_TOTAL_MEMORY = 16 * 1024**3
_MULTIPROCESSORS = 4  # small, so that cuRAND-sized generator states stay small
_local = threading.local()


class CUDARuntimeError(RuntimeError):
    """CuPy's ``cupy_backends.cuda.api.runtime.CUDARuntimeError``."""

    def __init__(self, status: int, name: str, message: str):
        self.status = status
        super().__init__(f"{name}: {message}")


def _invalid_device(device: int) -> CUDARuntimeError:
    return CUDARuntimeError(101, "cudaErrorInvalidDevice", "invalid device ordinal")


def getDeviceCount() -> int:
    return _DEVICE_COUNT


def getDevice() -> int:
    return getattr(_local, "device", 0)


def setDevice(device: int) -> None:
    device = int(device)
    if not 0 <= device < _DEVICE_COUNT:
        raise _invalid_device(device)
    _local.device = device


def deviceSynchronize() -> None:
    """A no-op: the stand-in runs every "kernel" synchronously on the host."""


def runtimeGetVersion() -> int:
    return 12080


def driverGetVersion() -> int:
    return 12080


def memGetInfo() -> tuple[int, int]:
    from cupy._core import core

    used = core._pool_total_bytes(getDevice())
    return _TOTAL_MEMORY - used, _TOTAL_MEMORY


def deviceGetAttribute(attrib: int, device: int) -> int:
    if not 0 <= device < _DEVICE_COUNT:
        raise _invalid_device(device)
    values = {
        cudaDevAttrMultiProcessorCount: _MULTIPROCESSORS,
        cudaDevAttrComputeCapabilityMajor: 8,
        cudaDevAttrComputeCapabilityMinor: 0,
    }
    if attrib not in values:
        raise NotImplementedError(f"the CuPy stand-in does not model device attribute {attrib}")
    return values[attrib]


def getDeviceProperties(device: int) -> dict:
    if not 0 <= device < _DEVICE_COUNT:
        raise _invalid_device(device)
    return {
        "name": b"CuPy stand-in (NumPy on the host)",
        "totalGlobalMem": _TOTAL_MEMORY,
        "multiProcessorCount": _MULTIPROCESSORS,
        "major": 8,
        "minor": 0,
        "warpSize": 32,
        "pciBusID": device,
    }
