"""The stand-in's ``cupyx``: ``scipy.special`` and ``scatter_add``."""

from __future__ import annotations

from cupyx import scipy


def scatter_add(a, slices, value):
    import cupy

    cupy.add.at(a, slices, value)


__all__ = ["scatter_add", "scipy"]
