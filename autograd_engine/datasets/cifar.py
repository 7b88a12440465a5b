"""``CIFAR10`` read from the "python version" pickle batches, with an unpickler that only
builds plain data (dicts, lists, strings, numbers and NumPy arrays)."""

from __future__ import annotations

import os
import pickle

import numpy as np

from autograd_engine.datasets.vision import VisionDataset, find_file

__all__ = ["CIFAR10", "load_pickle_batch"]

# The only globals a CIFAR batch needs: what NumPy's pickling of an ndarray refers to, and
# the bytes constructor that Python 3 writes for protocol 2.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any class or function other than NumPy's array
    reconstruction is refused, so loading a file can never run code."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load global {module}.{name}: a CIFAR batch holds only plain data"
        )


def load_pickle_batch(path: str, where: str = "") -> dict:
    """Load one CIFAR pickle batch (a dict) with the restricted unpickler; keys come back
    as ``str``. Raises ``RuntimeError`` naming ``path`` if it is truncated, corrupt or
    holds anything but plain data."""
    try:
        with open(path, "rb") as f:
            obj = _DataUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise RuntimeError(
            f"Cannot load {path!r}: the file is truncated, corrupt or not a CIFAR batch "
            f"({type(exc).__name__}: {exc}). {where}"
        ) from exc
    if not isinstance(obj, dict):
        raise RuntimeError(
            f"{path!r} is not a CIFAR batch: expected a dict, got {type(obj).__name__}. {where}"
        )
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


class CIFAR10(VisionDataset):
    """CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 training, 10,000 test),
    read from the python-version batches in a local folder.

    Mirrors ``torchvision.datasets.CIFAR10``, except that nothing is downloaded and images
    come out as float32 arrays ``(3, 32, 32)`` in [0, 1] (see ``VisionDataset``). ``data``
    is uint8 ``(N, 32, 32, 3)`` as in torchvision. The batches ``data_batch_1`` ...
    ``data_batch_5`` and ``test_batch`` are looked for in ``root/cifar-10-batches-py`` (the
    folder the archive unpacks to) and in ``root``. They are pickles; they are read with an
    unpickler that refuses every global but NumPy's array reconstruction, so a tampered file
    cannot run code.

    Args:
        root: the folder holding ``cifar-10-batches-py`` (or the batches themselves).
        train: the five training batches if True, else ``test_batch``.
        transform: applied to each image.
        target_transform: applied to each label.
        download: must be False.

    Example::

        >>> test = CIFAR10("~/data", train=False)
    """

    classes = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]  # fmt: skip
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]

    def __init__(
        self,
        root,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ):
        super().__init__(root, transform, target_transform)
        if download:
            raise RuntimeError(
                f"CIFAR10(download=True): downloading is not supported. {self._where()}"
            )
        self.train = train
        images, labels = [], []
        for name in self.train_list if train else self.test_list:
            path = self._find(name)
            entry = load_pickle_batch(path, self._where())
            data = np.asarray(entry.get("data"))
            targets = entry.get("labels", entry.get("fine_labels"))
            if data.ndim != 2 or data.shape[1] != 3072 or targets is None:
                raise RuntimeError(
                    f"{path!r} is not a CIFAR-10 batch: expected 'data' of shape (N, 3072) and "
                    f"'labels', got data of shape {data.shape}. {self._where()}"
                )
            if len(targets) != len(data):
                raise RuntimeError(
                    f"{path!r} is corrupt: {len(data)} images but {len(targets)} labels. "
                    f"{self._where()}"
                )
            images.append(data.astype(np.uint8, copy=False))
            labels.append(np.asarray(targets, dtype=np.int64))
        self.data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets = np.concatenate(labels)

    def _where(self) -> str:
        return f"Download {self.url} and unpack it into root (it makes {self.base_folder}/)."

    def _find(self, name: str) -> str:
        root = self.root
        subdirs = [self.base_folder]
        if root is not None:  # prefer root/cifar-10-batches-py, then root
            found = os.path.join(root, self.base_folder, name)
            if os.path.isfile(found):
                return found
        return find_file("CIFAR10", root, [name], subdirs, self._where())
