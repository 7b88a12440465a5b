"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum); mirrors ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta                      (if weight_decay != 0)
        b <- g on the first step, else momentum * b + (1 - dampening) * g
        g <- g + momentum * b if nesterov else b          (if momentum != 0)
        theta <- theta - lr * g

    This is PyTorch's form (Sutskever et al.), where the learning rate multiplies the
    momentum buffer, not the gradient inside it.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening for momentum. Default: 0.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        nesterov (bool): use Nesterov momentum (needs momentum > 0 and dampening 0).
            Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"momentum_buffer"`` (only when ``momentum != 0``).

    Example::

        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        >>> opt.zero_grad()
        >>> loss_fn(model(x), y).backward()
        >>> opt.step()

    See https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
    """

    _checked = ("lr", "momentum", "weight_decay")
    _rule = "sgd"
    _buffers = ("momentum_buffer",)
    _created_by_rule = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
