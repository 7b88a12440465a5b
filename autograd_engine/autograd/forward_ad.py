"""``autograd.forward_ad`` (``torch.autograd.forward_ad``): forward-mode AD with dual tensors is
not implemented by this engine, which is reverse-mode only. Every name here raises
``NotImplementedError`` saying what to use instead:
``autograd.functional.jvp`` (and ``jacobian``, ``hvp``) compute the same products with reverse
mode (the double-backward trick)."""

from __future__ import annotations

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
           "UnpackedDualTensor"]  # fmt: skip

_MESSAGE = (
    "autograd_engine does not implement forward-mode AD ({name}): the engine is reverse-mode "
    "only. Use autograd_engine.autograd.functional.jvp(func, inputs, v) for a Jacobian-vector "
    "product (computed with two reverse passes), or functional.jacobian / hvp."
)


def _unsupported(name: str):
    raise NotImplementedError(_MESSAGE.format(name=f"autograd.forward_ad.{name}"))


class dual_level:
    """Raises NotImplementedError: forward-mode AD is not implemented (see the module doc)."""

    def __init__(self):
        _unsupported("dual_level")


def make_dual(tensor, tangent, *, level=None):
    """Raises NotImplementedError: forward-mode AD is not implemented (see the module doc)."""
    _unsupported("make_dual")


def unpack_dual(tensor, *, level=None):
    """Raises NotImplementedError: forward-mode AD is not implemented (see the module doc)."""
    _unsupported("unpack_dual")


def enter_dual_level():
    _unsupported("enter_dual_level")


def exit_dual_level(*, level=None):
    _unsupported("exit_dual_level")


class UnpackedDualTensor:
    """Raises NotImplementedError: forward-mode AD is not implemented (see the module doc)."""

    def __init__(self, *args, **kwargs):
        _unsupported("UnpackedDualTensor")
