"""``autograd_engine.jit.annotations`` (``torch.jit.annotations``): the typing names that
TorchScript-compatible code imports from here (plain ``typing`` names: nothing is scripted)."""

from typing import Any, Callable, Dict, List, Optional, Tuple, Union  # noqa: UP035

__all__ = ["Any", "Callable", "Dict", "List", "Optional", "Tuple", "Union"]
