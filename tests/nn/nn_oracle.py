"""Helpers for the PyTorch-oracle tests of ``nn``: copy a torch module's state into ours
through ``load_state_dict`` (so loading PyTorch state_dicts is tested too), run both on the
same float64 inputs and compare outputs and every gradient."""

from __future__ import annotations

import numpy as np

import autograd_engine as ag

RTOL, ATOL = 1e-10, 1e-12


def torch_state_as_arrays(module) -> dict:
    """A torch module's state_dict converted to NumPy arrays (the user-facing recipe)."""
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def sync(ours, theirs) -> None:
    """Make ``ours`` float64 with ``theirs``'s state (``theirs`` made float64 too)."""
    theirs.double()
    ours.double()
    result = ours.load_state_dict(torch_state_as_arrays(theirs))
    assert not result.missing_keys and not result.unexpected_keys


def close(a, b, rtol=RTOL, atol=ATOL, what="") -> None:
    a = a.numpy() if hasattr(a, "numpy") and not isinstance(a, np.ndarray) else np.asarray(a)
    b = b.detach().cpu().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def compare_modules(torch, ours, theirs, *arrays, rtol=RTOL, atol=ATOL, grad_inputs=True, seed=0):
    """Run both modules on ``arrays`` (float arrays get gradients), backpropagate the same
    random upstream gradient, and compare the outputs, the input gradients and every
    parameter gradient (by name). Returns (our output, torch's output)."""
    ins = [
        ag.tensor(a, requires_grad=grad_inputs and a.dtype.kind == "f")
        if isinstance(a, np.ndarray)
        else a
        for a in arrays
    ]
    tins = [
        torch.tensor(a, requires_grad=grad_inputs and a.dtype.kind == "f")
        if isinstance(a, np.ndarray)
        else a
        for a in arrays
    ]
    out = ours(*ins)
    tout = theirs(*tins)
    if isinstance(out, tuple):
        for o, t in zip(out, tout):
            close(o, t, rtol, atol, "output")
        out, tout = out[0], tout[0]
    close(out, tout, rtol, atol, "output")
    if not tout.requires_grad:
        return out, tout
    g = np.random.default_rng(seed).standard_normal(tout.shape)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(ins, tins)):
        if getattr(t, "grad", None) is not None:
            assert x.grad is not None, f"input {i} got no gradient"
            close(x.grad, t.grad, rtol, atol, f"grad of input {i}")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        tp = theirs_params[name]
        if tp.grad is None:
            assert p.grad is None or not np.any(p.grad.numpy()), f"{name}: torch has no grad"
        else:
            assert p.grad is not None, f"{name} got no gradient"
            close(p.grad, tp.grad, rtol, atol, f"grad of {name}")
    return out, tout
