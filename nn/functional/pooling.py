"""1-D pooling for ``nn.functional``: ``max_pool1d``, ``avg_pool1d`` and
``adaptive_avg_pool1d``, run as the engine's 2-D pooling over a plane of height 1."""

from __future__ import annotations

import numbers

from autograd_engine.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from autograd_engine.tensor import Tensor

__all__ = ["max_pool1d", "avg_pool1d", "adaptive_avg_pool1d"]


def _one(value, name: str, op: str) -> int:
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return int(value[0])
    raise RuntimeError(f"{op}: {name} must be an int or a tuple of one int, got {value!r}")


def _plane(op: str, input: Tensor) -> Tensor:
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"{op}: expected a 3-D (N, C, L) input or a 2-D (C, L) unbatched input, but got "
            f"input of shape {tuple(input.shape)}"
        )
    return input.unsqueeze(-2)


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)`` input
    (``torch.nn.functional.max_pool1d``); with ``return_indices`` also the index of each
    maximum along L."""
    op = "max_pool1d"
    k = _one(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride", op)
    p, d = _one(padding, "padding", op), _one(dilation, "dilation", op)
    out = max_pool2d(_plane(op, input), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)`` input
    (``torch.nn.functional.avg_pool1d``)."""
    op = "avg_pool1d"
    k = _one(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride", op)
    p = _one(padding, "padding", op)
    out = avg_pool2d(_plane(op, input), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` input to length ``output_size``
    (``torch.nn.functional.adaptive_avg_pool1d``)."""
    op = "adaptive_avg_pool1d"
    size = _one(output_size, "output_size", op)
    return adaptive_avg_pool2d(_plane(op, input), (1, size)).squeeze(-2)
