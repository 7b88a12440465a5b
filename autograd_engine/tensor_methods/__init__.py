"""The Tensor's methods in groups, one mixin class per module, so that ``tensor.py`` keeps the
class's core (attributes, operators, autograd, conversion, printing). Each method delegates to
``ops``; the mixins read ``ops`` through the ``tensor`` module at call time, because the ops
need ``Tensor`` defined before they can be imported."""

from .elementwise import ElementwiseMethods
from .inplace import InplaceMethods
from .matrix import MatrixMethods
from .memory import MemoryMethods
from .reductions import ReductionMethods
from .shaping import ShapeMethods

__all__ = [
    "ElementwiseMethods", "InplaceMethods", "MatrixMethods", "MemoryMethods", "ReductionMethods",
    "ShapeMethods",
]  # fmt: skip
