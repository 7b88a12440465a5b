"""Process-wide settings with PyTorch's names: BLAS threads (``set_num_threads``), deterministic
algorithms, float32 matmul precision. What each means for this engine is said where it differs
from PyTorch's."""

from __future__ import annotations

import os
import warnings

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "get_num_interop_threads",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "check_deterministic",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]


# --- threads ------------------------------------------------------------------------------------
_threads: list = [None]  # the threadpoolctl controller of the last set_num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the BLAS behind matrix products and convolutions
    (``torch.set_num_threads``; applied with threadpoolctl to every BLAS NumPy loaded)."""
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    from threadpoolctl import threadpool_limits

    _threads[0] = threadpool_limits(limits=n, user_api="blas")
    _threads.append(n)


def get_num_threads() -> int:
    """The number of BLAS threads (``torch.get_num_threads``)."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    if counts:
        return max(counts)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_interop = [1]


def set_num_interop_threads(n: int) -> None:
    """Accepted for PyTorch programs; this engine runs operations one at a time, in the calling
    thread, so there is no inter-op pool to size (``torch.set_num_interop_threads``)."""
    if not isinstance(n, int) or n <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _interop[0] = n


def get_num_interop_threads() -> int:
    """The value given to :func:`set_num_interop_threads` (1 by default): operations run in the
    calling thread here (``torch.get_num_interop_threads``)."""
    return _interop[0]


# --- deterministic algorithms -------------------------------------------------------------------
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Require deterministic algorithms (``torch.use_deterministic_algorithms``).

    On the CPU every operation here is deterministic. On a GPU, the scatter-adds behind
    ``index_add``/``scatter_add``/indexing backward use CuPy's atomic ``add.at``, whose float
    sums depend on thread order: with the mode on they raise (or warn, with ``warn_only``), as
    PyTorch does for its nondeterministic CUDA kernels.
    """
    _deterministic["mode"] = bool(mode)
    _deterministic["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` is on."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether the deterministic mode only warns."""
    return _deterministic["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/"default" (off), 1/"warn" (warn only) or 2/"error" (raise), as PyTorch's."""
    modes = {"default": 0, "warn": 1, "error": 2}
    level = modes.get(debug_mode, debug_mode)
    if level not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected one of 0, 1, 2 (or default, warn, error), "
            f"but got {debug_mode}"
        )
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2, as set by :func:`set_deterministic_debug_mode`."""
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2


def check_deterministic(op: str) -> None:
    """Called by an operation without a deterministic implementation on its device."""
    if not _deterministic["mode"]:
        return
    message = (
        f"{op} does not have a deterministic implementation, but you set "
        "'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this "
        "operation, or you can use the 'warn_only=True' option, if that's acceptable for your "
        "application."
    )
    if _deterministic["warn_only"]:
        warnings.warn(message, UserWarning, stacklevel=3)
    else:
        raise RuntimeError(message)


# --- matmul precision ---------------------------------------------------------------------------
_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """``"highest"``, ``"high"`` or ``"medium"`` (``torch.set_float32_matmul_precision``):
    "high" and "medium" allow TF32 in float32 matrix products on the GPU (the same switch as
    ``backends.cuda.matmul.allow_tf32 = True``); on the CPU products are always full float32."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(
            f"Invalid precision value: {precision!r}; expected one of 'highest', 'high', 'medium'"
        )
    _precision[0] = precision
    from .backends import cuda as backends_cuda

    backends_cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """The value set by :func:`set_float32_matmul_precision` (``"highest"`` by default)."""
    return _precision[0]
