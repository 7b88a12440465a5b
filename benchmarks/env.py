"""The process settings a fair timing needs, applied before NumPy, PyTorch or CuPy load: one
BLAS thread everywhere and one TF32 choice for CuPy and PyTorch alike."""

from __future__ import annotations

import contextlib
import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pinning_is_effective() -> bool:
    """True while no BLAS-backed library is loaded yet, so the thread variables still count."""
    return not any(name in sys.modules for name in ("numpy", "torch", "cupy"))


@contextlib.contextmanager
def pinned(tf32: bool):
    """Set the thread and TF32 variables for the run, and restore the old values afterwards.

    NOTE: the BLAS libraries read the thread variables when they load, so they only pin
    threads in a fresh process (the command line); in-process callers such as the smoke test
    get whatever threading NumPy started with, and the run records that. CuPy reads
    ``CUPY_TF32`` at its first float32 matmul, and ``NVIDIA_TF32_OVERRIDE=0`` keeps cuBLAS and
    cuDNN off TF32 for both CuPy and PyTorch when TF32 is off.
    """
    wanted = {name: "1" for name in THREAD_VARIABLES}
    wanted["CUPY_TF32"] = "1" if tf32 else "0"
    if not tf32:
        wanted["NVIDIA_TF32_OVERRIDE"] = "0"
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def configure_torch(torch, tf32: bool) -> dict:
    """One intra-op thread and the TF32 choice for PyTorch; returns what to restore later."""
    saved = {"threads": torch.get_num_threads()}
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # only allowed before PyTorch's first parallel work
        torch.set_num_interop_threads(1)
    if torch.cuda.is_available():
        saved["matmul_tf32"] = torch.backends.cuda.matmul.allow_tf32
        saved["cudnn_tf32"] = torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    return saved


def restore_torch(torch, saved: dict) -> None:
    torch.set_num_threads(saved["threads"])
    if "matmul_tf32" in saved:
        torch.backends.cuda.matmul.allow_tf32 = saved["matmul_tf32"]
        torch.backends.cudnn.allow_tf32 = saved["cudnn_tf32"]
