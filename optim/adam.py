"""Adam and AdamW: bias-corrected first and second moment estimates (Kingma & Ba, 2015)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from autograd_engine import array_backend, kernels
from autograd_engine.array_backend import get_array_module

from ._functional import check_betas, check_range, lerp_
from .optimizer import Optimizer

_CPU_ARRAY = array_backend.numpy.ndarray  # the one check the CPU path pays for the fused kernels

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
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moment estimates, each in [0, 1).
            Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay coefficient. Default: 0.
        amsgrad (bool): use the AMSGrad variant (max of past second moments). Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.
        decoupled_weight_decay (bool): decay the weights directly, as AdamW does, instead of
            adding an L2 term to the gradient. Default: False.

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

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
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
                    state["exp_avg_sq"] = xp.zeros_like(p.array)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = xp.zeros_like(p.array)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                step = state["step"]
                if type(grad) is not _CPU_ARRAY and _fused_step(state, p, grad, group):
                    continue

                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.array *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p.array

                lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                scratch = xp.multiply(grad, 1 - beta2)
                scratch *= grad
                exp_avg_sq += scratch

                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                if group["amsgrad"]:
                    xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    denom = xp.sqrt(state["max_exp_avg_sq"])
                else:
                    denom = xp.sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                xp.multiply(exp_avg, -step_size, out=scratch)
                scratch /= denom
                p.array += scratch
        return loss


def _fused_step(state: dict, p, grad, group: dict) -> bool:
    """Adam's update (amsgrad off) in one fused CuPy kernel, with the scalars computed as the
    plain code computes them; False where none applies."""
    if group["amsgrad"]:
        return False
    k = kernels.fused("adam", p.array, grad)
    if k is None:
        return False
    lr, weight_decay, step = group["lr"], group["weight_decay"], state["step"]
    beta1, beta2 = group["betas"]
    wd_mode = 0 if weight_decay == 0 else 2 if group["decoupled_weight_decay"] else 1
    lerp_w = 1 - beta1
    k(
        grad,
        weight_decay,
        1 - lr * weight_decay,
        lerp_w,
        1.0 - lerp_w,
        beta2,
        1 - beta2,
        -(lr / (1 - beta1**step)),
        (1 - beta2**step) ** 0.5,
        group["eps"],
        bool(group["maximize"]),
        wd_mode,
        abs(lerp_w) < 0.5,
        p.array,
        state["exp_avg"],
        state["exp_avg_sq"],
    )
    return True


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay; mirrors ``torch.optim.AdamW``.

    Same as ``Adam(..., decoupled_weight_decay=True)``: each step first shrinks the
    weights, ``theta <- theta * (1 - lr * weight_decay)``, then takes the Adam step with
    the raw gradient, so the decay is not rescaled by the adaptive denominator
    (Loshchilov & Hutter, 2019).

    Args:
        params (iterable): parameters, ``(name, parameter)`` pairs or param-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moment estimates. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): decoupled weight decay coefficient. Default: 1e-2.
        amsgrad (bool): use the AMSGrad variant. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.

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
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
