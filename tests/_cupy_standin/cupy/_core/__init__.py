"""``cupy._core`` on the stand-in: the array type lives in ``core``."""

from cupy._core.core import ndarray

__all__ = ["ndarray"]
