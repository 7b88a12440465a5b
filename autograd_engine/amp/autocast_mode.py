"""``autocast``: automatic mixed precision with PyTorch's per-op cast policy
(``torch.autocast``). Per thread, as every mode here.

Inside ``autocast(device_type, dtype)``, ops on tensors of that device type cast their inputs:

- to the low-precision ``dtype`` for the ops that tensor cores speed up (matmul, linear,
  convolutions; float32 inputs only, float64 is never cast);
- to float32 for the ops that need its range (on CUDA: softmax, log_softmax, exp, log, pow,
  sum, prod, norms, logsumexp, softplus and the losses; on the CPU: prod and the losses);
- ops on mixed precisions (add, cat, stack, where, ...) already promote to the widest type.

The tables are PyTorch's op lists (``aten/src/ATen/autocast_mode.cpp``; the CUDA lists are the
"CUDA Ops that can autocast to float16/float32" of the AMP docs), keyed by this engine's node
classes. Backward passes run without autocast: gradients come out in the dtype each op used.
"""

from __future__ import annotations

import contextvars
import functools
import threading

import numpy

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "custom_fwd", "custom_bwd"]

# NOTE: None when no autocast region is active (the one read every op pays: ~30 ns), else a
# tuple of (device_type, dtype, cache) for the enabled regions, innermost last.
_state: contextvars.ContextVar = contextvars.ContextVar("autograd_engine.autocast", default=None)
state = _state.get
# NOTE: how many enabled regions are open in any thread. Ops read this list item (about half
# the cost of the context variable) and look at their own thread's state only when it is not
# zero, so code that never uses autocast pays almost nothing for it.
regions = [0]
_regions_lock = threading.Lock()

_DEFAULT_DTYPES = {"cuda": numpy.dtype(numpy.float16), "cpu": "bfloat16"}
_SUPPORTED = {"cuda": (numpy.dtype(numpy.float16),), "cpu": (numpy.dtype(numpy.float16),)}

LOWER, FP32 = "lower", "fp32"
# node class name -> policy, per device type
POLICY = {
    "cuda": {
        **dict.fromkeys(("MatMul", "Linear", "Conv2d", "ConvTranspose2d", "Einsum"), LOWER),
        **dict.fromkeys(
            (
                "Softmax",
                "LogSoftmax",
                "Exp",
                "Log",
                "Log1p",
                "Expm1",
                "Pow",
                "Sum",
                "Prod",
                "Norm",
                "LogSumExp",
                "Softplus",
                "SoftmaxCrossEntropy",
                "BinaryCrossEntropy",  # refused: PyTorch's "unsafe to autocast" error
                "BinaryCrossEntropyWithLogits",
                "LayerNorm",
                "GroupNorm",
            ),
            FP32,
        ),
    },
    "cpu": {
        **dict.fromkeys(("MatMul", "Linear", "Conv2d", "ConvTranspose2d"), LOWER),
        **dict.fromkeys(
            ("Prod", "SoftmaxCrossEntropy", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits"),
            FP32,
        ),
    },
}
_LOW_KINDS = frozenset(("e",))  # float16 (bfloat16 is not a dtype of this engine)


def _normalise_dtype(device_type: str, dtype):
    if dtype is None:
        dtype = _DEFAULT_DTYPES[device_type]
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    if "bfloat16" in str(name):
        raise RuntimeError(
            f"autocast({device_type!r}): bfloat16 is not supported by this engine (NumPy has no "
            "bfloat16, and ml_dtypes' bfloat16 is a 'V'-kind type whose matmul returns "
            "float32), so bfloat16 autocast -- PyTorch's default on the CPU -- cannot run. "
            "Pass dtype=autograd_engine.float16."
        )
    dtype = numpy.dtype(dtype)
    if dtype not in _SUPPORTED[device_type]:
        raise RuntimeError(
            f"autocast({device_type!r}): dtype {dtype} is not supported; "
            f"supported: {', '.join(str(d) for d in _SUPPORTED[device_type])}"
        )
    return dtype


class autocast:
    """A region where eligible ops run in lower precision (``torch.autocast``); a context
    manager and a decorator.

    Args:
        device_type: ``"cuda"`` or ``"cpu"``: only ops on tensors of this device type cast.
        dtype: the low-precision dtype; default ``float16`` on CUDA, PyTorch's ``bfloat16`` on
            the CPU (which this engine does not have: pass ``dtype=float16`` there).
        enabled: ``False`` turns autocast off inside (a nested region that opts out).
        cache_enabled: keep the low-precision copy of each leaf tensor that requires grad (a
            weight) for the rest of the region instead of casting it at every use (default
            True).

    Example::

        with ag.autocast("cuda"):              # float16 matmuls, float32 softmax and losses
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()          # outside the region, as in PyTorch

    A ``"cuda"`` region on a machine without a GPU warns and is disabled, as in PyTorch.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in POLICY:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self.device = device_type
        self._enabled = bool(enabled)
        self.fast_dtype = _normalise_dtype(device_type, dtype) if self._enabled else dtype
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        if self._enabled and device_type == "cuda":
            from .. import array_backend

            if not array_backend.cuda_available():
                import warnings

                warnings.warn(
                    "CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2
                )
                self._enabled = False

    def __enter__(self):
        current = _state.get() or ()
        kept = tuple(entry for entry in current if entry[0] != self.device)
        if self._enabled:
            cache = {} if self._cache_enabled else None
            kept = kept + ((self.device, self.fast_dtype, cache),)
            with _regions_lock:
                regions[0] += 1
        self._token = _state.set(kept or None)
        return self

    def __exit__(self, *exc):
        _state.reset(self._token)
        if self._enabled:
            with _regions_lock:
                regions[0] -= 1
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)

        return wrapper


def _entry(device_type: str):
    for entry in _state.get() or ():
        if entry[0] == device_type:
            return entry
    return None


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an autocast region for ``device_type`` is active (``torch.is_autocast_enabled``)."""
    return _entry(device_type) is not None


def get_autocast_dtype(device_type: str):
    """The low-precision dtype autocast uses for ``device_type`` (``torch.get_autocast_dtype``):
    the active region's, else the default (float16 on CUDA; on the CPU PyTorch's bfloat16,
    reported by name since this engine has no such dtype)."""
    entry = _entry(device_type)
    if entry is not None:
        return entry[1]
    return _DEFAULT_DTYPES[device_type]


def cast_inputs(node, inputs: tuple, active: tuple) -> tuple:
    """The inputs of ``node`` cast as the active regions' policy says (called by
    ``Node.__call__`` only while some region is active)."""
    if not inputs:
        return inputs
    device_type = inputs[0].device.type
    entry = None
    for e in active:
        if e[0] == device_type:
            entry = e
    if entry is None:
        return inputs
    policy = POLICY[device_type].get(type(node).__name__)
    if policy is None:
        return inputs
    if policy == FP32 and device_type == "cuda" and type(node).__name__ == "BinaryCrossEntropy":
        raise RuntimeError(_BCE_MESSAGE)
    target = entry[1] if policy == LOWER else numpy.dtype(numpy.float32)
    cache = entry[2]
    out = []
    for t in inputs:
        kind = t.array.dtype.char
        if policy == LOWER and kind == "f":  # float32 only; float64 and integers stay
            out.append(_cached_cast(t, target, cache))
        elif policy == FP32 and kind in _LOW_KINDS:
            out.append(_cast(t, target))
        else:
            out.append(t)
    return tuple(out)


def lower_inputs(*tensors):
    """``tensors`` (None allowed) with float32 ones cast to the region's low-precision dtype
    while an autocast region for their device type is active, for layers whose dtype checks run
    before their node (linear, convolutions); unchanged otherwise."""
    if not regions[0]:
        return tensors
    active = _state.get()
    if active is None:
        return tensors
    first = next((t for t in tensors if t is not None), None)
    entry = None if first is None else _entry(first.device.type)
    if entry is None:
        return tensors
    return tuple(
        _cached_cast(t, entry[1], entry[2]) if t is not None and t.array.dtype.char == "f" else t
        for t in tensors
    )


def fp32_inputs(*tensors):
    """``tensors`` with low-precision floating ones cast to float32 while an autocast region
    for their device type is active (the losses PyTorch runs in float32); unchanged otherwise."""
    if not regions[0]:
        return tensors
    active = _state.get()
    if active is None:
        return tensors
    out = []
    for t in tensors:
        if (
            t is not None
            and hasattr(t, "array")
            and t.array.dtype.char in _LOW_KINDS
            and any(e[0] == t.device.type for e in active)
        ):
            t = _cast(t, numpy.dtype(numpy.float32))
        out.append(t)
    return tuple(out)


def _cast(t, dtype):
    from ..ops.arith import cast

    return cast(t, dtype)


def _cached_cast(t, dtype, cache):
    """PyTorch's weight cache: a leaf that requires grad is cast once per region."""
    if cache is None or t.grad_fn is not None or not t.requires_grad:
        return _cast(t, dtype)
    hit = cache.get(id(t))
    if hit is not None and hit[0] is t and hit[2] == t._version:
        return hit[1]
    low = _cast(t, dtype)
    cache[id(t)] = (t, low, t._version)
    return low


def suspended():
    """A context with autocast off (the engine runs backward passes in it)."""
    return _Suspended()


class _Suspended:
    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _state.set(None)

    def __exit__(self, *exc):
        _state.reset(self._token)
        return False


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """``torch.amp.custom_fwd`` for ``autograd.Function.forward``: with ``cast_inputs`` the
    forward runs with autocast off and its floating tensor inputs cast to that dtype (when
    autocast is active for ``device_type``); without, it runs in the caller's autocast state."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        if cast_inputs is None or not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        dtype = numpy.dtype(cast_inputs)

        def conv(x):
            if hasattr(x, "array") and x.array.dtype.kind == "f" and x.device.type == device_type:
                return _cast(x, dtype) if x.array.dtype != dtype else x
            return x

        with suspended():
            return fwd(*[conv(a) for a in args], **{k: conv(v) for k, v in kwargs.items()})

    return wrapper


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """``torch.amp.custom_bwd``: the backward runs in the autocast state of the forward (here
    backward always runs with autocast off, so this only marks the function)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


_BCE_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_"
    "logits\nor torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and "
    "BCEWithLogits are\nsafe to autocast."
)
