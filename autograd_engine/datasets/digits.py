"""``Digits``: the 8x8 handwritten digits bundled with the package (1,797 images, the UCI
optical-recognition digits as scikit-learn ships them)."""

from __future__ import annotations

import gzip
import os
from importlib import resources

import numpy as np

from autograd_engine.datasets.vision import VisionDataset

__all__ = ["Digits"]

_FILE = "digits.csv.gz"


def _load_bundled() -> tuple[np.ndarray, np.ndarray]:
    ref = resources.files("autograd_engine.datasets").joinpath("data", _FILE)
    with resources.as_file(ref) as path:
        return _load_csv(os.fspath(path))


def _load_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError) as exc:
        raise RuntimeError(
            f"Digits: cannot read {path!r} ({exc}). The file ships with autograd_engine; "
            "reinstall the package to restore it."
        ) from exc
    if table.ndim != 2 or table.shape[1] != 65:
        raise RuntimeError(
            f"Digits: {path!r} should have 65 columns (64 pixels and a label), "
            f"got shape {table.shape}; reinstall the package to restore it."
        )
    images = table[:, :64].reshape(-1, 8, 8).astype(np.uint8)
    return images, table[:, 64].copy()


def test_mask(targets: np.ndarray) -> np.ndarray:
    """The fixed test split: within each class, in file order, every fifth image."""
    mask = np.zeros(len(targets), dtype=bool)
    for c in np.unique(targets):
        mask[np.flatnonzero(targets == c)[4::5]] = True
    return mask


class Digits(VisionDataset):
    """The 8x8 handwritten digits: 1,797 grayscale images of the digits 0-9, bundled.

    This is the test set of the UCI "Optical Recognition of Handwritten Digits" data set
    (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0), in the copy that scikit-learn ships
    (``sklearn/datasets/data/digits.csv.gz``, BSD-3-Clause). Each image is a 32x32 bitmap
    reduced to 8x8 blocks counting the ink pixels, so raw values are integers 0..16.

    The split is fixed and stratified: within each class, in file order, every fifth image
    (the 5th, 10th, ...) is in the test set -- 355 test and 1,442 training images, with the
    classes in the same proportions in both.

    ``dataset[i]`` is ``(image, label)``: a float32 array of shape ``(1, 8, 8)`` in [0, 1]
    (raw value / 16), passed through ``transform``, and an int label. ``data`` holds the raw
    uint8 images ``(N, 8, 8)`` and ``targets`` the labels.

    Args:
        root: ignored (the data ships inside the package); accepted for the torchvision
            signature.
        train: the training split if True, else the test split.
        transform: applied to each image.
        target_transform: applied to each label.
        download: ignored (nothing to download).

    Example::

        >>> from autograd_engine.datasets import Digits
        >>> train = Digits(train=True)
        >>> image, label = train[0]          # (1, 8, 8) float32, int
    """

    classes = [str(d) for d in range(10)]
    pixel_max = 16.0
    #: mean and standard deviation of the training pixels (after scaling to [0, 1])
    mean, std = (0.3051,), (0.3762,)

    def __init__(
        self,
        root=None,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ):
        super().__init__(root, transform, target_transform)
        self.train = train
        images, labels = _load_bundled()
        keep = ~test_mask(labels) if train else test_mask(labels)
        self.data = images[keep]
        self.targets = labels[keep]
