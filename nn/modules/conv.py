"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d`` and ``ConvTranspose2d``
around the engine's convolution ops, with PyTorch's arguments (padding incl. ``'same'``,
``padding_mode``), default initialization and repr."""

from __future__ import annotations

import numbers

import autograd_engine as ag

from .. import functional as F
from ..parameter import Parameter
from .linear import reset_weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(f"expected an int or a tuple of {n} ints, got {value}")
    return tuple(int(v) for v in value)


class _ConvNd(Module):
    """Shared by the convolution layers: parameters, checks, init and repr."""

    _dims = 2
    _layout = "(N, C, H, W)"
    _unbatched = "(C, H, W)"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed,
        output_padding,
        groups,
        bias,
        padding_mode,
        device,
        dtype,
    ) -> None:
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        kernel_size = _ntuple(kernel_size, n)
        stride = _ntuple(stride, n)
        dilation = _ntuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            pads = []
            for d, k in zip(reversed(dilation), reversed(kernel_size)):
                total = 0 if padding == "valid" else d * (k - 1)
                pads += [total // 2, total - total // 2]
        else:
            pads = [p for p in reversed(padding) for _ in range(2)]
        self._reversed_padding_repeated_twice = pads
        factory = {
            "device": device,
            "dtype": dtype if dtype is not None else ag.get_default_dtype(),
        }
        if transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(ag.empty(*shape, **factory))
        if bias:
            self.bias = Parameter(ag.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        reset_weight_and_bias(self.weight, self.bias)

    def _check_input(self, input) -> None:
        """Batched input with ``in_channels`` channels, or unbatched input (as PyTorch)."""
        n = self._dims
        batched = input.ndim == n + 2 and input.shape[1] == self.in_channels
        unbatched = input.ndim == n + 1 and input.shape[0] == self.in_channels
        if batched or unbatched:
            return
        hint = ""
        if input.ndim == n + 1 and self.in_channels == 1:
            hint = "; for single-channel data add the channel dim with x.unsqueeze(1)"
        raise RuntimeError(
            f"{self!r}: expected input of shape {self._layout} with C = {self.in_channels} "
            f"(or unbatched {self._unbatched}), got shape {tuple(input.shape)}{hint}"
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input):
        self._check_input(input)
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)`` input (``torch.nn.Conv1d``); arguments as in
    :class:`Conv2d` with single ints.

    Example::

        >>> nn.Conv1d(16, 33, 3, stride=2)(ag.randn(20, 16, 50)).shape
        (20, 33, 24)
    """

    _dims = 1
    _layout = "(N, C, L)"
    _unbatched = "(C, L)"
    _fn = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)`` input
    (``torch.nn.Conv2d``).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or (kH, kW).
        stride: int or pair (default 1).
        padding: int, pair, ``'valid'`` (none) or ``'same'`` (output size = input size,
            stride 1 only; an odd total pads one more on the bottom/right, as PyTorch).
        dilation: spacing between kernel elements (default 1).
        groups: split the channels into this many independent groups (default 1).
        bias: learn a per-channel bias (default ``True``).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shapes:
        ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``) -> ``(N, C_out, H_out, W_out)``,
        H_out = (H + 2 pad - dilation (kH - 1) - 1) // stride + 1.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, initialized U(-k, k) with
            k = 1/sqrt(in_channels / groups * kH * kW); bias: ``(out_channels,)``, the same.

    Example::

        >>> conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        >>> conv(ag.randn(8, 3, 32, 32)).shape
        (8, 16, 32, 32)
    """

    _fn = staticmethod(F.conv2d)


class _ConvTranspose(_ConvNd):
    _fn = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of ints")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = list(output_size)
        if len(output_size) == n + 2 or (len(output_size) == n + 1 and input.ndim == n + 1):
            output_size = output_size[-n:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{n + 2} elements (got {len(output_size)})"
            )
        spatial = input.shape[-n:]
        result = []
        for d in range(n):
            smallest = (
                (spatial[d] - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            largest = smallest + self.stride[d] - 1
            if not smallest <= output_size[d] <= largest:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{smallest} to {largest} (for an input of {list(spatial)[d : d + 1]})"
                )
            result.append(output_size[d] - smallest)
        return tuple(result)

    def forward(self, input, output_size=None):
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return type(self)._fn(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution over ``(N, C_in, L)`` input (``torch.nn.ConvTranspose1d``);
    arguments as in :class:`ConvTranspose2d` with single ints."""

    _dims = 1
    _layout = "(N, C, L)"
    _unbatched = "(C, L)"
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"): the gradient of ``Conv2d`` with respect
    to its input, used to upsample (``torch.nn.ConvTranspose2d``).

    Args:
        in_channels, out_channels, kernel_size, stride, groups, bias, dilation: as in
            :class:`Conv2d`.
        padding: removes ``dilation * (kernel_size - 1) - padding`` from each side.
        output_padding: extra size added to one side of the output (less than the stride or
            the dilation); ``forward(input, output_size=...)`` computes it for you.

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H_out, W_out)``, H_out = (H - 1) stride - 2 pad
        + dilation (kH - 1) + output_padding + 1.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``, initialized as PyTorch
            (kaiming_uniform_(a=sqrt(5)) with fan_in = out_channels / groups * kH * kW).

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, kernel_size=2, stride=2)
        >>> up(ag.randn(1, 16, 7, 7)).shape
        (1, 8, 14, 14)
    """

    _fn = staticmethod(F.conv_transpose2d)
