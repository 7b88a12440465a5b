"""Weight initialization (``torch.nn.init``): fill a tensor in place from a distribution —
uniform, normal, truncated normal, Xavier/Glorot, Kaiming/He, orthogonal — or with
constants, the identity or a Dirac delta. Every function writes into ``tensor.array`` without
recording a graph and returns the tensor."""

from __future__ import annotations

import math
import warnings

from autograd_engine import array_backend
from autograd_engine.creation import Generator
from autograd_engine.tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ================= ==========================================
    nonlinearity      gain
    ================= ==========================================
    linear, conv*     1
    sigmoid           1
    tanh              5/3
    relu              sqrt(2)
    leaky_relu        sqrt(2 / (1 + negative_slope^2)) (slope ``param``, default 0.01)
    selu              3/4
    ================= ==========================================

    Example::

        >>> nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: ``size(1)`` and ``size(0)`` times the receptive
    field (the product of the remaining dims), as in PyTorch."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _generator(tensor: Tensor, generator):
    """The backend generator to draw from: ``generator``'s, or the device's default one."""
    if generator is None:
        return array_backend.generator_for(tensor.device)
    if isinstance(generator, Generator):
        if generator.device != tensor.device:
            raise RuntimeError(
                f"init: the generator is on {generator.device} but the tensor is on "
                f"{tensor.device}; use a generator of the tensor's device"
            )
        return generator.gen
    return generator


def _write(tensor: Tensor, values) -> Tensor:
    """Store ``values`` into ``tensor.array`` in place (cast to its dtype)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor, got {type(tensor).__name__}")
    tensor.array[...] = values
    tensor._version += 1
    return tensor


def _work_dtype(tensor: Tensor):
    dtype = tensor.array.dtype
    if dtype.kind != "f":
        raise TypeError(
            f"init: can only fill floating point tensors with random values, got dtype {dtype}"
        )
    return dtype if dtype.itemsize >= 4 else array_backend.numpy.dtype("float32")


def _uniform(tensor: Tensor, a: float, b: float, generator):
    gen = _generator(tensor, generator)
    u = gen.random(tensor.shape, dtype=_work_dtype(tensor))
    return u * (b - a) + a


def _normal(tensor: Tensor, mean: float, std: float, generator):
    gen = _generator(tensor, generator)
    z = gen.standard_normal(tensor.shape, dtype=_work_dtype(tensor))
    return z * std + mean


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill ``tensor`` with samples of U(a, b) (``torch.nn.init.uniform_``).

    Args:
        tensor: the tensor to fill (in place).
        a, b: the bounds.
        generator: an ``ag.Generator`` (default: the device's default generator, seeded by
            ``ag.manual_seed``).

    Example::

        >>> w = ag.empty(3, 5)
        >>> nn.init.uniform_(w, -0.1, 0.1)
    """
    return _write(tensor, _uniform(tensor, a, b, generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill ``tensor`` with samples of N(mean, std^2) (``torch.nn.init.normal_``)."""
    return _write(tensor, _normal(tensor, mean, std, generator))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """Fill ``tensor`` with samples of N(mean, std^2) truncated to [a, b]
    (``torch.nn.init.trunc_normal_``); ``a`` and ``b`` are absolute bounds, not numbers of
    standard deviations. Uses PyTorch's inverse-CDF method.

    Example::

        >>> nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
            "values may be incorrect.",
            stacklevel=2,
        )

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    u = _uniform(tensor, 2 * lo - 1, 2 * hi - 1, generator)
    # NOTE: erfinv runs on the host (the backend offers erf only); init runs once per layer.
    from scipy.special import erfinv

    host = erfinv(array_backend.to_device(u, array_backend.CPU))
    values = array_backend.to_device(host, tensor.device) * (std * math.sqrt(2.0)) + mean
    xp = tensor.device.xp
    return _write(tensor, xp.clip(values, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` (``torch.nn.init.constant_``)."""
    return _write(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones (``torch.nn.init.ones_``)."""
    return _write(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros (``torch.nn.init.zeros_``)."""
    return _write(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` with the identity matrix (``torch.nn.init.eye_``)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = tensor.device.xp
    return _write(tensor, xp.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, so the convolution is
    the identity on as many channels as possible (``torch.nn.init.dirac_``)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    xp = tensor.device.xp
    values = xp.zeros(tensor.shape, dtype=tensor.dtype)
    per_group = tensor.shape[0] // groups
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _write(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier uniform init: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))
    (``torch.nn.init.xavier_uniform_``). Suits tanh and sigmoid layers.

    Example::

        >>> nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain("tanh"))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier normal init: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))
    (``torch.nn.init.xavier_normal_``)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He/Kaiming uniform init: U(-b, b) with b = gain * sqrt(3 / fan)
    (``torch.nn.init.kaiming_uniform_``).

    Args:
        tensor: the weight to fill, e.g. ``(out_features, in_features)``.
        a: the negative slope of the rectifier after this layer (for ``'leaky_relu'``).
        mode: ``'fan_in'`` (default: preserves the forward variance) or ``'fan_out'``.
        nonlinearity: ``'relu'`` or ``'leaky_relu'`` (default, with slope ``a`` = 0, which
            is the ReLU gain sqrt(2)).
        generator: an ``ag.Generator`` (default: the device's default generator).

    Example::

        >>> nn.init.kaiming_uniform_(conv.weight, nonlinearity="relu")
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He/Kaiming normal init: N(0, std^2) with std = gain / sqrt(fan)
    (``torch.nn.init.kaiming_normal_``); arguments as in :func:`kaiming_uniform_`."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill ``tensor`` (2-D or more; trailing dims flattened) with a (semi-)orthogonal
    matrix times ``gain`` (``torch.nn.init.orthogonal_``, Saxe et al. 2013)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gen = _generator(tensor, generator)
    flat = gen.standard_normal((rows, cols), dtype=_work_dtype(tensor))
    if rows < cols:
        flat = flat.T
    xp = tensor.device.xp
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _write(tensor, q.reshape(tensor.shape) * gain)
