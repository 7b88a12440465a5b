"""The CUDA path's device handling, one test per bug the CuPy stand-in found (issue 15): random
generators with CuPy's API, index bounds on device arrays, writes into expanded views, the
device index of creation and random functions, ops and backward on their inputs' device, and
the error for two GPUs in one op. Multi-GPU tests need two devices (the stand-in has two)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag

CUDA = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
]
TWO_GPUS = [
    *CUDA,
    pytest.mark.skipif(ag.cuda.device_count() < 2, reason="needs two CUDA devices"),
]
pytestmark = CUDA


def _on(t, device: str) -> None:
    assert str(t.device) == device, f"{t.device} != {device}"
    assert t.array.device.id == int(device.split(":")[1])


def test_randperm_on_cuda():
    p = ag.randperm(10, device="cuda")
    _on(p, "cuda:0")
    assert sorted(p.numpy().tolist()) == list(range(10)) and p.dtype == ag.int64
    g = ag.Generator("cuda").manual_seed(3)
    first = ag.randperm(50, generator=g, device="cuda").numpy()
    again = ag.randperm(50, generator=ag.Generator("cuda").manual_seed(3), device="cuda")
    assert np.array_equal(first, again.numpy())


def test_cuda_generator_state_round_trips():
    g = ag.Generator("cuda").manual_seed(7)
    ag.randn(3, generator=g, device="cuda")
    state = g.get_state()
    a = ag.randn(4, generator=g, device="cuda").numpy()
    b = ag.randn(4, generator=g, device="cuda").numpy()
    g.set_state(state)
    assert np.array_equal(ag.randn(4, generator=g, device="cuda").numpy(), a)
    assert np.array_equal(ag.randn(4, generator=g, device="cuda").numpy(), b)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_out_of_bounds_index_tensors_raise_on_every_device(device):
    x = ag.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for bad in ([5], [-4], [[0, 3]]):
        index = ag.tensor(bad, device=device)
        with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
            x[index]
        with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
            x.detach()[index] = 1.0
    m = ag.zeros(2, 3, device=device)
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 3"):
        m[:, ag.tensor([1, 3], device=device)]
    assert x[ag.tensor([-1, 0], device=device)].numpy().tolist() == [3.0, 1.0]
    y = ag.zeros(3, device=device)
    y[ag.tensor([2, -3], device=device)] = 5.0
    assert y.numpy().tolist() == [5.0, 0.0, 5.0]


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_in_place_writes_into_expanded_views_raise(device, requires_grad):
    msg = "unsupported operation: more than one element of the written-to tensor"
    writes = {
        "add_": lambda v: v.add_(1),
        "setitem": lambda v: v.__setitem__((0, 0), 2.0),
        "fill_": lambda v: v.fill_(3.0),
        "copy_": lambda v: v.copy_(ag.zeros(2, 3, device=device)),
    }
    for name, write in writes.items():
        base = ag.ones(1, 3, device=device, requires_grad=requires_grad)
        src = base * 1 if requires_grad else base
        with pytest.raises(RuntimeError, match=msg):
            write(src.expand(2, 3))
        assert src.numpy().tolist() == [[1.0, 1.0, 1.0]], name


@pytest.mark.parametrize("device", ["cuda:0", pytest.param("cuda:1", marks=TWO_GPUS)])
def test_creation_and_random_functions_honour_the_device_index(device):
    made = {
        "zeros": ag.zeros(2, device=device),
        "ones": ag.ones(2, device=device),
        "empty": ag.empty(2, device=device),
        "full": ag.full((2,), 1.5, device=device),
        "arange": ag.arange(3, device=device),
        "linspace": ag.linspace(0, 1, 3, device=device),
        "eye": ag.eye(2, device=device),
        "tensor": ag.tensor([1.0, 2.0], device=device),
        "tensor(int64->float)": ag.tensor([1, 2], dtype=ag.float32, device=device),
        "rand": ag.rand(2, device=device),
        "randn": ag.randn(2, device=device),
        "randint": ag.randint(0, 5, (3,), device=device),
        "randperm": ag.randperm(4, device=device),
        "zeros_like": ag.zeros_like(ag.ones(2, device=device)),
        "randn_like": ag.randn_like(ag.ones(2, device=device)),
    }
    for name, t in made.items():
        assert str(t.device) == device, f"{name}: {t.device}"
        assert t.array.device.id == ag.device(device).index, name


@pytest.mark.parametrize("device", ["cuda:0", pytest.param("cuda:1", marks=TWO_GPUS)])
def test_ops_and_backward_run_on_their_inputs_device(device):
    import nn.functional as F

    x = ag.ones(3).to(device).requires_grad_()
    y = (x + 1) * x
    _on(y, device)
    logits = ag.randn(4, 5, device=device, requires_grad=True)
    target = ag.tensor([0, 1, 2, 3], device=device)
    loss = F.cross_entropy(logits @ ag.eye(5, device=device), target) + y.sum()
    loss.backward()
    _on(x.grad, device)
    _on(logits.grad, device)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


@pytest.mark.parametrize(
    ("first", "second"), [("cuda:0", "cuda:1"), ("cuda:1", "cuda:0")], ids=["0to1", "1to0"]
)
@pytest.mark.parametrize("_", [pytest.param(None, marks=TWO_GPUS)])
def test_model_trains_and_moves_between_gpus(first, second, _):
    import nn
    import optim

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    reference = [p.numpy().copy() for p in model.parameters()]
    x, y = np.random.default_rng(0).standard_normal((6, 4)), np.arange(6) % 2

    def train(dev, steps=2):
        opt = optim.Adam(model.parameters(), lr=0.01)
        for _ in range(steps):
            opt.zero_grad()
            out = model(ag.tensor(x, dtype=ag.float32, device=dev))
            nn.functional.cross_entropy(out, ag.tensor(y, device=dev)).backward()
            opt.step()
        for p in model.parameters():
            _on(p, dev)
            _on(p.grad, dev)

    model.to(first)
    train(first)
    model.to(second)
    train(second)
    model.to("cpu")
    cpu_model = [p.numpy().copy() for p in model.parameters()]
    assert any(not np.allclose(a, b) for a, b in zip(cpu_model, reference))
    assert str(model[1].running_mean.device) == "cpu"


@pytest.mark.parametrize("_", [pytest.param(None, marks=TWO_GPUS)])
def test_two_gpus_in_one_op_is_a_device_error(_):
    a = ag.ones(3, device="cuda:0")
    b = ag.ones(3, device="cuda:1")
    for op in (lambda: a + b, lambda: a @ b, lambda: ag.stack([a, b])):
        with pytest.raises(RuntimeError, match="cuda:0.*cuda:1.*same device|same device.*cuda:0"):
            op()
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
        a + b
    moved = b.to("cuda:0")
    _on(moved, "cuda:0")
    _on(a.to("cuda:1"), "cuda:1")
    np.testing.assert_allclose((a + moved).numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("_", [pytest.param(None, marks=TWO_GPUS)])
def test_two_gpus_raise_even_with_peer_access(_, monkeypatch):
    """With peer access CuPy would read across GPUs and put the result on the current one
    (with a PerformanceWarning); the engine refuses, as PyTorch does."""
    cupy = ag.array_backend.cupy
    if not getattr(cupy, "_IS_STANDIN", False):
        pytest.skip("simulates peer access on the CuPy stand-in")
    from cupy._core import core

    monkeypatch.setattr(core, "_PEER_ACCESS", True)
    a, b = ag.ones(3, device="cuda:0"), ag.ones(3, device="cuda:1")
    with pytest.raises(RuntimeError, match="input 0 on cuda:0, input 1 on cuda:1"):
        a * b


def test_cummax_and_cummin_on_cuda_match_the_cpu():
    """CuPy's ufuncs accumulate only add and multiply (``cupy_maximum.accumulate is not
    supported yet``): the running extremum is a scan of element-wise kernels there."""
    x = np.array([[3.0, 1, 5, 5, 2, 7, 7, 0], [0, np.nan, 5, 9, -1, np.nan, 2, 8]])
    x = np.stack([x, x[::-1]])  # (2, 2, 8): ties, nan, and scans of lengths 2 and 8
    for op in (ag.cummax, ag.cummin):
        for dim in (0, 1, 2, -1):
            want = op(ag.tensor(x), dim)
            got = op(ag.tensor(x, device="cuda"), dim)
            _on(got.values, "cuda:0")
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    t = ag.tensor(x, device="cuda", requires_grad=True)
    ag.cummax(t, 2).values.sum().backward()
    _on(t.grad, "cuda:0")


def test_polygamma_and_bessel_functions_on_cuda_match_the_cpu():
    """polygamma(n, x) on CUDA: the module was chosen from n (a Python int) and SciPy was
    called with a CuPy array; CuPy's polygamma also needs n as an array."""
    x = np.array([0.5, 1.0, 2.5, 7.0])
    for fn in (lambda t: ag.polygamma(1, t), lambda t: ag.polygamma(3, t), ag.digamma,
               ag.lgamma, ag.i0, ag.special.i1):  # fmt: skip
        got = fn(ag.tensor(x, device="cuda"))
        _on(got, "cuda:0")
        np.testing.assert_allclose(got.numpy(), fn(ag.tensor(x)).numpy(), rtol=1e-12)


def test_a_generator_of_another_device_type_is_pytorchs_error():
    """A CPU generator's NumPy draws cannot feed a CuPy array (CuPy refused the mix with
    ``TypeError: Unsupported type <class 'numpy.ndarray'>``); PyTorch's check_generator."""
    p = ag.full((3,), 0.5, device="cuda")
    msg = "Expected a 'cuda' device type for generator but found 'cpu'"
    with pytest.raises(RuntimeError, match=msg):
        ag.bernoulli(p, generator=ag.Generator())
    with pytest.raises(RuntimeError, match=msg):
        ag.rand(3, device="cuda", generator=ag.Generator())
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found"):
        ag.randn(3, generator=ag.Generator("cuda"))
    draw = ag.bernoulli(p, generator=ag.Generator("cuda").manual_seed(0))
    _on(draw, "cuda:0")


def test_cpu_scalars_meet_gpu_tensors_as_in_pytorch():
    """A 0-d CPU tensor may meet tensors of one GPU (PyTorch's CPU-scalar rule): it moves there,
    its gradient comes back on the CPU; anything larger on the CPU is still refused."""
    x = ag.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    s = ag.tensor(2.0, requires_grad=True)
    for out in (x * s, s * x, x + s, ag.where(x > 1.5, x, s), ag.maximum(s, x)):
        _on(out, "cuda:0")
    y = (x * s + s).sum()
    y.backward()
    _on(x.grad, "cuda:0")
    assert str(s.grad.device) == "cpu" and float(s.grad) == 9.0  # sum(x) + 3
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
        x + ag.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
        ag.tensor([1.0, 2.0, 3.0]) + x


@pytest.mark.parametrize("first", [True, False], ids=["gpu-first", "scalar-first"])
def test_cpu_scalar_with_tensors_of_two_gpus_is_still_refused(first):
    if ag.cuda.device_count() < 2:
        pytest.skip("needs two CUDA devices")
    a, b = ag.ones(2, device="cuda:0"), ag.ones(2, device="cuda:1")
    s = ag.tensor(1.0)
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
        ag.where(a > 0, b, s) if first else ag.where(s > 0, a, b)


@pytest.mark.parametrize("how", ["set_device", "context"])
def test_a_bare_cuda_means_the_current_gpu(how):
    """``torch.cuda.set_device(rank); model.cuda()`` (every DDP script): ``"cuda"`` with no
    number is the current GPU, in creation, ``.cuda()``, ``.to("cuda")`` and modules."""
    if ag.cuda.device_count() < 2:
        pytest.skip("needs two CUDA devices")
    import nn

    def place():
        m = nn.Linear(2, 2).cuda()
        return [ag.ones(2, device="cuda"), ag.zeros(2).cuda(), ag.zeros(2).to("cuda"), m.weight]

    try:
        if how == "set_device":
            ag.cuda.set_device(1)
            placed = place()
        else:
            with ag.cuda.device(1):
                placed = place()
            _on(ag.ones(1, device="cuda"), "cuda:0")  # back to the previous GPU after the block
    finally:
        ag.cuda.set_device(0)
    for t in placed:
        _on(t, "cuda:1")
    _on(ag.ones(1, device="cuda"), "cuda:0")
