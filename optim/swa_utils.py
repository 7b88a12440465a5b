"""Weight averaging (``torch.optim.swa_utils``): ``AveragedModel`` for stochastic weight
averaging (SWA) and exponential moving averages (EMA), the ``SWALR`` schedule, and
``update_bn`` to recompute batch-norm statistics for averaged weights."""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import autograd_engine as ag
import nn
from autograd_engine import Tensor, no_grad

from ._functional import lerp_
from .lr_scheduler import LRScheduler
from .lr_scheduler._base import _format_param
from .optimizer import Optimizer, _scalar_dtype

__all__ = [
    "AveragedModel",
    "SWALR",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An in-place EMA update for :class:`AveragedModel`'s ``multi_avg_fn``:
    ``ema <- decay * ema + (1 - decay) * current`` for each pair of Tensors (PyTorch's
    ``lerp`` with weight ``1 - decay``; non-floating Tensors are recomputed and truncated).

    Args:
        decay (float): in [0, 1]. Default: 0.999.
    """
    _check_decay(decay)

    def ema_update(ema_param_list: list, current_param_list: list, _) -> None:
        if ema_param_list[0].dtype.is_floating_point:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                lerp_(p_ema.array, p_model.array, 1 - decay)
        else:
            # NOTE: PyTorch multiplies an integer Tensor by a Python float in the default
            # float dtype (float32), then truncates on the copy back
            dtype = _scalar_dtype()
            weight, other = dtype.type(decay), dtype.type(1 - decay)
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                ema, model = p_ema.array.astype(dtype), p_model.array.astype(dtype)
                p_ema.array[...] = ema * weight + model * other

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The in-place equal-weight (SWA) update for :class:`AveragedModel`'s
    ``multi_avg_fn``: ``avg <- avg + (current - avg) / (n + 1)``, as PyTorch's ``lerp``
    with weight ``1 / (n + 1)`` (that weight rounded to float32 when ``n`` is a Tensor, as
    PyTorch computes it)."""

    def swa_update(averaged_param_list: list, current_param_list: list, num_averaged) -> None:
        if averaged_param_list[0].dtype.is_floating_point:
            weight = _swa_weight(num_averaged)
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                lerp_(p_avg.array, p_model.array, weight)
        else:
            raise RuntimeError(
                f"get_swa_multi_avg_fn: {averaged_param_list[0].dtype} Tensors cannot be "
                "averaged in place (PyTorch refuses them too: integer division with addcdiv "
                "is no longer supported). With use_buffers=True, integer buffers such as "
                "BatchNorm's num_batches_tracked need AveragedModel's default average on the "
                "CPU or an avg_fn; or leave use_buffers=False."
            )

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """An EMA ``avg_fn`` for :class:`AveragedModel`: returns
    ``decay * ema_param + (1 - decay) * current_param``.

    Args:
        decay (float): in [0, 1]. Default: 0.999.
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """The equal-weight ``avg_fn``: returns
    ``averaged_param + (current_param - averaged_param) / (num_averaged + 1)``."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _swa_weight(num_averaged) -> float:
    # NOTE: PyTorch computes 1 / (n + 1) for an integer Tensor n as a reciprocal in the
    # default float dtype (float32)
    if isinstance(num_averaged, Tensor):
        dtype = _scalar_dtype()
        return float(dtype.type(1.0) / dtype.type(num_averaged.item() + 1))
    return 1.0 / (num_averaged + 1)


class AveragedModel(nn.Module):
    r"""A running average of a model's parameters, for SWA and EMA; mirrors
    ``torch.optim.swa_utils.AveragedModel``.

    Holds a deep copy of ``model`` (as ``module``, moved to ``device`` if given) and
    ``n_averaged``, a 0-d int64 buffer. :meth:`update_parameters` copies ``model``'s
    parameters on its first call, then averages them in: with ``avg_fn(averaged, current,
    n_averaged)`` returning the new value, or ``multi_avg_fn(averaged_list, current_list,
    n_averaged)`` updating lists of Tensors (one call per device and dtype) in place, or by
    default the equal-weight average (SWA). Buffers are copied from ``model`` unless
    ``use_buffers=True``, which averages them with the parameters. Calling the averaged
    model calls ``module``.

    Args:
        model (nn.Module): the model to average.
        device (optional): where to keep the averaged copy.
        avg_fn (callable, optional): ``avg_fn(averaged, current, n_averaged) -> Tensor``.
        multi_avg_fn (callable, optional): ``multi_avg_fn(averaged_list, current_list,
            n_averaged)``, in place. Only one of ``avg_fn`` and ``multi_avg_fn``.
        use_buffers (bool): average the buffers too (and copy none). Default: False.

    Example::

        >>> ema_model = optim.swa_utils.AveragedModel(
        ...     model, multi_avg_fn=optim.swa_utils.get_ema_multi_avg_fn(0.999))
        >>> for x, y in loader:
        ...     ...  # a training step of model
        ...     ema_model.update_parameters(model)

    The default (equal-weight) average follows PyTorch's device rule: on the CPU
    ``avg + (current - avg) / (n + 1)``, on a GPU a ``lerp`` by ``1 / (n + 1)`` rounded to
    float32 (PyTorch's foreach path).

    See https://pytorch.org/docs/stable/generated/torch.optim.swa_utils.AveragedModel.html
    """

    def __init__(
        self,
        model: nn.Module,
        device=None,
        avg_fn: Callable | None = None,
        multi_avg_fn: Callable | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", ag.tensor(0, dtype=ag.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params, model_params = list(self.parameters()), list(model.parameters())
        averaged, current = [], []
        first = self.n_averaged.item() == 0
        for p_averaged, p_model in zip(self_params, model_params):
            p_model_ = p_model.detach().to(p_averaged.device)
            averaged.append(p_averaged.detach())
            current.append(p_model_)
            if first:
                p_averaged.array[...] = p_model_.array
        if not first:
            if self.avg_fn is None:
                for (device, _), (avg_list, cur_list) in _by_device_and_dtype(
                    averaged, current
                ).items():
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avg_list, cur_list, n_averaged)
                    elif device.type == "cuda":
                        get_swa_multi_avg_fn()(avg_list, cur_list, n_averaged)
                    else:
                        avg_fn = get_swa_avg_fn()
                        for p_avg, p_model in zip(avg_list, cur_list):
                            p_avg.array[...] = avg_fn(p_avg, p_model, n_averaged).array
            else:
                for p_avg, p_model in zip(averaged, current):
                    n_averaged = self.n_averaged.to(p_avg.device)
                    p_avg.array[...] = self.avg_fn(p_avg, p_model, n_averaged).array
        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.array[...] = b_model.detach().to(b_swa.device).array
        self.n_averaged.array[...] += 1


def _by_device_and_dtype(averaged: list, current: list) -> dict:
    """The pairs grouped by (device, dtype) in order of first appearance, as PyTorch's
    ``_group_tensors_by_device_and_dtype`` groups them for ``multi_avg_fn``."""
    groups: dict = {}
    for p_avg, p_model in zip(averaged, current):
        avg_list, cur_list = groups.setdefault((p_avg.device, p_avg.dtype), ([], []))
        avg_list.append(p_avg)
        cur_list.append(p_model)
    return groups


def update_bn(loader: Iterable[Any], model: nn.Module, device=None) -> None:
    """Recompute the batch-norm running statistics of ``model`` with one pass over
    ``loader``; mirrors ``torch.optim.swa_utils.update_bn``.

    Every batch-norm layer's statistics are reset and then accumulated as a cumulative
    (equal-weight) average over the batches (``momentum=None`` while it runs); the model is
    put in training mode for the pass and returned to its mode after. A batch is a Tensor,
    or a list/tuple whose first element is the input. Does nothing if the model has no
    batch-norm layer.

    Args:
        loader (iterable): the data, e.g. the training ``DataLoader``.
        model (nn.Module): the model (e.g. an :class:`AveragedModel`).
        device (optional): move each input there first.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _batch_norm_classes()):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


def _batch_norm_classes() -> tuple[type, ...]:
    """nn's batch-norm layers (PyTorch checks for their base class, ``_BatchNorm``)."""
    return tuple(
        cls
        for name, cls in vars(nn).items()
        if "BatchNorm" in name and isinstance(cls, type) and issubclass(cls, nn.Module)
    )


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to ``swa_lr`` and hold it there; mirrors
    ``torch.optim.swa_utils.SWALR``.

    Over ``anneal_epochs`` steps the rate moves from its current value to ``swa_lr`` along
    a cosine (``anneal_strategy="cos"``) or a straight line (``"linear"``), then stays at
    ``swa_lr``. Used with :class:`AveragedModel` late in training.

    Args:
        optimizer (Optimizer): the optimizer whose rates are scheduled.
        swa_lr (float or list): the final rate, for all groups or one per group.
        anneal_epochs (int): steps of the annealing phase (>= 0). Default: 10.
        anneal_strategy (str): ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        last_epoch (int): the index of the last epoch. Default: -1.

    Example::

        >>> swa_model = optim.swa_utils.AveragedModel(model)
        >>> swa_scheduler = optim.swa_utils.SWALR(optimizer, swa_lr=0.05)
        >>> for epoch in range(100):
        ...     train_one_epoch(model, optimizer)
        ...     if epoch >= 75:
        ...         swa_model.update_parameters(model)
        ...         swa_scheduler.step()
        >>> optim.swa_utils.update_bn(loader, swa_model)

    See https://pytorch.org/docs/stable/generated/torch.optim.swa_utils.SWALR.html
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        """The rates of the current step (called by :meth:`step`)."""
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, "
                "please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs)
        ]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimizer and the anneal
        function."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
