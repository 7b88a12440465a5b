"""Distances for ``nn.functional``: ``cosine_similarity`` and ``pairwise_distance``."""

from __future__ import annotations

from autograd_engine.ops._util import const
from autograd_engine.tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim``, broadcasting
    (``torch.nn.functional.cosine_similarity``).

    Each input is divided by its own clamped norm first (PyTorch's numerically stable form);
    as in PyTorch the clamp is not differentiated (the gradient is the unclamped norm's).

    Example::

        >>> F.cosine_similarity(ag.randn(100, 128), ag.randn(100, 128)).shape
        (100,)
    """
    if x1.ndim != x2.ndim and min(x1.ndim, x2.ndim) == 0:
        raise RuntimeError("cosine_similarity: inputs must have at least one dimension")
    shape = _broadcast_shape(x1, x2)
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    return (x1 / _clamped_norm(x1, dim, eps) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _broadcast_shape(x1: Tensor, x2: Tensor) -> tuple[int, ...]:
    xp = x1.device.xp
    try:
        return tuple(xp.broadcast_shapes(x1.shape, x2.shape))
    except ValueError:
        raise RuntimeError(
            f"cosine_similarity: the shapes {tuple(x1.shape)} and {tuple(x2.shape)} are not "
            "broadcastable"
        ) from None


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    norm = x.norm(2, dim, keepdim=True)
    xp = x.device.xp
    return norm + const(xp.maximum(norm.array, eps) - norm.array)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (``torch.nn.functional.pairwise_distance``).

    Example::

        >>> F.pairwise_distance(ag.randn(100, 128), ag.randn(100, 128)).shape
        (100,)
    """
    if x1.ndim == 0 or x2.ndim == 0:
        raise RuntimeError("pairwise_distance: inputs must have at least one dimension")
    dim = -1
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)
