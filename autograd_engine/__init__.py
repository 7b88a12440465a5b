"""autograd_engine: a reverse-mode automatic differentiation tensor engine on NumPy and CuPy,
with PyTorch's API (``torch`` -> ``autograd_engine``)."""

from . import _aliases, amp, array_backend, backends, cpu, cuda, kernels
from . import tensor as _tensor  # first: the Tensor class, then the ops built on it
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from .anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .array_backend import Device
from .array_backend import device as device
from .compiler import compile  # noqa: A004  (torch.compile; the package is autograd_engine.compiler)
from .creation import (
    Generator,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    uint8,
)
from .engine import backward, grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node
from .ops import (
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    chunk,
    clamp,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    cos,
    div,
    einsum,
    elu,
    exp,
    expm1,
    flatten,
    flip,
    gelu,
    leaky_relu,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    max_pool2d,
    maximum,
    mean,
    min,
    minimum,
    mul,
    narrow,
    neg,
    norm,
    permute,
    pow,
    prod,
    relu,
    repeat,
    reshape,
    rsqrt,
    selu,
    sigmoid,
    sign,
    silu,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .serialization import load, save
from .tensor import Tensor

bool = bool_  # noqa: A001  (torch.bool)
clip = clamp
concat = concatenate = cat

__version__ = "0.1.0"

_aliases.install()  # ``autograd_engine.nn`` and ``autograd_engine.optim`` (see _aliases.py)
array_backend.silence_float_warnings()  # inf and NaN are silent, as in PyTorch


def __getattr__(name: str):
    return _aliases.lazy_attribute(__name__, name)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
