"""``Normal`` (``torch.distributions.Normal``): the Gaussian with mean ``loc`` and standard
deviation ``scale``."""

from __future__ import annotations

import math
import numbers

from .. import array_backend
from ..autograd.function import Function
from ..creation import randn
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Normal"]


class _StandardNormalCdf(Function):
    """Phi(z) = (1 + erf(z / sqrt(2))) / 2; Phi'(z) = exp(-z^2 / 2) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return Tensor._make(0.5 * (1.0 + array_backend.erf(z.array / math.sqrt(2.0))))

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (z * z * -0.5).exp() / math.sqrt(2.0 * math.pi)


class _StandardNormalIcdf(Function):
    """z = Phi^-1(p) = sqrt(2) erfinv(2p - 1); dz/dp = sqrt(2 pi) exp(z^2 / 2)."""

    @staticmethod
    def forward(ctx, p):
        z = Tensor._make(math.sqrt(2.0) * array_backend.erfinv(2.0 * p.array - 1.0))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (z * z * 0.5).exp() * math.sqrt(2.0 * math.pi)


class Normal(Distribution):
    """The normal distribution N(loc, scale^2) (``torch.distributions.Normal``).

    Args:
        loc: the mean (a number or Tensor).
        scale: the standard deviation, > 0 (a number or Tensor; broadcast with ``loc``).
        validate_args: check the parameters and the values given to ``log_prob``.

    Example::

        m = Normal(ag.tensor([0.0]), ag.tensor([1.0]))
        x = m.rsample((5,))          # differentiable with respect to loc and scale
        m.log_prob(x)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = tuple(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(*batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return (
            -((value - self.loc) ** 2) / (2 * var)
            - self.scale.log()
            - math.log(math.sqrt(2 * math.pi))
        )

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return _StandardNormalCdf.apply((value - self.loc) * self.scale.reciprocal())

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * _StandardNormalIcdf.apply(value)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
