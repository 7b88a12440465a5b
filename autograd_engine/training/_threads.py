"""BLAS threads for a run (``--threads``): chosen for the workload unless given, and applied
with ``threadpoolctl`` around the run.

Small models multiply small matrices: a step of the default digits MLP does GEMMs of
32 x 64 x 256, where splitting the work across threads costs more than it saves, and on a
machine whose cores are busy with other work, BLAS threads that spin waiting for a core make
such a run many times slower (benchmarks/bench_train_threads.py measures it). So ``auto``
uses one thread unless the largest matrix product of a training step is big, and then no
more threads than the cores that are idle.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["cpu_cores", "largest_gemm", "auto_threads", "blas_threads", "blas_default"]

# Multiply-adds of a step's largest GEMM below which one thread is used (2**24: e.g. a batch
# of 256 through a 256 x 256 layer). Chosen from benchmarks/bench_train_threads.py.
SMALL_GEMM = 2**24


def cpu_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def largest_gemm(model, in_shape: tuple, batch_size: int) -> int:
    """Multiply-adds of the largest matrix product in a forward pass of ``batch_size``
    samples of shape ``in_shape`` through ``model``'s Linear and Conv2d layers (measured
    with forward hooks on one sample)."""
    import autograd_engine as ag
    import nn

    sizes = []

    def record(module, args, out):
        if isinstance(module, nn.Linear):
            sizes.append(module.in_features * module.out_features)
        else:  # Conv2d as im2col: (H_out * W_out) x (C_in * kh * kw) x C_out per sample
            kh, kw = module.kernel_size
            per_pixel = module.in_channels // module.groups * kh * kw * module.out_channels
            sizes.append(int(out.shape[-1]) * int(out.shape[-2]) * per_pixel)

    handles = [
        m.register_forward_hook(record)
        for m in model.modules()
        if isinstance(m, (nn.Linear, nn.Conv2d))
    ]
    was_training = model.training
    try:
        model.eval()
        with ag.no_grad():
            device = next(iter(model.parameters())).device
            model(ag.zeros(1, *in_shape, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return batch_size * max(sizes, default=0)


def auto_threads(gemm: int, device_type: str = "cpu") -> int:
    """The BLAS threads for a run whose largest GEMM has ``gemm`` multiply-adds: 1 for small
    products (and on a GPU, where the host multiplies nothing big), else the idle cores."""
    if device_type != "cpu" or gemm < SMALL_GEMM:
        return 1
    cores = cpu_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, min(cores, round(cores - busy)))


def blas_default() -> int | None:
    """The number of threads BLAS starts with (None if threadpoolctl sees no BLAS)."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts) if counts else None


@contextlib.contextmanager
def blas_threads(n: int):
    """Limit every loaded BLAS library to ``n`` threads inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield
