"""RAdam: Adam with the variance of its adaptive learning rate rectified (Liu et al., 2020)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam; mirrors ``torch.optim.RAdam``.

    For each parameter with gradient :math:`g` (negated if ``maximize``), at step ``t``::

        theta <- theta * (1 - lr * weight_decay)    if decoupled_weight_decay
        g <- g + weight_decay * theta               otherwise (if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        m_hat = m / (1 - beta1**t)
        theta <- theta - lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)  if rho_t > 5
        theta <- theta - lr * m_hat                                               otherwise
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moment estimates. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay coefficient. Default: 0.
        decoupled_weight_decay (bool): decay the weights directly (as AdamW does; RAdamW)
            instead of adding an L2 term to the gradient. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, capturable, differentiable: PyTorch's implementation flags, with its
            defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"``.

    Example::

        >>> opt = optim.RAdam(model.parameters(), lr=1e-3, decoupled_weight_decay=True,
        ...                   weight_decay=1e-2)

    See https://pytorch.org/docs/stable/generated/torch.optim.RAdam.html
    """

    _checked = ("lr", "eps", "betas", "weight_decay")
    _rule = "radam"
    _buffers = ("exp_avg", "exp_avg_sq", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(),
            "exp_avg": ag.zeros_like(p),
            "exp_avg_sq": ag.zeros_like(p),
        }
