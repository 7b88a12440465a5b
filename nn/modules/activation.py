"""Activation layers: the modules around ``nn.functional``'s activations (ReLU, LeakyReLU,
PReLU with its learnable slope, ELU, SELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax,
LogSoftmax and a few more), with PyTorch's arguments and reprs."""

from __future__ import annotations

import autograd_engine as ag

from .. import functional as F
from .. import init
from ..functional.attention import mha_forward
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear, _factory
from .module import Module

__all__ = [
    "MultiheadAttention",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "SELU",
    "CELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Tanhshrink",
    "Threshold",
    "GLU",
    "Softmax",
    "LogSoftmax",
    "Softmin",
]


class _Inplace(Module):
    """An activation whose only option is ``inplace`` (accepted; results are new tensors)."""

    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Inplace):
    """max(x, 0) element-wise (``torch.nn.ReLU``).

    Example::

        >>> nn.ReLU()(ag.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    _fn = staticmethod(F.relu)


class ReLU6(_Inplace):
    """min(max(x, 0), 6) (``torch.nn.ReLU6``)."""

    _fn = staticmethod(F.relu6)


class SELU(_Inplace):
    """scale * elu(x, alpha) with the self-normalizing constants (``torch.nn.SELU``); pair it
    with ``nn.init.kaiming_normal_(w, nonlinearity='linear')``."""

    _fn = staticmethod(F.selu)


class SiLU(_Inplace):
    """x * sigmoid(x), also called swish (``torch.nn.SiLU``)."""

    _fn = staticmethod(F.silu)


class Mish(_Inplace):
    """x * tanh(softplus(x)) (``torch.nn.Mish``)."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_Inplace):
    """relu6(x + 3) / 6 (``torch.nn.Hardsigmoid``)."""

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Inplace):
    """x * relu6(x + 3) / 6 (``torch.nn.Hardswish``)."""

    _fn = staticmethod(F.hardswish)


class _Plain(Module):
    """An activation without options."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class Sigmoid(_Plain):
    """1 / (1 + e^-x) (``torch.nn.Sigmoid``)."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Plain):
    """tanh x (``torch.nn.Tanh``)."""

    _fn = staticmethod(F.tanh)


class Softsign(_Plain):
    """x / (1 + |x|) (``torch.nn.Softsign``)."""

    _fn = staticmethod(F.softsign)


class LogSigmoid(_Plain):
    """log(sigmoid(x)), stable (``torch.nn.LogSigmoid``)."""

    _fn = staticmethod(F.logsigmoid)


class Tanhshrink(_Plain):
    """x - tanh x (``torch.nn.Tanhshrink``)."""

    _fn = staticmethod(F.tanhshrink)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x (``torch.nn.LeakyReLU``).

    Args:
        negative_slope: the slope for negative inputs (default 0.01).
        inplace: accepted for compatibility.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x if x > 0 else a * x with a learnable slope ``a`` (``torch.nn.PReLU``).

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of channels
            (dim 1 of the input).
        init: the initial slope (default 0.25).

    Attributes:
        weight: ``(num_parameters,)``.

    Example::

        >>> m = nn.PReLU(num_parameters=16)
        >>> m(ag.randn(8, 16, 5, 5)).shape
        (8, 16, 5, 5)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(
            ag.empty(
                num_parameters,
                device=device,
                dtype=dtype if dtype is not None else ag.get_default_dtype(),
            )
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set every slope to ``init`` (0.25 by default), as PyTorch."""
        from .. import init as nn_init

        nn_init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1) (``torch.nn.ELU``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(Module):
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1)) (``torch.nn.CELU``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x) (``torch.nn.GELU``); ``approximate='tanh'`` uses the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear above ``threshold`` (``torch.nn.Softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val) (``torch.nn.Hardtanh``)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class Threshold(Module):
    """x if x > threshold else value (``torch.nn.Threshold``)."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim`` (``torch.nn.GLU``)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _SoftmaxLike(Module):
    _fn = None

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxLike):
    """Softmax along ``dim``: outputs in (0, 1) summing to 1 (``torch.nn.Softmax``).

    For classification losses give ``nn.CrossEntropyLoss`` the logits instead: it fuses a
    stable log-softmax.

    Example::

        >>> nn.Softmax(dim=1)(ag.tensor([[1.0, 1.0]]))
        tensor([[0.5, 0.5]])
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxLike):
    """log(softmax(x)) along ``dim``, computed stably (``torch.nn.LogSoftmax``); pair with
    ``nn.NLLLoss``."""

    _fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxLike):
    """softmax(-x) along ``dim`` (``torch.nn.Softmin``)."""

    _fn = staticmethod(F.softmin)


class MultiheadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention``):
    ``Concat(head_1, ..., head_H) W_O`` with ``head_i = softmax(Q W_i^Q (K W_i^K)^T /
    sqrt(d)) V W_i^V``.

    Args:
        embed_dim: the model width E (split over the heads).
        num_heads: the number of heads (E must be divisible by it).
        dropout: dropout on the attention weights, in training (default 0).
        bias: learn ``in_proj_bias`` and ``out_proj.bias`` (default ``True``).
        add_bias_kv: learn ``bias_k``/``bias_v``, one extra key and value step.
        add_zero_attn: append a step of zeros to the keys and values.
        kdim, vdim: the key and value widths (default E); if either differs from E the
            projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` instead
            of the packed ``in_proj_weight`` ``(3E, E)``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.

    Forward ``(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)``: masks are bool (``True`` = masked out) or
    float (added to the scores); ``key_padding_mask`` ``(N, S)``; ``attn_mask`` ``(L, S)`` or
    ``(N * num_heads, L, S)``; ``is_causal`` is a hint that ``attn_mask`` is the causal mask.
    Returns ``(attn_output, attn_weights)``: the weights ``(N, L, S)`` averaged over the
    heads (``(N, H, L, S)`` without ``average_attn_weights``), or ``None`` without
    ``need_weights``.

    Example::

        >>> mha = nn.MultiheadAttention(64, 8, batch_first=True)
        >>> x = ag.randn(2, 10, 64)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((2, 10, 64), (2, 10, 10))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        super().__init__()
        factory = _factory(device, dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ag.empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = Parameter(ag.empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = Parameter(ag.empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ag.empty(3 * embed_dim, embed_dim, **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ag.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, device=device, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k = Parameter(ag.empty(1, 1, embed_dim, **factory))
            self.bias_v = Parameter(ag.empty(1, 1, embed_dim, **factory))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform projections, zero biases, Xavier-normal ``bias_k/v``
        (``out_proj.weight`` keeps Linear's default)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        separate = None
        if not self._qkv_same_embed_dim:
            separate = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return mha_forward(
            query,
            key,
            value,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            separate=separate,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
            batch_first=self.batch_first and query.ndim == 3,
            embed_dim_to_check=self.embed_dim,
        )
