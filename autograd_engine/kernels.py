"""Fused CuPy kernels for the hot element-wise paths (activations, softmax-cross-entropy, the
SGD and Adam updates), registered by name beside the plain ``xp`` code, which stays the
reference. ``fused(name, array)`` gives the kernel for a CuPy array, else ``None`` (one type
check on the CPU); ``fused_grad`` does the same for a backward formula, and gives ``None`` while
the backward is being recorded (``create_graph``), where it must be built from Tensor ops.
Kernels are built on first use and cached; CuPy compiles each one per dtype on its first
launch. ``enabled = False`` (or the environment
variable ``AUTOGRAD_ENGINE_FUSED=0``) turns them all off, so tests can compare the fused and
reference paths on the same GPU.

NOTE: the kernels are written from CuPy's documented ``ElementwiseKernel`` and
``ReductionKernel`` forms (type placeholder ``T``; Python scalars passed for a ``T`` parameter
are cast to the arrays' dtype, as NumPy's weak scalars are). float16 computes in float
(``acc_t`` below) and rounds once on store. Softmax-cross-entropy is float32/float64 only.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from . import array_backend
from .grad_mode import grad_enabled as _grad_enabled

__all__ = ["enabled", "fused", "fused_grad", "names", "SOURCES"]

enabled: bool = os.environ.get("AUTOGRAD_ENGINE_FUSED", "1") != "0"


class _NoGpuArray:  # stands in for cupy.ndarray where CuPy is missing: no array has this type
    pass


_GPU_ARRAY = array_backend.cupy.ndarray if array_backend.cupy is not None else _NoGpuArray

# acc_t: the type a kernel computes in (float for float16, else T itself). It is a typedef
# after CuPy's own ``typedef <dtype> T;``, which CuPy places before the preamble.
PREAMBLE = """
template <typename X, bool Small> struct ag_acc { typedef X type; };
template <typename X> struct ag_acc<X, true> { typedef float type; };
typedef ag_acc<T, (sizeof(T) < 4)>::type acc_t;
"""

_SQRT2 = "1.4142135623730951"
_INV_SQRT_2PI = "0.3989422804014327"
_SIGMOID = """
const acc_t e = exp(-fabs(v));
const acc_t s = v >= (acc_t)0 ? (acc_t)1 / ((acc_t)1 + e) : e / ((acc_t)1 + e);
"""

# name -> (kind, in_params, out_params, body); kind "elementwise" or "reduction", where a
# reduction's body is (map_expr, reduce_expr, post_map_expr, identity).
SOURCES: dict[str, tuple] = {
    "relu": (
        "elementwise",
        "T x",
        "T y",
        # NOTE: NaN passes through, as with xp.maximum(x, 0).
        "const acc_t v = (acc_t)x;\ny = (T)(v <= (acc_t)0 ? (acc_t)0 : v);",
    ),
    "relu_backward": (
        "elementwise",
        "T g, T y",
        "T gx",
        # NOTE: the gradient passes unless y <= 0 (so it passes at NaN), as PyTorch's.
        "gx = (T)((acc_t)g * ((acc_t)y <= (acc_t)0 ? (acc_t)0 : (acc_t)1));",
    ),
    "leaky_relu": (
        "elementwise",
        "T x, T slope",
        "T y",
        "const acc_t v = (acc_t)x;\ny = (T)(v > (acc_t)0 ? v : v * (acc_t)slope);",
    ),
    "leaky_relu_backward": (
        "elementwise",
        "T g, T x, T slope",
        "T gx",
        "gx = (T)((acc_t)g * ((acc_t)x > (acc_t)0 ? (acc_t)1 : (acc_t)slope));",
    ),
    "sigmoid": ("elementwise", "T x", "T y", "const acc_t v = (acc_t)x;" + _SIGMOID + "y = (T)s;"),
    "sigmoid_backward": (
        "elementwise",
        "T g, T s",
        "T gx",
        "const acc_t sv = (acc_t)s;\ngx = (T)((acc_t)g * sv * ((acc_t)1 - sv));",
    ),
    "tanh_backward": (
        "elementwise",
        "T g, T t",
        "T gx",
        "const acc_t tv = (acc_t)t;\ngx = (T)((acc_t)g * ((acc_t)1 - tv * tv));",
    ),
    "gelu": (
        "elementwise",
        "T x",
        "T y",
        "const acc_t v = (acc_t)x;\n"
        f"y = (T)((acc_t)0.5 * v * ((acc_t)1 + erf(v / (acc_t){_SQRT2})));",
    ),
    "gelu_backward": (
        "elementwise",
        "T g, T x",
        "T gx",
        "const acc_t v = (acc_t)x;\n"
        f"const acc_t cdf = (acc_t)0.5 * ((acc_t)1 + erf(v / (acc_t){_SQRT2}));\n"
        f"const acc_t pdf = exp(v * v * (acc_t)-0.5) * (acc_t){_INV_SQRT_2PI};\n"
        "gx = (T)((acc_t)g * (cdf + v * pdf));",
    ),
    "silu": (
        "elementwise",
        "T x",
        "T y",
        "const acc_t v = (acc_t)x;" + _SIGMOID + "y = (T)(v * s);",
    ),
    "silu_backward": (
        "elementwise",
        "T g, T x",
        "T gx",
        "const acc_t v = (acc_t)x;"
        + _SIGMOID
        + "gx = (T)((acc_t)g * s * ((acc_t)1 + v * ((acc_t)1 - s)));",
    ),
    # softmax-cross-entropy on class indices, (N, C) logits: row max by CuPy, then these.
    "sce_sum_exp": ("reduction", "T x, T m", "T s", ("exp(x - m)", "a + b", "s = a", "0")),
    "sce_probs": ("elementwise", "T x, T m, T s", "T p", "p = exp(x - m) / s;"),
    "sce_loss": (
        "elementwise",
        "raw T x, T m, T s, I t, T mask, int64 ncls",
        "T loss",
        "loss = (log(s) - (x[i * ncls + t] - m)) * mask;",
    ),
    "sce_backward": (
        "elementwise",
        "T p, T f, I t, I j",
        "T gx",
        "const T pf = p * f;\ngx = j == t ? pf - f : pf;",
    ),
    # torch.optim.SGD without momentum: p <- p - lr * (g [+ wd p]).
    "sgd": (
        "elementwise",
        "T g, T lr, T weight_decay, bool maximize, bool decay",
        "T p",
        "acc_t d = maximize ? -(acc_t)g : (acc_t)g;\n"
        "const acc_t w = (acc_t)p;\n"
        "if (decay) d = d + (acc_t)weight_decay * w;\n"
        "p = (T)(w - (acc_t)lr * d);",
    ),
    # with momentum: buf <- g on the first step, else momentum buf + (1 - dampening) g.
    "sgd_momentum": (
        "elementwise",
        "T g, T lr, T weight_decay, T momentum, T one_minus_dampening, "
        "bool maximize, bool decay, bool damp, bool nesterov, bool first",
        "T p, T buf",
        "acc_t d = maximize ? -(acc_t)g : (acc_t)g;\n"
        "const acc_t w = (acc_t)p;\n"
        "if (decay) d = d + (acc_t)weight_decay * w;\n"
        "if (first) {\n"
        "  buf = (T)d;\n"
        "} else {\n"
        "  const acc_t add = damp ? (acc_t)one_minus_dampening * d : d;\n"
        "  buf = (T)((acc_t)buf * (acc_t)momentum + add);\n"
        "}\n"
        "const acc_t b = (acc_t)buf;\n"
        "d = nesterov ? d + (acc_t)momentum * b : b;\n"
        "p = (T)(w - (acc_t)lr * d);",
    ),
    # torch.optim.Adam / AdamW (amsgrad off); wd_mode 0 none, 1 L2 in the gradient,
    # 2 decoupled. The moments follow optim._functional.lerp_'s two branches.
    "adam": (
        "elementwise",
        "T g, T weight_decay, T decay_factor, T lerp_w, T one_minus_lerp_w, T beta2, "
        "T one_minus_beta2, T neg_step_size, T bias_correction2_sqrt, T eps, "
        "bool maximize, int32 wd_mode, bool small_w",
        "T p, T m, T v",
        "acc_t d = maximize ? -(acc_t)g : (acc_t)g;\n"
        "acc_t w = (acc_t)p;\n"
        "if (wd_mode == 1) d = d + (acc_t)weight_decay * w;\n"
        "if (wd_mode == 2) w = w * (acc_t)decay_factor;\n"
        "const acc_t m0 = (acc_t)m;\n"
        "if (small_w) {\n"
        "  m = (T)(m0 + (d - m0) * (acc_t)lerp_w);\n"
        "} else {\n"
        "  m = (T)(d - (d - m0) * (acc_t)one_minus_lerp_w);\n"
        "}\n"
        "v = (T)((acc_t)v * (acc_t)beta2 + d * (acc_t)one_minus_beta2 * d);\n"
        "const acc_t denom = sqrt((acc_t)v) / (acc_t)bias_correction2_sqrt + (acc_t)eps;\n"
        "p = (T)(w + (acc_t)m * (acc_t)neg_step_size / denom);",
    ),
}

_FLOATS = "efd"  # float16, float32, float64
_DTYPES = {name: _FLOATS for name in SOURCES}
_DTYPES.update({"softmax_cross_entropy": "fd", "softmax_cross_entropy_backward": "fd"})
_cache: dict[str, Callable] = {}


def names() -> list[str]:
    """The registered kernel names (those ``fused`` knows)."""
    return sorted(_DTYPES)


def fused(name: str, array, *others) -> Callable | None:
    """The fused CuPy kernel ``name`` when ``array`` is a CuPy array of a supported float
    dtype (and each of ``others`` has the same dtype) and fused kernels are enabled; else
    ``None``, and the caller runs its plain ``xp`` code."""
    if type(array) is not _GPU_ARRAY or not enabled:
        return None
    dtype = array.dtype
    if dtype.char not in _DTYPES[name]:
        return None
    for other in others:
        if other.dtype != dtype:
            return None
    kernel = _cache.get(name)
    if kernel is None:
        kernel = _cache[name] = _build(name)
    return kernel


def fused_grad(name: str, array, *others) -> Callable | None:
    """``fused`` for a node's backward: also ``None`` while grad mode is on, i.e. while the
    backward itself is recorded (``create_graph=True``) and must use differentiable Tensor ops."""
    if type(array) is not _GPU_ARRAY or _grad_enabled():
        return None
    return fused(name, array, *others)


def _build(name: str) -> Callable:
    if name == "softmax_cross_entropy":
        return _sce_forward(
            fused_kernel("sce_sum_exp"), fused_kernel("sce_probs"), fused_kernel("sce_loss")
        )
    if name == "softmax_cross_entropy_backward":
        return _sce_backward(fused_kernel("sce_backward"))
    return fused_kernel(name)


def fused_kernel(name: str):
    """The CuPy kernel object for one entry of ``SOURCES`` (cached; needs CuPy)."""
    kernel = _cache.get("kernel:" + name)
    if kernel is None:
        cupy = array_backend.cupy
        kind, in_params, out_params, body = SOURCES[name]
        kname = "ag_" + name
        if kind == "elementwise":
            kernel = cupy.ElementwiseKernel(in_params, out_params, body, kname, preamble=PREAMBLE)
        else:
            map_expr, reduce_expr, post_map_expr, identity = body
            kernel = cupy.ReductionKernel(
                in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, kname
            )
        _cache["kernel:" + name] = kernel
    return kernel


def _sce_forward(sum_exp, probs_kernel, loss_kernel):
    def forward(a, safe, mask):
        """``(loss, probs)`` for (N, C) logits ``a``, class indices ``safe`` (N,) and the
        float ``mask`` (N,) of non-ignored targets."""
        n, c = a.shape
        m = a.max(axis=1, keepdims=True)
        s = sum_exp(a, m, axis=1, keepdims=True)
        probs = probs_kernel(a, m, s)
        loss = loss_kernel(a.reshape(-1), m.reshape(n), s.reshape(n), safe, mask, c)
        return loss, probs

    return forward


def _sce_backward(kernel):
    def backward(probs, safe, f):
        """(softmax - onehot(safe)) * f[:, None] for (N, C) ``probs`` and (N,) ``f``."""
        n, c = probs.shape
        cols = array_backend.get_array_module(probs).arange(c, dtype=safe.dtype)
        return kernel(probs, f.reshape(n, 1), safe.reshape(n, 1), cols)

    return backward
