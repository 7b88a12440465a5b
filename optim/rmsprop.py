"""RMSprop: steps scaled by a running average of squared gradients (Hinton's lecture 6e)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop; mirrors ``torch.optim.RMSprop``.

    For each parameter with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta               (if weight_decay != 0)
        v <- alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - m * m) + eps with m <- alpha * m + (1 - alpha) * g   (centered)
        avg = sqrt(v) + eps                                                  (otherwise)
        b <- momentum * b + g / avg; theta <- theta - lr * b                (momentum > 0)
        theta <- theta - lr * g / avg                                        (otherwise)

    Note that ``eps`` is added outside the square root (PyTorch's choice; Keras adds it
    inside) and that the momentum buffer accumulates the scaled gradient.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-2.
        alpha (float): smoothing constant of the squared-gradient average. Default: 0.99.
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalize by an estimate of the gradient's variance instead of
            its uncentered second moment. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"``
    (momentum > 0) and ``"grad_avg"`` (centered).

    Example::

        >>> opt = optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)

    See https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
    """

    _checked = ("lr", "eps", "momentum", "weight_decay", "alpha")
    _rule = "rmsprop"
    _buffers = ("square_avg", "momentum_buffer", "grad_avg", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": self._step_tensor(), "square_avg": ag.zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = ag.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = ag.zeros_like(p)
        return state
