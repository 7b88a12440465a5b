"""``cupyx.scipy.special`` on the stand-in: SciPy's ufuncs run as kernels.

Only names real CuPy has (``cupyx/scipy/special/__init__.py``): ``psi`` is CuPy's alias of
``digamma``; ``i0``/``i1`` are in ``_bessel.py``; ``polygamma`` is modelled below."""

from __future__ import annotations

import scipy.special
from cupy._core.core import launch, ndarray

_NAMES = (
    "erf", "erfc", "erfinv", "erfcinv", "expit", "logit", "gammaln", "digamma", "psi", "ndtr",
    "i0", "i1",
)  # fmt: skip


def _make(name):
    sp_func = getattr(scipy.special, name)

    def routine(*args, **kwargs):
        return launch(sp_func, args, kwargs)

    routine.__name__ = name
    return routine


for _name in _NAMES:
    globals()[_name] = _make(_name)


def polygamma(n, x):
    """CuPy's ``_polygamma.polygamma``: ``cupy.broadcast_arrays(n, x)`` leaves a Python
    number as it is, and ``cupy.where(n == 0, ...)`` then calls ``.astype`` on a Python bool,
    so ``n`` must be an array (or a NumPy scalar)."""
    if not isinstance(n, ndarray):
        cond = n == 0
        if not hasattr(cond, "astype"):
            raise AttributeError(f"'{type(cond).__name__}' object has no attribute 'astype'")
    return launch(scipy.special.polygamma, (n, x), {})


__all__ = [*_NAMES, "polygamma"]
