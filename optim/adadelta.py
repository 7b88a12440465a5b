"""Adadelta: steps sized by the ratio of running averages of past updates and gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012); mirrors ``torch.optim.Adadelta``.

    For each parameter with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta               (if weight_decay != 0)
        v <- rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d * d
        theta <- theta - lr * d

    PyTorch's form keeps a learning rate (Zeiler's method is ``lr = 1``, the default).

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): scales the update. Default: 1.0.
        rho (float): decay rate of both running averages, in [0, 1]. Default: 0.9.
        eps (float): added inside both square roots. Default: 1e-6.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, capturable, differentiable: PyTorch's implementation flags, with its
            defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"square_avg"``, ``"acc_delta"``.

    Example::

        >>> opt = optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)

    See https://pytorch.org/docs/stable/generated/torch.optim.Adadelta.html
    """

    _checked = ("lr", "rho", "eps", "weight_decay")
    _rule = "adadelta"
    _buffers = ("square_avg", "acc_delta", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if not group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(),
            "square_avg": ag.zeros_like(p),
            "acc_delta": ag.zeros_like(p),
        }
