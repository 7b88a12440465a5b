"""``nn.attention`` (``torch.nn.attention``): choosing the backends that
``nn.functional.scaled_dot_product_attention`` may use, with ``SDPBackend`` and the
``sdpa_kernel`` context manager.

PyTorch has several implementations of attention (math, flash, memory-efficient, cuDNN) that
compute the same function with different speed and rounding; it runs the first allowed one
that supports the inputs and raises when none does. This engine has one implementation, the
math backend's computation; it runs when an allowed backend could run on the inputs' device as
in PyTorch: ``MATH`` anywhere, ``FLASH_ATTENTION`` on the CPU or a GPU, ``EFFICIENT_ATTENTION``
and ``CUDNN_ATTENTION`` on a GPU only. So ``with sdpa_kernel(SDPBackend.FLASH_ATTENTION):``
works (with the math backend's numbers), and ``sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION)``
on CPU tensors raises PyTorch's "No viable backend" error.
"""

from __future__ import annotations

import contextlib
import enum

from autograd_engine.backends import cuda as _cuda

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

#: PyTorch warns why a fused kernel could not be used when this is True; here there are no
#: fused kernels, so it has no effect.
WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The backends of scaled dot product attention (``torch.nn.attention.SDPBackend``), with
    PyTorch's values."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# each backend's flag in backends.cuda
_FLAG = {
    SDPBackend.MATH: "math",
    SDPBackend.FLASH_ATTENTION: "flash",
    SDPBackend.EFFICIENT_ATTENTION: "mem_efficient",
    SDPBackend.CUDNN_ATTENTION: "cudnn",
    SDPBackend.OVERRIDEABLE: "overrideable",
}
# the backends PyTorch can run on each device type (OVERRIDEABLE is for out-of-tree devices)
_VIABLE = {
    "cpu": ("math", "flash"),
    "cuda": ("math", "flash", "mem_efficient", "cudnn"),
}


def _check_viable(device_type: str) -> None:
    """Raise PyTorch's error when no allowed backend can run on ``device_type``."""
    if not any(_cuda._sdp_enabled[f] for f in _VIABLE.get(device_type, ("math",))):
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely due "
            "to turning off both the math kernel and the fused kernels. (scaled_dot_product_"
            f"attention on {device_type} tensors; allowed backends: {_current()}; allow "
            "SDPBackend.MATH to run it)"
        )


def _current() -> list[SDPBackend]:
    return [b for b, flag in _FLAG.items() if _cuda._sdp_enabled[flag]]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Allow only ``backends`` (one ``SDPBackend`` or a list) for scaled dot product attention
    inside the block; the previous flags come back on exit (``torch.nn.attention.sdpa_kernel``).

    ``set_priority`` orders PyTorch's choice among several allowed backends; with one
    implementation here it changes nothing and is accepted. See the module doc for which
    backends can run where.

    Example::

        >>> from nn.attention import SDPBackend, sdpa_kernel
        >>> with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        ...     out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
            f"{type(backends).__name__}"
        )
    chosen = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    for b in chosen:
        if not isinstance(b, SDPBackend) or b is SDPBackend.ERROR:
            raise AssertionError(
                f"sdpa_kernel: {b!r} is not a backend; use SDPBackend.MATH, FLASH_ATTENTION, "
                "EFFICIENT_ATTENTION, CUDNN_ATTENTION or OVERRIDEABLE"
            )
    previous = dict(_cuda._sdp_enabled)
    try:
        for b, flag in _FLAG.items():
            _cuda._sdp_enabled[flag] = b in chosen
        yield {}
    finally:
        _cuda._sdp_enabled.update(previous)
