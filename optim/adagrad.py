"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011); mirrors ``torch.optim.Adagrad``.

    For each parameter with gradient :math:`g` (negated if ``maximize``), at step ``t``::

        g <- g + weight_decay * theta               (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g
        theta <- theta - clr * g / (sqrt(s) + eps)

    ``s`` starts at ``initial_accumulator_value``. As in PyTorch, the state of every
    parameter given at construction is created right away (so ``state_dict()`` lists it
    before the first step); parameters added later get theirs on their first step.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-2.
        lr_decay (float): learning rate decay. Default: 0.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        initial_accumulator_value (float): starting value of the sum of squares. Default: 0.
        eps (float): added to the denominator for numerical stability. Default: 1e-10.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"`` and ``"sum"``.

    Note: a param group's own ``initial_accumulator_value`` is honoured; PyTorch 2.13
    uses the constructor's value for every group.

    Example::

        >>> opt = optim.Adagrad(model.parameters(), lr=0.1)

    See https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
    """

    _checked = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    _rule = "adagrad"
    _buffers = ("sum", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        sum_ = ag.full_like(p, group["initial_accumulator_value"])
        return {"step": self._step_tensor(), "sum": sum_}
