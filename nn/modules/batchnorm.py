"""``nn.modules.batchnorm`` (``torch.nn.modules.batchnorm``): the batch-norm classes under
PyTorch's module path, for code that checks ``isinstance(m, _BatchNorm)`` or imports from
there. They are defined in ``nn.modules.normalization`` and ``nn.modules.lazy``."""

from __future__ import annotations

from .lazy import LazyBatchNorm1d, LazyBatchNorm2d
from .normalization import (  # noqa: F401 - _BatchNorm, _NormBase: PyTorch's private bases
    BatchNorm1d,
    BatchNorm2d,
    SyncBatchNorm,
    _BatchNorm,
    _NormBase,
)

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "SyncBatchNorm",
]  # fmt: skip
