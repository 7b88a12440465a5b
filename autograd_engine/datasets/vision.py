"""The base class of the image datasets: raw images kept as uint8 arrays, served one at a
time (through ``transform``) or a whole batch at once (for the DataLoader's fast path)."""

from __future__ import annotations

import os

import numpy as np

from autograd_engine.utils.data import Dataset

__all__ = ["VisionDataset", "find_file"]


class VisionDataset(Dataset):
    """An image-classification dataset held in memory.

    Like torchvision's datasets: ``data`` holds the raw images (a uint8 NumPy array),
    ``targets`` the labels (int64), ``classes`` the class names, and ``dataset[i]`` is
    ``(image, target)`` with ``transform`` applied to the image and ``target_transform`` to
    the label.

    Unlike torchvision (which returns PIL images and needs ``ToTensor``), an image comes out
    as a float32 NumPy array of shape ``(C, H, W)`` scaled to [0, 1]: what ``ToTensor()``
    would give, ready for the transforms in ``autograd_engine.datasets.transforms``.
    """

    classes: list[str] = []
    #: the largest raw pixel value (255 for 8-bit images), mapped to 1.0
    pixel_max: float = 255.0

    def __init__(self, root=None, transform=None, target_transform=None):
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform
        self.data: np.ndarray
        self.targets: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def _images(self, raw: np.ndarray) -> np.ndarray:
        """Raw images (N, H, W) or (N, H, W, C) as float32 (N, C, H, W) in [0, 1]."""
        if raw.ndim == 3:
            raw = raw[:, None, :, :]
        else:
            raw = raw.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(raw, dtype=np.float32) / np.float32(self.pixel_max)

    def __getitem__(self, index: int):
        image = self._images(self.data[index][None])[0]
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    @property
    def _get_batch(self):
        # NOTE: a whole batch at once only when no per-sample transform has to run.
        if self.transform is not None or self.target_transform is not None:
            raise AttributeError("_get_batch")
        return self._batch

    def _batch(self, indices: np.ndarray):
        import autograd_engine as ag

        images = self._images(self.data[indices])
        return ag.from_numpy(images), ag.from_numpy(self.targets[indices].astype(np.int64))

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        split = getattr(self, "train", None)
        if split is not None:
            lines.append(f"    Split: {'Train' if split else 'Test'}")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


def find_file(dataset: str, root: str | None, names: list[str], subdirs: list[str], where: str):
    """The first of ``names`` found in ``root`` or one of its ``subdirs``.

    Raises ``FileNotFoundError`` naming the file, the folders searched and where to get it.
    """
    if root is None:
        raise ValueError(
            f"{dataset} needs root=, the folder holding its files (nothing is downloaded). {where}"
        )
    folders = [root] + [os.path.join(root, d) for d in subdirs]
    for folder in folders:
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(
        f"{dataset}: file {names[0]!r} not found in {', '.join(repr(f) for f in folders)}. {where}"
    )
