"""``autocast``: the per-op cast policy against ``torch.autocast("cpu", dtype=torch.float16)``
(output dtypes and values), the CUDA policy (PyTorch's documented lists) on the GPU path,
nesting, threads, the weight cache, backward outside the policy, and the API's errors."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import autograd_engine as ag
import nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6)).astype(np.float32)
W = RNG.standard_normal((5, 6)).astype(np.float32)
B = RNG.standard_normal(5).astype(np.float32)
IMG = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
KER = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
TARGET = np.array([0, 3, 1, 4])

# name -> function of a namespace (ag/F or torch/torch.nn.functional) and a tensor maker
CASES = {
    "matmul": lambda m, f, t: t(X) @ t(W).T,
    "linear": lambda m, f, t: f.linear(t(X), t(W), t(B)),
    "conv2d": lambda m, f, t: f.conv2d(t(IMG), t(KER), padding=1),
    "matmul float64": lambda m, f, t: t(X.astype(np.float64)) @ t(W.astype(np.float64)).T,
    "softmax of float32": lambda m, f, t: f.softmax(t(X), dim=1),
    "softmax of a float16 matmul": lambda m, f, t: f.softmax(t(X) @ t(W).T, dim=1),
    "log_softmax of a float16 matmul": lambda m, f, t: f.log_softmax(t(X) @ t(W).T, dim=1),
    "sum of a float16 matmul": lambda m, f, t: (t(X) @ t(W).T).sum(),
    "prod of a float16 matmul": lambda m, f, t: (t(X) @ t(W).T).prod(),
    "exp of a float16 matmul": lambda m, f, t: (t(X) @ t(W).T).exp(),
    "float16 + float32": lambda m, f, t: (t(X) @ t(W).T) + t(X[:, :5]),
    "mse_loss": lambda m, f, t: f.mse_loss(t(X) @ t(W).T, t(X[:, :5])),
    "l1_loss": lambda m, f, t: f.l1_loss(t(X) @ t(W).T, t(X[:, :5])),
    "smooth_l1_loss": lambda m, f, t: f.smooth_l1_loss(t(X) @ t(W).T, t(X[:, :5])),
    "cross_entropy": lambda m, f, t: f.cross_entropy(t(X) @ t(W).T, t(TARGET)),
    "nll_loss": lambda m, f, t: f.nll_loss(f.log_softmax(t(X) @ t(W).T, dim=1), t(TARGET)),
    "bce_with_logits": lambda m, f, t: f.binary_cross_entropy_with_logits(
        t(X) @ t(W).T, t((X[:, :5] > 0).astype(np.float32))
    ),
    "kl_div": lambda m, f, t: f.kl_div(
        f.log_softmax(t(X) @ t(W).T, dim=1), f.softmax(t(X[:, :5]), dim=1), reduction="batchmean"
    ),
}


def _name(dtype) -> str:
    """``float16`` for ag.float16, torch.float16 and numpy's float16 alike."""
    return str(dtype).rsplit(".", 1)[-1]


def _run(case, torch=None, device="cpu"):
    if torch is None:
        return CASES[case](ag, F, lambda a: ag.tensor(a, device=device))
    return CASES[case](torch, torch.nn.functional, torch.from_numpy)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cpu_policy_matches_torch(torch, case):
    with torch.autocast("cpu", dtype=torch.float16):
        expected = _run(case, torch)
    with ag.autocast("cpu", dtype=ag.float16):
        got = _run(case)
    assert _name(got.dtype) == _name(expected.dtype), case
    want = expected.detach().float().numpy()
    np.testing.assert_allclose(got.float().numpy(), want, rtol=2e-3, atol=2e-3, err_msg=case)


def test_outside_a_region_nothing_is_cast(torch):
    for case in ("matmul", "linear", "mse_loss", "sum of a float16 matmul"):
        assert _run(case).dtype == ag.float32, case


def test_gradients_come_back_in_the_inputs_dtype(torch):
    w = ag.tensor(W, requires_grad=True)
    tw = torch.from_numpy(W).requires_grad_()
    with ag.autocast("cpu", dtype=ag.float16):
        loss = F.cross_entropy(ag.tensor(X) @ w.T, ag.tensor(TARGET))
    with torch.autocast("cpu", dtype=torch.float16):
        t_loss = torch.nn.functional.cross_entropy(torch.from_numpy(X) @ tw.T, torch.tensor(TARGET))
    loss.backward()  # outside the region, as PyTorch's recipe does
    t_loss.backward()
    assert w.grad.dtype == ag.float32 and tw.grad.dtype == torch.float32
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=5e-3, atol=5e-3)


def test_backward_inside_a_region_is_not_autocast():
    w = ag.tensor(W, requires_grad=True)
    with ag.autocast("cpu", dtype=ag.float16):
        out = (ag.tensor(X) @ w.T).float().sum()
        out.backward()
    assert w.grad.dtype == ag.float32


def test_nested_regions_and_decorator():
    x = ag.tensor(X)
    with ag.autocast("cpu", dtype=ag.float16):
        assert (x @ x.T).dtype == ag.float16
        with ag.autocast("cpu", enabled=False):
            assert not ag.is_autocast_enabled("cpu")
            assert (x @ x.T).dtype == ag.float32
        assert ag.is_autocast_enabled("cpu") and (x @ x.T).dtype == ag.float16
    assert not ag.is_autocast_enabled("cpu")

    @ag.autocast("cpu", dtype=ag.float16)
    def forward(a):
        return a @ a.T

    assert forward(x).dtype == ag.float16 and not ag.is_autocast_enabled("cpu")


def test_the_region_is_per_thread():
    seen = []
    x = ag.tensor(X)

    def other():
        seen.append((ag.is_autocast_enabled("cpu"), (x @ x.T).dtype))

    with ag.autocast("cpu", dtype=ag.float16):
        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=30)
    assert seen == [(False, ag.float32)]


def test_weights_are_cast_once_per_region():
    w = ag.tensor(W, requires_grad=True)
    x = ag.tensor(X)
    with ag.autocast("cpu", dtype=ag.float16):
        a, b = F.linear(x, w), F.linear(x, w)
        casts = {id(n.next_edges[1]) for n in (a.grad_fn, b.grad_fn)}  # the Cast nodes of w
    assert len(casts) == 1  # both read the same float16 copy of w
    with ag.autocast("cpu", dtype=ag.float16, cache_enabled=False):
        a, b = F.linear(x, w), F.linear(x, w)
        casts = {id(n.next_edges[1]) for n in (a.grad_fn, b.grad_fn)}
    assert len(casts) == 2


def test_api_errors_and_deprecated_forms():
    with pytest.raises(RuntimeError, match="bfloat16 is not supported by this engine"):
        ag.autocast("cpu")  # PyTorch's CPU default is bfloat16
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        ag.autocast("tpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ag.autocast(ag.device("cpu"))
    with pytest.raises(RuntimeError, match="dtype float64 is not supported"):
        ag.autocast("cpu", dtype=ag.float64)
    with pytest.warns(FutureWarning, match="cpu.amp.autocast"):
        region = ag.cpu.amp.autocast(dtype=ag.float16)
    with region:
        assert (ag.tensor(X) @ ag.tensor(W).T).dtype == ag.float16
    assert ag.amp.autocast is ag.autocast
    assert ag.get_autocast_dtype("cuda") == ag.float16
    if not ag.cuda.is_available():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            region = ag.autocast("cuda")
        assert "CUDA is not available" in str(caught[0].message) and not region._enabled


CUDA = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
]
# PyTorch's CUDA lists (AMP docs, "CUDA Ops that can autocast to float16/float32")
CUDA_EXPECTED = {
    "matmul": "float16",
    "linear": "float16",
    "conv2d": "float16",
    "matmul float64": "float64",
    "softmax of float32": "float32",
    "softmax of a float16 matmul": "float32",
    "log_softmax of a float16 matmul": "float32",
    "sum of a float16 matmul": "float32",
    "prod of a float16 matmul": "float32",
    "exp of a float16 matmul": "float32",
    "float16 + float32": "float32",
    "mse_loss": "float32",
    "l1_loss": "float32",
    "smooth_l1_loss": "float32",
    "cross_entropy": "float32",
    "nll_loss": "float32",
    "bce_with_logits": "float32",
    "kl_div": "float32",
}


@pytest.mark.parametrize("case", sorted(CUDA_EXPECTED))
@pytest.mark.parametrize("_", [pytest.param("cuda", marks=CUDA)])
def test_cuda_policy(case, _):
    with ag.autocast("cuda"):
        got = _run(case, device="cuda")
        assert str(got.device) == "cuda:0"
    assert _name(got.dtype) == CUDA_EXPECTED[case], case
    with ag.autocast("cpu", dtype=ag.float16):  # a CPU region leaves CUDA ops alone
        assert _run("matmul", device="cuda").dtype == ag.float32


@pytest.mark.parametrize("_", [pytest.param("cuda", marks=CUDA)])
def test_cuda_refuses_binary_cross_entropy(_):
    p = ag.sigmoid(ag.tensor(X, device="cuda"))
    with ag.autocast("cuda"), pytest.raises(RuntimeError, match="unsafe to autocast"):
        F.binary_cross_entropy(p, ag.ones(4, 6, device="cuda"))


@pytest.mark.parametrize("_", [pytest.param("cuda", marks=CUDA)])
def test_mixed_precision_training_on_cuda(_):
    import nn
    import optim

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 5)).to("cuda")
    opt = optim.SGD(model.parameters(), lr=0.1)
    scaler = ag.amp.GradScaler("cuda")
    x, y = ag.tensor(X, device="cuda"), ag.tensor(TARGET, device="cuda")
    losses = []
    for _step in range(20):
        opt.zero_grad()
        with ag.autocast("cuda"):
            out = model(x)
            loss = F.cross_entropy(out, y)
        assert out.dtype == ag.float16 and loss.dtype == ag.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert all(p.dtype == ag.float32 for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]
