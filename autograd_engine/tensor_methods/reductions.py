"""Tensor methods that reduce, sort or scan along dimensions: one-line delegations to ``ops``
(``Tensor`` inherits them from ``ReductionMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time
from .._args import dim_aliases


class ReductionMethods:
    __slots__ = ()

    @dim_aliases
    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum over ``dim`` (an int, a tuple, or all dims) (``torch.Tensor.sum``)."""
        return _t._ops.sum(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def mean(self, dim=None, keepdim=False, dtype=None):
        """The mean over ``dim`` (an int, a tuple, or all dims) (``torch.Tensor.mean``)."""
        return _t._ops.mean(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def prod(self, dim=None, keepdim=False):
        """The product over ``dim``, or of all elements (``torch.Tensor.prod``)."""
        return _t._ops.prod(self, dim, keepdim)

    @dim_aliases
    def max(self, dim=None, keepdim=False):
        """The maximum; with ``dim``, the (values, indices) pair along it (``torch.Tensor.max``)."""
        return _t._ops.max(self, dim, keepdim)

    @dim_aliases
    def min(self, dim=None, keepdim=False):
        """The minimum; with ``dim``, the (values, indices) pair along it (``torch.Tensor.min``)."""
        return _t._ops.min(self, dim, keepdim)

    @dim_aliases
    def amax(self, dim=(), keepdim=False):
        """The maximum over ``dim`` (all dims by default); ties share the gradient
        (``torch.Tensor.amax``)."""
        return _t._ops.amax(self, dim, keepdim)

    @dim_aliases
    def amin(self, dim=(), keepdim=False):
        """The minimum over ``dim`` (all dims by default); ties share the gradient
        (``torch.Tensor.amin``)."""
        return _t._ops.amin(self, dim, keepdim)

    @dim_aliases
    def argmax(self, dim=None, keepdim=False):
        """The index of the maximum, along ``dim`` or of the flattened tensor
        (``torch.Tensor.argmax``)."""
        return _t._ops.argmax(self, dim, keepdim)

    @dim_aliases
    def argmin(self, dim=None, keepdim=False):
        """The index of the minimum, along ``dim`` or of the flattened tensor
        (``torch.Tensor.argmin``)."""
        return _t._ops.argmin(self, dim, keepdim)

    @dim_aliases
    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(self))) over ``dim``, computed stably (``torch.Tensor.logsumexp``)."""
        return _t._ops.logsumexp(self, dim, keepdim)

    @dim_aliases
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance over ``dim``, with Bessel's correction by default (``torch.Tensor.var``)."""
        return _t._ops.var(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation over ``dim``, with Bessel's correction by default
        (``torch.Tensor.std``)."""
        return _t._ops.std(self, dim, unbiased, keepdim, correction=correction)

    @dim_aliases
    def norm(self, p=2, dim=None, keepdim=False):
        """The ``p``-norm over ``dim``, or of all elements (``torch.Tensor.norm``)."""
        return _t._ops.norm(self, p, dim, keepdim)

    @dim_aliases
    def any(self, dim=None, keepdim=False):
        """Whether any element (along ``dim``) is nonzero (``torch.Tensor.any``)."""
        return _t._ops.any(self, dim, keepdim)

    @dim_aliases
    def all(self, dim=None, keepdim=False):
        """Whether every element (along ``dim``) is nonzero (``torch.Tensor.all``)."""
        return _t._ops.all(self, dim, keepdim)

    @dim_aliases
    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` over ``dim`` (all elements by default) (``torch.Tensor.aminmax``). The
        method form of ``autograd_engine.aminmax``."""
        return _t._ops.aminmax(self, dim=dim, keepdim=keepdim)

    @dim_aliases
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum over ``dim`` treating nan as 0 (``torch.Tensor.nansum``). The method form of
        ``autograd_engine.nansum``."""
        return _t._ops.nansum(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """Mean over ``dim`` of the values that are not nan (``torch.Tensor.nanmean``). The method
        form of ``autograd_engine.nanmean``."""
        return _t._ops.nanmean(self, dim, keepdim, dtype=dtype)

    @dim_aliases
    def count_nonzero(self, dim=None):
        """How many elements are nonzero, over ``dim`` (all by default)
        (``torch.Tensor.count_nonzero``). The method form of ``autograd_engine.count_nonzero``."""
        return _t._ops.count_nonzero(self, dim)

    # --- scans -----------------------------------------------------------------------------------
    @dim_aliases
    def cumsum(self, dim, *, dtype=None):
        """Cumulative sum along ``dim`` (``torch.Tensor.cumsum``); integers accumulate as int64. The
        method form of ``autograd_engine.cumsum``."""
        return _t._ops.cumsum(self, dim, dtype=dtype)

    @dim_aliases
    def cumprod(self, dim, *, dtype=None):
        """Cumulative product along ``dim`` (``torch.Tensor.cumprod``); exact gradients through
        zeros. The method form of ``autograd_engine.cumprod``."""
        return _t._ops.cumprod(self, dim, dtype=dtype)

    @dim_aliases
    def logcumsumexp(self, dim):
        """log(cumsum(exp(input))) along ``dim``, without overflow (``torch.Tensor.logcumsumexp``).
        The method form of ``autograd_engine.logcumsumexp``."""
        return _t._ops.logcumsumexp(self, dim)

    @dim_aliases
    def cummax(self, dim):
        """Running maximum along ``dim`` and where it was attained (the latest position on ties)
        (``torch.Tensor.cummax``). The method form of ``autograd_engine.cummax``."""
        return _t._ops.cummax(self, dim)

    @dim_aliases
    def cummin(self, dim):
        """Running minimum along ``dim`` and where it was attained (``torch.Tensor.cummin``). The
        method form of ``autograd_engine.cummin``."""
        return _t._ops.cummin(self, dim)

    @dim_aliases
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The ``n``-th forward difference along ``dim`` (``torch.Tensor.diff``). The method form of
        ``autograd_engine.diff``."""
        return _t._ops.diff(self, n, dim, prepend, append)

    # --- ordering --------------------------------------------------------------------------------
    @dim_aliases
    def sort(self, dim=-1, descending=False, *, stable=False):
        """``(values, indices)`` sorted along ``dim`` (``torch.Tensor.sort``); stable, nan largest.
        The method form of ``autograd_engine.sort``."""
        return _t._ops.sort(self, dim, descending, stable)

    @dim_aliases
    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort ``input`` along ``dim`` (``torch.Tensor.argsort``). The method form
        of ``autograd_engine.argsort``."""
        return _t._ops.argsort(self, dim, descending, stable)

    def msort(self):
        """``input`` sorted along its first dimension (``torch.Tensor.msort``). The method form of
        ``autograd_engine.msort``."""
        return _t._ops.msort(self)

    @dim_aliases
    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) elements along ``dim`` and their indices, in order
        (``torch.Tensor.topk``; which of several tied elements is taken may differ from PyTorch's).
        The method form of ``autograd_engine.topk``."""
        return _t._ops.topk(self, k, dim, largest, sorted)

    @dim_aliases
    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest element along ``dim`` (1-based) and its index
        (``torch.Tensor.kthvalue``). The method form of ``autograd_engine.kthvalue``."""
        return _t._ops.kthvalue(self, k, dim, keepdim)

    @dim_aliases
    def median(self, dim=None, keepdim=False):
        """The lower median of all elements, or ``(values, indices)`` along ``dim``; nan if there is
        a nan (``torch.Tensor.median``). The method form of ``autograd_engine.median``."""
        return _t._ops.median(self, dim, keepdim)

    @dim_aliases
    def nanmedian(self, dim=None, keepdim=False):
        """:func:`median` ignoring nan values (``torch.Tensor.nanmedian``). The method form of
        ``autograd_engine.nanmedian``."""
        return _t._ops.nanmedian(self, dim, keepdim)

    @dim_aliases
    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
        index of its last occurrence (``torch.Tensor.mode``). The method form of
        ``autograd_engine.mode``."""
        return _t._ops.mode(self, dim, keepdim)

    @dim_aliases
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), with the inverse indices and counts if asked
        (``torch.Tensor.unique``); with ``dim``, the distinct slices along it. The method form of
        ``autograd_engine.unique``."""
        return _t._ops.unique(self, sorted, return_inverse, return_counts, dim)

    @dim_aliases
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """The values with consecutive repeats collapsed (``torch.Tensor.unique_consecutive``). The
        method form of ``autograd_engine.unique_consecutive``."""
        return _t._ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative ints, or the sum
        of ``weights`` per value (``torch.Tensor.bincount``). The method form of
        ``autograd_engine.bincount``."""
        return _t._ops.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
        values outside are ignored (``torch.Tensor.histc``). The method form of
        ``autograd_engine.histc``."""
        return _t._ops.histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        """``(hist, bin_edges)`` of ``input`` (``torch.Tensor.histogram``): ``bins`` equal bins over
        ``range`` (the data's by default) or the given edges. The method form of
        ``autograd_engine.histogram``."""
        return _t._ops.histogram(self, bins, range=range, weight=weight, density=density)

    # --- statistics ------------------------------------------------------------------------------
    @dim_aliases
    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-th quantiles along ``dim`` (the flattened tensor if None)
        (``torch.Tensor.quantile``). The method form of ``autograd_engine.quantile``."""
        return _t._ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    @dim_aliases
    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """``quantile`` ignoring NaNs (``torch.Tensor.nanquantile``). The method form of
        ``autograd_engine.nanquantile``."""
        return _t._ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance matrix of the variables in the rows (``torch.Tensor.cov``). The
        method form of ``autograd_engine.cov``."""
        return _t._ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        """The Pearson correlation coefficients of the variables in the rows
        (``torch.Tensor.corrcoef``). The method form of ``autograd_engine.corrcoef``."""
        return _t._ops.corrcoef(self)

    def dist(self, other, p=2):
        """The p-norm of ``self - other`` (``torch.Tensor.dist``). The method form of
        ``autograd_engine.dist``."""
        return _t._ops.dist(self, other, p)
