"""Attention for ``nn.functional``: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (the computation of ``nn.MultiheadAttention``), on the
engine's fused ``AttentionWeights`` node."""

from __future__ import annotations

import math
import warnings

import autograd_engine as ag
from autograd_engine.ops import attention_weights
from autograd_engine.tensor import Tensor

from ..attention import _check_viable
from .layers import dropout as _dropout
from .layers import linear, pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _float_mask(mask: Tensor, like: Tensor, keep_when_true: bool, name: str) -> Tensor:
    """A bool mask as an additive float mask (0 or -inf) of ``like``'s dtype; a float mask as
    it is. ``keep_when_true``: True marks allowed places (SDPA) or masked ones (MHA)."""
    if mask.dtype == ag.bool:
        xp = mask.device.xp
        allowed = mask.array if keep_when_true else ~mask.array
        zero = xp.zeros((), dtype=like.dtype)
        return Tensor._make(xp.where(allowed, zero, xp.asarray(-xp.inf, dtype=like.dtype)))
    if mask.array.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _repeat_heads(t: Tensor, groups: int) -> Tensor:
    """``(..., H, S, E)`` -> ``(..., H * groups, S, E)``, each head repeated ``groups`` times
    in a row (``repeat_interleave`` on dim -3)."""
    shape = tuple(t.shape)
    expanded = t.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V (``torch.nn.functional.scaled_dot_product_attention``).

    Args:
        query: ``(N, ..., L, E)``; key: ``(N, ..., S, E)``; value: ``(N, ..., S, Ev)``.
        attn_mask: broadcastable to ``(N, ..., L, S)``: bool (``True`` = may attend) or float
            (added to the scores; differentiable).
        dropout_p: dropout on the attention weights (applied whenever > 0, as PyTorch).
        is_causal: query i attends keys j <= i only (top-left aligned); not with
            ``attn_mask``.
        scale: the factor on Q K^T; default ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: key and value may have fewer heads (dim -3) than
            the query, each shared by ``H_q / H_kv`` query heads.

    Returns:
        ``(N, ..., L, Ev)``. A query that may attend no key gets zeros (PyTorch's CPU result).

    The computation is PyTorch's math backend's; ``nn.attention.sdpa_kernel`` decides whether
    it may run (RuntimeError when no allowed backend can run on the inputs' device).

    Example::

        >>> q = k = v = ag.randn(2, 4, 16, 8)          # (batch, heads, time, head_dim)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (2, 4, 16, 8)
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise RuntimeError(
                f"scaled_dot_product_attention: {name} must be a tensor of at least 2 dims "
                f"(*, seq, features), got {getattr(t, 'shape', type(t).__name__)}"
            )
    _check_viable(query.device.type)
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
            f"{tuple(key.shape)} and value {tuple(value.shape)} must be (*, L, E), (*, S, E) "
            "and (*, S, Ev)"
        )
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if kv_heads == 0 or heads % kv_heads or value.shape[-3] != kv_heads:
            raise RuntimeError(
                f"scaled_dot_product_attention: with enable_gqa the query's {heads} heads "
                f"must be a multiple of the key's and value's heads, got key "
                f"{tuple(key.shape)} and value {tuple(value.shape)}"
            )
        key = _repeat_heads(key, heads // kv_heads)
        value = _repeat_heads(value, heads // kv_heads)
    mask = None
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        mask = _float_mask(attn_mask, query, True, "attn_mask")
    weights = attention_weights(query, key, mask, scale, is_causal)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    return weights @ value


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of the MHA inputs' dims; returns whether the input is batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _canonical_mask(mask, name: str, other, other_name: str, like: Tensor):
    """A bool mask (True = masked) as a float mask; warns when the two masks' types differ."""
    if mask is None:
        return None
    if other is not None and mask.dtype != other.dtype:
        warnings.warn(
            f"Support for mismatched {name} and {other_name} is deprecated. Use same type for "
            "both instead.",
            stacklevel=3,
        )
    return _float_mask(mask, like, False, name)


def _project(query, key, value, in_proj_weight, in_proj_bias, separate, E):
    """The input projections (PyTorch's packed or separate weights)."""
    if not separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        if key is value and query is key:
            return None, linear(query, in_proj_weight, in_proj_bias)  # split by the caller
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        if key is value:
            kv = linear(key, in_proj_weight[E:], None if b_k is None else in_proj_bias[E:])
            return (linear(query, w_q, b_q), kv[..., :E], kv[..., E:]), None
        return (linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)), None
    w_q, w_k, w_v = separate
    for name, w, x in (("q", w_q, query), ("k", w_k, key), ("v", w_v, value)):
        if w is None:
            raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        if w.shape[-1] != x.shape[-1]:
            raise AssertionError(
                f"expecting {name} weight of shape (E, {x.shape[-1]}), got {tuple(w.shape)}"
            )
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    return (linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)), None


def _heads(x: Tensor, batch_dim: int, heads: int) -> Tensor:
    """``(S, N, E)`` (``batch_dim`` 1) or ``(N, S, E)`` (0) -> ``(N, heads, S, E / heads)``."""
    a, b, e = x.shape
    split = x.reshape(a, b, heads, e // heads)
    return split.permute(1, 2, 0, 3) if batch_dim == 1 else split.permute(0, 2, 1, 3)


def mha_forward(
    query,
    key,
    value,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    separate=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
    batch_first=False,
    embed_dim_to_check=None,
):
    """``multi_head_attention_forward`` for either layout: ``batch_first`` inputs are
    ``(N, L, E)`` and are used as they are (no transposes), otherwise ``(L, N, E)``."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    bd = 0 if batch_first else 1
    if not batched:
        same_kv, same_qk = key is value, query is key
        query = query.unsqueeze(bd)
        key = query if same_qk else key.unsqueeze(bd)
        value = key if same_kv else value.unsqueeze(bd)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, E = query.shape[1 - bd], query.shape[bd], query.shape[2]
    src_len = key.shape[1 - bd]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    causal = is_causal and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None  # the hint: the node masks the future itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query)
    if embed_dim_to_check is not None and E != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}"
        )
    head_dim = E // num_heads
    if head_dim * num_heads != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    if separate is None and tuple(key.shape) != tuple(value.shape):
        raise AssertionError(
            f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )
    if separate is not None and key.shape[:2] != value.shape[:2]:
        raise AssertionError(
            f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
            f"{tuple(value.shape[:2])}"
        )
    qkv, packed = _project(query, key, value, in_proj_weight, in_proj_bias, separate, E)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.reshape(1, 1, tgt_len, src_len)
        else:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
            attn_mask = attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
    if packed is not None:
        lead = packed.shape[:2]
        parts = packed.reshape(*lead, 3, num_heads, head_dim)
        parts = parts.permute(2, 1, 3, 0, 4) if bd == 1 else parts.permute(2, 0, 3, 1, 4)
        q, k, v = parts[0], parts[1], parts[2]
        if bias_k is not None or bias_v is not None:
            k, v = _heads_back(k, bd), _heads_back(v, bd)
    else:
        q, k, v = qkv
        q = _heads(q, bd, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = ag.cat([k, _along_batch(bias_k, bsz, bd)], 1 - bd)
        v = ag.cat([v, _along_batch(bias_v, bsz, bd)], 1 - bd)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        which = "bias_k" if bias_k is not None else "bias_v"
        other = "bias_v" if bias_k is not None else "bias_k"
        raise AssertionError(f"{which} is set but {other} is None")
    if k.ndim == 3:
        k = _heads(k, bd, num_heads)
    if v.ndim == 3:
        v = _heads(v, bd, num_heads)
    k = _static(static_k, k, "static_k", bsz, num_heads, head_dim)
    v = _static(static_v, v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        xp = k.device.xp
        zeros = Tensor._make(xp.zeros((bsz, num_heads, 1, head_dim), dtype=k.dtype))
        k, v = ag.cat([k, zeros], 2), ag.cat([v, zeros.to(v.dtype)], 2)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        weights = attention_weights(q, k, attn_mask, math.sqrt(1.0 / head_dim), False, "nan")
    else:
        weights = attention_weights(q, k, attn_mask, None, causal)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    out = weights @ v  # (N, H, L, head_dim)
    out = out.permute(2, 0, 1, 3) if bd == 1 else out.permute(0, 2, 1, 3)
    out = linear(out.reshape(out.shape[0], out.shape[1], E), out_proj_weight, out_proj_bias)
    if not batched:
        out = out.squeeze(bd)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights


def _heads_back(t: Tensor, bd: int) -> Tensor:
    """``(N, H, S, hd)`` -> ``(S, N, E)`` or ``(N, S, E)``, to append rows along S."""
    n, h, s, d = t.shape
    if bd == 1:
        return t.permute(2, 0, 1, 3).reshape(s, n, h * d)
    return t.permute(0, 2, 1, 3).reshape(n, s, h * d)


def _along_batch(bias: Tensor, bsz: int, bd: int) -> Tensor:
    """``bias_k`` ``(1, 1, E)`` repeated over the batch, one extra step."""
    e = bias.shape[-1]
    return bias.reshape(1, 1, e).expand(*((1, bsz, e) if bd == 1 else (bsz, 1, e)))


def _static(static, current, name, bsz, heads, head_dim):
    if static is None:
        return current
    if static.shape[0] != bsz * heads:
        raise AssertionError(
            f"expecting {name}.size(0) of {bsz * heads}, but got {static.shape[0]}"
        )
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static.reshape(bsz, heads, static.shape[1], head_dim)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on ``(L, N, E)`` inputs
    (``torch.nn.functional.multi_head_attention_forward``); see ``nn.MultiheadAttention``.

    Returns ``(attn_output (L, N, E), attn_weights (N, L, S) or (N, H, L, S), or None)``.
    """
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    return mha_forward(
        query,
        key,
        value,
        num_heads,
        in_proj_weight,
        in_proj_bias,
        bias_k,
        bias_v,
        add_zero_attn,
        dropout_p,
        out_proj_weight,
        out_proj_bias,
        training,
        key_padding_mask,
        need_weights,
        attn_mask,
        separate,
        static_k,
        static_v,
        average_attn_weights,
        is_causal,
        batch_first=False,
        embed_dim_to_check=embed_dim_to_check,
    )
