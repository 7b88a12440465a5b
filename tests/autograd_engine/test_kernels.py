"""The fused CuPy kernels against the plain ``xp`` code they stand beside: the registry and
its switches on the CPU, the kernel sources compiled and run on the host (g++) through the
real call sites, and fused vs reference on a GPU where there is one."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from host_kernels import HAVE_CXX, host_fused

import autograd_engine as ag
import nn.functional as F
from autograd_engine import kernels

GPU = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
]
REAL_GPU = [*GPU, pytest.mark.real_gpu]  # runs the fused CUDA kernels: not on the stand-in
HOST = pytest.mark.skipif(not HAVE_CXX, reason="needs g++ to run the kernel sources")

# name -> (function, second-order smooth?)
ACTIVATIONS = {
    "relu": (ag.relu, False),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), False),
    "sigmoid": (ag.sigmoid, True),
    "tanh": (ag.tanh, True),
    "gelu": (ag.gelu, True),
    "silu": (ag.silu, True),
}
TOL = {np.float32: {"rtol": 2e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-13}}


def _inputs(dtype, device="cpu"):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 7)) * 3
    x[0, :3] = [0.0, -0.0, 40.0]  # relu'(0), and a saturated sigmoid
    g = rng.standard_normal((5, 7))
    return (
        ag.tensor(x.astype(dtype), device=device, requires_grad=True),
        ag.tensor(g.astype(dtype), device=device),
    )


def _fwd_bwd(fn, x, g):
    x = x.detach().requires_grad_(True)
    y = fn(x)
    y.backward(g)
    return y.numpy(), x.grad.numpy()


def test_registry_gives_none_for_numpy_arrays():
    for name in kernels.names():
        for dtype in (np.float16, np.float32, np.float64):
            assert kernels.fused(name, np.ones(3, dtype)) is None


def test_every_source_is_registered_and_named():
    assert set(kernels.SOURCES) <= set(kernels.names())
    for name, (kind, in_params, out_params, body) in kernels.SOURCES.items():
        assert kind in ("elementwise", "reduction")
        names = [p.split()[-1] for p in (in_params + "," + out_params).split(",")]
        assert len(set(names)) == len(names), name
        assert "i" not in names  # CuPy reserves i for the loop index
        if kind == "elementwise":
            for out in out_params.split(","):
                assert out.split()[-1] in body, (name, out)


def test_fused_can_be_disabled_from_the_environment():
    code = "import autograd_engine as ag; print(ag.kernels.enabled)"
    for value, expected in (("0", "False"), ("1", "True")):
        env = dict(os.environ, AUTOGRAD_ENGINE_FUSED=value)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def test_tf32_flags_have_pytorchs_defaults_and_toggle():
    code = (
        "import autograd_engine as ag\n"
        "b = ag.backends\n"
        "print(b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32)\n"
        "b.cuda.matmul.allow_tf32 = True; b.cudnn.allow_tf32 = False\n"
        "print(b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CUPY_TF32"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True", "True", "False"]


def test_tf32_flag_toggles_in_process():
    matmul = ag.backends.cuda.matmul
    before = matmul.allow_tf32
    try:
        matmul.allow_tf32 = 1
        assert matmul.allow_tf32 is True
        matmul.allow_tf32 = False
        assert matmul.allow_tf32 is False
    finally:
        matmul.allow_tf32 = before


@pytest.fixture
def host(monkeypatch):
    """Route the activation and loss call sites to the host-compiled kernel sources: NumPy
    arrays count as device arrays, and ``kernels.fused`` builds host kernels."""
    monkeypatch.setattr(kernels, "_GPU_ARRAY", np.ndarray)
    monkeypatch.setattr(kernels, "fused", host_fused)


@HOST
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_host_kernel_matches_reference(name, dtype, request):
    fn, _ = ACTIVATIONS[name]
    x, g = _inputs(dtype)
    want = _fwd_bwd(fn, x, g)
    request.getfixturevalue("host")
    got = _fwd_bwd(fn, x, g)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])


@HOST
@pytest.mark.parametrize("name", [n for n, (_, smooth) in ACTIVATIONS.items() if smooth])
def test_create_graph_keeps_the_differentiable_backward(name, request):
    fn, _ = ACTIVATIONS[name]
    x, g = _inputs(np.float64)

    def second(x):
        x = x.detach().requires_grad_(True)
        (gx,) = ag.grad(fn(x), x, g, create_graph=True)
        (ggx,) = ag.grad(gx.sum(), x)
        return gx.numpy(), ggx.numpy()

    want = second(x)
    request.getfixturevalue("host")
    for a, b in zip(second(x), want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def _cross_entropy(x, t, reduction, ignore_index):
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(x, t, reduction=reduction, ignore_index=ignore_index)
    loss.backward(ag.ones_like(loss))
    return loss.numpy(), x.grad.numpy()


@HOST
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_host_softmax_cross_entropy_matches_reference(dtype, reduction, request):
    x, _ = _inputs(dtype)
    t = ag.tensor(np.array([3, 0, 6, 2, 1]))
    want = _cross_entropy(x, t, reduction, ignore_index=2)
    request.getfixturevalue("host")
    got = _cross_entropy(x, t, reduction, ignore_index=2)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.fixture
def fused_switch():
    """Run a function with the fused kernels on, then off; restores the switch."""
    before = kernels.enabled

    def both(fn, *args):
        results = []
        for on in (True, False):
            kernels.enabled = on
            try:
                results.append(fn(*args))
            finally:
                kernels.enabled = before
        return results

    return both


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("_", [pytest.param("cuda", marks=REAL_GPU)])
def test_gpu_fused_activation_matches_reference(name, dtype, _, fused_switch):
    fn, _smooth = ACTIVATIONS[name]
    x, g = _inputs(dtype, "cuda")
    fused, plain = fused_switch(_fwd_bwd, fn, x, g)
    for a, b in zip(fused, plain):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize("_", [pytest.param("cuda", marks=GPU)])
def test_gpu_registry_serves_float_kernels_only(_, monkeypatch):
    cupy = ag.array_backend.cupy
    monkeypatch.setattr(kernels, "enabled", True)
    for name in kernels.names():
        assert kernels.fused(name, cupy.ones(3, cupy.float32)) is not None, name
        assert kernels.fused(name, cupy.ones(3, cupy.int64)) is None, name
        assert kernels.fused(name, cupy.ones(3, cupy.float32), cupy.ones(3, cupy.float64)) is None
    monkeypatch.setattr(kernels, "enabled", False)
    assert kernels.fused("relu", cupy.ones(3, cupy.float32)) is None


@pytest.mark.parametrize("_", [pytest.param("cuda", marks=REAL_GPU)])
def test_gpu_fused_activation_float16(_, fused_switch):
    for name, (fn, _smooth) in ACTIVATIONS.items():
        x, g = _inputs(np.float16, "cuda")
        fused, plain = fused_switch(_fwd_bwd, fn, x, g)
        for a, b in zip(fused, plain):
            np.testing.assert_allclose(
                a.astype(np.float32), b.astype(np.float32), rtol=1e-2, atol=1e-2, err_msg=name
            )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("_", [pytest.param("cuda", marks=REAL_GPU)])
def test_gpu_fused_softmax_cross_entropy_matches_reference(dtype, reduction, _, fused_switch):
    x, _g = _inputs(dtype, "cuda")
    t = ag.tensor(np.array([3, 0, 6, 2, 1]), device="cuda")
    fused, plain = fused_switch(_cross_entropy, x, t, reduction, 2)
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize("_", [pytest.param("cuda", marks=GPU)])
def test_gpu_tf32_switch_sets_cupys_compute_type(_):
    from cupy._core import _routines_linalg as linalg

    matmul = ag.backends.cuda.matmul
    before = matmul.allow_tf32
    try:
        matmul.allow_tf32 = False
        assert linalg.get_compute_type(np.float32) == linalg.COMPUTE_TYPE_DEFAULT
        matmul.allow_tf32 = True
        expected = linalg.COMPUTE_TYPE_TF32
        if int(ag.array_backend.cupy.cuda.Device().compute_capability) < 80:
            expected = linalg.COMPUTE_TYPE_DEFAULT  # no TF32 before Ampere
        assert linalg.get_compute_type(np.float32) == expected
    finally:
        matmul.allow_tf32 = before
