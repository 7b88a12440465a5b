"""Image transforms with torchvision's names: ``Compose``, ``ToTensor``, ``Normalize``,
``RandomCrop``, ``RandomHorizontalFlip``, ``GaussianNoise``, ``Lambda``.

A transform takes one image ``(C, H, W)`` -- a NumPy array or a Tensor -- and returns the
same kind. The random ones draw from ``generator`` (an ``autograd_engine.Generator``) or,
by default, from the CPU generator that ``autograd_engine.manual_seed`` seeds, so a seeded
run augments the same way every time. Evaluation data should get no random transform.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "GaussianNoise",
    "Lambda",
]


def _unwrap(image):
    """``(array, wrap)``: the backend array of ``image`` and how to give back the same kind."""
    import autograd_engine as ag

    if isinstance(image, ag.Tensor):
        return image.array, ag.Tensor._make
    if isinstance(image, np.ndarray):
        return image, lambda a: a
    raise TypeError(
        f"expected an image as a NumPy array or Tensor of shape (C, H, W), "
        f"got {type(image).__name__}"
    )


def _xp(array):
    from autograd_engine.array_backend import get_array_module

    return get_array_module(array)


def _check_chw(array, who: str) -> None:
    if array.ndim < 3:
        raise ValueError(
            f"{who}: expected an image of shape (C, H, W) (or (..., C, H, W)), "
            f"got shape {tuple(array.shape)}"
        )


def _numpy_generator(generator):
    import autograd_engine as ag

    if generator is None:
        return ag.array_backend.generator_for(ag.device("cpu"))
    if isinstance(generator, ag.Generator):
        if generator.device.type != "cpu":
            raise ValueError(f"transforms draw on the CPU; got a generator on {generator.device}")
        return generator.gen
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be an autograd_engine.Generator or None, got {type(generator).__name__}"
    )


class Compose:
    """Apply transforms one after another. Mirrors ``torchvision.transforms.Compose``.

    Example::

        >>> Compose([RandomCrop(8, padding=1), Normalize((0.3,), (0.37,))])
    """

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, image):
        for t in self.transforms:
            image = t(image)
        return image

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """Turn an image array into a float32 Tensor ``(C, H, W)``.

    Mirrors ``torchvision.transforms.ToTensor`` for NumPy input: an ``(H, W, C)`` or
    ``(H, W)`` array is moved to ``(C, H, W)``, and uint8 values are scaled from [0, 255] to
    [0, 1]. A Tensor is returned as it is. (The datasets here already give ``(C, H, W)``
    float arrays; for them use ``Lambda(ag.from_numpy)`` or nothing: the DataLoader
    stacks arrays into Tensors.)
    """

    def __call__(self, pic):
        import autograd_engine as ag

        if isinstance(pic, ag.Tensor):
            return pic
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be a NumPy ndarray, got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2 or 3 dimensional, got {pic.ndim} dimensions")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        out = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if out.dtype == np.uint8:
            return ag.from_numpy(out.astype(np.float32) / np.float32(255))
        return ag.from_numpy(out.astype(np.float32, copy=False))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(image - mean[c]) / std[c]`` for each channel ``c``.

    Mirrors ``torchvision.transforms.Normalize(mean, std, inplace=False)``.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        if any(s == 0 for s in self.std):
            raise ValueError(
                f"std evaluated to zero after conversion to float32, leading to division by "
                f"zero: got std={self.std}"
            )
        self.inplace = inplace

    def __call__(self, image):
        array, wrap = _unwrap(image)
        _check_chw(array, "Normalize")
        channels = array.shape[-3]
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(
                f"Normalize: mean {self.mean} and std {self.std} need 1 or {channels} values "
                f"for an image with {channels} channels (shape {tuple(array.shape)})"
            )
        dtype = array.dtype if array.dtype.kind == "f" else np.float32
        xp = _xp(array)
        mean = xp.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1)
        std = xp.asarray(self.std, dtype=dtype).reshape(-1, 1, 1)
        if self.inplace and array.dtype.kind == "f":
            array -= mean
            array /= std
            return image
        return wrap((array - mean) / std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{name} should be an int or a sequence of 1 or 2 ints, got {size!r}")


class RandomCrop:
    """Crop a random ``size`` window, after padding the borders by ``padding``.

    Mirrors ``torchvision.transforms.RandomCrop(size, padding=None, pad_if_needed=False,
    fill=0, padding_mode="constant")``; ``padding`` is an int (all sides), ``(lr, tb)`` or
    ``(left, top, right, bottom)``. Beyond torchvision: ``generator=`` seeds the draws.

    Example::

        >>> RandomCrop(32, padding=4)   # the classic CIFAR shift augmentation
    """

    _modes = {
        "constant": "constant",
        "edge": "edge",
        "reflect": "reflect",
        "symmetric": "symmetric",
    }

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        *,
        generator=None,
    ):
        self.size = _pair(size, "size")
        if padding is not None and not isinstance(padding, (numbers.Integral, Sequence)):
            raise TypeError(f"padding should be an int or a sequence, got {padding!r}")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"padding should have 1, 2 or 4 values, got {padding!r}")
        if padding_mode not in self._modes:
            raise ValueError(
                f"padding_mode should be one of {sorted(self._modes)}, got {padding_mode!r}"
            )
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def _pads(self) -> tuple[int, int, int, int]:
        p = self.padding
        if p is None:
            return 0, 0, 0, 0
        if isinstance(p, numbers.Integral):
            return (int(p),) * 4
        p = [int(v) for v in p]
        if len(p) == 1:
            return (p[0],) * 4
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return p[0], p[1], p[2], p[3]

    def __call__(self, image):
        array, wrap = _unwrap(image)
        _check_chw(array, "RandomCrop")
        xp = _xp(array)
        left, top, right, bottom = self._pads()
        th, tw = self.size
        h, w = array.shape[-2] + top + bottom, array.shape[-1] + left + right
        if self.pad_if_needed:
            top, bottom = top + max(0, th - h), bottom + max(0, th - h)
            left, right = left + max(0, tw - w), right + max(0, tw - w)
            h, w = array.shape[-2] + top + bottom, array.shape[-1] + left + right
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than the input image size {(h, w)} "
                f"(after padding); pass padding= or pad_if_needed=True"
            )
        if top or bottom or left or right:
            widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
            kwargs = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
            array = xp.pad(array, widths, mode=self.padding_mode, **kwargs)
        gen = _numpy_generator(self.generator)
        i = int(gen.integers(0, h - th + 1))
        j = int(gen.integers(0, w - tw + 1))
        return wrap(xp.ascontiguousarray(array[..., i : i + th, j : j + tw]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``.

    Mirrors ``torchvision.transforms.RandomHorizontalFlip(p=0.5)``. Beyond torchvision:
    ``generator=`` seeds the draws.
    """

    def __init__(self, p: float = 0.5, *, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p should be a probability in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, image):
        array, wrap = _unwrap(image)
        _check_chw(array, "RandomHorizontalFlip")
        if _numpy_generator(self.generator).random() < self.p:
            xp = _xp(array)
            return wrap(xp.ascontiguousarray(array[..., ::-1]))
        return image

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class GaussianNoise:
    """Add i.i.d. Gaussian noise ``N(mean, sigma^2)`` to every pixel, then clip to [0, 1].

    Mirrors ``torchvision.transforms.v2.GaussianNoise(mean=0.0, sigma=0.1, clip=True)``
    (apply it before ``Normalize``, on [0, 1] images). Beyond torchvision: ``generator=``
    seeds the draws.
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True, *, generator=None):
        if sigma < 0:
            raise ValueError(f"sigma shouldn't be negative, got {sigma}")
        self.mean = float(mean)
        self.sigma = float(sigma)
        self.clip = clip
        self.generator = generator

    def __call__(self, image):
        array, wrap = _unwrap(image)
        if array.dtype.kind != "f":
            raise TypeError(f"GaussianNoise needs a float image, got dtype {array.dtype}")
        gen = _numpy_generator(self.generator)
        noise = gen.normal(self.mean, self.sigma, size=array.shape).astype(array.dtype)
        out = array + _xp(array).asarray(noise)
        if self.clip:
            out = out.clip(0.0, 1.0)
        return wrap(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


class Lambda:
    """Apply a user function. Mirrors ``torchvision.transforms.Lambda``."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, image):
        return self.lambd(image)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
