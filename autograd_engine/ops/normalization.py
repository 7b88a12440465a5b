"""Normalization: ``batch_norm``, ``instance_norm``, ``layer_norm`` and ``group_norm`` as fused
nodes (statistics, normalization and the affine map in one forward; backward in Tensor ops)
sharing one base."""

from __future__ import annotations

import numbers

from .. import array_backend
from ..grad_mode import is_grad_enabled
from ..node import Node
from ..tensor import Tensor
from ._util import const


class _Normalization(Node):
    """x viewed as ``view`` is normalized over ``axes`` (by its own statistics, or by the
    constant ``running`` ones), then scaled by ``weight`` and shifted by ``bias`` (each broadcast
    as ``affine``)."""

    keeps_var = False

    def __init__(self, view, axes, affine, eps, has_weight, has_bias, running=None):
        self.view, self.axes, self.affine, self.eps = view, axes, affine, eps
        self.has_weight, self.has_bias, self.running = has_weight, has_bias, running

    def forward(self, x, *params):
        xp = array_backend.get_array_module(x)
        xv = x.reshape(self.view)
        if self.running is None:
            mean = xv.mean(axis=self.axes, keepdims=True)
            out = xv - mean
            var = (out * out).mean(axis=self.axes, keepdims=True)
        else:
            mean, var = (
                xp.asarray(t.array, dtype=x.dtype).reshape(self.affine) for t in self.running
            )
            out = xv - mean
        invstd = 1 / xp.sqrt(var + self.eps)
        out *= invstd
        out = out.reshape(x.shape)
        if self.has_weight:
            out *= params[0].reshape(self.affine)
        if self.has_bias:
            out += params[-1].reshape(self.affine)
        if self.keeps_var:
            self.batch_var = var  # read once by BatchNorm.forward for the running statistics
        if self.has_weight:
            self.save_inputs(0, 1)
        else:
            self.save_inputs(0)
        self.save_for_backward(mean, invstd)
        return out

    def _statistics(self, x: Tensor):
        """(mean, 1/std) as tensors: saved constants, or under create_graph, recomputed from
        ``x`` with Tensor ops so that the gradient they enter is itself differentiable."""
        mean, invstd = self.saved_arrays
        if self.running is not None or not is_grad_enabled():
            return const(mean), const(invstd)
        xv = x.reshape(self.view)
        mean = xv.mean(self.axes, keepdim=True)
        centered = xv - mean
        return mean, ((centered * centered).mean(self.axes, keepdim=True) + self.eps).rsqrt()

    def backward(self, grad):
        saved = self.saved_tensors
        x = saved[0]
        mean, invstd = self._statistics(x)
        xhat = (x.reshape(self.view) - mean) * invstd
        need = self.needs_input_grad
        gx = None
        if need[0]:
            gy = grad * saved[1].reshape(self.affine) if self.has_weight else grad
            gy = gy.reshape(self.view)
            if self.running is None:
                # d(xhat)/dx through the mean and the variance of the normalized axes
                gy = gy - gy.mean(self.axes, keepdim=True)
                gy = gy - xhat * (gy * xhat).mean(self.axes, keepdim=True)
            gx = (gy * invstd).reshape(x.shape)
        grads = [gx]
        lead = x.ndim - len(self.affine)  # the affine shape lines up with x's trailing dims
        summed = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(self.affine) if s == 1)
        if self.has_weight:
            gw = (grad * xhat.reshape(x.shape)).sum(summed) if need[1] else None
            grads.append(None if gw is None else gw.reshape(saved[1].shape))
        if self.has_bias:
            gb = grad.sum(summed) if need[-1] else None
            grads.append(None if gb is None else gb.reshape(self.in_shapes[-1]))
        return tuple(grads)


class BatchNorm(_Normalization):
    """y = (x - mean_c) / sqrt(var_c + eps) * w_c + b_c, statistics over all dims but the
    channel dim 1 (the batch's, or the running ones in evaluation). With ``view=(N, C, -1)``
    and ``axes=(2,)`` the statistics are each sample's own: instance normalization (PyTorch
    runs it as batch norm over the ``(1, N * C, *)`` view).

    ``update``: ``(running_mean, running_var, momentum)`` (either tensor may be None) in
    training: forward also moves the running statistics towards the batch's, in place, with
    the unbiased variance: ``running = (1 - momentum) * running + momentum * batch``; where
    each sample has its own statistics (instance norm), ``batch`` is their mean over the batch.
    """

    _backward_name = "NativeBatchNormBackward0"

    keeps_var = True
    update = None

    def forward(self, x, *params):
        out = super().forward(x, *params)
        if self.update is not None:
            # NOTE: in forward, so that a replay of this node (autograd_engine.compile) moves
            # the running statistics as eager mode does.
            running_mean, running_var, momentum = self.update
            batch_mean = self._extra[0]
            count = x.size // batch_mean.size  # values behind each statistic
            unbiased = self.batch_var * (count / (count - 1))
            for stat, batch in ((running_mean, batch_mean), (running_var, unbiased)):
                if stat is not None:
                    stat.array *= 1 - momentum
                    # the mean over the samples (of one row, for batch norm)
                    batch = (momentum * batch).reshape(-1, stat.array.size).mean(axis=0)
                    stat.array += batch.astype(stat.array.dtype, copy=False)
        del self.batch_var
        return out


class LayerNorm(_Normalization):
    """y = (x - mean) / sqrt(var + eps) * w + b, statistics over the trailing
    ``normalized_shape`` dims, w and b of that shape."""

    _backward_name = "NativeLayerNormBackward0"


class GroupNorm(_Normalization):
    """y = (x - mean_g) / sqrt(var_g + eps) * w_c + b_c, statistics per sample over each group
    of C/G channels and all spatial dims."""

    _backward_name = "NativeGroupNormBackward0"


# --- checks ----------------------------------------------------------------------------------
def _check_input(op: str, x, min_dims: int, layout: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(x).__name__}")
    if x.ndim < min_dims:
        raise RuntimeError(
            f"{op}: expected an input of at least {min_dims} dims {layout}, but got input of "
            f"shape {tuple(x.shape)}"
        )
    if x.array.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point input, got dtype {x.dtype}; convert it with "
            ".float() first"
        )


def _check_param(op: str, x: Tensor, p, name: str, shape: tuple) -> None:
    if p is None:
        return
    if not isinstance(p, Tensor):
        raise TypeError(f"{op}(): {name} must be a Tensor or None, got {type(p).__name__}")
    if tuple(p.shape) != tuple(shape):
        raise RuntimeError(
            f"{op}: expected {name} of shape {tuple(shape)} for input of shape "
            f"{tuple(x.shape)}, but got {name} of shape {tuple(p.shape)}"
        )
    if p.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: input dtype {x.dtype} and {name} dtype {p.dtype} should be the same; "
            "convert one with .to(dtype)"
        )
    if p.device != x.device:
        raise RuntimeError(
            f"{op}: expected input and {name} on the same device, but input is on {x.device} "
            f"and {name} on {p.device}; move them with .to(device)"
        )


def _check_per_channel(op: str, x, running_mean, running_var, weight, bias, momentum) -> None:
    """The checks of batch and instance norm: (N, C, *) input, per-channel (C,) tensors."""
    _check_input(op, x, 2, "(N, C, *)")
    c = x.shape[1]
    for p, name in zip((running_mean, running_var, weight, bias), _PER_CHANNEL):
        _check_param(op, x, p, name, (c,))
    if not isinstance(momentum, numbers.Real):
        raise TypeError(f"{op}(): momentum must be a float, got {type(momentum).__name__}")


_PER_CHANNEL = ("running_mean", "running_var", "weight", "bias")


def _apply(cls, x, weight, bias, view, axes, affine, eps, running=None, update=None):
    node = cls(view, axes, affine, eps, weight is not None, bias is not None, running)
    if update is not None:
        node.update = update
    inputs = [x] + [p for p in (weight, bias) if p is not None]
    return node, node(*inputs)


def _affine_only(x: Tensor, weight, bias, affine) -> Tensor:
    """The result for an empty input: the affine map of a copy, so the graph still connects
    ``weight`` and ``bias``."""
    out = x.clone()
    if weight is not None:
        out = out * weight.reshape(affine)
    if bias is not None:
        out = out + bias.reshape(affine)
    return out


# --- functions ---------------------------------------------------------------------------------
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over (N, C, *) input (``torch.nn.functional.batch_norm``).

    In training, normalizes by the batch's per-channel mean and biased variance and, when the
    running statistics are given, updates them in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the unbiased batch variance.
    In evaluation, normalizes by ``running_mean`` and ``running_var``.
    """
    op = "batch_norm"
    _check_per_channel(op, input, running_mean, running_var, weight, bias, momentum)
    c = input.shape[1]
    count = input.numel() // max(c, 1)
    affine = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                f"{op}: running_mean and running_var must be defined in evaluation mode "
                "(training=False); pass them, or training=True to use the batch statistics"
            )
        running = (running_mean, running_var)
        return _apply(BatchNorm, input, weight, bias, input.shape, axes, affine, eps, running)[1]
    if count == 0 and input.numel() == 0 and c > 0:
        # An empty batch: PyTorch returns an empty result and leaves the running statistics.
        return _affine_only(input, weight, bias, affine)
    if count == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input of shape "
            f"{tuple(input.shape)}"
        )
    update = None
    if running_mean is not None or running_var is not None:
        update = (running_mean, running_var, momentum)
    return _apply(BatchNorm, input, weight, bias, input.shape, axes, affine, eps, None, update)[1]


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalization over (N, C, *) input (``torch.nn.functional.instance_norm``):
    each channel of each sample is normalized by its own mean and biased variance over the
    spatial dims, then the per-channel affine map.

    With ``use_input_stats`` (the default) and running statistics given, they are updated in
    place: ``running = (1 - momentum) * running + momentum * batch``, ``batch`` being the
    samples' means (and unbiased variances) averaged over the batch. With
    ``use_input_stats=False`` the running statistics normalize instead (as ``batch_norm`` in
    evaluation).
    """
    op = "instance_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(input).__name__}")
    spatial = 1
    for s in input.shape[2:]:
        spatial *= s
    if use_input_stats and spatial == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size "
            f"{tuple(input.shape)}; instance_norm normalizes each (sample, channel) over the "
            "dims after the channel dim 1"
        )
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(
            "Expected running_mean and running_var to be defined when use_input_stats is "
            "false; pass them, or use_input_stats=True to use each sample's statistics"
        )
    _check_per_channel(op, input, running_mean, running_var, weight, bias, momentum)
    n, c = input.shape[:2]
    affine = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if not use_input_stats:
        running = (running_mean, running_var)
        return _apply(BatchNorm, input, weight, bias, input.shape, axes, affine, eps, running)[1]
    if input.numel() == 0:
        # As PyTorch: an empty result; an empty batch averages no samples' statistics (NaN).
        if n == 0:
            for stat in (running_mean, running_var):
                if stat is not None:
                    stat.array[...] = float("nan")
        return _affine_only(input, weight, bias, affine)
    update = None
    if running_mean is not None or running_var is not None:
        update = (running_mean, running_var, momentum)
    view = (n, c, spatial)
    return _apply(BatchNorm, input, weight, bias, view, (2,), affine, eps, None, update)[1]


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dims
    (``torch.nn.functional.layer_norm``); ``weight`` and ``bias`` have that shape."""
    op = "layer_norm"
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(input).__name__}")
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"{op}: given normalized_shape={shape}, expected input with shape (*, "
            f"{', '.join(map(str, shape))}), but got input of shape {tuple(input.shape)}"
        )
    _check_input(op, input, k, "(*, normalized_shape)")
    _check_param(op, input, weight, "weight", shape)
    _check_param(op, input, bias, "bias", shape)
    axes = tuple(range(input.ndim - k, input.ndim))
    return _apply(LayerNorm, input, weight, bias, input.shape, axes, shape, eps)[1]


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalization over (N, C, *) input: each sample's C channels split into
    ``num_groups`` groups normalized separately, then a per-channel affine map
    (``torch.nn.functional.group_norm``)."""
    op = "group_norm"
    _check_input(op, input, 2, "(N, C, *)")
    n, c = input.shape[:2]
    if not isinstance(num_groups, numbers.Integral) or num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"{op}: expected the number of channels of the input to be divisible by num_groups, "
            f"but got input of shape {tuple(input.shape)} and num_groups={num_groups}"
        )
    _check_param(op, input, weight, "weight", (c,))
    _check_param(op, input, bias, "bias", (c,))
    if input.numel() // max(n * num_groups, 1) <= 1:
        raise ValueError(
            f"Expected more than 1 value per group, got input of shape {tuple(input.shape)} "
            f"and num_groups={num_groups}"
        )
    view = (n, num_groups, -1)
    affine = (1, c) + (1,) * (input.ndim - 2)
    return _apply(GroupNorm, input, weight, bias, view, (2,), affine, eps)[1]


__all__ = [
    "BatchNorm",
    "LayerNorm",
    "GroupNorm",
    "batch_norm",
    "instance_norm",
    "layer_norm",
    "group_norm",
]
