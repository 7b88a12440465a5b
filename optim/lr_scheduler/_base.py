"""``LRScheduler``, the base of the epoch-driven schedulers, and helpers they share."""

from __future__ import annotations

import warnings
from typing import Any

from autograd_engine import Tensor

from ..optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available."
)


def _format_param(name: str, optimizer: Optimizer, param) -> list:
    """One value per param group: a scalar is repeated, a list must have the right length;
    Tensors are cloned."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has "
                f"{len(optimizer.param_groups)}."
            )
        return [_copy(p) for p in param]
    return [_copy(param) for _ in optimizer.param_groups]


def _group_values(optimizer: Optimizer, key: str) -> list:
    """``group[key]`` of every param group; a Tensor value (``lr=tensor(0.1)``) is cloned,
    so the list does not alias the group's own Tensor (PyTorch's ``_param_groups_val_list``)."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def _copy(value):
    return value.clone() if isinstance(value, Tensor) else value


def _set_group_value(group: dict, key: str, value) -> None:
    """Set ``group[key]``; a Tensor there (``lr=tensor(0.1)``) is filled in place, as
    PyTorch's ``_update_param_group_val`` does, so the optimizer keeps its own Tensor."""
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


class LRScheduler:
    r"""Base class of the learning-rate schedulers; mirrors
    ``torch.optim.lr_scheduler.LRScheduler``.

    A scheduler sets ``group["lr"]`` of each of its optimizer's param groups every time
    :meth:`step` is called (once per epoch, or once per batch for the cyclic schedules),
    after ``optimizer.step()``. Creating one records each group's starting rate as
    ``group["initial_lr"]`` (read back into :attr:`base_lrs`) and takes an initial step
    to ``last_epoch = 0``. Subclasses implement :meth:`get_lr`, PyTorch's chainable form
    (each rate computed from the group's current rate), so schedulers compose with
    :class:`ChainedScheduler` and :class:`SequentialLR`; most also have a closed form
    used by the deprecated ``step(epoch)``.

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        last_epoch (int): index of the last epoch seen. Use the default ``-1`` to start;
            a value ``>= 0`` resumes, and needs ``initial_lr`` in every group (load the
            optimizer's state dict first). Default: -1.

    Attributes:
        base_lrs (list[float]): each group's ``initial_lr``.
        last_epoch (int): the number of :meth:`step` calls since the start (0 after
            construction).

    Raises RuntimeError on ``step()`` when the optimizer's number of param groups has
    changed since the scheduler was created (PyTorch fails there with a bare zip error or
    silently schedules the new group from the old ones' state).

    PyTorch also wraps ``optimizer.step`` to warn when the scheduler is stepped first; that
    wrapping is not reproduced here: call ``optimizer.step()`` and then ``scheduler.step()``.

    See https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LRScheduler.html
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0.\nThis typically happens "
                        "when:\n1. You're trying to resume training from a checkpoint but "
                        "haven't properly loaded the optimizer state\n2. You're using "
                        "last_epoch >= 0 for a fresh training run (not recommended)"
                    )
        self.base_lrs: list[float] = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the step to ``last_epoch + 1``."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler set last, one per param group."""
        return self._last_lr

    def get_lr(self) -> list[float]:
        """Compute the learning rates of the current ``last_epoch`` (called by :meth:`step`).

        To read the rates in use, call :meth:`get_last_lr` instead.
        """
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch and set the optimizer's learning rates.

        Args:
            epoch (int, optional): deprecated, as in PyTorch: jump to ``epoch`` using the
                closed form where there is one (warns).
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _check_param_groups(self) -> None:
        n_now, n_then = len(self.optimizer.param_groups), len(self.base_lrs)
        if n_now != n_then:
            raise RuntimeError(
                f"{type(self).__name__} was created for an optimizer with {n_then} param "
                f"group(s), but the optimizer now has {n_now}: a param group was added "
                "(add_param_group) or removed after the scheduler was created. Create the "
                "scheduler after the optimizer's last add_param_group, or make a new one."
            )

    def _update_lr(self, epoch: int | None = None) -> None:
        self._check_param_groups()
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                if hasattr(self, "_get_closed_form_lr"):
                    values = self._get_closed_form_lr()
                else:
                    values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            _set_group_value(group, "lr", lr)
        self._last_lr: list[float] = _group_values(self.optimizer, "lr")

    def _warn_if_called_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, "
                "please use `get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )
