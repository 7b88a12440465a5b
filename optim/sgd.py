"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from autograd_engine import array_backend, kernels

from ._functional import check_range
from .optimizer import Optimizer

_CPU_ARRAY = array_backend.numpy.ndarray  # the one check the CPU path pays for the fused kernels

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
        lr (float): learning rate. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening for momentum. Default: 0.
        weight_decay (float): L2 penalty coefficient. Default: 0.
        nesterov (bool): use Nesterov momentum (needs momentum > 0 and dampening 0).
            Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.

    State per parameter: ``"momentum_buffer"`` (only when ``momentum != 0``).

    Example::

        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        >>> opt.zero_grad()
        >>> loss_fn(model(x), y).backward()
        >>> opt.step()

    See https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_range("learning rate", group["lr"])
        check_range("momentum value", group["momentum"])
        check_range("weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns ``closure()`` if a closure is given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            dampening, weight_decay = group["dampening"], group["weight_decay"]
            for p, grad in self._params_with_grad(group):
                if type(grad) is not _CPU_ARRAY and _fused_step(self.state[p], p, grad, group):
                    continue
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p.array
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.copy()
                    else:
                        buf *= momentum
                        buf += grad if dampening == 0 else (1 - dampening) * grad
                    grad = grad + momentum * buf if group["nesterov"] else buf
                p.array -= lr * grad
        return loss


def _fused_step(state: dict, p, grad, group: dict) -> bool:
    """The same update in one fused CuPy kernel; False where none applies (the caller then
    runs the plain code above)."""
    momentum, weight_decay = group["momentum"], group["weight_decay"]
    name = "sgd_momentum" if momentum != 0 else "sgd"
    k = kernels.fused(name, p.array, grad)
    if k is None:
        return False
    maximize, decay = bool(group["maximize"]), weight_decay != 0
    if momentum == 0:
        k(grad, group["lr"], weight_decay, maximize, decay, p.array)
        return True
    buf = state.get("momentum_buffer")
    first = buf is None
    if first:
        buf = state["momentum_buffer"] = array_backend.get_array_module(p.array).empty_like(p.array)
    dampening = group["dampening"]
    k(
        grad,
        group["lr"],
        weight_decay,
        momentum,
        1 - dampening,
        maximize,
        decay,
        dampening != 0,
        bool(group["nesterov"]),
        first,
        p.array,
        buf,
    )
    return True
