"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients so that their joint norm is at
most ``max_norm``) and ``clip_grad_value_`` (clamp each gradient element)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm"]


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm_array(array, norm_type: float):
    """The ``norm_type``-norm of one array, as a 0-d array in float64 on its device."""
    xp = array_backend.get_array_module(array)
    a = xp.abs(array.astype("float64", copy=False))
    if norm_type == math.inf:
        return a.max() if a.size else xp.asarray(0.0)
    if norm_type == 0:
        return (a != 0).sum().astype("float64")
    if norm_type == 1:
        return a.sum()
    if norm_type == 2:
        return xp.sqrt((a * a).sum())
    return (a**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one
    vector (``torch.nn.utils.get_total_norm``)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(array_backend.numpy.asarray(0.0, dtype="float32"))
    device = tensors[0].device
    norms = [array_backend.to_device(_norm_array(t.array, norm_type), device) for t in tensors]
    xp = device.xp
    stacked = xp.stack([xp.asarray(n) for n in norms])
    total = _norm_array(stacked, norm_type)
    dtype = tensors[0].dtype
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(xp.asarray(total, dtype=dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their joint norm is at most
    ``max_norm`` (``torch.nn.utils.clip_grad_norm_``).

    The norm is computed over all gradients together, as if concatenated into one vector;
    each gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        parameters: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``); those
            without a gradient are skipped.
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm (``float('inf')`` for the max norm).
        error_if_nonfinite: raise if the total norm is nan or inf.

    Returns:
        The total norm before clipping, a 0-d Tensor.

    Example::

        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> optimizer.step()
    """
    rec = ag.node._recorder
    if rec is not None and rec.claims():  # a compiled step replays the whole call
        params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
        return rec.opaque_call(clip_grad_norm_, params, max_norm, norm_type, error_if_nonfinite)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    xp = array_backend.get_array_module(total.array)
    coef = xp.minimum(float(max_norm) / (total.array.astype("float64") + 1e-6), 1.0)
    for g in grads:
        c = array_backend.to_device(coef, g.device)
        with array_backend.numpy.errstate(invalid="ignore"):  # inf * 0 = nan for a non-finite norm
            g.array *= c.astype(g.dtype)
        g._version += 1
    return total


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach=None
) -> None:
    """Clamp every gradient element of ``parameters`` into ``[-clip_value, clip_value]``, in
    place (``torch.nn.utils.clip_grad_value_``).

    Example::

        >>> nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    rec = ag.node._recorder
    if rec is not None and rec.claims():  # a compiled step replays the whole call
        params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
        return rec.opaque_call(clip_grad_value_, params, clip_value)
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = array_backend.get_array_module(g.array)
        xp.clip(g.array, -clip_value, clip_value, out=g.array)
        g._version += 1
