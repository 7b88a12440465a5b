"""Timing and memory measurement: interleaved rounds (A, B, C, A, B, C, ...) of each side of a
row, medians with min and max, the GPU synchronized before every clock read; peak memory of
one step from tracemalloc (CPU) or the CuPy and PyTorch allocators (GPU)."""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.context import Context

SIDES = ("ours", "ref", "torch")


@dataclass
class Target:
    """A goal for one row: ``ours / against <= max_ratio`` (``against`` is "ref" or "torch")."""

    against: str
    max_ratio: float
    label: str

    def met(self, ratios: dict) -> bool | None:
        ratio = ratios.get(self.against)
        return None if ratio is None else ratio <= self.max_ratio


@dataclass
class Row:
    """One timed line of the table: a callable per side (``None`` where a side is missing).

    ``per`` divides each time (the number of ops in a chain, for per-op rows); ``flops`` is the
    arithmetic of one call, for a throughput figure; ``skip`` says why the row did not run.
    """

    name: str
    group: str
    what: str
    sides: dict[str, Callable[[], object] | None] = field(default_factory=dict)
    unit: str = "step"
    per: int = 1
    flops: float | None = None
    target: Target | None = None
    note: str = ""
    skip: str = ""


@dataclass
class MemoryRow:
    """Peak memory of a training step, per side: ``sides`` holds a function that builds the
    side and returns its step (``None`` where the side is missing)."""

    name: str
    group: str
    what: str
    sides: dict[str, Callable[[], Callable[[], object]] | None] = field(default_factory=dict)
    note: str = ""
    skip: str = ""


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def _clock(fn: Callable[[], object], n: int, ctx: Context) -> float:
    clock = CLOCKS[ctx.clock]
    ctx.sync()
    start = clock()
    for _ in range(n):
        fn()
    ctx.sync()
    return clock() - start


def time_row(row: Row, ctx: Context, repeat: int, sample_s: float, warmup: int = 2) -> dict:
    """Time every side of ``row``; returns per-side stats in seconds per ``row.unit``.

    Each side is warmed up (``warmup`` calls: optimizer state, allocator caches, kernel
    compilation), then calibrated so one sample lasts about ``sample_s``; then ``repeat``
    rounds take one sample of each side in turn.
    """
    sides = {k: fn for k, fn in row.sides.items() if fn is not None}
    inner = {}
    for side, fn in sides.items():
        for _ in range(warmup):
            fn()
        once = max(_clock(fn, 1, ctx), 1e-7)
        inner[side] = max(1, min(100_000, round(sample_s / once)))
    samples: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(repeat):
        for side, fn in sides.items():
            n = inner[side]
            samples[side].append(_clock(fn, n, ctx) / n / row.per)
    stats = {side: summarize(values, inner[side]) for side, values in samples.items()}
    return stats


def summarize(values: list[float], inner: int) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "calls_per_sample": inner,
        "samples": values,
    }


def ratios(stats: dict) -> dict:
    """``ours`` median over each other side's median."""
    if "ours" not in stats:
        return {}
    ours = stats["ours"]["median"]
    return {side: ours / s["median"] for side, s in stats.items() if side != "ours"}


def peak_bytes(make: Callable[[], Callable[[], object]], ctx: Context, side: str) -> int | None:
    """High-water mark of everything one side holds during a training step.

    ``make()`` builds the side (its copies of the parameters and inputs) and returns its step;
    two steps run first (gradients and optimizer state then exist, caches are warm), then the
    peak of the third is read, counted from before ``make()``: parameters, inputs, gradients
    kept between steps, optimizer state and the step's temporaries. CPU: tracemalloc (NumPy
    reports its buffers to it; PyTorch's CPU allocator does not, so PyTorch gets ``None``).
    GPU: CuPy's default pool, emptied of cached blocks before the measured step so that it
    grows to the step's peak, or ``torch.cuda.max_memory_allocated``.
    """
    if side == "torch" and not ctx.is_cuda:
        return None
    gc.collect()
    if not ctx.is_cuda:
        tracemalloc.start()
        try:
            step = make()
            step()
            step()
            tracemalloc.reset_peak()
            step()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    ctx.sync()
    if side == "torch":
        torch = ctx.torch
        base = torch.cuda.memory_allocated()
        step = make()
        step()
        step()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base
    pool = ctx.xp.get_default_memory_pool()
    pool.free_all_blocks()
    base = pool.used_bytes()
    step = make()
    step()
    step()
    ctx.sync()
    pool.free_all_blocks()
    step()
    ctx.sync()
    return pool.total_bytes() - base


def measure_memory(row: MemoryRow, ctx: Context) -> dict:
    return {
        side: peak_bytes(make, ctx, side) if make is not None else None
        for side, make in row.sides.items()
    }


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
