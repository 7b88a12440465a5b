"""Pooling layers: ``MaxPool1d``/``MaxPool2d``, ``AvgPool1d``/``AvgPool2d`` and
``AdaptiveAvgPool1d``/``AdaptiveAvgPool2d`` around the engine's pooling ops."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over ``(N, C, L)`` input (``torch.nn.MaxPool1d``)."""

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over ``(N, C, H, W)`` input (``torch.nn.MaxPool2d``).

    Args:
        kernel_size: int or pair, the window size.
        stride: the window step (default ``kernel_size``).
        padding: implicit -inf padding on both sides, at most half the kernel.
        dilation: spacing between window elements.
        return_indices: also return the flat index (into H * W) of each maximum.
        ceil_mode: round the output size up instead of down.

    The gradient of each window goes to its first maximum, as in PyTorch.

    Example::

        >>> nn.MaxPool2d(2)(ag.randn(1, 3, 8, 8)).shape
        (1, 3, 4, 4)
    """

    _fn = staticmethod(F.max_pool2d)


class _AvgPoolNd(Module):
    _fn = None

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling over ``(N, C, L)`` input (``torch.nn.AvgPool1d``)."""

    def forward(self, input):
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling over ``(N, C, H, W)`` input (``torch.nn.AvgPool2d``).

    Args:
        kernel_size, stride, padding, ceil_mode: as in :class:`MaxPool2d` (zero padding).
        count_include_pad: count the zero padding in the divisor (default ``True``).
        divisor_override: divide by this instead of the window size.

    Example::

        >>> nn.AvgPool2d(2)(ag.ones(1, 1, 4, 4))
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of ``(N, C, L)`` input to length ``output_size``
    (``torch.nn.AdaptiveAvgPool1d``)."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of ``(N, C, H, W)`` input to ``output_size`` (an int, or a pair whose
    ``None`` entries keep the input size) (``torch.nn.AdaptiveAvgPool2d``).

    Example::

        >>> nn.AdaptiveAvgPool2d(1)(ag.randn(8, 64, 7, 7)).shape    # global average pooling
        (8, 64, 1, 1)
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, L)`` input to length ``output_size``
    (``torch.nn.AdaptiveMaxPool1d``); ``return_indices`` also returns each maximum's index."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of ``(N, C, H, W)`` input to ``output_size`` (an int, or a pair whose
    ``None`` entries keep the input size) (``torch.nn.AdaptiveMaxPool2d``).

    Example::

        >>> nn.AdaptiveMaxPool2d((5, 7))(ag.randn(1, 64, 8, 9)).shape
        (1, 64, 5, 7)
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
