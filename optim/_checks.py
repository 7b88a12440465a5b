"""Hyperparameter checks shared by the optimizers, with PyTorch's ``Invalid ...`` messages."""

from __future__ import annotations

import numbers

from autograd_engine import Tensor

_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def number(value):
    """A hyperparameter as the update rules read it. A 1-element Tensor (``lr=tensor(0.01)``)
    becomes a NumPy scalar of its dtype, so that arithmetic on it rounds as PyTorch's 0-d
    Tensor arithmetic does (``lr / bias_correction`` stays float32); a tuple of Tensors
    (``betas``) becomes a tuple of Python floats (PyTorch moves Tensor betas to the
    parameter's dtype)."""
    if isinstance(value, Tensor):
        return value.numpy().reshape(())[()]
    if isinstance(value, tuple) and any(isinstance(v, Tensor) for v in value):
        return tuple(number(v) for v in value)
    return value


def _check_number(name: str, value, key: str) -> None:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {key} must be 1-element")
        return
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"Invalid {name}: expected a real number or a 1-element Tensor, but got "
            f"{type(value).__name__}"
        )


def check_range(name: str, value, low: float = 0.0, key: str = "") -> None:
    """PyTorch's ``Invalid <name>: <value>`` ValueError unless ``value >= low`` (NaN fails);
    ``key`` names the hyperparameter in the error for a Tensor of several elements."""
    _check_number(name, value, key or name)
    value = float(value) if isinstance(value, Tensor) else value
    if not low <= value:
        raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas) -> None:
    """Each beta must lie in [0, 1); the message names the bad one, as PyTorch's does."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
    if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate(betas):
        _check_number(f"beta parameter at index {i}", beta, f"betas[{i}]")
        beta = float(beta) if isinstance(beta, Tensor) else beta
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def check_group(group: dict, keys: tuple[str, ...]) -> None:
    """Check ``group``'s hyperparameters ``keys`` in order: ``betas`` with :func:`check_betas`,
    any other must be ``>= 0``, named in the error as PyTorch names it (``learning rate``,
    ``epsilon value``, ``<key> value``). Then the implementation flags."""
    for key in keys:
        if key == "betas":
            check_betas(group[key])
        else:
            check_range(_LABELS.get(key, f"{key} value"), group[key], key=key)
    if group.get("differentiable"):
        raise RuntimeError(
            "differentiable=True is not supported: this engine's optimizers update the "
            "parameters' arrays in place outside autograd, so a step cannot be differentiated "
            "through. Leave differentiable=False (the default); to differentiate through an "
            "update (meta-learning), write it with Tensor ops, e.g. new_w = w - lr * w.grad."
        )
    if group.get("fused") and group.get("foreach"):
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
