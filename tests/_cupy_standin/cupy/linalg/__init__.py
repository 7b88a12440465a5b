"""``cupy.linalg`` on the stand-in: NumPy's LAPACK as cuSOLVER (numerics differ on a GPU)."""

from __future__ import annotations

import numpy

from cupy._core.core import launch

_NAMES = ("qr", "norm", "svd", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "pinv")


def _make(name):
    np_func = getattr(numpy.linalg, name)

    def routine(*args, **kwargs):
        return launch(np_func, args, kwargs)

    routine.__name__ = name
    return routine


for _name in _NAMES:
    globals()[_name] = _make(_name)

__all__ = list(_NAMES)
