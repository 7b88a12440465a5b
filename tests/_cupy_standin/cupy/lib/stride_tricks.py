"""``cupy.lib.stride_tricks``: strided views that run no kernel and are writable (CuPy has no
read-only flag)."""

from __future__ import annotations

import numpy

from cupy._core import core


def as_strided(x, shape=None, strides=None):
    if not isinstance(x, core.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return core.view(x, numpy.lib.stride_tricks.as_strided(x._a, shape, strides, writeable=True))


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if not isinstance(x, core.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    v = numpy.lib.stride_tricks.sliding_window_view(x._a, window_shape, axis)
    return core.view(x, numpy.lib.stride_tricks.as_strided(x._a, v.shape, v.strides))
