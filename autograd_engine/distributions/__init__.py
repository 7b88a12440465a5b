"""``autograd_engine.distributions`` (``torch.distributions``): probability distributions with
sampling (reparameterized where PyTorch has ``rsample``), ``log_prob``, ``entropy``, moments,
``kl_divergence`` and PyTorch's argument validation. See docs/distributions.md."""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Independent",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
