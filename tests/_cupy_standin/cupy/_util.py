"""``cupy._util``: the warning CuPy gives when it turns on peer access by itself."""

from cupy._core.core import PerformanceWarning

__all__ = ["PerformanceWarning"]
