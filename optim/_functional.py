"""Small numeric helpers shared by the update rules, rounding exactly as PyTorch's kernels do."""

from __future__ import annotations

import array
import numbers

from autograd_engine.array_backend import get_array_module


def lerp_(start, end, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place, in ATen's two-branch form.

    NOTE: ATen's ``lerp`` computes ``end - (end - start) * (1 - weight)`` when
    ``|weight| >= 0.5``; matching both branches keeps the moments bit-equal to PyTorch's.
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1.0 - weight
        get_array_module(start).subtract(end, diff, out=start)


def float32(value: float) -> float:
    """``value`` rounded to the nearest float32 (PyTorch keeps NAdam's ``mu_product`` there)."""
    return array.array("f", [value])[0]


def _check_number(name: str, value) -> None:
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"Invalid {name}: expected a real number, but got {type(value).__name__} "
            "(hyperparameters are Python numbers here; Tensor values are not supported)"
        )


def check_range(name: str, value, low: float = 0.0) -> None:
    """PyTorch's ``Invalid <name>: <value>`` ValueError unless ``value >= low`` (NaN fails)."""
    _check_number(name, value)
    if not low <= value:
        raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas) -> None:
    """Each beta must lie in [0, 1); the message names the bad one, as PyTorch's does."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
    for i, beta in enumerate(betas):
        _check_number(f"beta parameter at index {i}", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
