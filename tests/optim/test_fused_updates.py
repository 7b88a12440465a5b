"""The fused SGD and Adam/AdamW update kernels against the plain update code: their sources
compiled and run on the host (g++) through the optimizers' real call sites, and fused vs
reference on a GPU where there is one."""

from __future__ import annotations

import numpy as np
import pytest
from host_kernels import HAVE_CXX, host_fused

import autograd_engine as ag
import optim
from autograd_engine import kernels

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.9), "eps": 1e-6}),  # lerp's other branch
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.2, "betas": (0.5, 0.99)}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),  # not fused: the plain code runs
]


def _launch_spy(used):
    """``kernels.fused`` serving the host-compiled kernels, recording each launch."""

    def fused(kernel_name, *arrays):
        kernel = host_fused(kernel_name, *arrays)
        if kernel is None:
            return None

        def launch(*args):
            used.append(kernel_name)
            return kernel(*args)

        return launch

    return fused


TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-13}}
GPU = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
]
REAL_GPU = [*GPU, pytest.mark.real_gpu]  # runs the fused CUDA kernels: not on the stand-in


def _trajectory(name, kwargs, dtype, device="cpu", steps=3):
    """Parameters and optimizer state after ``steps`` steps with fixed random gradients."""
    rng = np.random.default_rng(0)
    params = [
        ag.tensor(rng.standard_normal(shape).astype(dtype), device=device, requires_grad=True)
        for shape in ((4, 3), (3,))
    ]
    opt = getattr(optim, name)(params, **kwargs)
    for _ in range(steps):
        for p in params:
            p.grad = ag.tensor(rng.standard_normal(p.shape).astype(dtype), device=device)
        opt.step()
    state = [{k: v.numpy() for k, v in opt.state[p].items()} for p in params]
    return [p.numpy() for p in params], state


def _assert_same(got, want, dtype):
    (p_got, s_got), (p_want, s_want) = got, want
    for a, b in zip(p_got, p_want):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])
    for a, b in zip(s_got, s_want):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_allclose(a[key], b[key], **TOL[dtype], err_msg=key)


@pytest.mark.skipif(not HAVE_CXX, reason="needs g++ to run the kernel sources")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_host_fused_update_matches_reference(name, kwargs, dtype, monkeypatch):
    want = _trajectory(name, kwargs, dtype)
    used = []

    monkeypatch.setattr(kernels, "fused", _launch_spy(used))
    got = _trajectory(name, kwargs, dtype)
    _assert_same(got, want, dtype)
    assert bool(used) == (not kwargs.get("amsgrad", False))


@pytest.mark.skipif(not HAVE_CXX, reason="needs g++ to run the kernel sources")
@pytest.mark.parametrize("fused,launches", [(None, True), (True, True), (False, False)])
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_fused_flag_chooses_the_kernel(name, fused, launches, monkeypatch):
    """``fused=False`` keeps GPU parameters on the plain code; ``None`` (the default) and
    ``True`` launch the fused kernel where one exists. The numbers are the same."""
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    want = _trajectory(name, kwargs, np.float64)
    used = []

    monkeypatch.setattr(kernels, "fused", _launch_spy(used))
    got = _trajectory(name, {**kwargs, "fused": fused}, np.float64)
    _assert_same(got, want, np.float64)
    assert bool(used) == launches


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("_", [pytest.param("cuda", marks=REAL_GPU)])
def test_gpu_fused_update_matches_reference(name, kwargs, dtype, _):
    before = kernels.enabled
    try:
        kernels.enabled = True
        fused = _trajectory(name, kwargs, dtype, "cuda")
        kernels.enabled = False
        plain = _trajectory(name, kwargs, dtype, "cuda")
    finally:
        kernels.enabled = before
    _assert_same(fused, plain, dtype)
