"""Adamax: the infinity-norm variant of Adam (Kingma & Ba, 2015, section 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from autograd_engine.array_backend import get_array_module

from ._functional import check_betas, check_range, lerp_
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
        lr (float): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates of the first moment and of the infinity
            norm. Default: (0.9, 0.999).
        eps (float): added to ``|g|`` for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        maximize (bool): maximize the objective instead of minimizing. Default: False.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_inf"``.

    Example::

        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)

    See https://pytorch.org/docs/stable/generated/torch.optim.Adamax.html
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_range("learning rate", group["lr"])
        check_range("epsilon value", group["eps"])
        check_betas(group["betas"])
        check_range("weight_decay value", group["weight_decay"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns ``closure()`` if a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p, grad in self._params_with_grad(group):
                xp = get_array_module(p.array)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0.0
                    state["exp_avg"] = xp.zeros_like(p.array)
                    state["exp_inf"] = xp.zeros_like(p.array)
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                state["step"] += 1

                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p.array

                lerp_(exp_avg, grad, 1 - beta1)
                exp_inf *= beta2
                scratch = xp.abs(grad)
                scratch += eps
                xp.maximum(exp_inf, scratch, out=exp_inf)

                clr = lr / (1 - beta1 ** state["step"])
                xp.multiply(exp_avg, -clr, out=scratch)
                scratch /= exp_inf
                p.array += scratch
        return loss
