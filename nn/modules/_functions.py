"""The autograd Functions behind ``nn`` layers that talk to other processes
(``torch.nn.modules._functions``): the synchronized batch norm of ``SyncBatchNorm``."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.autograd import Function, once_differentiable


class SyncBatchNorm(Function):
    """Batch norm whose statistics are those of the whole batch spread over a process group
    (``torch.nn.modules._functions.SyncBatchNorm``).

    Forward: each rank's per-channel (count, mean, sum of squared deviations) are all-gathered
    and merged exactly (Chan's parallel-variance formula, as PyTorch's
    ``batch_norm_gather_stats_with_counts``), giving the global mean and biased variance; the
    running statistics move towards the global mean and unbiased variance. Backward:
    all-reduces the two per-channel sums the input gradient needs, ``sum(dy)`` and
    ``sum(dy * (x - mean))``; the weight and bias gradients stay local (DDP averages them), as
    in PyTorch. Not differentiable twice. With ``size == 1`` it talks to no one (plain batch
    norm; the gradient registry checks it so).
    """

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum, group, size):
        import autograd_engine.distributed as dist

        x = input.array
        xp = array_backend.get_array_module(x)
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        count = x.size // c
        if count:
            mean = x.mean(axis=axes)
            centered = x - mean.reshape((1, c) + (1,) * (x.ndim - 2))
            m2 = (centered * centered).sum(axis=axes)
        else:  # an empty input on this rank contributes nothing
            mean = m2 = xp.zeros(c, dtype=x.dtype)
        local = ag.as_tensor(xp.concatenate([xp.asarray([count], dtype=x.dtype), mean, m2]))
        gathered = [local]
        if size > 1:
            gathered = [ag.zeros_like(local) for _ in range(size)]
            dist.all_gather(gathered, local, group)
        stats = xp.stack([t.array for t in gathered])  # (size, 1 + 2C)
        counts, means, m2s = stats[:, :1], stats[:, 1 : 1 + c], stats[:, 1 + c :]
        total = float(counts.sum())
        if total <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got {int(total)} over "
                f"the process group (input of shape {tuple(x.shape)} on this rank)"
            )
        global_mean = (counts * means).sum(axis=0) / total
        deviation = means - global_mean
        global_m2 = (m2s + counts * deviation * deviation).sum(axis=0)
        var = global_m2 / total
        invstd = 1 / xp.sqrt(var + eps)
        for stat, batch in ((running_mean, global_mean), (running_var, global_m2 / (total - 1))):
            if stat is not None:
                stat.array *= 1 - momentum
                stat.array += (momentum * batch).astype(stat.array.dtype, copy=False)
        shape = (1, c) + (1,) * (x.ndim - 2)
        out = (x - global_mean.reshape(shape)) * invstd.reshape(shape)
        if weight is not None:
            out = out * weight.array.reshape(shape)
        if bias is not None:
            out = out + bias.array.reshape(shape)
        ctx.save_for_backward(input, weight)
        ctx.stats = (ag.as_tensor(global_mean.reshape(shape)),
                     ag.as_tensor(invstd.reshape(shape)), total)  # fmt: skip
        ctx.group, ctx.size, ctx.has_bias = group, size, bias is not None
        return ag.as_tensor(out.astype(x.dtype, copy=False))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        import autograd_engine.distributed as dist

        x, weight = ctx.saved_tensors
        mean, invstd, total = ctx.stats
        axes = (0,) + tuple(range(2, x.ndim))
        centered = x - mean
        sum_dy = grad.sum(axes)
        sum_dy_xmu = (grad * centered).sum(axes)
        need = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if need[0]:
            c = sum_dy.shape[0]
            combined = ag.cat([sum_dy, sum_dy_xmu])
            if ctx.size > 1:
                dist.all_reduce(combined, dist.ReduceOp.SUM, ctx.group)
            shape = mean.shape
            mean_dy = (combined[:c] / total).reshape(shape)
            mean_dy_xmu = (combined[c:] / total).reshape(shape)
            grad_input = (grad - mean_dy - centered * invstd * invstd * mean_dy_xmu) * invstd
            if weight is not None:
                grad_input = grad_input * weight.reshape(shape)
        if weight is not None and need[1]:
            grad_weight = sum_dy_xmu * invstd.reshape(-1)
        if ctx.has_bias and need[2]:
            grad_bias = sum_dy
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None
