"""Loss functions of ``nn.functional`` with PyTorch's signatures, defaults, reductions and
numerics: regression (mse, l1, huber, smooth_l1), binary (binary_cross_entropy with and
without logits), multi-class (cross_entropy, nll_loss, multi_margin_loss) and kl_div."""

from __future__ import annotations

import warnings

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.amp.autocast_mode import fp32_inputs
from autograd_engine.ops import (
    binary_cross_entropy_terms,
    binary_cross_entropy_with_logits_terms,
    check_class_targets,
    softmax_cross_entropy,
)
from autograd_engine.tensor import Tensor

__all__ = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "multi_margin_loss",
    "kl_div",
]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='"
        + ("sum" if size_average is False else "mean")
        + "' instead.",
        stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(
            f"{reduction} is not a valid value for reduction; use one of {', '.join(allowed)}"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _as_tensor(value, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return ag.tensor(value, dtype=like.dtype, device=like.device)


def _warn_size(input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _pointwise(name, input, target, size_average, reduce, reduction, weight, fn, weighted_mean):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    input, target = fp32_inputs(input, target)  # autocast runs the losses in float32
    _warn_size(input, target)
    loss = fn(input - target)
    if weight is None:
        return _reduce(loss, reduction)
    weight = _as_tensor(weight, input)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}: Weights and input must have the same size, got weight "
            f"{tuple(weight.shape)} and input {tuple(input.shape)}."
        )
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error, (x - y)^2 reduced (``torch.nn.functional.mse_loss``).

    With ``weight`` (the input's shape) the loss is ``w (x - y)^2`` and ``'mean'`` divides
    by ``sum(w)``, as in PyTorch.

    Example::

        >>> F.mse_loss(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 4.0]))
        tensor(2.)
    """
    return _pointwise(
        "mse_loss", input, target, size_average, reduce, reduction, weight, lambda d: d * d, True
    )


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error, |x - y| reduced (``torch.nn.functional.l1_loss``); the gradient
    at x = y is 0. With ``weight``, ``'mean'`` divides by ``sum(w)``."""
    return _pointwise(
        "l1_loss", input, target, size_average, reduce, reduction, weight, lambda d: d.abs(), True
    )


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Huber loss (``torch.nn.functional.huber_loss``): 0.5 d^2 where |d| < delta, else
    delta (|d| - 0.5 delta), with d = x - y. With ``weight``, ``'mean'`` is the plain mean of
    the weighted losses, as in PyTorch."""
    if delta <= 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got {delta}")

    def huber(d):
        z = d.abs()
        return ag.where(z < delta, d * d * 0.5, (z - 0.5 * delta) * delta)

    return _pointwise("huber_loss", input, target, None, None, reduction, weight, huber, False)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Smooth L1 loss (``torch.nn.functional.smooth_l1_loss``): 0.5 d^2 / beta where
    |d| < beta, else |d| - 0.5 beta; ``beta=0`` is the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    if beta == 0:
        return l1_loss(input, target, size_average, reduce, reduction)

    def smooth(d):
        z = d.abs()
        return ag.where(z < beta, d * d * (0.5 / beta), z - 0.5 * beta)

    return _pointwise(
        "smooth_l1_loss", input, target, size_average, reduce, reduction, None, smooth, False
    )


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities (``torch.nn.functional.binary_cross_entropy``):
    -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 as in PyTorch, so x = 0 or 1
    gives a finite loss.

    Args:
        input: probabilities in [0, 1], any shape.
        target: the same shape, values in [0, 1].
        weight: broadcastable to the input; rescales each element.

    Prefer :func:`binary_cross_entropy_with_logits` on logits: it is stable.
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    x = input.array
    if x.size and (bool((x < 0).any()) or bool((x > 1).any()) or bool((x != x).any())):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = binary_cross_entropy_terms(input, target)
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy on logits, sigmoid fused in for stability
    (``torch.nn.functional.binary_cross_entropy_with_logits``).

    loss = -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), computed as
    (1 - y) x + (1 + (p - 1) y) (log(1 + e^-|x|) + max(-x, 0)): finite for any logit.

    Args:
        input: logits, any shape.
        target: the same shape, values in [0, 1].
        weight: broadcastable to the input; rescales each element.
        pos_weight: weight of the positive examples, broadcast along the last dim (one per
            class), e.g. ``negatives / positives``.

    Example::

        >>> F.binary_cross_entropy_with_logits(ag.tensor([500.0, -500.0]), ag.tensor([0.0, 1.0]))
        tensor(500.)
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({tuple(target.shape)}) must be the same as input size "
            f"({tuple(input.shape)})"
        )
    if pos_weight is not None:
        pos_weight = _as_tensor(pos_weight, input)
    loss = binary_cross_entropy_with_logits_terms(input, target, pos_weight)
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    return _reduce(loss, reduction)


def _class_layout(input: Tensor, target: Tensor, name: str):
    """Check class-index targets against ``(N, C, d...)`` / ``(C,)`` input; return the batched
    input and target and whether a batch dim was added."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input with at least 1 dimension (C,), got a scalar")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError(
                f"{name}: for unbatched input of shape {tuple(input.shape)} the target must be "
                f"a single class index (shape ()), got shape {tuple(target.shape)}"
            )
        return input.unsqueeze(0), target.reshape(1), True
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(
            f"{name}: expected target of shape {expected} for input of shape "
            f"{tuple(input.shape)} (N, C, d1, ...), got target of shape {tuple(target.shape)}"
        )
    return input, target, False


def _gather_classes(input: Tensor, safe) -> Tensor:
    """``input[n, safe[n, d...], d...]``: the entry of each target class, shaped like it."""
    xp = array_backend.get_array_module(safe)
    k = safe.ndim  # 1 + number of extra dims
    index = []
    for axis in range(k):
        shape = [1] * k
        shape[axis] = safe.shape[axis]
        index.append(xp.arange(safe.shape[axis]).reshape(shape))
    return input[(index[0], safe, *index[1:])]


def _weight_array(weight, input: Tensor, name: str):
    w = weight.array if isinstance(weight, Tensor) else array_backend.asarray(weight, input.device)
    if w.shape != (input.shape[1],):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {input.shape[1]} classes "
            f"or no classes but got weight tensor of shape: {tuple(w.shape)}"
        )
    return w.astype(input.dtype, copy=False)


def _nll(input: Tensor, target, weight, ignore_index: int, reduction: str, name: str):
    """NLL on batched ``(N, C, d...)`` log-probabilities; returns (loss, the per-target
    weights as an array, the valid mask)."""
    safe, valid = check_class_targets(target.array, input.shape[1], ignore_index)
    w_t = valid.astype(input.dtype)
    if weight is not None:
        w_t = w_t * _weight_array(weight, input, name)[safe]
    loss = -_gather_classes(input, safe) * ag.as_tensor(w_t)
    if reduction == "none":
        return loss, w_t, valid
    total = loss.sum()
    if reduction == "sum":
        return total, w_t, valid
    with array_backend.numpy.errstate(invalid="ignore", divide="ignore"):
        return total / ag.as_tensor(array_backend.ensure_array(w_t.sum())), w_t, valid


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices (``torch.nn.functional.nll_loss``).

    Args:
        input: log-probabilities ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
        target: class indices ``(N,)``, ``(N, d1, ...)`` or ``()``, int64, in [0, C).
        weight: ``(C,)`` per-class weights.
        ignore_index: targets with this value contribute nothing (and are not counted).
        reduction: ``'mean'`` divides by the sum of the weights of the non-ignored targets.

    Example::

        >>> F.nll_loss(F.log_softmax(logits, dim=1), labels)
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input) if not isinstance(target, Tensor) else target
    batched, tgt, unbatched = _class_layout(input, target, "nll_loss")
    loss, _, _ = _nll(batched, tgt, weight, ignore_index, reduction, "nll_loss")
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits and targets, through a stable log-softmax
    (``torch.nn.functional.cross_entropy``).

    Args:
        input: unnormalized logits ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
        target: class indices (int64, shape ``(N,)``, ``(N, d1, ...)`` or ``()``) or class
            probabilities (float, the input's shape).
        weight: ``(C,)`` per-class weights.
        ignore_index: with class indices, targets equal to it are skipped.
        reduction: ``'none'``, ``'sum'`` or ``'mean'``; with class indices the mean divides
            by the summed weights of the non-ignored targets (their count without weights),
            with probabilities by the number of samples ``N * d1 * ...``.
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.

    Common case (class indices, no weight, no smoothing) runs as one fused node.

    Example::

        >>> logits = ag.randn(4, 3, requires_grad=True)
        >>> loss = F.cross_entropy(logits, ag.tensor([0, 2, 1, 2]))
        >>> loss.backward()
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not isinstance(target, Tensor):
        target = ag.tensor(target, device=input.device)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"cross_entropy: expected floating point logits, got {input.dtype}")
    if target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    batched, tgt, unbatched = _class_layout(input, target, "cross_entropy")
    if weight is None and label_smoothing == 0.0:
        loss = softmax_cross_entropy(batched, tgt, ignore_index, reduction)
        return loss.reshape(()) if unbatched and reduction == "none" else loss
    logp = batched.log_softmax(1)
    nll, w_t, valid = _nll(logp, tgt, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0.0:
        return nll.reshape(()) if unbatched and reduction == "none" else nll
    n_classes = batched.shape[1]
    bshape = (1, n_classes) + (1,) * (batched.ndim - 2)
    if weight is not None:
        smooth = -(
            logp * ag.as_tensor(_weight_array(weight, batched, "cross_entropy").reshape(bshape))
        )
    else:
        smooth = -logp
    smooth = smooth.sum(1) * ag.as_tensor(valid.astype(batched.dtype))
    if reduction == "mean":
        denom = w_t.sum() if weight is not None else valid.sum().astype(batched.dtype)
        with array_backend.numpy.errstate(invalid="ignore", divide="ignore"):
            smooth = smooth.sum() / ag.as_tensor(array_backend.ensure_array(denom))
    elif reduction == "sum":
        smooth = smooth.sum()
    out = nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return out.reshape(()) if unbatched and reduction == "none" else out


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"cross_entropy: a float target holds class probabilities and must have the "
            f"input's shape {tuple(input.shape)}, got {tuple(target.shape)} (for class indices "
            "use an int64 target)"
        )
    dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[dim]
    logp = input.log_softmax(dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        w = (
            weight.array
            if isinstance(weight, Tensor)
            else array_backend.asarray(weight, input.device)
        )
        shape = [1] * input.ndim
        shape[dim] = n_classes
        logp = logp * ag.as_tensor(w.astype(input.dtype).reshape(shape))
    loss = -(logp * target).sum(dim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (input.numel() // n_classes)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss, the SVM loss (``torch.nn.functional.multi_margin_loss``).

    For a sample x with class y:
    ``sum_{i != y} w[y] * max(0, margin - x[y] + x[i])^p / C`` — PyTorch's normalization
    divides by the number of classes C (the course's SVM loss, without it, is this times C).

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: class indices ``(N,)`` or ``()``.
        p: 1 (hinge) or 2 (squared hinge).
        margin: the required gap between the true class's score and the others'.
        weight: ``(C,)`` per-class weights, applied by the true class.

    Example::

        >>> F.multi_margin_loss(ag.tensor([[0.1, 0.2, 0.4, 0.8]]), ag.tensor([3]))
        tensor(0.325)
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if not isinstance(target, Tensor):
        target = ag.tensor(target, device=input.device)
    if input.ndim > 2 or input.ndim == 0:
        raise RuntimeError(
            f"multi_margin_loss: expected input of shape (N, C) or (C,), got {tuple(input.shape)}"
        )
    batched, tgt, unbatched = _class_layout(input, target, "multi_margin_loss")
    n_classes = batched.shape[1]
    safe, _ = check_class_targets(tgt.array, n_classes, ignore_index=-(2**62))
    xp = array_backend.get_array_module(safe)
    x_y = _gather_classes(batched, safe)
    z = (batched - x_y.unsqueeze(1) + margin).relu()
    if p == 2:
        z = z * z
    others = (xp.arange(n_classes)[None, :] != safe[:, None]).astype(batched.dtype)
    if weight is not None:
        others = others * _weight_array(weight, batched, "multi_margin_loss")[safe][:, None]
    loss = (z * ag.as_tensor(others)).sum(1) / n_classes
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence with ``input`` as log-probabilities
    (``torch.nn.functional.kl_div``): target * (log(target) - input) pointwise, with
    0 log 0 = 0; with ``log_target`` the target is given as log-probabilities too.

    Args:
        reduction: ``'batchmean'`` (sum / batch size: the true KL divergence per sample),
            ``'sum'``, ``'none'``, or ``'mean'`` (the mean over all elements; PyTorch's
            default, which warns).

    Example::

        >>> F.kl_div(F.log_softmax(logits, 1), target_probs, reduction="batchmean")
    """
    input, target = fp32_inputs(input, target)  # float32 under autocast
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    _check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    target = _as_tensor(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = ag.where(positive, target, ag.ones_like(target))
        loss = ag.where(positive, target * safe.log(), ag.zeros_like(target)) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)
