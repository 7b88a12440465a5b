"""``EarlyStopping``: stop training when a monitored metric stops improving, and bring back
the best weights."""

from __future__ import annotations

import copy
import math

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs.

    PyTorch has no early stopping of its own; this follows the conventions of its nearest
    feature, ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (``mode``, ``patience``, a
    ``step(metrics)`` call each epoch, ``state_dict()``), with Keras' names for the rest
    (``monitor``, ``min_delta``, ``restore_best``).

    Call ``step(value_or_metrics, model)`` once per epoch: it returns True when training
    should stop. With ``restore_best=True`` it keeps a copy of the model's ``state_dict`` at
    the best epoch, and loads it back into ``model`` when it signals the stop; call
    ``restore(model)`` yourself to get the best weights after a run that ended on its own.

    Args:
        monitor: the metric's name, looked up when ``step`` gets a dict of metrics.
        patience: epochs without improvement tolerated before stopping.
        min_delta: the least change that counts as an improvement.
        mode: ``"min"`` (lower is better, as for a loss) or ``"max"`` (as for accuracy).
        restore_best: keep the best weights and restore them on stop.

    Example::

        >>> stopper = EarlyStopping(patience=5)
        >>> for epoch in range(100):
        ...     train_one_epoch(); val_loss = evaluate()
        ...     if stopper.step(val_loss, model):
        ...         break
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown: use 'min' or 'max'")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience should be a non-negative integer, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta should be non-negative, got {min_delta}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = restore_best
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.last_epoch = -1
        self.should_stop = False
        self.best_state = None

    def is_better(self, value: float) -> bool:
        """Whether ``value`` improves on the best so far by more than ``min_delta`` (NaN never
        does)."""
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, metrics, model=None) -> bool:
        """Record one epoch's metric; True when training should stop."""
        if isinstance(metrics, dict):
            if self.monitor not in metrics:
                raise KeyError(
                    f"EarlyStopping monitors {self.monitor!r}, which is not among the metrics "
                    f"given: {sorted(metrics)}"
                )
            metrics = metrics[self.monitor]
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value):
            self.best = value
            self.best_epoch = self.last_epoch
            self.num_bad_epochs = 0
            if self.restore_best and model is not None:
                self.best_state = _copy_state(model.state_dict())
        else:
            self.num_bad_epochs += 1
        self.should_stop = self.num_bad_epochs >= max(self.patience, 1)
        if self.should_stop and model is not None:
            self.restore(model)
        return self.should_stop

    def restore(self, model) -> bool:
        """Load the best weights into ``model``; False when there are none to restore."""
        if not self.restore_best or self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def state_dict(self) -> dict:
        """Everything needed to resume, including the best weights (if kept)."""
        return {k: v for k, v in self.__dict__.items()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the state saved by ``state_dict`` (a resumed run stops when the original
        would)."""
        self.__dict__.update(state_dict)


def _copy_state(state: dict) -> dict:
    out = type(state)()
    for k, v in state.items():
        out[k] = v.detach().clone() if hasattr(v, "detach") else copy.deepcopy(v)
    return out
