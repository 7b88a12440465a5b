"""Pieces the training-step workloads share: PyTorch-style initial weights, the reference's
softmax cross-entropy, and the float32 audit of our forward and backward."""

from __future__ import annotations

import math

import numpy

from benchmarks.context import Context

LR = 0.01


def linear_init(ctx: Context, fan_in: int, *shape: int) -> numpy.ndarray:
    """Uniform on +-1/sqrt(fan_in), PyTorch's default for Linear and Conv2d."""
    return ctx.uniform(1 / math.sqrt(fan_in), *shape)


def cross_entropy_grad(xp, logits, target, rows):
    """Mean softmax cross-entropy of ``logits`` and its gradient, overwriting ``logits``.

    The stable form: shift by the row max, ``loss = log(sum e^z) - z[target]``, and
    ``dloss/dz = (softmax(z) - onehot(target)) / batch``.
    """
    batch = logits.shape[0]
    logits -= logits.max(axis=1, keepdims=True)
    e = xp.exp(logits)
    s = e.sum(axis=1, keepdims=True)
    loss = (xp.log(s)[:, 0] - logits[rows, target]).mean()
    e /= s
    e[rows, target] -= 1
    e *= 1 / batch
    return loss, e


def float32_audit(named_tensors, params) -> list[str]:
    """Every tensor that is not float32: activations, their gradients, parameters and theirs.

    ``named_tensors`` are the forward's intermediates, each given ``retain_grad()`` before the
    backward that preceded this call.
    """
    problems = []
    for name, t in named_tensors:
        if t.dtype != numpy.float32:
            problems.append(f"{name}: {t.dtype}")
        if t.requires_grad and t.grad is not None and t.grad.dtype != numpy.float32:
            problems.append(f"grad of {name}: {t.grad.dtype}")
    for name, p in params:
        if p.dtype != numpy.float32:
            problems.append(f"parameter {name}: {p.dtype}")
        if p.grad is None:
            problems.append(f"parameter {name}: no gradient after backward")
        elif p.grad.dtype != numpy.float32:
            problems.append(f"grad of parameter {name}: {p.grad.dtype}")
    return problems


def max_rel_diff(a: numpy.ndarray, b: numpy.ndarray) -> float:
    """max |a - b| relative to max |b| (scale-free, so one tolerance fits every tensor)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:
        return math.inf
    return float(numpy.abs(a - b).max() / max(numpy.abs(b).max(), 1e-12))
