"""ASGD: stochastic gradient descent with Polyak-Ruppert averaging of the iterates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from ._checks import number
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992); mirrors ``torch.optim.ASGD``.

    With gradient :math:`g` (negated if ``maximize``) at step ``t``, the step size ``eta``
    and averaging weight ``mu`` of the previous step::

        g <- g + weight_decay * theta               (if weight_decay != 0)
        theta <- theta * (1 - lambd * eta) - eta * g
        ax <- ax + mu * (theta - ax)                (ax <- theta while mu == 1)
        eta <- lr / (1 + lambd * lr * t) ** alpha
        mu <- 1 / max(1, t - t0)

    ``ax``, the running average of the iterates, is the model to evaluate once averaging
    has started (after ``t0`` steps); copy it into the parameters yourself. As in PyTorch,
    ``eta`` and ``mu`` are 0-d Tensors in the scalar dtype (float32), on the parameter's
    device, and the step reads them rounded there.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-2.
        lambd (float): decay term. Default: 1e-4.
        alpha (float): power of the step-size decay. Default: 0.75.
        t0 (float): the step from which averaging starts. Default: 1e6.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, differentiable, capturable: PyTorch's implementation flags, with its
            defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"eta"``, ``"mu"``, ``"ax"``.

    Example::

        >>> opt = optim.ASGD(model.parameters(), lr=0.01, t0=100)

    See https://pytorch.org/docs/stable/generated/torch.optim.ASGD.html
    """

    _checked = ("lr", "weight_decay")
    _rule = "asgd"
    _buffers = ("ax", "mu", "eta", "step")
    _scalar_state = ("step", "eta", "mu")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(device=p.device),
            "eta": self._step_tensor(float(number(group["lr"])), device=p.device),
            "mu": self._step_tensor(1.0, device=p.device),
            "ax": ag.zeros_like(p),
        }
