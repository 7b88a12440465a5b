"""``autograd_engine.cpu`` (``torch.cpu``): the CPU's ``amp`` forms."""

from . import amp

__all__ = ["amp"]
