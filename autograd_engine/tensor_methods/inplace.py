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
        """In-place ``square`` (``torch.Tensor.square_``)."""
        return _t._inplace.unary_(self, _t._ops.square)

    def rsqrt_(self) -> Tensor:
        """In-place ``rsqrt`` (``torch.Tensor.rsqrt_``)."""
        return _t._inplace.unary_(self, _t._ops.rsqrt)

    def reciprocal_(self) -> Tensor:
        """In-place ``reciprocal`` (``torch.Tensor.reciprocal_``)."""
        return _t._inplace.unary_(self, _t._ops.reciprocal)

    def sign_(self) -> Tensor:
        """In-place ``sign`` (``torch.Tensor.sign_``)."""
        return _t._inplace.unary_(self, _t._ops.sign)

    def sin_(self) -> Tensor:
        """In-place ``sin`` (``torch.Tensor.sin_``)."""
        return _t._inplace.unary_(self, _t._ops.sin)

    def cos_(self) -> Tensor:
        """In-place ``cos`` (``torch.Tensor.cos_``)."""
        return _t._inplace.unary_(self, _t._ops.cos)

    def tan_(self) -> Tensor:
        """In-place ``tan`` (``torch.Tensor.tan_``)."""
        return _t._inplace.unary_(self, _t._ops.tan)

    def log1p_(self) -> Tensor:
        """In-place ``log1p`` (``torch.Tensor.log1p_``)."""
        return _t._inplace.unary_(self, _t._ops.log1p)

    def expm1_(self) -> Tensor:
        """In-place ``expm1`` (``torch.Tensor.expm1_``)."""
        return _t._inplace.unary_(self, _t._ops.expm1)

    def log2_(self) -> Tensor:
        """In-place ``log2`` (``torch.Tensor.log2_``)."""
        return _t._inplace.unary_(self, _t._ops.log2)

    def erf_(self) -> Tensor:
        """In-place ``erf`` (``torch.Tensor.erf_``)."""
        return _t._inplace.unary_(self, _t._ops.erf)

    def erfinv_(self) -> Tensor:
        """In-place ``erfinv`` (``torch.Tensor.erfinv_``)."""
        return _t._inplace.unary_(self, _t._ops.erfinv)

    def floor_(self) -> Tensor:
        """In-place ``floor`` (``torch.Tensor.floor_``)."""
        return _t._inplace.unary_(self, _t._ops.floor)

    def ceil_(self) -> Tensor:
        """In-place ``ceil`` (``torch.Tensor.ceil_``)."""
        return _t._inplace.unary_(self, _t._ops.ceil)

    def round_(self, decimals=0) -> Tensor:
        """In-place ``round`` (``torch.Tensor.round_``)."""
        return _t._inplace.unary_(self, lambda a: _t._ops.round(a, decimals=decimals))

    def trunc_(self) -> Tensor:
        """In-place ``trunc`` (``torch.Tensor.trunc_``)."""
        return _t._inplace.unary_(self, _t._ops.trunc)

    def frac_(self) -> Tensor:
        """In-place ``frac`` (``torch.Tensor.frac_``)."""
        return _t._inplace.unary_(self, _t._ops.frac)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        """In-place ``nan_to_num`` (``torch.Tensor.nan_to_num_``)."""
        return _t._inplace.unary_(self, lambda a: _t._ops.nan_to_num(a, nan, posinf, neginf))

    def clamp_min_(self, min) -> Tensor:
        """In-place ``clamp_min`` (``torch.Tensor.clamp_min_``)."""
        return _t._inplace.clamp_(self, min, None)

    def clamp_max_(self, max) -> Tensor:
        """In-place ``clamp_max`` (``torch.Tensor.clamp_max_``)."""
        return _t._inplace.clamp_(self, None, max)

    def tril_(self, diagonal=0) -> Tensor:
        """In-place ``tril`` (``torch.Tensor.tril_``)."""
        return _t._inplace.unary_(self, lambda a: _t._ops.tril(a, diagonal))

    def triu_(self, diagonal=0) -> Tensor:
        """In-place ``triu`` (``torch.Tensor.triu_``)."""
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
        """In-place ``lerp`` (``torch.Tensor.lerp_``)."""
        tensors = (end,) if not isinstance(weight, _t.Tensor) else (end, weight)
        if len(tensors) == 1:
            return _t._inplace.apply_(self, lambda a, e: _t._ops.lerp(a, e, weight), tensors)
        return _t._inplace.apply_(self, lambda a, e, w: _t._ops.lerp(a, e, w), tensors)

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """In-place ``addcmul`` (``torch.Tensor.addcmul_``)."""
        return _t._inplace.apply_(
            self, lambda a, x, y: _t._ops.addcmul(a, x, y, value=value), (tensor1, tensor2)
        )

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """In-place ``addcdiv`` (``torch.Tensor.addcdiv_``)."""
        return _t._inplace.apply_(
            self, lambda a, x, y: _t._ops.addcdiv(a, x, y, value=value), (tensor1, tensor2)
        )

    def fmod_(self, other) -> Tensor:
        """In-place ``fmod`` (``torch.Tensor.fmod_``)."""
        return self._binary_(_t._ops.fmod, other)

    def remainder_(self, other) -> Tensor:
        """In-place ``remainder`` (``torch.Tensor.remainder_``)."""
        return self._binary_(_t._ops.remainder, other)

    def atan2_(self, other) -> Tensor:
        """In-place ``atan2`` (``torch.Tensor.atan2_``)."""
        return self._binary_(_t._ops.atan2, other)

    def hypot_(self, other) -> Tensor:
        """In-place ``hypot`` (``torch.Tensor.hypot_``)."""
        return self._binary_(_t._ops.hypot, other)

    def maximum_(self, other) -> Tensor:
        """In-place ``maximum`` (``torch.Tensor.maximum_``)."""
        return self._binary_(_t._ops.maximum, other)

    def eq_(self, other) -> Tensor:
        """In-place ``eq`` (``torch.Tensor.eq_``)."""
        return _t._inplace.compare_(self, "__eq__", other)

    def ne_(self, other) -> Tensor:
        """In-place ``ne`` (``torch.Tensor.ne_``)."""
        return _t._inplace.compare_(self, "__ne__", other)

    def lt_(self, other) -> Tensor:
        """In-place ``lt`` (``torch.Tensor.lt_``)."""
        return _t._inplace.compare_(self, "__lt__", other)

    def le_(self, other) -> Tensor:
        """In-place ``le`` (``torch.Tensor.le_``)."""
        return _t._inplace.compare_(self, "__le__", other)

    def gt_(self, other) -> Tensor:
        """In-place ``gt`` (``torch.Tensor.gt_``)."""
        return _t._inplace.compare_(self, "__gt__", other)

    def ge_(self, other) -> Tensor:
        """In-place ``ge`` (``torch.Tensor.ge_``)."""
        return _t._inplace.compare_(self, "__ge__", other)

    def logical_not_(self) -> Tensor:
        """In-place ``logical_not`` (``torch.Tensor.logical_not_``)."""
        return _t._inplace.compare_(self, "logical_not", None)

    def bitwise_and_(self, other) -> Tensor:
        """In-place ``bitwise_and`` (``torch.Tensor.bitwise_and_``)."""
        return self._binary_(_t._ops.bitwise_and, other)

    def bitwise_or_(self, other) -> Tensor:
        """In-place ``bitwise_or`` (``torch.Tensor.bitwise_or_``)."""
        return self._binary_(_t._ops.bitwise_or, other)

    def bitwise_xor_(self, other) -> Tensor:
        """In-place ``bitwise_xor`` (``torch.Tensor.bitwise_xor_``)."""
        return self._binary_(_t._ops.bitwise_xor, other)

    # --- indexing, in place (ops/index.py) -------------------------------------------------------
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
        """In-place ``scatter`` (``torch.Tensor.scatter_``)."""
        return _t._ops.scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src) -> Tensor:
        """In-place ``scatter_add`` (``torch.Tensor.scatter_add_``)."""
        return _t._ops.scatter_add_(self, dim, index, src)

    def index_fill_(self, dim, index, value) -> Tensor:
        """In-place ``index_fill`` (``torch.Tensor.index_fill_``)."""
        return _t._ops.index_fill_(self, dim, index, value)

    def index_add_(self, dim, index, source, *, alpha=1) -> Tensor:
        """In-place ``index_add`` (``torch.Tensor.index_add_``)."""
        return _t._ops.index_add_(self, dim, index, source, alpha=alpha)

    def index_copy_(self, dim, index, source) -> Tensor:
        """In-place ``index_copy`` (``torch.Tensor.index_copy_``)."""
        return _t._ops.index_copy_(self, dim, index, source)

    def index_put_(self, indices, values, accumulate=False) -> Tensor:
        """In-place ``index_put`` (``torch.Tensor.index_put_``)."""
        return _t._ops.index_put_(self, indices, values, accumulate)

    def masked_fill_(self, mask, value) -> Tensor:
        """In-place ``masked_fill`` (``torch.Tensor.masked_fill_``)."""
        return _t._ops.masked_fill_(self, mask, value)

    def masked_scatter_(self, mask, source) -> Tensor:
        """In-place ``masked_scatter`` (``torch.Tensor.masked_scatter_``)."""
        return _t._ops.masked_scatter_(self, mask, source)

    # --- random fills (ops/random.py) ------------------------------------------------------------
    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """In-place ``bernoulli`` (``torch.Tensor.bernoulli_``)."""
        return _t._ops.bernoulli_(self, p, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None, **kwargs) -> Tensor:
        """Fill in place with integers uniform on [``from_``, ``to`` - 1]; ``random_(to)`` is [0,
        ``to`` - 1]; with no bounds the dtype's range (``torch.Tensor.random_``)."""
        return _t._ops.random_(self, from_, to, generator=generator, **kwargs)

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        """Fill in place with samples of the exponential distribution of rate ``lambd``
        (``torch.Tensor.exponential_``)."""
        return _t._ops.exponential_(self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None) -> Tensor:
        """Fill in place with samples of the geometric distribution of success probability ``p``
        (``torch.Tensor.geometric_``)."""
        return _t._ops.geometric_(self, p, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
        """Fill in place with samples of the Cauchy distribution (``median``, ``sigma``)
        (``torch.Tensor.cauchy_``)."""
        return _t._ops.cauchy_(self, median, sigma, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
        """Fill in place with samples of the log-normal distribution whose logarithm has ``mean``
        and ``std`` (``torch.Tensor.log_normal_``)."""
        return _t._ops.log_normal_(self, mean, std, generator=generator)

    # --- shape, in place: the tensor takes the new view's shape and history ----------------------
    def unsqueeze_(self, dim) -> Tensor:
        """In-place ``unsqueeze`` (``torch.Tensor.unsqueeze_``)."""
        return _t._inplace.reshape_(self, lambda a: a.unsqueeze(dim), "UnsqueezeBackward1")

    def squeeze_(self, dim=None) -> Tensor:
        """In-place ``squeeze`` (``torch.Tensor.squeeze_``)."""
        return _t._inplace.reshape_(self, lambda a: a.squeeze(dim), "SqueezeBackward2")

    def t_(self) -> Tensor:
        """In-place ``t`` (``torch.Tensor.t_``)."""
        return _t._inplace.reshape_(self, lambda a: a.t(), "TBackward1")

    def transpose_(self, dim0, dim1) -> Tensor:
        """In-place ``transpose`` (``torch.Tensor.transpose_``)."""
        return _t._inplace.reshape_(self, lambda a: a.transpose(dim0, dim1), "TransposeBackward1")

    def swapaxes_(self, axis0, axis1) -> Tensor:
        """In-place ``swapaxes`` (``torch.Tensor.swapaxes_``)."""
        return self.transpose_(axis0, axis1)
