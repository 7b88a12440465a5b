"""Convolutions: ``conv1d``, ``conv2d`` and ``conv_transpose2d`` (plus the 1-D transpose), built
on three nodes -- ``Conv2d``, its input adjoint ``ConvTranspose2d`` and its weight gradient
``Conv2dWeightGrad`` -- each the backward of the others. 1-D convolutions run as 2-D ones over
a plane of height 1."""

from __future__ import annotations

import numbers

from .. import array_backend
from ..amp.autocast_mode import lower_inputs
from ..node import Node
from ..tensor import Tensor
from ._window import (
    Geometry,
    check_input,
    col2im,
    lift_1d,
    natural_out,
    ntuple,
    pad_plane,
    windows,
)


# --- the three convolution computations ------------------------------------------------------
def _im2col(x, kernel, geom: Geometry, out_hw):
    """(N, groups, C/groups*kh*kw, oh*ow): the columns a grouped convolution multiplies."""
    n, c = x.shape[:2]
    view = windows(pad_plane(x, geom.pads), kernel, geom.stride, geom.dilation, out_hw)
    g = geom.groups
    return view.reshape(n, g, c // g * kernel[0] * kernel[1], out_hw[0] * out_hw[1])


def _swap(xp, a):
    return xp.swapaxes(a, -1, -2)


def _conv(x, w, geom: Geometry, out_hw=None):
    """y = conv(x, w) (cross-correlation) and the im2col columns it used."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    if out_hw is None:
        out_hw = natural_out(x.shape[2:], (kh, kw), geom)
    cols = _im2col(x, (kh, kw), geom, out_hw)
    g = geom.groups
    out = w.reshape(g, o // g, cg * kh * kw) @ cols  # (N, g, O/g, L): one batched BLAS call
    return out.reshape(n, o, out_hw[0], out_hw[1]), cols


def _conv_transpose(gy, w, geom: Geometry, in_hw):
    """x-shaped adjoint of conv in its input: every gy value times w added back on its window."""
    xp = array_backend.get_array_module(gy)
    n, o, oh, ow = gy.shape
    _, cg, kh, kw = w.shape
    g = geom.groups
    w2 = _swap(xp, w.reshape(g, o // g, cg * kh * kw))
    cols = w2 @ gy.reshape(n, g, o // g, oh * ow)  # (N, g, C/g*kh*kw, L)
    cols = cols.reshape(n, g * cg, kh, kw, oh, ow)
    return col2im(cols, (kh, kw), geom.stride, geom.dilation, geom.pads, in_hw)


def _conv_weight(x, gy, geom: Geometry, kernel, cols=None):
    """w-shaped gradient of conv: sum over batch and positions of gy times x's windows."""
    xp = array_backend.get_array_module(x)
    n, o, oh, ow = gy.shape
    g = geom.groups
    if cols is None:
        cols = _im2col(x, kernel, geom, (oh, ow))
    gw = (gy.reshape(n, g, o // g, oh * ow) @ _swap(xp, cols)).sum(axis=0)  # (g, O/g, C/g*K)
    return gw.reshape(o, x.shape[1] // g, kernel[0], kernel[1])


def _add_bias(out, bias):
    if bias:
        out += bias[0].reshape(1, -1, 1, 1)
    return out


# --- nodes -----------------------------------------------------------------------------------
class Conv2d(Node):
    """y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] * x_pad[n, c, p*sh + i*dh, q*sw + j*dw]
    (a grouped cross-correlation)."""

    _backward_name = "ConvolutionBackward0"

    def __init__(self, geom: Geometry, out_hw=None, keep_cols: bool = False):
        self.geom, self.out_hw, self.keep_cols = geom, out_hw, keep_cols

    def forward(self, x, w, *bias):
        out, cols = _conv(x, w, self.geom, self.out_hw)
        self.save_inputs(0, 1)
        self.save_for_backward(cols if self.keep_cols else None)  # reused by the weight grad
        return _add_bias(out, bias)

    def backward(self, grad):
        x, w = self.saved_tensors
        (cols,) = self.saved_arrays
        need = self.needs_input_grad
        gx = ConvTranspose2d(self.geom, x.shape[2:])(grad, w) if need[0] else None
        gw = Conv2dWeightGrad(self.geom, w.shape[2:], cols)(x, grad) if need[1] else None
        if len(need) == 2:
            return gx, gw
        return gx, gw, (grad.sum((0, 2, 3)) if need[2] else None)


class ConvTranspose2d(Node):
    """x[n, c, p*sh + i*dh, q*sw + j*dw] += sum_o gy[n, o, p, q] * w[o, c, i, j], cropped by
    the padding, + b[c] (the adjoint of ``Conv2d`` in its input)."""

    _backward_name = "ConvolutionBackward0"

    def __init__(self, geom: Geometry, out_hw):
        self.geom, self.out_hw = geom, tuple(out_hw)

    def forward(self, gy, w, *bias):
        self.save_inputs(0, 1)
        return _add_bias(_conv_transpose(gy, w, self.geom, self.out_hw), bias)

    def backward(self, grad):
        gy, w = self.saved_tensors
        need = self.needs_input_grad
        ggy = Conv2d(self.geom, gy.shape[2:])(grad, w) if need[0] else None
        gw = Conv2dWeightGrad(self.geom, w.shape[2:])(grad, gy) if need[1] else None
        if len(need) == 2:
            return ggy, gw
        return ggy, gw, (grad.sum((0, 2, 3)) if need[2] else None)


class Conv2dWeightGrad(Node):
    """gw[o, c, i, j] = sum_{n, p, q} gy[n, o, p, q] * x_pad[n, c, p*sh + i*dh, q*sw + j*dw]
    (``torch.nn.grad.conv2d_weight``)."""

    def __init__(self, geom: Geometry, kernel, cols=None):
        self.geom, self.kernel, self.cols = geom, tuple(kernel), cols

    def forward(self, x, gy):
        self.save_inputs(0, 1)
        cols, self.cols = self.cols, None  # columns handed over by Conv2d: used once, not kept
        return _conv_weight(x, gy, self.geom, self.kernel, cols)

    def backward(self, grad):
        x, gy = self.saved_tensors
        need_x, need_gy = self.needs_input_grad
        gx = ConvTranspose2d(self.geom, x.shape[2:])(gy, grad) if need_x else None
        ggy = Conv2d(self.geom, gy.shape[2:])(x, grad) if need_gy else None
        return gx, ggy


# --- argument checks -------------------------------------------------------------------------
def _check_same(op: str, x: Tensor, other: Tensor, what: str) -> None:
    if other.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: input dtype {x.dtype} and {what} dtype {other.dtype} should be the same; "
            f"convert one with .to(dtype)"
        )
    if other.device != x.device:
        raise RuntimeError(
            f"{op}: expected input and {what} on the same device, but input is on {x.device} "
            f"and {what} on {other.device}; move them with .to(device)"
        )


def _check_positive(op: str, stride, dilation) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported (got stride={stride})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero (got dilation={dilation})")


def _check_weight(op, x, weight, bias, groups, transposed: bool) -> None:
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (got groups={groups})")
    w_dims = x.ndim
    if not isinstance(weight, Tensor) or weight.ndim != w_dims:
        what = (
            "(in_channels, out_channels/groups, kH, kW)"
            if transposed
            else ("(out_channels, in_channels/groups, kH, kW)")
        )
        if w_dims == 3:
            what = what.replace(", kH, kW", ", kL")
        got = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{op}: expected a {w_dims}-D weight {what}, but got weight {got}")
    _check_same(op, x, weight, "weight")
    c_in = x.shape[1]
    if transposed:
        if weight.shape[0] != c_in:
            raise RuntimeError(
                f"{op}: weight of shape {tuple(weight.shape)} expects input with {weight.shape[0]} "
                f"channels (its first dim), but got input of shape {tuple(x.shape)} with {c_in} "
                "channels"
            )
        if c_in % groups:
            raise RuntimeError(
                f"{op}: input channels ({c_in}) must be divisible by groups={groups}"
            )
        c_out = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != c_in:
            raise RuntimeError(
                f"{op}: given groups={groups}, weight of shape {tuple(weight.shape)} expects "
                f"input with {weight.shape[1] * groups} channels, but got input of shape "
                f"{tuple(x.shape)} with {c_in} channels"
            )
        if weight.shape[0] % groups:
            raise RuntimeError(
                f"{op}: out_channels ({weight.shape[0]}) must be divisible by groups={groups}"
            )
        c_out = weight.shape[0]
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.ndim != 1 or bias.shape[0] != c_out:
            got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
            raise RuntimeError(
                f"{op}: given weight of shape {tuple(weight.shape)}, expected bias to be 1-D with "
                f"{c_out} elements, but got bias of shape {got}"
            )
        _check_same(op, x, bias, "bias")


def _conv_padding(op, padding, kernel, stride, dilation) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(
                f"{op}: invalid padding string {padding!r}; use 'valid', 'same' or integers"
            )
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]  # the odd one goes last, as in PyTorch
        return tuple(pads)
    ph, pw = ntuple(padding, 2, "padding", op)
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported (got padding={padding})")
    return (ph, ph, pw, pw)


def _check_fits(op, x, kernel, geom: Geometry) -> tuple[int, int]:
    top, bottom, left, right = geom.pads
    ph, pw = x.shape[2] + top + bottom, x.shape[3] + left + right
    eh = geom.dilation[0] * (kernel[0] - 1) + 1
    ew = geom.dilation[1] * (kernel[1] - 1) + 1
    if eh > ph or ew > pw:
        raise RuntimeError(
            f"{op}: padded input size per channel ({ph} x {pw}) is smaller than the dilated "
            f"kernel ({eh} x {ew}) for input of shape {tuple(x.shape)}; use a smaller kernel, "
            "more padding or a bigger input"
        )
    return natural_out(x.shape[2:], kernel, geom)


# --- functions ---------------------------------------------------------------------------------
def _prepare(op, dims, input, weight, bias, stride, dilation, groups, transposed):
    """The argument handling all four convolutions share: check the input (batched or not) and
    the weight, parse ``stride`` and ``dilation``, and lift a 1-D problem to a plane of height
    1. Returns the 4-D input and weight, the pairs, and ``finish``, which undoes the lift and
    the added batch dim on the result."""
    unbatched = check_input(op, input, dims + 2, "C, L" if dims == 1 else "C, H, W")
    x = input.unsqueeze(0) if unbatched else input
    _check_weight(op, x, weight, bias, groups, transposed)
    if dims == 1:
        stride, dilation = lift_1d(stride, "stride", op, 1), lift_1d(dilation, "dilation", op, 1)
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
    stride, dilation = ntuple(stride, 2, "stride", op), ntuple(dilation, 2, "dilation", op)
    _check_positive(op, stride, dilation)

    def finish(out: Tensor) -> Tensor:
        if dims == 1:
            out = out.squeeze(2)
        return out.squeeze(0) if unbatched else out

    return x, weight, stride, dilation, finish


def _conv2d(op, x, weight, bias, stride, padding, dilation, groups):
    """conv2d on a batched (N, C, H, W) ``x``; ``padding`` already parsed."""
    geom = Geometry(stride, padding, dilation, int(groups))
    _check_fits(op, x, weight.shape[2:], geom)
    keep_cols = weight.requires_grad
    node = Conv2d(geom, keep_cols=keep_cols)
    return node(x, weight) if bias is None else node(x, weight, bias)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C_in, H, W) or unbatched (C_in, H, W) input
    with a (C_out, C_in/groups, kH, kW) weight (``torch.nn.functional.conv2d``).

    ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"`` (output size = input
    size; stride 1 only). Returns (N, C_out, H_out, W_out) with
    H_out = (H + 2*pad - dilation*(kH-1) - 1) // stride + 1.

    Example::

        y = conv2d(x, w, b, padding=1)     # x (64, 1, 28, 28), w (8, 1, 3, 3) -> (64, 8, 28, 28)
    """
    return _convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution over (N, C_in, L) or unbatched (C_in, L) input with a
    (C_out, C_in/groups, kL) weight (``torch.nn.functional.conv1d``); ``padding`` as in
    :func:`conv2d`."""
    return _convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _convolve(op, dims, input, weight, bias, stride, padding, dilation, groups):
    input, weight, bias = lower_inputs(input, weight, bias)  # autocast
    x, w, stride, dilation, finish = _prepare(
        op, dims, input, weight, bias, stride, dilation, groups, transposed=False
    )
    if dims == 1:
        padding = lift_1d(padding, "padding", op, 0)
    pads = _conv_padding(op, padding, w.shape[2:], stride, dilation)
    return finish(_conv2d(op, x, w, bias, stride, pads, dilation, groups))


def _conv_transpose2d(op, x, weight, bias, stride, padding, output_padding, groups, dilation):
    """conv_transpose2d on a batched ``x`` with parsed pairs."""
    kernel = weight.shape[2:]
    sizes = []
    for ax in range(2):
        if not (output_padding[ax] < stride[ax] or output_padding[ax] < dilation[ax]):
            raise RuntimeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
        size = (
            (x.shape[2 + ax] - 1) * stride[ax]
            - 2 * padding[ax]
            + dilation[ax] * (kernel[ax] - 1)
            + output_padding[ax]
            + 1
        )
        if size < 1:
            raise RuntimeError(
                f"{op}: the output size {size} along spatial dim {ax} is too small for input of "
                f"shape {tuple(x.shape)} (padding={padding}, kernel={tuple(kernel)}); use less "
                "padding"
            )
        sizes.append(size)
    ph, pw = padding
    geom = Geometry(stride, (ph, ph, pw, pw), dilation, int(groups))
    node = ConvTranspose2d(geom, sizes)
    return node(x, weight) if bias is None else node(x, weight, bias)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution ("deconvolution"), the gradient of :func:`conv2d` with
    respect to its input, over (N, C_in, H, W) input with a (C_in, C_out/groups, kH, kW) weight
    (``torch.nn.functional.conv_transpose2d``). Returns (N, C_out, H_out, W_out) with
    H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1."""
    op = "conv_transpose2d"
    return _convolve_transposed(op, 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)  # fmt: skip


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution over (N, C_in, L) input with a (C_in, C_out/groups, kL)
    weight (``torch.nn.functional.conv_transpose1d``)."""
    op = "conv_transpose1d"
    return _convolve_transposed(op, 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)  # fmt: skip


def _convolve_transposed(op, dims, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):  # fmt: skip
    input, weight, bias = lower_inputs(input, weight, bias)  # autocast
    x, w, stride, dilation, finish = _prepare(
        op, dims, input, weight, bias, stride, dilation, groups, transposed=True
    )
    if dims == 1:
        padding = lift_1d(padding, "padding", op, 0)
        output_padding = lift_1d(output_padding, "output_padding", op, 0)
    padding = ntuple(padding, 2, "padding", op)
    output_padding = ntuple(output_padding, 2, "output_padding", op)
    if min(padding) < 0 or min(output_padding) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported")
    out = _conv_transpose2d(op, x, w, bias, stride, padding, output_padding, groups, dilation)
    return finish(out)


__all__ = [
    "Conv2d",
    "ConvTranspose2d",
    "Conv2dWeightGrad",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
]
