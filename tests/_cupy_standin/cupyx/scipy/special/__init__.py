"""``cupyx.scipy.special`` on the stand-in: SciPy's ufuncs run as kernels."""

from __future__ import annotations

import scipy.special
from cupy._core.core import launch

_NAMES = ("erf", "erfc", "erfinv", "erfcinv", "expit", "logit", "gammaln", "digamma", "ndtr")


def _make(name):
    sp_func = getattr(scipy.special, name)

    def routine(*args, **kwargs):
        return launch(sp_func, args, kwargs)

    routine.__name__ = name
    return routine


for _name in _NAMES:
    globals()[_name] = _make(_name)

__all__ = list(_NAMES)
