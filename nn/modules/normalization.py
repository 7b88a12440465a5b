"""Normalization layers: ``BatchNorm1d`` and ``BatchNorm2d`` (batch statistics in training,
running statistics in evaluation), ``LayerNorm`` and ``GroupNorm``; the base the instance norms
(``instancenorm.py``) share with the batch norms."""

from __future__ import annotations

import numbers

import autograd_engine as ag

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._functions import SyncBatchNorm as _sync_batch_norm
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LayerNorm", "GroupNorm"]


def _factory(device, dtype) -> dict:
    return {"device": device, "dtype": dtype if dtype is not None else ag.get_default_dtype()}


def _add_affine(module: Module, shape: tuple, affine: bool, bias: bool, factory: dict) -> None:
    """The learnable per-feature ``weight`` and ``bias`` of a normalization layer (``None``
    where ``affine`` or ``bias`` is off), registered in PyTorch's order."""
    weight = Parameter(ag.empty(*shape, **factory)) if affine else None
    module.register_parameter("weight", weight)
    module.register_parameter(
        "bias", Parameter(ag.empty(*shape, **factory)) if affine and bias else None
    )


def _reset_affine(module: Module) -> None:
    """PyTorch's initialization of the affine map: weight ones, bias zeros."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Shared by the batch and instance norm layers (``torch.nn.modules.batchnorm._NormBase``):
    the per-channel affine parameters, the running statistics and the input-dims check.
    ``_expected``: the accepted input dims (for instance norm the first is the unbatched one)
    and ``_layout`` their names, for the error message."""

    _expected = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        factory = _factory(device, dtype)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _add_affine(self, (num_features,), affine, bias, factory)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features, **factory))
            self.register_buffer("running_var", ag.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked", ag.tensor(0, dtype=ag.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, ``num_batches_tracked`` 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight ones, bias zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def _optional_state(self) -> tuple[str, ...]:
        return ("num_batches_tracked",) if self.track_running_stats else ()

    def _check_input_dim(self, input) -> None:
        if input.ndim not in self._expected:
            dims = " or ".join(f"{d}D" for d in self._expected)
            raise ValueError(
                f"{self!r}: expected {dims} input {self._layout} (got {input.ndim}D input of "
                f"shape {tuple(input.shape)})"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Shared by the batch norm layers (``torch.nn.modules.batchnorm._BatchNorm``)."""

    def _check_input_dim(self, input) -> None:
        super()._check_input_dim(input)
        self._check_channels(input)

    def _check_channels(self, input) -> None:
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{self!r}: expected input with {self.num_features} channels (dim 1), got shape "
                f"{tuple(input.shape)}"
            )

    def _batch_norm_arguments(self) -> tuple:
        """``(running_mean, running_var, use_batch_stats, momentum)`` for ``F.batch_norm``,
        after counting the batch (PyTorch's ``_BatchNorm.forward``)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)  # NOTE: an op, so a compiled step replays it
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        if self.training:
            use_batch_stats = True
        else:
            use_batch_stats = self.running_mean is None and self.running_var is None
        track = not self.training or self.track_running_stats
        running_mean = self.running_mean if track else None
        running_var = self.running_var if track else None
        return running_mean, running_var, use_batch_stats, factor

    def forward(self, input):
        self._check_input_dim(input)
        running_mean, running_var, use_batch_stats, factor = self._batch_norm_arguments()
        return F.batch_norm(
            input, running_mean, running_var, self.weight, self.bias, use_batch_stats, factor,
            self.eps,
        )  # fmt: skip


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(N, C)`` or ``(N, C, L)`` input (``torch.nn.BatchNorm1d``).

    In training mode each channel is normalized by the batch's mean and (biased) variance, and
    the running statistics are updated:
    ``running = (1 - momentum) * running + momentum * batch_statistic`` with the unbiased
    batch variance (``momentum=None``: the cumulative average over ``num_batches_tracked``
    batches). In eval mode the running statistics are used. y = x_hat * weight + bias.

    Args:
        num_features: C.
        eps: added to the variance (default 1e-5).
        momentum: the running statistics' update rate (default 0.1), or ``None``.
        affine: learn ``weight`` (ones) and ``bias`` (zeros) (default ``True``).
        track_running_stats: keep running statistics (buffers ``running_mean``,
            ``running_var``, ``num_batches_tracked``); without them eval mode also uses the
            batch statistics.
        bias: learn the bias (keyword-only, default ``True``).

    Example::

        >>> bn = nn.BatchNorm1d(100)
        >>> bn(ag.randn(20, 100)).shape
        (20, 100)
    """

    _expected = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over ``(N, C, H, W)`` input, statistics per channel over N, H and
    W (``torch.nn.BatchNorm2d``); arguments as in :class:`BatchNorm1d`.

    Example::

        >>> bn = nn.BatchNorm2d(16)
        >>> bn(ag.randn(8, 16, 5, 5)).shape
        (8, 16, 5, 5)
    """

    _expected = (4,)
    _layout = "(N, C, H, W)"


class SyncBatchNorm(_BatchNorm):
    """Batch normalization with the statistics of the whole batch spread over the processes
    of a group (``torch.nn.SyncBatchNorm``), for data-parallel training with small per-process
    batches. Input ``(N, C, *)``; arguments as in :class:`BatchNorm1d`, plus ``process_group``
    (default: the whole world).

    In training, with ``autograd_engine.distributed`` initialized and more than one process
    in the group, each channel is normalized by the mean and variance of the union of every
    process's batch, the running statistics follow those (the same on every process), and
    backward all-reduces the per-channel sums the input gradient needs, so the outputs and
    input gradients equal ``BatchNorm`` over the whole batch; ``weight`` and ``bias`` get
    this process's share of the gradient (DDP sums and averages them). Otherwise (evaluation,
    not initialized, a group of one) it is plain batch norm, as in PyTorch. Every process of
    the group must call it the same number of times.

    Unlike PyTorch, which raises for CPU input in the synchronized path, CPU tensors are
    synchronized here too (over MPI).

    Example::

        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # every BatchNorm*d
        >>> model = nn.parallel.DistributedDataParallel(model)
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if input.ndim < 2:
            raise ValueError(
                f"{self!r}: expected at least 2D input (got {input.ndim}D input of shape "
                f"{tuple(input.shape)})"
            )
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        self._check_channels(input)

    def forward(self, input):
        import autograd_engine.distributed as dist

        self._check_input_dim(input)
        running_mean, running_var, use_batch_stats, factor = self._batch_norm_arguments()
        group = size = None
        if use_batch_stats and self.training and dist.is_available() and dist.is_initialized():
            group = self.process_group if self.process_group else dist.group.WORLD
            size = dist.get_world_size(group)
        if size is None or size <= 1:
            return F.batch_norm(
                input, running_mean, running_var, self.weight, self.bias, use_batch_stats,
                factor, self.eps,
            )  # fmt: skip
        return _sync_batch_norm.apply(
            input, self.weight, self.bias, running_mean, running_var, self.eps, factor, group,
            size,
        )  # fmt: skip

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every batch norm layer in ``module`` (recursively) by a ``SyncBatchNorm``
        holding the same parameters, buffers and training flag
        (``torch.nn.SyncBatchNorm.convert_sync_batchnorm``). Returns ``module`` with its
        children converted, or a new ``SyncBatchNorm`` if ``module`` is itself a batch norm.

        Example::

            >>> net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
            >>> type(nn.SyncBatchNorm.convert_sync_batchnorm(net)[1]).__name__
            'SyncBatchNorm'
        """
        out = module
        if isinstance(module, _BatchNorm):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                with ag.no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dims of each sample
    (``torch.nn.LayerNorm``). The same in training and evaluation.

    Args:
        normalized_shape: int or tuple, the trailing shape to normalize over.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of that shape.
        bias: learn the bias (default ``True``).

    Example::

        >>> ln = nn.LayerNorm(64)
        >>> ln(ag.randn(8, 10, 64)).shape
        (8, 10, 64)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        factory = _factory(device, dtype)
        _add_affine(self, self.normalized_shape, elementwise_affine, bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros, as PyTorch."""
        _reset_affine(self)

    def forward(self, input):
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k :]) != self.normalized_shape:
            raise RuntimeError(
                f"{self!r}: expected input of shape (*, "
                f"{', '.join(map(str, self.normalized_shape))}), got shape {tuple(input.shape)}"
            )
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalization (``torch.nn.GroupNorm``): each sample's channels are split into
    ``num_groups`` groups, each normalized over its channels and spatial positions, then a
    per-channel affine map. Independent of the batch size.

    Args:
        num_groups: the number of groups (dividing ``num_channels``).
        num_channels: C of the ``(N, C, *)`` input.
        eps: added to the variance (default 1e-5).
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros).
        bias: learn the bias (keyword-only, default ``True``).

    Example::

        >>> gn = nn.GroupNorm(4, 16)
        >>> gn(ag.randn(2, 16, 8, 8)).shape
        (2, 16, 8, 8)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        factory = _factory(device, dtype)
        _add_affine(self, (num_channels,), affine, bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros, as PyTorch."""
        _reset_affine(self)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(
                f"{self!r}: expected input of shape (N, {self.num_channels}, *), got shape "
                f"{tuple(input.shape)}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
