"""Adam and AdamW: bias-corrected first and second moment estimates (Kingma & Ba, 2015)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam; mirrors ``torch.optim.Adam`` (with its ``decoupled_weight_decay`` option).

    For each parameter with gradient :math:`g` (negated if ``maximize``), at step ``t``::

        theta <- theta * (1 - lr * weight_decay)    if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * theta               otherwise (L2 penalty in the gradient)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                      (amsgrad; v_max replaces v below)
        theta <- theta - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moment estimates, each in [0, 1)
            (or a pair of 1-element Tensors). Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay coefficient. Default: 0.
        amsgrad (bool): use the AMSGrad variant (max of past second moments). Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        decoupled_weight_decay (bool): decay the weights directly, as AdamW does, instead of
            adding an L2 term to the gradient. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"`` and, with amsgrad,
    ``"max_exp_avg_sq"``.

    Example::

        >>> opt = optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
        >>> for x, y in loader:
        ...     opt.zero_grad()
        ...     loss_fn(model(x), y).backward()
        ...     opt.step()

    See https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
    """

    _checked = ("lr", "eps", "betas", "weight_decay")
    _rule = "adam"
    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        if group["foreach"] and not group["capturable"]:
            for name, value in (
                ("lr", group["lr"]),
                *zip(("betas[0]", "betas[1]"), group["betas"]),
            ):
                if isinstance(value, Tensor):
                    raise ValueError(
                        f"{name} as a Tensor is not supported for capturable=False and foreach=True"
                    )

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = {
            "step": self._step_tensor(),
            "exp_avg": ag.zeros_like(p),
            "exp_avg_sq": ag.zeros_like(p),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = ag.zeros_like(p)
        return state


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay; mirrors ``torch.optim.AdamW``.

    Same as ``Adam(..., decoupled_weight_decay=True)``: each step first shrinks the
    weights, ``theta <- theta * (1 - lr * weight_decay)``, then takes the Adam step with
    the raw gradient, so the decay is not rescaled by the adaptive denominator
    (Loshchilov & Hutter, 2019).

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float or Tensor): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moment estimates. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): decoupled weight decay coefficient. Default: 1e-2.
        amsgrad (bool): use the AMSGrad variant. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        foreach, fused, capturable, differentiable: PyTorch's implementation flags, with
            its defaults; see :class:`~optim.Optimizer` for what they mean here.

    Example::

        >>> decay, no_decay = [], []
        >>> for name, p in model.named_parameters():
        ...     (no_decay if name.endswith("bias") else decay).append(p)
        >>> opt = optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}],
        ...                   lr=1e-3, weight_decay=0.05)

    See https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
