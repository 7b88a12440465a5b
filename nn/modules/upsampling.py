"""Resampling and rearranging layers: ``Upsample`` (and the ``UpsamplingNearest2d`` /
``UpsamplingBilinear2d`` shorthands), ``PixelShuffle``/``PixelUnshuffle``, ``Unfold``/``Fold``,
the padding layers (``ReflectionPad*``, ``ReplicationPad*``, ``CircularPad*``,
``ConstantPad*``, ``ZeroPad*``) and the distances ``CosineSimilarity``/``PairwiseDistance``."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "PixelShuffle",
    "PixelUnshuffle",
    "Unfold",
    "Fold",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "CosineSimilarity",
    "PairwiseDistance",
]


class Upsample(Module):
    """Resize ``(N, C, *spatial)`` input (``torch.nn.Upsample``); see ``F.interpolate``.

    Args:
        size: the output's spatial size, or
        scale_factor: a multiplier per spatial dim.
        mode: ``'nearest'`` (default), ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'trilinear'``.
        align_corners: for the linear modes (default ``False``).
        recompute_scale_factor: compute source positions from the sizes.

    Example::

        >>> nn.Upsample(scale_factor=2, mode="bilinear")(ag.randn(1, 3, 4, 4)).shape
        (1, 3, 8, 8)
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, int) else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for ``(N, C, H, W)`` (``torch.nn.UpsamplingNearest2d``)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)`` (``torch.nn.UpsamplingBilinear2d``)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)`` (``torch.nn.PixelShuffle``), the
    sub-pixel convolution's rearrangement."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)`` (``torch.nn.PixelUnshuffle``)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Unfold(Module):
    """Sliding blocks as columns, ``(N, C, H, W)`` -> ``(N, C*kh*kw, L)``
    (``torch.nn.Unfold``); see ``F.unfold``."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """Columns summed back into an image, ``(N, C*kh*kw, L)`` -> ``(N, C, *output_size)``
    (``torch.nn.Fold``); see ``F.fold``."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )


class _PadNd(Module):
    """A padding layer: ``padding`` an int (every side) or a tuple of ``2 * dims`` sizes
    ``(left, right, top, bottom, front, back)``."""

    _mode = "constant"
    _dims = 1

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, int):
            padding = (padding,) * n
        padding = tuple(int(p) for p in padding)
        if len(padding) != n:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, got "
                f"{padding}"
            )
        self.padding = padding
        if self._mode == "constant":
            self.value = value

    def forward(self, input):
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {self._dims + 1}D or {self._dims + 2}D "
                f"input, got {input.ndim}D input of shape {tuple(input.shape)}"
            )
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        if self._mode == "constant" and type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim by reflection (``torch.nn.ReflectionPad1d``)."""

    _mode, _dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pad the last two dims by reflection (``torch.nn.ReflectionPad2d``).

    Example::

        >>> nn.ReflectionPad2d(1)(ag.randn(1, 3, 4, 4)).shape
        (1, 3, 6, 6)
    """

    _mode, _dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad the last three dims by reflection (``torch.nn.ReflectionPad3d``)."""

    _mode, _dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim with its edge values (``torch.nn.ReplicationPad1d``)."""

    _mode, _dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad the last two dims with their edge values (``torch.nn.ReplicationPad2d``)."""

    _mode, _dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad the last three dims with their edge values (``torch.nn.ReplicationPad3d``)."""

    _mode, _dims = "replicate", 3


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (``torch.nn.CircularPad1d``)."""

    _mode, _dims = "circular", 1


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around (``torch.nn.CircularPad2d``)."""

    _mode, _dims = "circular", 2


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping around (``torch.nn.CircularPad3d``)."""

    _mode, _dims = "circular", 3


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value`` (``torch.nn.ConstantPad1d(padding, value)``)."""

    _dims = 1


class ConstantPad2d(_PadNd):
    """Pad the last two dims with ``value`` (``torch.nn.ConstantPad2d(padding, value)``)."""

    _dims = 2


class ConstantPad3d(_PadNd):
    """Pad the last three dims with ``value`` (``torch.nn.ConstantPad3d(padding, value)``)."""

    _dims = 3


class ZeroPad1d(_PadNd):
    """Pad the last dim with zeros (``torch.nn.ZeroPad1d``)."""

    _dims = 1

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pad the last two dims with zeros (``torch.nn.ZeroPad2d``)."""

    _dims = 2

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad3d(_PadNd):
    """Pad the last three dims with zeros (``torch.nn.ZeroPad3d``)."""

    _dims = 3

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim`` (``torch.nn.CosineSimilarity(dim=1, eps=1e-8)``); see
    ``F.cosine_similarity``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim (``torch.nn.PairwiseDistance(p=2.0, eps=1e-6,
    keepdim=False)``)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
