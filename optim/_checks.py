"""Hyperparameter checks shared by the optimizers, with PyTorch's ``Invalid ...`` messages."""

from __future__ import annotations

import numbers


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


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_group(group: dict, keys: tuple[str, ...]) -> None:
    """Check ``group``'s hyperparameters ``keys`` in order: ``betas`` with :func:`check_betas`,
    any other must be ``>= 0``, named in the error as PyTorch names it (``learning rate``,
    ``epsilon value``, ``<key> value``)."""
    for key in keys:
        if key == "betas":
            check_betas(group[key])
        else:
            check_range(_LABELS.get(key, f"{key} value"), group[key])
