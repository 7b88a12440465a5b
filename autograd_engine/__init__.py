"""autograd_engine: a reverse-mode automatic differentiation tensor engine on NumPy and CuPy,
with PyTorch's API (``torch`` -> ``autograd_engine``)."""

import math

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
    get_default_device,
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
    set_default_device,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import bool_ as bool  # noqa: A004  (torch.bool)
from .dtypes import (
    double,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .dtypes import float as float  # noqa: A004  (torch.float is float32)
from .dtypes import int as int  # noqa: A004  (torch.int is int32)
from .engine import backward, grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
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
from .printing import get_printoptions, set_printoptions
from .serialization import load, save
from .size import Size
from .tensor import Tensor

clip = clamp
concat = concatenate = cat

__version__ = "0.1.0"

_aliases.install()  # ``autograd_engine.nn`` and ``autograd_engine.optim`` (see _aliases.py)
array_backend.silence_float_warnings()  # inf and NaN are silent, as in PyTorch


pi = math.pi
e = math.e
inf = math.inf
nan = math.nan


def __getattr__(name: str):
    if name in ("cfloat", "cdouble", "chalf", "complex32", "complex64", "complex128"):
        raise AttributeError(
            f"autograd_engine has no {name}: complex tensors are not supported (tensors hold "
            "real numbers). Keep real and imaginary parts in two real tensors."
        )
    return _aliases.lazy_attribute(__name__, name)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
