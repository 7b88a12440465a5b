"""``autograd_engine.utils.hooks`` (``torch.utils.hooks``): the handle every hook registration
returns."""

from ..hooks import RemovableHandle

__all__ = ["RemovableHandle"]
