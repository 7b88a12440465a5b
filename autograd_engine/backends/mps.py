"""``autograd_engine.backends.mps`` (``torch.backends.mps``): Apple's Metal backend, which this
engine does not have."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: there is no MPS backend here (use ``"cpu"`` or ``"cuda"``)."""
    return False


def is_built() -> bool:
    return False
