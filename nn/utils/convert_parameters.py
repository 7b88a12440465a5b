"""``parameters_to_vector`` and ``vector_to_parameters``: flatten parameters into one vector
and back (for second-order methods, evolution strategies, line searches)."""

from __future__ import annotations

from collections.abc import Iterable

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and concatenated into one 1-D tensor
    (``torch.nn.utils.parameters_to_vector``); differentiable.

    Example::

        >>> vec = nn.utils.parameters_to_vector(model.parameters())
        >>> vec.shape
        (n_params,)
    """
    params = list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected at least one parameter")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise TypeError(
                "Found two parameters on different devices, this is currently not supported "
                f"({device} and {p.device})."
            )
    return ag.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy slices of the 1-D ``vec`` into ``parameters``, in order
    (``torch.nn.utils.vector_to_parameters``). The parameters keep their identity, shape and
    dtype.

    Example::

        >>> nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector, got shape {vec.shape}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise RuntimeError(
            f"vector_to_parameters: the vector has {vec.numel()} elements but the parameters "
            f"hold {total}"
        )
    pointer = 0
    for p in params:
        n = p.numel()
        chunk = vec.array[pointer : pointer + n].reshape(p.shape)
        p.array[...] = array_backend.asarray(chunk, p.device, dtype=p.dtype)
        p._version += 1
        pointer += n
