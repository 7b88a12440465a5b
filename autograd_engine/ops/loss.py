"""Loss nodes with hand-written backwards, for speed and PyTorch's numerics: softmax
cross-entropy on class indices (fused with its reduction), binary cross-entropy (each log
clamped at -100) and binary cross-entropy on logits (stable for huge logits). ``nn.functional``
builds the losses on these element-wise terms."""

from __future__ import annotations

from .. import array_backend, kernels
from ..grad_mode import is_grad_enabled
from ..node import Node
from ..tensor import Tensor
from ._util import const
from .activation import softplus

__all__ = [
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "check_class_targets",
    "softmax_cross_entropy",
    "binary_cross_entropy_terms",
    "binary_cross_entropy_with_logits_terms",
]

# NOTE: PyTorch's BCE backward clamps x (1 - x) at the float32 constant 1e-12f, in every dtype.
_EPSILON = float(array_backend.numpy.float32(1e-12))


def check_class_targets(target, num_classes: int, ignore_index: int):
    """``(safe, valid)`` arrays for class-index targets: ``valid`` marks the targets that are
    not ``ignore_index``; ``safe`` has 0 at ignored places. Raises on out-of-range classes."""
    xp = array_backend.get_array_module(target)
    if target.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected class-index targets of an integer dtype (int64), got dtype {target.dtype}; "
            "for class probabilities pass a float target of the input's shape"
        )
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    if safe.size and (bool((safe < 0).any()) or bool((safe >= num_classes).any())):
        bad = safe[(safe < 0) | (safe >= num_classes)].reshape(-1)[0]
        raise IndexError(
            f"Target {int(bad)} is out of bounds (the input has {num_classes} classes)."
        )
    return safe, valid


class SoftmaxCrossEntropy(Node):
    """y = -log_softmax(a, dim=1)[target], 0 where target == ignore_index, then reduced:
    'none', 'sum', or 'mean' over the non-ignored targets."""

    _backward_name = "NllLossBackward0"

    def __init__(self, target, ignore_index: int = -100, reduction: str = "mean"):
        self.target, self.ignore_index, self.reduction = target, ignore_index, reduction

    def forward(self, a):
        self.save_inputs(0)
        xp = array_backend.get_array_module(a)
        n_classes = a.shape[1]
        target = self.target
        mask = None  # None: every target counts (the common case, checked in one pass)
        if (
            target.dtype.kind not in "iu"
            or not _all_classes(target, n_classes, xp)
            or (0 <= self.ignore_index < n_classes and bool((target == self.ignore_index).any()))
        ):
            safe, valid = check_class_targets(target, n_classes, self.ignore_index)
            mask = valid.astype(a.dtype)
            target = safe
        at = _class_positions(target, xp)
        k = kernels.fused("softmax_cross_entropy", a) if a.ndim == 2 else None
        if k is not None:
            loss, e = k(a, target, mask if mask is not None else xp.ones(target.shape, a.dtype))
        else:
            shifted = a - a.max(axis=1, keepdims=True)
            e = xp.exp(shifted)
            s = e.sum(axis=1, keepdims=True)
            loss = xp.log(s).squeeze(1) - shifted[at]
            if mask is not None:
                loss *= mask
            e /= s  # the softmax, kept for backward
        count = mask.sum() if mask is not None else xp.asarray(target.size, dtype=a.dtype)
        self.save_for_backward(e, at, mask, count)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        return total / count  # NOTE: nan when every target is ignored, as in PyTorch

    def _weights(self, grad):
        """The saved arrays, and the upstream gradient and per-sample weights shaped alike."""
        probs, at, mask, count = self.saved_arrays
        xp = array_backend.get_array_module(probs)
        if mask is None:
            mask = xp.ones(at[1].shape, dtype=probs.dtype)
        weight = mask if self.reduction != "mean" else mask / count
        if self.reduction != "none":
            grad = grad.reshape((1,) * weight.ndim)
        return probs, at, xp, grad, weight

    @staticmethod
    def _input_grad(probs, at, f, xp):
        """(softmax - onehot) scaled by each sample's factor ``f``, on arrays."""
        k = kernels.fused("softmax_cross_entropy_backward", probs, f) if probs.ndim == 2 else None
        if k is not None:
            return k(probs, at[1], f)
        out = probs * xp.expand_dims(f, 1)
        out[at] -= f
        return out

    def backward(self, grad):
        # d/da = (softmax(a) - onehot(target)) * upstream, zero for ignored targets.
        probs, at, xp, grad, weight = self._weights(grad)
        factor = grad * const(weight)  # the upstream gradient of each sample, shaped like it
        if is_grad_enabled():
            # create_graph: the differentiable form, softmax recomputed from the input.
            (a,) = self.saved_tensors
            onehot = xp.zeros_like(probs)
            onehot[at] = 1
            return (a.softmax(1) - const(onehot)) * factor.unsqueeze(1)
        return const(self._input_grad(probs, at, factor.array, xp))

    def backward_arrays(self, grad):
        # The same arithmetic as ``backward`` on arrays (used outside create_graph).
        probs, at, xp, grad, weight = self._weights(grad)
        return self._input_grad(probs, at, grad * weight, xp)


def _all_classes(target, n_classes: int, xp) -> bool:
    """Whether every target is a class index in [0, n_classes): one reduction, since a
    negative index read as unsigned is larger than any class count."""
    unsigned = target.view(xp.dtype(f"uint{target.dtype.itemsize * 8}"))
    return not target.size or int(unsigned.max()) < n_classes


def _class_positions(safe, xp) -> tuple:
    """The index of each target's entry in the (N, C, d...) input: (n, safe[n, d...], d...)."""
    index = []
    for axis, size in enumerate(safe.shape):
        shape = [1] * safe.ndim
        shape[axis] = size
        index.append(xp.arange(size).reshape(shape))
    return (index[0], safe, *index[1:])


class BinaryCrossEntropy(Node):
    """y = -(t log a + (1 - t) log(1 - a)) element-wise, each log clamped at -100 as in
    PyTorch."""

    def forward(self, a, t):
        self.save_inputs(0, 1)
        xp = array_backend.get_array_module(a)
        with array_backend.numpy.errstate(divide="ignore"):
            log_a = xp.maximum(xp.log(a), -100)
            log_1ma = xp.maximum(xp.log1p(-a), -100)
        return -(t * log_a + (1 - t) * log_1ma)

    def backward(self, grad):
        # NOTE: PyTorch's gradient, (a - t) / max(a (1 - a), 1e-12f): finite at a = 0 and 1.
        a, t = self.saved_tensors
        need_a, need_t = self.needs_input_grad
        ga = gt = None
        if need_a:
            ga = grad * (a - t) / (a * (1 - a)).clamp(min=_EPSILON)
        if need_t:
            gt = grad * ((1 - a).log() - a.log())
        return ga, gt


class BinaryCrossEntropyWithLogits(Node):
    """y = (1 - t) a + w (log(1 + e^-|a|) + max(-a, 0)) with w = (p - 1) t + 1 for the
    positive weight p (w = 1 without one): binary cross-entropy of sigmoid(a), stable."""

    def forward(self, a, t, pos_weight=None):
        if pos_weight is None:
            self.save_inputs(0, 1)
        else:
            self.save_inputs(0, 1, 2)
        xp = array_backend.get_array_module(a)
        soft = xp.log1p(xp.exp(-xp.abs(a))) + xp.maximum(-a, 0)
        if pos_weight is None:
            return (1 - t) * a + soft
        log_weight = (pos_weight - 1) * t + 1
        return (1 - t) * a + log_weight * soft

    def backward(self, grad):
        saved = self.saved_tensors
        a, t = saved[0], saved[1]
        pos_weight = saved[2] if len(saved) > 2 else None
        needs = self.needs_input_grad
        s = a.sigmoid()
        if pos_weight is None:
            ga = grad * (s - t) if needs[0] else None
            gt = grad * -a if needs[1] else None
            return ga, gt
        pt = pos_weight * t
        ga = grad * ((pt + 1 - t) * s - pt) if needs[0] else None
        soft = softplus(-a)
        gt = grad * ((pos_weight - 1) * soft - a) if needs[1] else None
        gp = grad * t * soft if needs[2] else None
        return ga, gt, gp


def softmax_cross_entropy(
    input: Tensor, target, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Cross-entropy of ``log_softmax(input, dim=1)`` at the class indices ``target`` (an
    integer Tensor or array), reduced by ``reduction``; targets equal to ``ignore_index`` count
    for nothing (``F.cross_entropy``'s class-index case, without weights or smoothing)."""
    target = target.array if isinstance(target, Tensor) else target
    return SoftmaxCrossEntropy(target, ignore_index, reduction)(input)


def binary_cross_entropy_terms(input: Tensor, target: Tensor) -> Tensor:
    """The unreduced binary cross-entropy of probabilities ``input`` against ``target``."""
    return BinaryCrossEntropy()(input, target)


def binary_cross_entropy_with_logits_terms(
    input: Tensor, target: Tensor, pos_weight: Tensor | None = None
) -> Tensor:
    """The unreduced binary cross-entropy of ``sigmoid(input)``, computed stably from logits."""
    if pos_weight is None:
        return BinaryCrossEntropyWithLogits()(input, target)
    return BinaryCrossEntropyWithLogits()(input, target, pos_weight)
