"""Random sampling from tensors of parameters: normal, bernoulli, poisson, multinomial, and the
in-place fills (bernoulli_, random_, exponential_, geometric_, cauchy_, log_normal_). Draws use
the device's generator (or ``generator=``) and only ``random``/``standard_normal`` draws, so they
run on NumPy and CuPy alike. As in PyTorch, a sample's gradient for its parameters is zero."""

from __future__ import annotations

import math

from .. import array_backend
from ..creation import _gen, _size
from ..dtypes import as_dtype, default_float, torch_name
from ..node import Node
from ..tensor import Tensor
from . import inplace as _inplace
from ._util import const

__all__ = [
    "Sampled",
    "normal", "bernoulli", "poisson", "multinomial", "bernoulli_", "random_", "exponential_",
    "geometric_", "cauchy_", "log_normal_",
]  # fmt: skip


_F64 = array_backend.numpy.dtype("float64")


class Sampled(Node):
    """y = a sample drawn in forward from distributions with the inputs as parameters; the
    gradient for every input is zero (PyTorch's convention for ``normal``, ``bernoulli``)."""

    def __init__(self, values, name: str):
        self.values, self._backward_name = values, name

    def forward(self, *params):
        return self.values

    def backward(self, grad):
        zero = grad * 0
        grads = tuple(zero.sum_to_size(*s) if tuple(s) != tuple(grad.shape) else zero
                      for s in self.in_shapes)  # fmt: skip
        return grads if len(grads) > 1 else grads[0]


def _draw(gen, method: str, shape, dtype):
    """``gen.random``/``gen.standard_normal`` of ``shape`` in ``dtype`` (float16 drawn as
    float32 and rounded, as the generators have no half precision)."""
    work = dtype if dtype.itemsize >= 4 else array_backend.numpy.dtype("float32")
    return getattr(gen, method)(shape, dtype=work).astype(dtype, copy=False)


def _sampled(values, params, name: str) -> Tensor:
    tensors = [p for p in params if isinstance(p, Tensor)]
    if any(t.requires_grad for t in tensors):
        return Sampled(values, name)(*tensors)
    return const(values)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Samples of N(mean, std^2) (``torch.normal``): ``mean`` and ``std`` tensors (broadcast),
    a tensor and a number, or two numbers with ``size``."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments: with a number mean and "
                "std, pass size= (e.g. normal(0.0, 1.0, size=(2, 3)))"
            )
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        from ..creation import _dev, _new

        dev = _dev(device)
        np_dtype = as_dtype(dtype) or default_float()
        z = _draw(_gen(generator, dev), "standard_normal", _size((size,)), np_dtype)
        return _new(z * np_dtype.type(std) + np_dtype.type(mean), requires_grad)
    like = mean if isinstance(mean, Tensor) else std
    xp = array_backend.get_array_module(like.array)
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if bool((xp.asarray(s) < 0).any()):
        low = float(xp.asarray(s).min())
        raise RuntimeError(f"normal expects all elements of std >= 0.0, but found std {low:g}")
    try:
        shape = array_backend.numpy.broadcast_shapes(xp.shape(m), xp.shape(s))
    except ValueError:
        from ..node import broadcast_message

        raise RuntimeError(broadcast_message("normal", xp.shape(m), xp.shape(s))) from None
    dtype = like.array.dtype
    z = _draw(_gen(generator, like.device), "standard_normal", shape, dtype)
    values = (z * s + m).astype(dtype, copy=False)
    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        name = "NormalBackward3"
    else:
        name = "NormalBackward1" if isinstance(mean, Tensor) else "NormalBackward2"
    return _sampled(values, (mean, std), name)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or the number ``p``), in ``input``'s dtype
    (``torch.bernoulli``)."""
    x = input.array
    prob = x if p is None else p
    xp = array_backend.get_array_module(x)
    probs = xp.asarray(prob)
    if bool(((probs < 0) | (probs > 1)).any()) or (probs.dtype.kind == "f" and
                                                     bool(xp.isnan(probs).any())):  # fmt: skip
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    dtype = x.dtype if x.dtype.kind == "f" else default_float()
    u = _draw(_gen(generator, input.device), "random", x.shape, _F64)
    values = (u < probs).astype(x.dtype if p is not None else dtype)
    return _sampled(values, (input,) if p is None else (), "BernoulliBackward0")


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (``torch.poisson``), in ``input``'s dtype."""
    x = input.array
    if x.dtype.kind != "f":
        raise RuntimeError(f"\"poisson_cpu\" not implemented for '{torch_name(x.dtype)}'")
    if bool((x < 0).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = _gen(generator, input.device).poisson(x).astype(x.dtype)
    return _sampled(values, (input,), "PoissonBackward0")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:  # fmt: skip
    """Indices drawn from the categorical distributions whose (unnormalized) weights are the
    rows of ``input`` (1-D or 2-D), with or without replacement (``torch.multinomial``)."""
    w = input.array
    if w.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {torch_name(w.dtype)}"
        )
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    xp = array_backend.get_array_module(w)
    n = w.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    rows = w.reshape(-1, n).astype("float64")
    if bool((~xp.isfinite(rows)).any() or (rows < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if bool((totals <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _gen(generator, input.device)
    f64 = _F64
    if replacement:
        cdf = xp.cumsum(rows / totals, axis=1)
        cdf[:, -1] = 1.0
        u = gen.random((rows.shape[0], num_samples), dtype=f64)
        out = xp.stack([xp.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        out = xp.minimum(out, n - 1)
    else:
        # NOTE: Efraimidis-Spirakis: the k largest keys log(u) / w are a weighted sample
        # without replacement; zero weights come after every positive one.
        u = gen.random(rows.shape, dtype=f64)
        with array_backend.numpy.errstate(divide="ignore"):
            keys = xp.where(rows > 0, xp.log(u) / rows, -xp.inf)
        out = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype("int64")
    return const(out.reshape(num_samples) if w.ndim == 1 else out)


# --- in-place fills -----------------------------------------------------------------------------
def _fill(t: Tensor, values) -> Tensor:
    return _inplace.apply_(t, lambda a: const(values), (), lambda a: _assign(a, values))


def _assign(a, values) -> None:
    a[...] = values


def _uniform(t: Tensor, generator):
    dtype = t.array.dtype if t.array.dtype.kind == "f" else array_backend.numpy.dtype("float64")
    return _draw(_gen(generator, t.device), "random", t.array.shape, dtype)


def _check_float(op: str, t: Tensor) -> None:
    if t.array.dtype.kind != "f":
        raise RuntimeError(f"\"{op}\" not implemented for '{torch_name(t.dtype)}'")


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill ``t`` with 0/1 samples, 1 with probability ``p`` (a number or a tensor)
    (``torch.Tensor.bernoulli_``)."""
    prob = p.array if isinstance(p, Tensor) else p
    xp = array_backend.get_array_module(t.array)
    if bool(((xp.asarray(prob) < 0) | (xp.asarray(prob) > 1)).any()):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    u = _draw(_gen(generator, t.device), "random", t.array.shape, _F64)
    return _fill(t, (u < prob).astype(t.array.dtype))


def random_(t: Tensor, from_=0, to=None, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers uniform on [from, to - 1]; ``random_(to)`` is [0, to - 1]; with no
    bounds, [0, 2^mantissa] for floats and the dtype's range for ints
    (``torch.Tensor.random_``)."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    dtype = t.array.dtype
    if to is None and from_ != 0 and not kwargs:
        from_, to = 0, from_
    if to is None:
        np = array_backend.numpy
        if dtype.kind == "f":
            to = 2 ** (np.finfo(dtype).nmant + 1) + 1
        elif dtype.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(dtype).max) + 1
    if from_ >= to:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    values = _gen(generator, t.device).integers(from_, to, size=t.array.shape)
    return _fill(t, values.astype(dtype))


def exponential_(t: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Exponential(lambd) samples (``torch.Tensor.exponential_``)."""
    _check_float("exponential_", t)
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _uniform(t, generator)
    xp = array_backend.get_array_module(u)
    return _fill(t, (-xp.log1p(-u) / lambd).astype(t.array.dtype))


def geometric_(t: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with Geometric(p) samples: the number of trials up to the first success
    (``torch.Tensor.geometric_``)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _uniform(t, generator)
    xp = array_backend.get_array_module(u)
    values = xp.floor(xp.log1p(-u) / math.log1p(-p)) + 1
    return _fill(t, values.astype(t.array.dtype))


def cauchy_(t: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy(median, sigma) samples (``torch.Tensor.cauchy_``)."""
    _check_float("cauchy_", t)
    u = _uniform(t, generator)
    xp = array_backend.get_array_module(u)
    return _fill(t, (median + sigma * xp.tan(math.pi * (u - 0.5))).astype(t.array.dtype))


def log_normal_(t: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with exp(N(mean, std^2)) samples (``torch.Tensor.log_normal_``)."""
    _check_float("log_normal_", t)
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = _draw(_gen(generator, t.device), "standard_normal", t.array.shape, t.array.dtype)
    xp = array_backend.get_array_module(z)
    return _fill(t, xp.exp(mean + std * z).astype(t.array.dtype))
