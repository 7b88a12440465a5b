"""Attention weights as one node: ``softmax(q k^T * scale + mask)`` over the keys, with the
causal mask, additive float masks (differentiable) and rows that every key is masked from.
``nn.functional.scaled_dot_product_attention`` multiplies the result by the values."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor

__all__ = ["AttentionWeights", "attention_weights"]


def _causal_bias(xp, rows: int, cols: int, dtype):
    """0 where key j may be seen from query i (j <= i, top-left aligned), -inf elsewhere."""
    keep = xp.tri(rows, cols, dtype=bool)
    return xp.where(keep, xp.zeros((), dtype=dtype), xp.asarray(-xp.inf, dtype=dtype))


class AttentionWeights(Node):
    """y = softmax(q k^T * scale + mask) along the last dim (the keys).

    ``mask`` (optional, broadcast to the scores) is added, so -inf removes a key; ``causal``
    removes the keys after each query. A row whose every key is removed gives zeros (PyTorch's
    ``scaled_dot_product_attention``) or, with ``empty_rows='nan'``, NaN (a plain softmax,
    as PyTorch's ``MultiheadAttention`` when it returns the weights).
    """

    def __init__(self, scale: float, causal: bool = False, empty_rows: str = "zero"):
        self.scale, self.causal, self.empty_rows = float(scale), bool(causal), empty_rows

    def forward(self, q, k, mask=None):
        self.save_inputs(0, 1)
        self.save_output()
        xp = array_backend.get_array_module(q)
        s = q @ xp.swapaxes(k, -1, -2)
        s *= s.dtype.type(self.scale)
        if mask is not None:
            if xp.broadcast_shapes(s.shape, mask.shape) == s.shape:
                s += mask
            else:
                s = s + mask
        if self.causal:
            s += _causal_bias(xp, s.shape[-2], s.shape[-1], s.dtype)
        top = s.max(axis=-1, keepdims=True)
        empty = xp.isneginf(top)
        any_empty = bool(empty.any())
        if any_empty:
            top = xp.where(empty, 0, top)
        s -= top
        xp.exp(s, out=s)
        total = s.sum(axis=-1, keepdims=True)
        if any_empty:
            fill = xp.nan if self.empty_rows == "nan" else 1
            total = xp.where(empty, xp.asarray(fill, dtype=s.dtype), total)
        s /= total
        return s

    def backward(self, grad):
        saved = self.saved_tensors
        q, k, p = saved[0], saved[1], saved[-1]
        needs = self.needs_input_grad
        ds = p * (grad - (grad * p).sum(-1, keepdim=True))
        dq = (ds @ k) * self.scale if needs[0] else None
        dk = (ds.mT @ q) * self.scale if needs[1] else None
        if len(needs) == 2:
            return dq, dk
        return dq, dk, (ds if needs[2] else None)

    def backward_arrays(self, grad):
        saved = self.saved_values
        q, k, p = saved[0], saved[1], saved[-1]
        xp = array_backend.get_array_module(p)
        needs = self.needs_input_grad
        ds = p * (grad - (grad * p).sum(axis=-1, keepdims=True))
        dq = (ds @ k) * self.scale if needs[0] else None
        dk = (xp.swapaxes(ds, -1, -2) @ q) * self.scale if needs[1] else None
        if len(needs) == 2:
            return dq, dk
        return dq, dk, (ds if needs[2] else None)


def attention_weights(
    q: Tensor,
    k: Tensor,
    mask: Tensor | None = None,
    scale: float | None = None,
    is_causal: bool = False,
    empty_rows: str = "zero",
) -> Tensor:
    """``softmax(q k^T * scale + mask)`` over the keys; see :class:`AttentionWeights`.

    Args:
        q: ``(*, L, E)`` queries; k: ``(*, S, E)`` keys (batch dims broadcast).
        mask: a float tensor broadcastable to ``(*, L, S)``, added to the scores.
        scale: defaults to ``1 / sqrt(E)``.
        is_causal: remove the keys after each query (``j > i``).
        empty_rows: ``'zero'`` or ``'nan'`` for rows with no key left.

    Returns:
        ``(*, L, S)``, each row summing to 1.
    """
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise RuntimeError(
            f"attention: queries {tuple(q.shape)} and keys {tuple(k.shape)} must be (*, L, E) "
            "and (*, S, E) with the same E"
        )
    if scale is None:
        scale = 1.0 / float(q.shape[-1]) ** 0.5
    node = AttentionWeights(scale, is_causal, empty_rows)
    return node(q, k) if mask is None else node(q, k, mask)
