"""The update rules, one pure function per optimizer (the shape of PyTorch's
``torch.optim._functional``), and :func:`update`, the one dispatcher that runs a rule's plain
``xp`` code or, for CuPy arrays, its fused kernel from ``autograd_engine.kernels``.

A rule takes lists of backend arrays — the parameters, their gradients, one list per state
buffer (``None`` where a buffer does not exist yet) — then the step counts (this step's, as
floats) and the hyperparameters as keywords named as in the param group. It updates the
arrays in place, operation for operation as PyTorch's single-tensor kernels do, so
trajectories agree with PyTorch's to the last bits. It knows nothing of ``Optimizer``.
"""

from __future__ import annotations

import inspect

from autograd_engine import array_backend, kernels
from autograd_engine.array_backend import axpy_, get_array_module

from ._checks import number

_CPU_ARRAY = array_backend.numpy.ndarray

__all__ = [
    "sgd",
    "adam",
    "adamw",
    "adagrad",
    "rmsprop",
    "nadam",
    "adamax",
    "adadelta",
    "radam",
    "rprop",
    "asgd",
    "update",
]


def lerp_(start, end, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place, in ATen's two-branch form.

    NOTE: ATen's ``lerp`` computes ``end - (end - start) * (1 - weight)`` when
    ``|weight| >= 0.5``; matching both branches keeps the moments bit-equal to PyTorch's.
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1.0 - weight
        get_array_module(start).subtract(end, diff, out=start)


def _average_square_(avg, grad, decay: float):
    """``avg <- decay * avg + (1 - decay) * grad * grad`` in place (PyTorch's ``mul_`` then
    ``addcmul_``); returns the scratch array it used, free for the caller to reuse."""
    avg *= decay
    scratch = get_array_module(avg).multiply(grad, 1 - decay)
    scratch *= grad
    avg += scratch
    return scratch


def _grad(param, grad, weight_decay, maximize: bool, decoupled_lr=None):
    """The gradient a rule works with: negated if ``maximize``, plus the L2 term
    ``weight_decay * param``; with ``decoupled_lr`` the weights are decayed instead
    (``param *= 1 - lr * weight_decay``, AdamW's form) and the gradient is left alone."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_lr is not None:
            param *= 1 - decoupled_lr * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def sgd(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov,
        maximize) -> None:  # fmt: skip
    """SGD with momentum, PyTorch's form: ``b <- momentum b + (1 - dampening) g`` (``b = g``
    on the first step, stored back into ``momentum_buffers``), ``p <- p - lr b`` (or
    ``- lr (g + momentum b)`` with Nesterov)."""
    for i, param in enumerate(params):
        grad = _grad(param, grads[i], weight_decay, maximize)
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                # a new array of the parameter's shape, whatever the gradient's container
                buf = momentum_buffers[i] = get_array_module(param).empty_like(param)
                buf[...] = grad
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf if nesterov else buf
        axpy_(param, grad, -lr)


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, lr, betas, eps,
         weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:  # fmt: skip
    """Adam (and AdamW with ``decoupled_weight_decay``): bias-corrected moments, the step size
    and denominator folded as in PyTorch's kernel."""
    beta1, beta2 = betas
    decoupled_lr = lr if decoupled_weight_decay else None
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize, decoupled_lr)
        exp_avg, exp_avg_sq, step = exp_avgs[i], exp_avg_sqs[i], state_steps[i]

        lerp_(exp_avg, grad, 1 - beta1)
        scratch = _average_square_(exp_avg_sq, grad, beta2)

        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if amsgrad:
            xp.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
            denom = xp.sqrt(max_exp_avg_sqs[i])
        else:
            denom = xp.sqrt(exp_avg_sq)
        denom /= bias_correction2_sqrt
        denom += eps
        xp.multiply(exp_avg, -step_size, out=scratch)
        scratch /= denom
        param += scratch


def adamw(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, lr, betas, eps,
          weight_decay, amsgrad, maximize) -> None:  # fmt: skip
    """AdamW: :func:`adam` with decoupled weight decay."""
    adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, lr=lr, betas=betas,
         eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
         decoupled_weight_decay=True)  # fmt: skip


def adagrad(params, grads, state_sums, state_steps, *, lr, lr_decay, weight_decay, eps,
            maximize) -> None:  # fmt: skip
    """Adagrad: ``s <- s + g*g``, ``p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``."""
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize)
        clr = lr / (1 + (state_steps[i] - 1) * lr_decay)

        scratch = xp.multiply(grad, grad)
        state_sums[i] += scratch
        std = xp.sqrt(state_sums[i])
        std += eps
        xp.multiply(grad, -clr, out=scratch)
        scratch /= std
        param += scratch


def rmsprop(params, grads, square_avgs, momentum_buffers, grad_avgs, state_steps, *, lr, alpha,
            eps, weight_decay, momentum, centered, maximize) -> None:  # fmt: skip
    """RMSprop: ``v <- alpha v + (1 - alpha) g*g``, ``eps`` added outside the square root, the
    momentum buffer accumulating the scaled gradient (PyTorch's choices)."""
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize)

        square_avg = square_avgs[i]
        scratch = _average_square_(square_avg, grad, alpha)
        if centered:
            grad_avg = grad_avgs[i]
            lerp_(grad_avg, grad, 1 - alpha)
            avg = square_avg - grad_avg * grad_avg
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += eps

        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            xp.divide(grad, avg, out=scratch)
            buf += scratch
            xp.multiply(buf, lr, out=scratch)
            param -= scratch
        else:
            xp.multiply(grad, -lr, out=scratch)
            scratch /= avg
            param += scratch


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *, lr, betas, eps,
          weight_decay, momentum_decay, decoupled_weight_decay, maximize) -> None:  # fmt: skip
    """NAdam with Dozat's momentum schedule; ``mu_products[i]`` (a 0-d array) is advanced."""
    beta1, beta2 = betas
    decoupled_lr = lr if decoupled_weight_decay else None
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize, decoupled_lr)
        exp_avg, exp_avg_sq, step = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
        bias_correction2 = 1 - beta2**step

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        # the running product is a 0-d array in PyTorch's scalar dtype (float32), which
        # rounds every product as PyTorch's in-place ``mu_product *= mu`` does
        mu_product = mu_products[i]
        mu_product[()] = mu_product * mu_product.dtype.type(mu)
        mu_product = float(mu_product)
        mu_product_next = mu_product * mu_next

        lerp_(exp_avg, grad, 1 - beta1)
        scratch = _average_square_(exp_avg_sq, grad, beta2)
        denom = exp_avg_sq / bias_correction2
        xp.sqrt(denom, out=denom)
        denom += eps

        xp.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=scratch)
        scratch /= denom
        param += scratch
        xp.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=scratch)
        scratch /= denom
        param += scratch


def adamax(params, grads, exp_avgs, exp_infs, state_steps, *, lr, betas, eps, weight_decay,
           maximize) -> None:  # fmt: skip
    """Adamax: ``u <- max(beta2 u, |g| + eps)``, ``p <- p - lr / (1 - beta1^t) * m / u``."""
    beta1, beta2 = betas
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize)
        exp_avg, exp_inf = exp_avgs[i], exp_infs[i]

        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        scratch = xp.abs(grad)
        scratch += eps
        xp.maximum(exp_inf, scratch, out=exp_inf)

        clr = lr / (1 - beta1 ** state_steps[i])
        xp.multiply(exp_avg, -clr, out=scratch)
        scratch /= exp_inf
        param += scratch


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay,
             maximize) -> None:  # fmt: skip
    """Adadelta: ``v <- rho v + (1 - rho) g*g``, ``d = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u <- rho u + (1 - rho) d*d``, ``p <- p - lr d``."""
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize)
        square_avg, acc_delta = square_avgs[i], acc_deltas[i]

        _average_square_(square_avg, grad, rho)
        std = square_avg + eps
        xp.sqrt(std, out=std)
        delta = acc_delta + eps
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        _average_square_(acc_delta, delta, rho)
        delta *= -lr
        param += delta


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, lr, betas, eps, weight_decay,
          decoupled_weight_decay, maximize) -> None:  # fmt: skip
    """RAdam: Adam's moments; the adaptive step, rectified by ``r_t``, once the variance of
    the adaptive learning rate is tractable (``rho_t > 5``), a bias-corrected momentum step
    before that."""
    beta1, beta2 = betas
    decoupled_lr = lr if decoupled_weight_decay else None
    rho_inf = 2 / (1 - beta2) - 1
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], weight_decay, maximize, decoupled_lr)
        exp_avg, exp_avg_sq, step = exp_avgs[i], exp_avg_sqs[i], state_steps[i]

        lerp_(exp_avg, grad, 1 - beta1)
        _average_square_(exp_avg_sq, grad, beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = exp_avg / bias_correction1
        update *= lr
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive_lr = xp.sqrt(exp_avg_sq)
            adaptive_lr += eps
            # NOTE: PyTorch's ``float / tensor`` is ``tensor.reciprocal() * float``
            xp.reciprocal(adaptive_lr, out=adaptive_lr)
            adaptive_lr *= bias_correction2**0.5
            update *= adaptive_lr
            update *= rect
        param -= update


def rprop(params, grads, prevs, step_size_list, state_steps, *, etas, step_sizes,
          maximize) -> None:  # fmt: skip
    """Rprop: each step size grows by ``eta_plus`` where the gradient kept its sign, shrinks
    by ``eta_minus`` where it flipped (that gradient then counts as 0), clamped to
    ``step_sizes``; ``p <- p - sign(g) * step_size``."""
    etaminus, etaplus = etas
    step_size_min, step_size_max = step_sizes
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = _grad(param, grads[i], 0, maximize)
        prev, step_size = prevs[i], step_size_list[i]

        factor = xp.sign(grad * prev)
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = grad.copy()
        grad[factor == etaminus] = 0
        update = xp.sign(grad)
        update *= step_size
        param -= update
        prev[...] = grad


def asgd(params, grads, axs, mus, etas, state_steps, *, lr, lambd, alpha, t0, weight_decay,
         maximize) -> None:  # fmt: skip
    """ASGD: ``p <- p (1 - lambd eta) - eta g``, the average ``ax`` of the iterates moved by
    ``mu``; ``eta`` and ``mu`` (0-d arrays in the scalar dtype) advanced for the next step."""
    for i, param in enumerate(params):
        grad = _grad(param, grads[i], weight_decay, maximize)
        ax, mu, eta, step = axs[i], mus[i], etas[i], state_steps[i]

        eta_value = eta.tolist()
        param *= 1 - lambd * eta_value
        update = grad * -eta_value
        param += update
        mu_value = mu.tolist()
        if mu_value != 1:
            diff = param - ax
            diff *= mu_value
            ax += diff
        else:
            ax[...] = param
        eta[()] = lr / ((1 + lambd * lr * step) ** alpha)
        mu[()] = 1 / max(1, step - t0)


def _sgd_fused(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay,
               nesterov, maximize) -> list[int]:  # fmt: skip
    """:func:`sgd` as one fused kernel launch per parameter; returns the indices of the
    parameters no kernel applies to."""
    name = "sgd_momentum" if momentum != 0 else "sgd"
    maximize, decay, nesterov = bool(maximize), weight_decay != 0, bool(nesterov)
    rest = []
    for i, param in enumerate(params):
        grad = grads[i]
        k = kernels.fused(name, param, grad)
        if k is None:
            rest.append(i)
        elif momentum == 0:
            k(grad, lr, weight_decay, maximize, decay, param)
        else:
            buf = momentum_buffers[i]
            first = buf is None
            if first:
                buf = momentum_buffers[i] = get_array_module(param).empty_like(param)
            k(grad, lr, weight_decay, momentum, 1 - dampening, maximize, decay, dampening != 0,
              nesterov, first, param, buf)  # fmt: skip
    return rest


def _adam_fused(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, lr,
                betas, eps, weight_decay, amsgrad, maximize,
                decoupled_weight_decay) -> list[int]:  # fmt: skip
    """:func:`adam` (amsgrad off) as one fused kernel launch per parameter, the scalars
    computed as the plain code computes them; returns the indices no kernel applies to."""
    if amsgrad:
        return list(range(len(params)))
    beta1, beta2 = betas
    wd_mode = 0 if weight_decay == 0 else 2 if decoupled_weight_decay else 1
    lerp_w = 1 - beta1
    rest = []
    for i, param in enumerate(params):
        grad, step = grads[i], state_steps[i]
        k = kernels.fused("adam", param, grad)
        if k is None:
            rest.append(i)
            continue
        k(grad, weight_decay, 1 - lr * weight_decay, lerp_w, 1.0 - lerp_w, beta2, 1 - beta2,
          -(lr / (1 - beta1**step)), (1 - beta2**step) ** 0.5, eps, bool(maximize), wd_mode,
          abs(lerp_w) < 0.5, param, exp_avgs[i], exp_avg_sqs[i])  # fmt: skip
    return rest


RULES = {
    f.__name__: f
    for f in (sgd, adam, adamw, adagrad, rmsprop, nadam, adamax, adadelta, radam, rprop, asgd)
}
_FUSED = {"sgd": _sgd_fused, "adam": _adam_fused}
# A rule's keyword-only arguments are the param-group entries it reads.
_HYPERPARAMETERS = {
    name: tuple(
        p.name for p in inspect.signature(rule).parameters.values() if p.kind is p.KEYWORD_ONLY
    )
    for name, rule in RULES.items()
}


def update(rule: str, group: dict, params: list, grads: list, *buffers: list) -> None:
    """Run the update rule named ``rule`` with the hyperparameters of param ``group``.

    The one place that chooses an implementation: for CuPy arrays, unless the group says
    ``fused=False``, a rule's fused kernel (SGD, Adam/AdamW) updates each parameter in one
    launch; the plain ``xp`` code (the reference the kernels are tested against) runs
    everywhere else, including parameters no kernel fits (a dtype, amsgrad). Tensor
    hyperparameters (``lr=tensor(0.01)``) reach the rule as Python floats.
    """
    hyper = {name: number(group[name]) for name in _HYPERPARAMETERS[rule]}
    if type(params[0]) is _CPU_ARRAY:
        _update_on(rule, group, params, grads, list(buffers), hyper)
        return
    # On GPUs, each device's parameters are updated with that device current (CuPy runs every
    # kernel on the current device).
    groups = array_backend.indices_by_device(params)
    if len(groups) == 1:
        with array_backend.on_device_of(params[0]):
            _update_on(rule, group, params, grads, list(buffers), hyper)
        return
    for indices in groups:
        sub = [[b[i] for i in indices] for b in buffers]
        with array_backend.on_device_of(params[indices[0]]):
            _update_on(rule, group, [params[i] for i in indices], [grads[i] for i in indices],
                       sub, hyper)  # fmt: skip
        for b, values in zip(buffers, sub):
            for i, value in zip(indices, values):
                b[i] = value


def _update_on(rule: str, group: dict, params, grads, buffers: list, hyper: dict) -> None:
    """The fused kernel where one fits (unless the group says ``fused=False``), else the plain
    rule; ``buffers`` are updated in place."""
    fused = _FUSED.get(rule)
    # NOTE: one kernels.fused lookup per group (None for NumPy arrays) keeps the CPU path
    # free of per-parameter checks; the fused rule then looks up each parameter's kernel.
    if (
        fused is not None
        and group.get("fused") is not False
        and kernels.fused(rule, params[0], grads[0]) is not None
    ):
        rest = fused(params, grads, *buffers, **hyper)
        if rest:
            _update_some(RULES[rule], rest, params, grads, buffers, hyper)
        return
    RULES[rule](params, grads, *buffers, **hyper)


def _update_some(rule, indices, params, grads, buffers, hyper) -> None:
    """Run ``rule`` on the parameters at ``indices`` only, storing back the buffers it made."""
    sub = [[b[i] for i in indices] for b in buffers]
    rule([params[i] for i in indices], [grads[i] for i in indices], *sub, **hyper)
    for b, values in zip(buffers, sub):
        for i, value in zip(indices, values):
            b[i] = value
