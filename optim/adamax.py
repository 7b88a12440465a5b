"""Adamax: the infinity-norm variant of Adam (Kingma & Ba, 2015, section 7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax; mirrors ``torch.optim.Adamax``.

    For each parameter with gradient :math:`g` (negated if ``maximize``), at step ``t``::

        g <- g + weight_decay * theta               (if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1**t) * m / u

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates of the first moment and of the infinity
            norm. Default: (0.9, 0.999).
        eps (float): added to ``|g|`` for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_inf"``.

    Example::

        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)

    See https://pytorch.org/docs/stable/generated/torch.optim.Adamax.html
    """

    _checked = ("lr", "eps", "betas", "weight_decay")
    _rule = "adamax"
    _buffers = ("exp_avg", "exp_inf", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(),
            "exp_avg": ag.zeros_like(p),
            "exp_inf": ag.zeros_like(p),
        }
