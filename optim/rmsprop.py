"""RMSprop: steps scaled by a running average of squared gradients (Hinton's lecture 6e)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from autograd_engine.array_backend import get_array_module

from ._functional import check_range, lerp_
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
        lr (float): learning rate. Default: 1e-2.
        alpha (float): smoothing constant of the squared-gradient average. Default: 0.99.
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalize by an estimate of the gradient's variance instead of
            its uncentered second moment. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.

    State per parameter: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"``
    (momentum > 0) and ``"grad_avg"`` (centered).

    Example::

        >>> opt = optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)

    See https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_range("learning rate", group["lr"])
        check_range("epsilon value", group["eps"])
        check_range("momentum value", group["momentum"])
        check_range("weight_decay value", group["weight_decay"])
        check_range("alpha value", group["alpha"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns ``closure()`` if a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            for p, grad in self._params_with_grad(group):
                xp = get_array_module(p.array)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0.0
                    state["square_avg"] = xp.zeros_like(p.array)
                    if momentum > 0:
                        state["momentum_buffer"] = xp.zeros_like(p.array)
                    if group["centered"]:
                        state["grad_avg"] = xp.zeros_like(p.array)
                state["step"] += 1

                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p.array

                square_avg = state["square_avg"]
                square_avg *= alpha
                scratch = xp.multiply(grad, 1 - alpha)
                scratch *= grad
                square_avg += scratch
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    lerp_(grad_avg, grad, 1 - alpha)
                    avg = square_avg - grad_avg * grad_avg
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps

                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    xp.divide(grad, avg, out=scratch)
                    buf += scratch
                    xp.multiply(buf, lr, out=scratch)
                    p.array -= scratch
                else:
                    xp.multiply(grad, -lr, out=scratch)
                    scratch /= avg
                    p.array += scratch
        return loss
