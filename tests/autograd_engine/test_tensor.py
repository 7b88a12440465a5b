"""The Tensor API: creation and dtype rules, attributes, conversion, devices, printing."""

from __future__ import annotations

import numpy as np

import autograd_engine as ag


def test_dtype_rules():
    assert ag.tensor([1.0, 2.0]).dtype == ag.float32
    assert ag.tensor(1.5).dtype == ag.float32
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor([True]).dtype == ag.bool
    assert ag.tensor(np.ones(2)).dtype == ag.float64
    assert ag.tensor(np.ones(2, np.float16)).dtype == ag.float16
    assert ag.Tensor([1.0]).dtype == ag.float32
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == ag.float64
    # Python scalars do not upcast tensors
    assert (ag.ones(2) * 2.5).dtype == ag.float32
    assert (ag.ones(2, dtype=ag.float16) + 1).dtype == ag.float16
    assert (ag.arange(3) * 2).dtype == ag.int64
    assert (ag.arange(3) * 0.5).dtype == ag.float32
    assert (ag.arange(3) / 2).dtype == ag.float32


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3, dtype=np.float32)
    t, s = ag.tensor(a), ag.from_numpy(a)
    a[0] = 5
    assert t.numpy()[0] == 0 and s.numpy()[0] == 5


def test_creation_functions(device):
    assert ag.zeros(2, 3, device=device).shape == (2, 3)
    assert ag.ones((2, 3), device=device).numpy().sum() == 6
    assert ag.full((2,), 7.0, device=device).tolist() == [7.0, 7.0]
    assert ag.full((2,), 7).dtype == ag.int64
    assert ag.empty(4).shape == (4,)
    assert ag.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ag.arange(0, 1, 0.25).dtype == ag.float32
    np.testing.assert_allclose(ag.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert ag.eye(3).numpy().trace() == 3
    r = ag.rand(1000, device=device).numpy()
    assert 0 <= r.min() and r.max() < 1 and r.dtype == np.float32
    assert abs(ag.randn(10000).numpy().std() - 1) < 0.05
    ri = ag.randint(0, 3, (100,))
    assert ri.dtype == ag.int64 and set(ri.tolist()) <= {0, 1, 2}
    assert sorted(ag.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    x = ag.ones(2, 3, dtype=ag.float64)
    for like in (ag.zeros_like, ag.ones_like, ag.rand_like, ag.randn_like, ag.empty_like):
        y = like(x)
        assert y.shape == (2, 3) and y.dtype == ag.float64
    assert ag.full_like(x, 3).numpy().sum() == 18


def test_manual_seed_repeats_random_numbers():
    ag.manual_seed(7)
    a = (ag.rand(3).numpy(), ag.randn(3).numpy(), ag.randint(10, (3,)).numpy())
    ag.manual_seed(7)
    b = (ag.rand(3).numpy(), ag.randn(3).numpy(), ag.randint(10, (3,)).numpy())
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    g = ag.Generator().manual_seed(3)
    c = ag.rand(4, generator=g).numpy()
    np.testing.assert_array_equal(c, ag.rand(4, generator=ag.Generator().manual_seed(3)).numpy())


def test_attributes_and_conversion():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.ndim == 2 and x.size() == (2, 2) and x.size(1) == 2 and x.numel() == 4
    assert x.is_leaf and x.grad is None and x.grad_fn is None
    assert str(x.device) == "cpu" and x.device == ag.device("cpu")
    assert x.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert x.sum().item() == 10.0
    assert x.detach().requires_grad is False
    assert x.double().dtype == ag.float64 and x.long().dtype == ag.int64
    assert x.float() is x  # no change, no copy
    assert x.to("cpu") is x
    assert x.to(ag.float64).grad_fn is not None  # differentiable cast
    c = x.clone()
    assert c.grad_fn is not None and np.shares_memory(c.array, x.array) is False
    assert isinstance(x.numpy(), np.ndarray)
    assert x.cpu() is x
    y = x * 2
    assert not y.is_leaf


def test_to_cast_is_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == ag.float32
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_repr_is_pytorch_like():
    assert repr(ag.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ag.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward0>" in repr(ag.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=autograd_engine.float64" in repr(ag.tensor(np.ones(1)))
    assert repr(ag.tensor([1, 2])) == "tensor([1, 2])"


def test_indexing_forms():
    x = ag.arange(24).reshape(2, 3, 4)
    assert x[1, 2, 3].item() == 23
    assert x[:, 1].shape == (2, 4)
    assert x[..., 0].shape == (2, 3)
    assert x[None].shape == (1, 2, 3, 4)
    assert x[ag.tensor([1, 0])].shape == (2, 3, 4)
    assert x[x > 20].tolist() == [21, 22, 23]


def test_shape_ops_forward():
    x = ag.arange(6).reshape(2, 3)
    assert x.permute(1, 0).shape == (3, 2)
    assert x.transpose(0, 1).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert x.flatten().shape == (6,)
    assert x.unsqueeze(1).shape == (2, 1, 3) and x.unsqueeze(-1).shape == (2, 3, 1)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3)
    assert x[:, :1].expand(2, 4).shape == (2, 4)
    assert ag.cat([x, x], 1).shape == (2, 6)
    assert ag.stack([x, x], 0).shape == (2, 2, 3)
    assert [t.shape for t in x.split(2, 1)] == [(2, 2), (2, 1)]
    assert [t.shape for t in x.split([1, 2], 1)] == [(2, 1), (2, 2)]
    assert [t.shape for t in x.chunk(3, 1)] == [(2, 1)] * 3
    assert ag.ops.pad(x.float(), (1, 1)).shape == (2, 5)
    assert x.flip(1).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.repeat(2, 1).shape == (4, 3)
    assert ag.einsum("ij->ji", x.float()).shape == (3, 2)


def test_reductions_forward():
    x = ag.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert x.sum().item() == 21 and x.mean().item() == 3.5
    assert x.sum((0, 1)).item() == 21
    assert x.max().item() == 6 and x.min().item() == 1
    v, i = x.max(1)
    assert v.tolist() == [5, 6] and i.tolist() == [1, 2]
    assert x.argmax().item() == 5 and x.argmin(1).tolist() == [0, 1]
    assert x.amax(0).tolist() == [4, 5, 6]
    np.testing.assert_allclose(x.var().item(), np.var(x.numpy(), ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.std(1, correction=0).numpy(), np.std(x.numpy(), 1), rtol=1e-6)
    assert x.prod(1).tolist() == [15, 48]
    assert (x > 2).sum().item() == 4


def test_module_level_functions():
    x = ag.tensor([-1.0, 0.5])
    for name in ("exp", "log1p", "sigmoid", "tanh", "relu", "abs", "sin", "cos", "sign"):
        np.testing.assert_allclose(getattr(ag, name)(x).numpy(), getattr(x, name)().numpy())
    assert ag.is_tensor(x) and not ag.is_tensor(1.0)
    assert ag.cuda.is_available() in (True, False)
