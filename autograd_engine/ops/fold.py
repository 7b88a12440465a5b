"""Sliding windows as columns and back: ``Unfold`` (im2col) and ``Fold`` (col2im, summing
overlaps), each the other's backward, on the window helpers of the convolutions."""

from __future__ import annotations

from ..node import Node
from ..tensor import Tensor
from ._window import col2im, out_size, pad_plane, windows

__all__ = ["Unfold", "Fold", "unfold", "fold"]


class Unfold(Node):
    """y[n, (c, i, j), (oy, ox)] = x_padded[n, c, oy*sh + i*dh, ox*sw + j*dw]: (N, C, H, W)
    -> (N, C*kh*kw, oh*ow)."""

    def __init__(self, kernel, dilation, padding, stride):
        self.kernel, self.dilation, self.padding, self.stride = kernel, dilation, padding, stride

    def forward(self, x):
        n, c, h, w = x.shape
        (ph, pw), (kh, kw) = self.padding, self.kernel
        self.in_hw = (h, w)
        out_hw = (
            out_size(h, ph, ph, kh, self.stride[0], self.dilation[0]),
            out_size(w, pw, pw, kw, self.stride[1], self.dilation[1]),
        )
        view = windows(pad_plane(x, (ph, ph, pw, pw)), self.kernel, self.stride, self.dilation,
                       out_hw)  # fmt: skip
        return view.reshape(n, c * kh * kw, out_hw[0] * out_hw[1])

    def backward(self, grad):
        return Fold(self.in_hw, self.kernel, self.dilation, self.padding, self.stride)(grad)

    def backward_arrays(self, grad):
        fold = Fold(self.in_hw, self.kernel, self.dilation, self.padding, self.stride)
        return fold.forward(grad)


class Fold(Node):
    """y = the sum of every column back at its window's place: (N, C*kh*kw, L) ->
    (N, C, H, W), the adjoint of :class:`Unfold`."""

    def __init__(self, output_size, kernel, dilation, padding, stride):
        self.output_size, self.kernel = output_size, kernel
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, cols):
        (h, w), (kh, kw), (ph, pw) = self.output_size, self.kernel, self.padding
        out_hw = (
            out_size(h, ph, ph, kh, self.stride[0], self.dilation[0]),
            out_size(w, pw, pw, kw, self.stride[1], self.dilation[1]),
        )
        n, ckk, _ = cols.shape
        blocks = cols.reshape(n, ckk // (kh * kw), kh, kw, out_hw[0], out_hw[1])
        return col2im(blocks, self.kernel, self.stride, self.dilation, (ph, ph, pw, pw), (h, w))

    def backward(self, grad):
        return Unfold(self.kernel, self.dilation, self.padding, self.stride)(grad)

    def backward_arrays(self, grad):
        return Unfold(self.kernel, self.dilation, self.padding, self.stride).forward(grad)


def _pair(value, name: str, op: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value}")
    return value


def _args(op, kernel_size, dilation, padding, stride):
    kernel = _pair(kernel_size, "kernel_size", op)
    dilation = _pair(dilation, "dilation", op)
    padding = _pair(padding, "padding", op)
    stride = _pair(stride, "stride", op)
    if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(padding) < 0:
        raise RuntimeError(
            f"{op}: kernel_size, dilation and stride must be positive and padding non-negative, "
            f"got kernel_size={kernel}, dilation={dilation}, padding={padding}, stride={stride}"
        )
    return kernel, dilation, padding, stride


def _blocks(op, size, kernel, dilation, padding, stride) -> tuple[int, int]:
    out = tuple(
        out_size(size[d], padding[d], padding[d], kernel[d], stride[d], dilation[d])
        for d in range(2)
    )
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: the kernel {kernel} (dilation {dilation}) does not fit in the padded input "
            f"of spatial size {tuple(size)} with padding {padding}: no sliding block"
        )
    return out


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks as columns (``torch.nn.functional.unfold``, im2col).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: ints or pairs, as in ``conv2d``.

    Returns:
        ``(N, C * kh * kw, L)`` with L the number of blocks (``(C * kh * kw, L)`` unbatched).
    """
    args = _args("unfold", kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)"
        )
    x = input if input.ndim == 4 else input.unsqueeze(0)
    _blocks("unfold", x.shape[2:], *args)
    out = Unfold(*args)(x)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding local blocks back into an image (``torch.nn.functional.fold``, col2im).

    Args:
        input: ``(N, C * kh * kw, L)`` or unbatched ``(C * kh * kw, L)``.
        output_size: the spatial size ``(H, W)`` of the result.
        kernel_size, dilation, padding, stride: as given to :func:`unfold`.

    Returns:
        ``(N, C, H, W)`` (``(C, H, W)`` unbatched); overlapping values are added.
    """
    size = _pair(output_size, "output_size", "fold")
    kernel, dilation, padding, stride = _args("fold", kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3):
        raise NotImplementedError(
            f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
            f"(got {input.ndim}D)"
        )
    x = input if input.ndim == 3 else input.unsqueeze(0)
    kk = kernel[0] * kernel[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}"
        )
    blocks = _blocks("fold", size, kernel, dilation, padding, stride)
    if x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}."
        )
    out = Fold(size, kernel, dilation, padding, stride)(x)
    return out if input.ndim == 3 else out.squeeze(0)
