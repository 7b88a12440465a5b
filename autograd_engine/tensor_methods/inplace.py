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
        """In-place ``neg`` (``torch.Tensor.neg_``)."""
        return _t._inplace.unary_(self, _t._ops.neg)

    def exp_(self) -> Tensor:
        """In-place ``exp`` (``torch.Tensor.exp_``)."""
        return _t._inplace.unary_(self, _t._ops.exp)

    def log_(self) -> Tensor:
        """In-place ``log`` (``torch.Tensor.log_``)."""
        return _t._inplace.unary_(self, _t._ops.log)

    def sqrt_(self) -> Tensor:
        """In-place ``sqrt`` (``torch.Tensor.sqrt_``)."""
        return _t._inplace.unary_(self, _t._ops.sqrt)

    def abs_(self) -> Tensor:
        """In-place ``abs`` (``torch.Tensor.abs_``)."""
        return _t._inplace.unary_(self, _t._ops.abs)

    def pow_(self, exponent) -> Tensor:
        """In-place ``pow`` (``torch.Tensor.pow_``)."""
        return _t._inplace.unary_(self, lambda a: _t._ops.pow(a, exponent))

    def relu_(self) -> Tensor:
        """In-place ``relu`` (``torch.Tensor.relu_``)."""
        return _t._inplace.unary_(self, _t._ops.relu)

    def sigmoid_(self) -> Tensor:
        """In-place ``sigmoid`` (``torch.Tensor.sigmoid_``)."""
        return _t._inplace.unary_(self, _t._ops.sigmoid)

    def tanh_(self) -> Tensor:
        """In-place ``tanh`` (``torch.Tensor.tanh_``)."""
        return _t._inplace.unary_(self, _t._ops.tanh)

    def square_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.square)

    def rsqrt_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.rsqrt)

    def reciprocal_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.reciprocal)

    def sign_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.sign)

    def sin_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.sin)

    def cos_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.cos)

    def tan_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.tan)

    def log1p_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.log1p)

    def expm1_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.expm1)

    def log2_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.log2)

    def erf_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.erf)

    def erfinv_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.erfinv)

    def floor_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.floor)

    def ceil_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.ceil)

    def round_(self, decimals=0) -> Tensor:
        return _t._inplace.unary_(self, lambda a: _t._ops.round(a, decimals=decimals))

    def trunc_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.trunc)

    def frac_(self) -> Tensor:
        return _t._inplace.unary_(self, _t._ops.frac)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        return _t._inplace.unary_(self, lambda a: _t._ops.nan_to_num(a, nan, posinf, neginf))

    def clamp_min_(self, min) -> Tensor:
        return _t._inplace.clamp_(self, min, None)

    def clamp_max_(self, max) -> Tensor:
        return _t._inplace.clamp_(self, None, max)

    def tril_(self, diagonal=0) -> Tensor:
        return _t._inplace.unary_(self, lambda a: _t._ops.tril(a, diagonal))

    def triu_(self, diagonal=0) -> Tensor:
        return _t._inplace.unary_(self, lambda a: _t._ops.triu(a, diagonal))

    def fill_diagonal_(self, fill_value, wrap=False) -> Tensor:
        """Fill the main diagonal (of a 2-D tensor, or of all-equal dims) in place
        (``torch.Tensor.fill_diagonal_``); ``wrap`` continues below a tall matrix's square."""
        return _t._inplace.fill_diagonal_(self, fill_value, wrap)

    # --- binary, in place ------------------------------------------------------------------------
    def _binary_(self, fn, other) -> Tensor:
        other = _t._operand(other, self)
        return _t._inplace.apply_(self, fn, (other,))

    def lerp_(self, end, weight) -> Tensor:
        tensors = (end,) if not isinstance(weight, _t.Tensor) else (end, weight)
        if len(tensors) == 1:
            return _t._inplace.apply_(self, lambda a, e: _t._ops.lerp(a, e, weight), tensors)
        return _t._inplace.apply_(self, lambda a, e, w: _t._ops.lerp(a, e, w), tensors)

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return _t._inplace.apply_(
            self, lambda a, x, y: _t._ops.addcmul(a, x, y, value=value), (tensor1, tensor2)
        )

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return _t._inplace.apply_(
            self, lambda a, x, y: _t._ops.addcdiv(a, x, y, value=value), (tensor1, tensor2)
        )

    def fmod_(self, other) -> Tensor:
        return self._binary_(_t._ops.fmod, other)

    def remainder_(self, other) -> Tensor:
        return self._binary_(_t._ops.remainder, other)

    def atan2_(self, other) -> Tensor:
        return self._binary_(_t._ops.atan2, other)

    def hypot_(self, other) -> Tensor:
        return self._binary_(_t._ops.hypot, other)

    def maximum_(self, other) -> Tensor:
        return self._binary_(_t._ops.maximum, other)

    def eq_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__eq__", other)

    def ne_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__ne__", other)

    def lt_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__lt__", other)

    def le_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__le__", other)

    def gt_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__gt__", other)

    def ge_(self, other) -> Tensor:
        return _t._inplace.compare_(self, "__ge__", other)

    def logical_not_(self) -> Tensor:
        return _t._inplace.compare_(self, "logical_not", None)

    def bitwise_and_(self, other) -> Tensor:
        return self._binary_(_t._ops.bitwise_and, other)

    def bitwise_or_(self, other) -> Tensor:
        return self._binary_(_t._ops.bitwise_or, other)

    def bitwise_xor_(self, other) -> Tensor:
        return self._binary_(_t._ops.bitwise_xor, other)

    # --- indexing, in place (ops/index.py) -------------------------------------------------------
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
        return _t._ops.scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return _t._ops.scatter_add_(self, dim, index, src)

    def index_fill_(self, dim, index, value) -> Tensor:
        return _t._ops.index_fill_(self, dim, index, value)

    def index_add_(self, dim, index, source, *, alpha=1) -> Tensor:
        return _t._ops.index_add_(self, dim, index, source, alpha=alpha)

    def index_copy_(self, dim, index, source) -> Tensor:
        return _t._ops.index_copy_(self, dim, index, source)

    def index_put_(self, indices, values, accumulate=False) -> Tensor:
        return _t._ops.index_put_(self, indices, values, accumulate)

    def masked_fill_(self, mask, value) -> Tensor:
        return _t._ops.masked_fill_(self, mask, value)

    def masked_scatter_(self, mask, source) -> Tensor:
        return _t._ops.masked_scatter_(self, mask, source)

    # --- random fills (ops/random.py) ------------------------------------------------------------
    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        return _t._ops.bernoulli_(self, p, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None, **kwargs) -> Tensor:
        return _t._ops.random_(self, from_, to, generator=generator, **kwargs)

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        return _t._ops.exponential_(self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None) -> Tensor:
        return _t._ops.geometric_(self, p, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
        return _t._ops.cauchy_(self, median, sigma, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
        return _t._ops.log_normal_(self, mean, std, generator=generator)

    # --- shape, in place: the tensor takes the new view's shape and history ----------------------
    def unsqueeze_(self, dim) -> Tensor:
        return _t._inplace.reshape_(self, lambda a: a.unsqueeze(dim), "UnsqueezeBackward1")

    def squeeze_(self, dim=None) -> Tensor:
        return _t._inplace.reshape_(self, lambda a: a.squeeze(dim), "SqueezeBackward2")

    def t_(self) -> Tensor:
        return _t._inplace.reshape_(self, lambda a: a.t(), "TBackward1")

    def transpose_(self, dim0, dim1) -> Tensor:
        return _t._inplace.reshape_(self, lambda a: a.transpose(dim0, dim1), "TransposeBackward1")

    def swapaxes_(self, axis0, axis1) -> Tensor:
        return self.transpose_(axis0, axis1)
