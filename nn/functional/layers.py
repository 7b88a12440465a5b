"""Layer functions of ``nn.functional``: linear, bilinear, maxout, dropout, embedding,
one_hot, pad, normalize, and the convolution, pooling and normalization ops of the engine
(with PyTorch's argument checks and messages)."""

from __future__ import annotations

import warnings

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.amp.autocast_mode import lower_inputs
from autograd_engine.ops import dropout as _dropout
from autograd_engine.ops import linear as _linear
from autograd_engine.ops import pad as _constant_pad
from autograd_engine.tensor import Tensor

__all__ = [
    "linear",
    "bilinear",
    "maxout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "embedding",
    "one_hot",
    "pad",
    "normalize",
]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b (``torch.nn.functional.linear``).

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or ``None``.

    Returns:
        ``(*, out_features)``.
    """
    input, weight, bias = lower_inputs(input, weight, bias)  # autocast: low precision
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(input.shape)} cannot be multiplied by a weight of "
            f"shape {tuple(weight.shape)}: the input's last dimension must be "
            f"{weight.shape[-1]} (in_features)"
        )
    _check_dtype("linear", input, weight)
    if weight.ndim != 2 or (bias is not None and tuple(bias.shape) != weight.shape[:1]):
        got = "None" if bias is None else str(tuple(bias.shape))
        raise RuntimeError(
            f"linear: expected a 2-D weight (out_features, in_features) and a bias of shape "
            f"(out_features,), got weight {tuple(weight.shape)} and bias {got}"
        )
    return _linear(input, weight, bias)


def _check_dtype(op: str, input: Tensor, weight: Tensor) -> None:
    """PyTorch refuses to mix dtypes in a layer (NumPy would silently upcast)."""
    if input.array.dtype != weight.array.dtype:
        hint = (
            "convert the input with .float() (NumPy arrays are float64) or the model with .double()"
            if input.dtype.is_floating_point
            else "convert the input with .float()"
        )
        raise RuntimeError(
            f"{op}: input dtype {input.dtype} and weight dtype {weight.dtype} should be the "
            f"same; {hint}"
        )


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k (``torch.nn.functional.bilinear``).

    Args:
        input1: ``(*, in1_features)``; input2: ``(*, in2_features)`` with the same leading dims.
        weight: ``(out_features, in1_features, in2_features)``; bias: ``(out_features,)``.

    Returns:
        ``(*, out_features)``.
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 and input2 must have the same leading dims, got shapes "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do "
            f"not match a weight of shape {tuple(weight.shape)} (out, in1, in2)"
        )
    _check_dtype("bilinear", input1, weight)
    _check_dtype("bilinear", input2, weight)
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = ag.einsum("bi,oij,bj->bo", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, weight.shape[0])


def maxout(input: Tensor, weight: Tensor, bias: Tensor | None, pieces: int) -> Tensor:
    """Maxout (Goodfellow et al. 2013): ``pieces`` affine maps per output, reduced by max.
    Beyond PyTorch; the functional form of :class:`nn.Maxout`.

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features * pieces, in_features)``, rows grouped by output: rows
            ``k * pieces ... (k + 1) * pieces - 1`` are the pieces of output ``k``.
        bias: ``(out_features * pieces,)`` or ``None``.
        pieces: the number of affine maps per output.

    Returns:
        ``(*, out_features)``.
    """
    z = linear(input, weight, bias)
    out_features = weight.shape[0] // pieces
    return z.reshape(*z.shape[:-1], out_features, pieces).amax(-1)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout (``torch.nn.functional.dropout``): in training, zero each element with
    probability ``p`` and scale the survivors by 1 / (1 - p); the identity otherwise.

    Draws from the default generator of the input's device, so ``ag.manual_seed`` makes it
    reproducible. ``inplace`` is accepted for compatibility (the result is a new tensor).

    Example::

        >>> F.dropout(ag.ones(2, 4), p=0.5)      # entries are 0 or 2
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return _dropout(input, p, True)


def _channel_dropout(input: Tensor, p: float, training: bool, spatial: int, name: str) -> Tensor:
    _check_p(p)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a "
            f"{input.ndim}D input of shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    lead = 2 if input.ndim == spatial + 2 else 1
    shape = input.shape[:lead] + (1,) * (input.ndim - lead)
    return _dropout(input, p, True, shape)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``,
    scaling the rest by 1 / (1 - p) (``torch.nn.functional.dropout1d``)."""
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels (feature maps) of ``(N, C, H, W)`` input with probability ``p``,
    scaling the rest by 1 / (1 - p) (``torch.nn.functional.dropout2d``).

    A 3-D input is taken as ``(N, C, L)`` and its channels dropped, as PyTorch does (with a
    warning).
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead.",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L).",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    if input.ndim < 2:
        return dropout(input, p, training)
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _dropout(input, p, True, shape)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` (``torch.nn.functional.embedding``).

    Args:
        input: integer indices of any shape.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that gets no gradient (its output is still the stored row).
        max_norm: renormalize, in place, each looked-up row whose ``norm_type``-norm exceeds
            it (as PyTorch does).

    Returns:
        ``input.shape + (embedding_dim,)``.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding: scale_grad_by_freq is not supported")
    idx = input.array if isinstance(input, Tensor) else array_backend.asarray(input, weight.device)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got dtype {idx.dtype} instead (call .long() on the indices)"
        )
    n = weight.shape[0]
    if idx.size and (bool((idx < 0).any()) or bool((idx >= n).any())):
        raise IndexError(
            f"index out of range in self: indices must be in [0, {n}), got "
            f"{int(idx.max()) if bool((idx >= n).any()) else int(idx.min())}"
        )
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    out = weight[idx]
    if padding_idx is not None:
        # NOTE: the padding row's output is kept, but its gradient is cut.
        pad_mask = array_backend.get_array_module(idx).expand_dims(idx % n != padding_idx, -1)
        out = ag.where(ag.as_tensor(pad_mask), out, out.detach())
    return out


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    xp = array_backend.get_array_module(weight.array)
    rows = xp.unique(idx.reshape(-1) % weight.shape[0])
    w = weight.array
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] *= scale[:, None]
    weight._version += 1


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*, num_classes)`` int64 tensor with 1 at each index (``torch.nn.functional.one_hot``).

    Args:
        tensor: integer class indices of any shape.
        num_classes: the number of classes; -1 uses ``tensor.max() + 1``.

    Example::

        >>> F.one_hot(ag.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    idx = tensor.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = array_backend.get_array_module(idx)
    if idx.size and bool((idx < 0).any()):
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and int(idx.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype("int64")
    return Tensor._make(out)


def _index_pad(input: Tensor, pad, mode: str) -> Tensor:
    """Reflect, replicate or circular padding of the last ``len(pad) // 2`` dims, by
    gathering with index arrays (the gradient accumulates through the repeats)."""
    xp = array_backend.get_array_module(input.array)
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
        if lo == 0 and hi == 0:
            continue
        n = out.shape[dim]
        pos = xp.arange(-lo, n + hi)
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise RuntimeError(
                    f"pad: padding size should be less than the corresponding input dimension, "
                    f"but got: padding ({lo}, {hi}) at dimension {dim} of input "
                    f"{tuple(input.shape)}"
                )
            period = 2 * (n - 1) if n > 1 else 1
            pos = xp.abs(pos) % period
            pos = xp.where(pos >= n, period - pos, pos)
        elif mode == "replicate":
            pos = xp.clip(pos, 0, n - 1)
        else:  # circular
            if lo > n or hi > n:
                raise RuntimeError(
                    "pad: padding value causes wrapping around more than once "
                    f"(padding ({lo}, {hi}) at dimension {dim} of size {n})"
                )
            pos = pos % n
        out = out[(slice(None),) * dim + (pos,)]
    return out


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims (``torch.nn.functional.pad``).

    Args:
        input: any tensor.
        pad: ``(left, right)`` for the last dim, then ``(top, bottom)`` for the one before...
            In ``'constant'`` mode negative sizes crop.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value: the fill value for ``'constant'`` (default 0).

    Example::

        >>> F.pad(ag.ones(1, 2, 2), (1, 1, 0, 0)).shape
        (1, 2, 4)
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            "Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension "
            f"{input.ndim}"
        )
    if mode == "constant":
        if any(p < 0 for p in pad):
            index = [slice(None)] * input.ndim
            for i in range(len(pad) // 2):
                lo, hi = pad[2 * i], pad[2 * i + 1]
                dim = input.ndim - 1 - i
                index[dim] = slice(max(-lo, 0), input.shape[dim] - max(-hi, 0))
            input = input[tuple(index)]
            pad = tuple(max(p, 0) for p in pad)
        if not any(pad):
            return input
        return _constant_pad(input, pad, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: mode {mode!r} is not supported; use 'constant', 'reflect', 'replicate' or "
            "'circular'"
        )
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if any(p < 0 for p in pad):
        raise NotImplementedError("pad: negative padding is only supported in constant mode")
    return _index_pad(input, pad, mode)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim`` (``torch.nn.functional.normalize``)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    if p == 2:
        # NOTE: sqrt(max(sum x^2, eps^2)) == max(||x||, eps), with a zero (not nan) gradient
        # for an all-zero slice.
        denom = (input * input).sum(dim, keepdim=True).clamp(min=eps * eps).sqrt()
    else:
        denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom
