"""``autograd_engine.backends`` (``torch.backends``): switches for the array libraries under the
engine. ``import autograd_engine.backends.cudnn`` works as ``import torch.backends.cudnn``."""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
