"""Datasets with torchvision's names: ``Digits`` (bundled), ``MNIST``, ``FashionMNIST`` and
``CIFAR10`` (read from local files), the ``transforms`` module, and character-level text:
``CharDataset`` and ``ShakespeareChar`` (bundled).

The 8x8 digits ship in ``autograd_engine/datasets/data/digits.csv.gz``: the UCI "Optical
Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0) as
scikit-learn distributes it (BSD-3-Clause). See ``data/README.md``.
"""

from autograd_engine.datasets import transforms
from autograd_engine.datasets.cifar import CIFAR10
from autograd_engine.datasets.digits import Digits
from autograd_engine.datasets.mnist import MNIST, FashionMNIST, read_idx
from autograd_engine.datasets.text import CharDataset, ShakespeareChar
from autograd_engine.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CharDataset",
    "Digits",
    "FashionMNIST",
    "MNIST",
    "ShakespeareChar",
    "VisionDataset",
    "read_idx",
    "transforms",
]
