"""``autograd_engine.special`` (``torch.special``): special functions with PyTorch's names, each
differentiable (built on the ops, or composed from them)."""

from __future__ import annotations

import math

from .ops import activation as _activation
from .ops import logic as _logic
from .ops import reduce as _reduce
from .ops import special as _special
from .ops import unary as _unary
from .ops._util import as_float, const
from .tensor import Tensor

__all__ = [
    "expm1", "exp2", "expit", "logit", "log1p", "erf", "erfc", "erfinv", "gammaln", "digamma",
    "psi", "polygamma", "multigammaln", "ndtr", "ndtri", "sinc", "round", "softmax",
    "log_softmax", "logsumexp", "xlogy", "xlog1py", "entr", "i0", "i1",
]  # fmt: skip

expm1 = _unary.expm1
exp2 = _special.exp2
expit = _activation.sigmoid
logit = _special.logit
log1p = _unary.log1p
erf = _special.erf
erfc = _special.erfc
erfinv = _special.erfinv
gammaln = _special.lgamma
digamma = psi = _special.digamma
polygamma = _special.polygamma
sinc = _special.sinc
round = _logic.round  # noqa: A001  (torch.special.round)
logsumexp = _reduce.logsumexp
xlogy = _special.xlogy


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Softmax along ``dim`` (``torch.special.softmax``)."""
    return _activation.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Log-softmax along ``dim`` (``torch.special.log_softmax``)."""
    return _activation.log_softmax(input, dim, dtype)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``
    (``torch.special.multigammaln``); needs every element > (p - 1) / 2."""
    x = as_float(input)
    if bool((x.array <= (p - 1) / 2).any()):
        raise RuntimeError(
            f"All elements must be greater than (p-1)/2 = {(p - 1) / 2} (multigammaln, p={p})"
        )
    out = x * 0 + p * (p - 1) / 4 * math.log(math.pi)
    for j in range(1, p + 1):
        out = out + _special.lgamma(x + (1 - j) / 2)
    return out


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, 0.5 erfc(-x / sqrt 2) (``torch.special.ndtr``)."""
    return _special.erfc(as_float(input) * (-1 / math.sqrt(2))) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of :func:`ndtr`, sqrt 2 erfinv(2p - 1) (``torch.special.ndtri``)."""
    return _special.erfinv(as_float(input) * 2 - 1) * math.sqrt(2)


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input is 0 (``torch.special.xlog1py``)."""
    from .ops._util import binary

    a, b = binary(input, other)
    a, b = as_float(a), as_float(b)
    zero = const(a.array == 0)
    safe = b.where(~zero, b.new_zeros(()))
    return (a * _unary.log1p(safe)).where(~zero, a.new_zeros(()))


entr = _special.entr
i0 = _special.i0
i1 = _special.i1
