"""``Categorical`` (``torch.distributions.Categorical``): an index in ``0..K-1`` drawn with the
probabilities of the last dimension of ``probs`` (or ``softmax(logits)``)."""

from __future__ import annotations

import math

from .. import array_backend
from ..creation import arange, full, rand
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """The categorical distribution over ``{0, ..., K-1}``, ``K = probs.shape[-1]``, given
    ``probs`` (non-negative, normalized along the last dim) or ``logits`` (unnormalized log
    probabilities), not both (``torch.distributions.Categorical``). Samples are int64.

    Example::

        m = Categorical(logits=ag.tensor([[0.0, 1.0, 2.0]]))
        a = m.sample()               # shape (1,)
        loss = -m.log_prob(a)        # the policy-gradient term
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = tuple(self._param.shape[:-1]) if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(*param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(*param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter the distribution was built from (``probs`` or ``logits``)."""
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                    device=self.probs.device)  # fmt: skip

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                    device=self.probs.device)  # fmt: skip

    def sample(self, sample_shape=()) -> Tensor:
        """Indices drawn by inverse transform sampling on each row's cumulative probabilities
        (PyTorch draws with ``multinomial``: the same distribution, other random numbers)."""
        sample_shape = tuple(sample_shape)
        with no_grad():
            probs = self.probs.array
            xp = array_backend.get_array_module(probs)
            cdf = xp.cumsum(probs, axis=-1)
            u = rand(*(sample_shape + self._batch_shape), dtype=self.probs.dtype,
                     device=self.probs.device).array  # fmt: skip
            u = u[..., None] * cdf[..., -1:]  # rows sum to 1 up to rounding
            index = (u >= cdf).sum(-1)
            index = xp.minimum(index, self._num_events - 1).astype(xp.int64)
        return Tensor._make(array_backend.ensure_array(index))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long()
        shape = tuple(array_backend.numpy.broadcast_shapes(tuple(value.shape), self._batch_shape))
        log_pmf = self.logits.expand(*shape, self._num_events)
        xp = array_backend.get_array_module(log_pmf.array)
        grids = [Tensor._make(xp.asarray(g)) for g in array_backend.numpy.indices(shape)]
        index = Tensor._make(xp.broadcast_to(value.array, shape))
        return log_pmf[(*grids, index)]

    def entropy(self) -> Tensor:
        min_real = float(array_backend.numpy.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand(-1, *self._batch_shape)
        return values
