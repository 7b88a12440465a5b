"""A small harness for oracle tests against PyTorch: run the same function on both libraries
from the same NumPy inputs, compare every output (values, dtypes, shapes) and the gradient of
a weighted sum of the float outputs with respect to every float input."""

from __future__ import annotations

import numpy as np

import autograd_engine as ag


def _leaves(lib, arrays, grad: bool):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            needs = grad and a.dtype.kind == "f"
            t = lib.tensor(a, requires_grad=needs)
            out.append(t)
        else:
            out.append(a)
    return out


def _flat(x):
    if isinstance(x, (tuple, list)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _dtype_name(t) -> str:
    return repr(t.dtype).replace("torch.", "").replace("autograd_engine.", "")


def check(fn, *arrays, grad: bool = True, rtol: float = 1e-6, atol: float = 1e-8, torch=None,
          name: str = "") -> list:  # fmt: skip
    """Compare ``fn(lib, *tensors)`` between ``autograd_engine`` and ``torch``; returns our
    outputs. Float inputs require grad (when ``grad``) and gradients are compared too."""
    ours_in, theirs_in = _leaves(ag, arrays, grad), _leaves(torch, arrays, grad)
    ours, theirs = fn(ag, *ours_in), fn(torch, *theirs_in)
    ours_out, theirs_out = list(_flat(ours)), list(_flat(theirs))
    assert len(ours_out) == len(theirs_out), name
    weights = []
    for i, (o, t) in enumerate(zip(ours_out, theirs_out)):
        if not isinstance(t, torch.Tensor):
            assert o == t, f"{name}: output {i}: {o!r} != {t!r}"
            continue
        assert isinstance(o, ag.Tensor), f"{name}: output {i} is {type(o).__name__}"
        assert tuple(o.shape) == tuple(t.shape), f"{name}: output {i} shape"
        assert _dtype_name(o) == _dtype_name(t), f"{name}: output {i} dtype"
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"{name}: output {i}")  # fmt: skip
        if grad and t.requires_grad:
            assert o.requires_grad, f"{name}: output {i} does not require grad"
            w = np.random.default_rng(len(weights)).standard_normal(tuple(t.shape))
            weights.append((o, t, w))
    if not weights:
        return ours_out
    loss_o = sum((o * ag.tensor(w.astype(o.numpy().dtype))).sum() for o, _, w in weights)
    loss_t = sum((t * torch.tensor(w.astype(t.detach().numpy().dtype))).sum()
                 for _, t, w in weights)  # fmt: skip
    leaves_o = [t for t in ours_in if isinstance(t, ag.Tensor) and t.requires_grad]
    leaves_t = [t for t in theirs_in if isinstance(t, torch.Tensor) and t.requires_grad]
    g_o = ag.grad(loss_o, leaves_o, allow_unused=True)
    g_t = torch.autograd.grad(loss_t, leaves_t, allow_unused=True)
    for i, (a, b) in enumerate(zip(g_o, g_t)):
        a = np.zeros(leaves_o[i].shape) if a is None else a.numpy()
        b = np.zeros(tuple(leaves_t[i].shape)) if b is None else b.numpy()
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{name}: gradient {i}")  # fmt: skip
    return ours_out


def same_error(fn, *args, torch=None, match: str | None = None):
    """``fn(lib, *args)`` raises the same exception class in both libraries; returns ours."""
    import pytest

    with pytest.raises(Exception) as theirs:
        fn(torch, *args)
    with pytest.raises(type(theirs.value), match=match) as ours:
        fn(ag, *args)
    return ours.value
