"""Loss layers: modules holding a loss's options (reduction, class weights, ...) around
``nn.functional``'s losses, with PyTorch's constructors. Class weights are buffers, as in
PyTorch, so they move with ``.to()`` and appear in ``state_dict()``."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.tensor import Tensor

from .. import functional as F
from ..functional.loss import _legacy_reduction
from .module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "MultiMarginLoss",
    "KLDivLoss",
]


def _tensor_or_none(value):
    if value is None or isinstance(value, Tensor):
        return value
    return ag.as_tensor(value)


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _tensor_or_none(weight))


class MSELoss(_Loss):
    """Mean squared error, (x - y)^2 reduced (``torch.nn.MSELoss``).

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Shapes:
        input and target ``(*)``, the same shape; output a scalar (``'none'``: ``(*)``).

    Example::

        >>> nn.MSELoss()(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, |x - y| reduced (``torch.nn.L1Loss``)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: quadratic for |x - y| < delta, linear beyond (``torch.nn.HuberLoss``).

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        delta: where the loss turns linear (default 1.0).
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: 0.5 d^2 / beta for |d| < beta, |d| - 0.5 beta beyond
    (``torch.nn.SmoothL1Loss``); Huber loss divided by beta."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (``torch.nn.BCELoss``); each log is clamped at
    -100, as in PyTorch. Prefer :class:`BCEWithLogitsLoss` on logits.

    Args:
        weight: rescales each element (broadcast to the input).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example::

        >>> nn.BCELoss()(ag.tensor([0.9, 0.2]), ag.tensor([1.0, 0.0]))
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, sigmoid fused in for stability
    (``torch.nn.BCEWithLogitsLoss``).

    Args:
        weight: rescales each element (broadcast to the input).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
        pos_weight: weight of the positive examples, one per class (broadcast along the last
            dim), e.g. ``num_negatives / num_positives`` for an imbalanced class.

    Example::

        >>> loss_fn = nn.BCEWithLogitsLoss(pos_weight=ag.tensor([3.0]))
        >>> loss = loss_fn(model(x).squeeze(-1), y.float())
    """

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _tensor_or_none(weight))
        self.register_buffer("pos_weight", _tensor_or_none(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy between logits and class targets, through a stable log-softmax
    (``torch.nn.CrossEntropyLoss``): the softmax classifier's loss.

    Args:
        weight: ``(C,)`` per-class weights.
        ignore_index: targets with this class index are skipped (default -100).
        reduction: ``'mean'`` (default: over the non-ignored targets, weighted by ``weight``),
            ``'sum'`` or ``'none'``.
        label_smoothing: in [0, 1], mixes the targets with the uniform distribution.

    Shapes:
        input: logits ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``. target: class indices
        ``(N,)``/``(N, d1, ...)``/``()`` (int64), or class probabilities of the input's shape.

    Example::

        >>> loss_fn = nn.CrossEntropyLoss()
        >>> loss = loss_fn(ag.randn(3, 5, requires_grad=True), ag.tensor([1, 0, 4]))
        >>> loss.backward()
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities
    (``torch.nn.NLLLoss``); ``LogSoftmax`` + ``NLLLoss`` is ``CrossEntropyLoss``.

    Args:
        weight, ignore_index, reduction: as in :class:`CrossEntropyLoss`.
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: the multi-class SVM loss (``torch.nn.MultiMarginLoss``).

    For a sample with scores x and class y:
    ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` (PyTorch's normalization divides by
    the number of classes C; the course's SVM loss is this times C), times ``weight[y]``.

    Args:
        p: 1 (default, hinge) or 2 (squared hinge).
        margin: the margin (default 1).
        weight: ``(C,)`` per-class weights.
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Shapes:
        input ``(N, C)`` or ``(C,)``; target ``(N,)`` or ``()``.

    Example::

        >>> svm_loss = nn.MultiMarginLoss()
        >>> svm_loss(ag.tensor([[0.1, 0.2, 0.4, 0.8]]), ag.tensor([3]))
        tensor(0.325)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight=None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.ndim}D "
                "instead"
            )
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(
            input,
            target,
            p=self.p,
            margin=self.margin,
            weight=self.weight,
            reduction=self.reduction,
        )


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence, input given as log-probabilities
    (``torch.nn.KLDivLoss``).

    Args:
        reduction: ``'mean'`` (default, the mean over all elements, as PyTorch; warns),
            ``'batchmean'`` (the true KL divergence per sample), ``'sum'`` or ``'none'``.
        log_target: the target is given as log-probabilities too.

    Example::

        >>> kl = nn.KLDivLoss(reduction="batchmean")
        >>> kl(F.log_softmax(student_logits, 1), F.softmax(teacher_logits, 1))
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
