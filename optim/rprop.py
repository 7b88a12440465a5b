"""Rprop: per-coordinate step sizes adapted from the signs of successive gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from ._checks import number
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (resilient backpropagation, Riedmiller & Braun, 1993); mirrors
    ``torch.optim.Rprop``.

    Each coordinate keeps its own step size ``s`` (starting at ``lr``) and its previous
    gradient ``g_prev``. With gradient :math:`g` (negated if ``maximize``)::

        s <- clamp(s * eta_plus,  *step_sizes)    where g * g_prev > 0
        s <- clamp(s * eta_minus, *step_sizes)    where g * g_prev < 0 (and g is taken as 0)
        theta <- theta - sign(g) * s
        g_prev <- g

    Only the sign of the gradient is used, so Rprop suits full-batch training.

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): the initial step size. Default: 1e-2.
        etas (tuple[float, float]): ``(eta_minus, eta_plus)``, the factors that shrink and
            grow a step size; ``0 < eta_minus < 1 < eta_plus``. Default: (0.5, 1.2).
        step_sizes (tuple[float, float]): the least and the greatest step size.
            Default: (1e-6, 50).
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        capturable, foreach, differentiable: PyTorch's implementation flags, with its
            defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"prev"``, ``"step_size"``.

    Example::

        >>> opt = optim.Rprop(model.parameters(), lr=0.01, etas=(0.5, 1.2))

    See https://pytorch.org/docs/stable/generated/torch.optim.Rprop.html
    """

    _checked = ("lr",)
    _rule = "rprop"
    _buffers = ("prev", "step_size", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": self._step_tensor(),
            "prev": ag.zeros_like(p),
            "step_size": ag.full_like(p, float(number(group["lr"]))),
        }
