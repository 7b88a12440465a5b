"""NAdam: Adam with Nesterov momentum and Dozat's momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016); mirrors ``torch.optim.NAdam``.

    For each parameter with gradient :math:`g` (negated if ``maximize``), at step ``t``::

        theta <- theta * (1 - lr * weight_decay)    if decoupled_weight_decay
        g <- g + weight_decay * theta               otherwise (if weight_decay != 0)
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        P_t = mu_1 * ... * mu_t                     (state "mu_product")
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        theta <- theta - lr * (1 - mu_t) / (1 - P_t) * g / d
                       - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    As in PyTorch, ``mu_product`` is kept in float32 (PyTorch holds it in a float32
    tensor), so trajectories match PyTorch's to the last bit rather than drifting.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates of the moment estimates. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay coefficient. Default: 0.
        momentum_decay (float): the momentum-decay constant psi. Default: 4e-3.
        decoupled_weight_decay (bool): decay the weights directly (as AdamW does; NAdamW)
            instead of adding an L2 term to the gradient. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"mu_product"``, ``"exp_avg"``, ``"exp_avg_sq"``.

    Example::

        >>> opt = optim.NAdam(model.parameters(), lr=2e-3)

    See https://pytorch.org/docs/stable/generated/torch.optim.NAdam.html
    """

    _checked = ("lr", "eps", "betas", "weight_decay", "momentum_decay")
    _rule = "nadam"
    _buffers = ("exp_avg", "exp_avg_sq", "mu_product", "step")
    _scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(),
            "mu_product": self._step_tensor(1.0),
            "exp_avg": ag.zeros_like(p),
            "exp_avg_sq": ag.zeros_like(p),
        }
