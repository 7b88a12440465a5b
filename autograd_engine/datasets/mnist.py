"""``MNIST`` and ``FashionMNIST`` read from their IDX files (gzipped or not) in a local
folder, and ``read_idx``, the IDX reader."""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from autograd_engine.datasets.vision import VisionDataset, find_file

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type codes -> big-endian NumPy dtypes (http://yann.lecun.com/exdb/mnist/, "file formats").
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str, where: str = "") -> np.ndarray:
    """Read an IDX file (``.gz`` or plain) into a NumPy array in native byte order.

    Raises ``RuntimeError`` naming ``path`` when the file is not IDX, is truncated, has
    trailing bytes, has a header whose dimensions cannot be right, or is a corrupt ``.gz``;
    ``where`` (how to get a good copy) is appended to the message.
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        # NOTE: a damaged deflate stream raises zlib.error, which is not an OSError.
        raise RuntimeError(
            f"Cannot read {path!r}: {exc}. The file is corrupt (an interrupted download?): "
            f"delete it and download it again. {where}"
        ) from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path!r} is not an IDX file (bad magic number). {where}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path!r} is truncated: its header is incomplete. {where}")
    # The IDX dimensions are 32-bit big-endian sizes; read them unsigned and do the size
    # arithmetic in Python integers, so nothing wraps around.
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    for axis, size in enumerate(shape):
        if size >= 2**31:
            raise RuntimeError(
                f"{path!r} is corrupt: its header's dimension {axis} is {size} (as a signed "
                f"32-bit integer, {size - 2**32}), not a size. {where}"
            )
    dtype = _IDX_TYPES[raw[2]]
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise RuntimeError(
            f"{path!r} is truncated: its header promises shape {shape} ({expected} bytes of "
            f"data) but the file holds {found}. {where}"
        )
    if found > expected:
        raise RuntimeError(
            f"{path!r} is corrupt: {found - expected} bytes follow the {shape} array its "
            f"header describes. {where}"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images, 28x28), read
    from the four IDX files in a local folder.

    Mirrors ``torchvision.datasets.MNIST``, except that nothing is downloaded and images come
    out as float32 arrays ``(1, 28, 28)`` in [0, 1] (see ``VisionDataset``). The files
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each plain or ``.gz``) are looked for in ``root``, then in
    ``root/MNIST/raw`` (torchvision's layout) and ``root/MNIST``.

    Args:
        root: the folder holding the files.
        train: the training files if True, else the t10k (test) files.
        transform: applied to each image.
        target_transform: applied to each label.
        download: must be False; a missing file raises ``FileNotFoundError`` that says where
            to get it.

    Example::

        >>> train = MNIST("~/data", train=True)
    """

    classes = [f"{d} - {name}" for d, name in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )]  # fmt: skip
    mean, std = (0.1307,), (0.3081,)
    url = "https://ossci-datasets.s3.amazonaws.com/mnist/"

    def __init__(
        self,
        root,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ):
        super().__init__(root, transform, target_transform)
        name = type(self).__name__
        if download:
            raise RuntimeError(
                f"{name}(download=True): downloading is not supported. {self._where()}"
            )
        self.train = train
        prefix = "train" if train else "t10k"
        images = self._read(f"{prefix}-images-idx3-ubyte")
        labels = self._read(f"{prefix}-labels-idx1-ubyte")
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(
                f"{name}: the {prefix} files disagree: images have shape {images.shape}, "
                f"labels {labels.shape} (expected (N, H, W) and (N,)). {self._where()}"
            )
        self.data = images.astype(np.uint8, copy=False)
        self.targets = labels.astype(np.int64)

    def _where(self) -> str:
        folder = "the folder passed as root"
        if self.root is not None:
            raw = os.path.join(self.root, type(self).__name__, "raw")
            folder = f"{self.root!r} (or {raw!r})"
        return (
            f"Get the four {type(self).__name__} IDX files (train-images-idx3-ubyte.gz, "
            f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
            f"from {self.url} and put them in {folder}."
        )

    def _read(self, stem: str) -> np.ndarray:
        name = type(self).__name__
        path = find_file(
            name, self.root, [stem, stem + ".gz"], [os.path.join(name, "raw"), name], self._where()
        )
        return read_idx(path, self._where())


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (70,000 28x28 grayscale images of 10 kinds of clothing),
    in MNIST's IDX format and file names.

    Mirrors ``torchvision.datasets.FashionMNIST``; files are looked for in ``root``,
    ``root/FashionMNIST/raw`` and ``root/FashionMNIST``. See ``MNIST`` for the arguments.
    """

    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip
    mean, std = (0.2860,), (0.3530,)
    url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
