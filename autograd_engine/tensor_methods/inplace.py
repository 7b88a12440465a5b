"""Tensor methods that write in place (``add_``, ``fill_``, ...): delegations to
``ops/inplace.py``, which writes into the tensor's array and bumps its version counter
(``Tensor`` inherits them from ``InplaceMethods``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time

if TYPE_CHECKING:
    from ..tensor import Tensor


class InplaceMethods:
    __slots__ = ()

    def add_(self, other, alpha=1) -> Tensor:
        """``self += alpha * other`` in place (``torch.Tensor.add_``)."""
        return _t._inplace.add_(self, other, alpha)

    def sub_(self, other, alpha=1) -> Tensor:
        """``self -= alpha * other`` in place (``torch.Tensor.sub_``)."""
        return _t._inplace.sub_(self, other, alpha)

    def mul_(self, other) -> Tensor:
        """``self *= other`` in place (``torch.Tensor.mul_``)."""
        return _t._inplace.mul_(self, other)

    def div_(self, other, rounding_mode=None) -> Tensor:
        """``self /= other`` in place (``torch.Tensor.div_``)."""
        return _t._inplace.div_(self, other, rounding_mode)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (``torch.Tensor.zero_``)."""
        return _t._inplace.zero_(self)

    def fill_(self, value) -> Tensor:
        """Fill with a number or a 0-d tensor in place (``torch.Tensor.fill_``)."""
        return _t._inplace.fill_(self, value)

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        """Copy ``src`` (broadcast, cast, moved across devices) into self
        (``torch.Tensor.copy_``)."""
        return _t._inplace.copy_(self, src)

    def clamp_(self, min=None, max=None) -> Tensor:
        """Clamp into [min, max] in place (``torch.Tensor.clamp_``)."""
        return _t._inplace.clamp_(self, min, max)

    clip_ = clamp_

    def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs) -> Tensor:
        """Fill with samples from U[from, to) (``torch.Tensor.uniform_``); ``from=`` is also
        accepted as a keyword, and ``generator`` defaults to the device's generator."""
        from_ = kwargs.pop("from", from_)
        if kwargs:
            raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kwargs)}")
        return _t._inplace.uniform_(self, from_, to, generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2) (``torch.Tensor.normal_``)."""
        return _t._inplace.normal_(self, mean, std, generator)

    def neg_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.neg)

    def exp_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.exp)

    def log_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.log)

    def sqrt_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.sqrt)

    def abs_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.abs)

    def pow_(self, exponent) -> Tensor:
        return _t._inplace.unary_(self, lambda a: _t._ops.pow(a, exponent))

    def relu_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.relu)

    def sigmoid_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.sigmoid)

    def tanh_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.tanh)
