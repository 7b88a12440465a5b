"""``Module`` and the containers without PyTorch: registration order and traversal, shared
parameters, buffers, modes, devices and dtypes, hooks, ``repr``, copying, and ``state_dict``
round trips and strict-load errors that leave the model unchanged."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 3, 4), nn.ReLU())
        self.scale = nn.Parameter(ag.ones(1))
        self.register_buffer("steps", ag.zeros(1))
        self.register_buffer("cache", ag.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.conv(x))) * self.scale


NET_KEYS = [
    "scale",
    "steps",
    "conv.weight",
    "conv.bias",
    "bn.weight",
    "bn.bias",
    "bn.running_mean",
    "bn.running_var",
    "bn.num_batches_tracked",
    "head.1.weight",
    "head.1.bias",
]


def snapshot(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_state(model, snap) -> None:
    state = model.state_dict()
    assert list(state) == list(snap)
    for k, v in snap.items():
        np.testing.assert_array_equal(state[k].numpy(), v, err_msg=k)


def test_registration_order_and_traversal():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.1.weight",
        "head.1.bias",
    ]  # fmt: skip
    assert [n for n, _ in net.named_buffers()] == [
        "steps",
        "cache",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_children()] == ["conv", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "conv", "bn", "head", "head.0", "head.1",
                                                   "head.2"]  # fmt: skip
    assert len(list(net.parameters(recurse=False))) == 1
    assert len(list(net.modules())) == 7
    assert list(net.state_dict()) == NET_KEYS
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("head.1.bias") is net.head[1].bias
    assert net.get_buffer("bn.running_var") is net.bn.running_var


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]


def test_parameter_basics():
    t = ag.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and isinstance(p, ag.Tensor)
    assert p.array is t.array  # shares the data
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ag.tensor([1, 2]))


def test_setattr_rules():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
        m.weight = ag.zeros(2, 2)
    m.bias = None
    assert m.bias is None and "bias" in m._parameters
    assert list(m.state_dict()) == ["weight"]
    m.extra = nn.Buffer(ag.ones(3))
    assert "extra" in dict(m.named_buffers())
    m.extra = ag.zeros(3)  # a plain Tensor to a buffer name stays a buffer
    assert m.extra.numpy().sum() == 0 and "extra" in m._buffers
    m.sub = nn.ReLU()
    with pytest.raises(TypeError, match="child module 'sub'"):
        m.sub = 3
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", ag.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = m.nope

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_non_leaf_parameter_is_rejected():
    p = nn.Parameter(ag.ones(2))
    p.grad_fn = (ag.ones(2, requires_grad=True) * 2).grad_fn  # as if computed from a graph
    with pytest.raises(ValueError, match="non-leaf"):
        nn.Module().register_parameter("w", p)


def test_train_eval_and_requires_grad():
    net = Net()
    assert net.training and net.head[1].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")
    net.conv.requires_grad_(False)
    assert not net.conv.weight.requires_grad and net.bn.weight.requires_grad


def test_zero_grad_and_apply():
    m = nn.Linear(3, 2)
    m(ag.ones(4, 3)).sum().backward()
    grad = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is grad and not grad.numpy().any()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    order = []
    Net().apply(lambda mod: order.append(type(mod).__name__))
    assert order == ["Conv2d", "BatchNorm2d", "Flatten", "Linear", "ReLU", "Sequential", "Net"]


def test_to_double_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    params = list(net.parameters())
    net(ag.randn(2, 1, 5, 5)).sum().backward()
    assert net.double() is net
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(p.dtype == ag.float64 for p in net.parameters())
    assert all(p.grad.dtype == ag.float64 for p in net.parameters())
    assert net.bn.running_mean.dtype == ag.float64
    assert net.bn.num_batches_tracked.dtype == ag.int64
    net.to(ag.float32)
    assert net.conv.weight.dtype == ag.float32
    net.to("cpu").cpu().float()
    with pytest.raises(TypeError, match="floating point"):
        net.to(ag.int64)
    with pytest.raises(RuntimeError, match="Unknown device"):
        net.to("tpu")


def test_to_device(device):
    net = Net()
    params = list(net.parameters())
    net.to(device)
    assert all(p.device == ag.device(device) for p in net.parameters())
    assert all(b.device == ag.device(device) for b in net.buffers())
    assert all(a is b for a, b in zip(params, net.parameters()))
    out = net(ag.randn(2, 1, 5, 5, device=device))
    assert out.device == ag.device(device)
    out.sum().backward()
    assert net.conv.weight.grad.device == ag.device(device)
    state = net.state_dict()
    net2 = Net().to(device)
    net2.load_state_dict(state)
    assert_same_state(net2, {k: v.numpy() for k, v in state.items()})


def test_forward_hooks_and_handles():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    m(ag.ones(3, 2))
    assert calls == [("pre", (3, 2)), ("post", (3, 2))]
    h1.remove()
    h2.remove()
    m(ag.ones(1, 2))
    assert len(calls) == 2
    with m.register_forward_pre_hook(lambda mod, args: args[0] * 0):  # replaces the input
        np.testing.assert_allclose(m(ag.ones(1, 2)).numpy(), m.bias.numpy()[None])
    m.register_forward_hook(lambda mod, args, out: out * 0)
    assert not m(ag.ones(1, 2)).numpy().any()
    first = []
    m.register_forward_pre_hook(lambda mod, args: first.append("b"))
    m.register_forward_pre_hook(lambda mod, args: first.append("a"), prepend=True)
    m(ag.ones(1, 2))
    assert first == ["a", "b"]


def test_hooks_with_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    seen = []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(kwargs) or out + 1, with_kwargs=True
    )
    assert m(ag.ones(2), factor=2.0).numpy().tolist() == [4.0, 4.0]
    assert seen == [{"factor": 3.0}]


def test_repr():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(8, 10),
    )
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (2): ReLU(inplace=True)\n"
        "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        "  (5): Dropout(p=0.25, inplace=False)\n"
        "  (6): Linear(in_features=8, out_features=10, bias=True)\n"
        ")"
    )
    assert repr(nn.Maxout(4, 3, pieces=2)) == (
        "Maxout(in_features=4, out_features=3, pieces=2, bias=True)"
    )
    nested = nn.Sequential(nn.Sequential(nn.Tanh()))
    assert repr(nested) == "Sequential(\n  (0): Sequential(\n    (0): Tanh()\n  )\n)"


def test_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b] and head[0] is a
    assert seq(ag.ones(4, 2)).shape == (4, 1)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and list(seq.state_dict())[-1] == "2.bias"
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[1] is c
    seq.insert(1, nn.Tanh())
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 4
    seq[1] = nn.ReLU()
    assert isinstance(seq[1], nn.ReLU)
    assert isinstance(seq.pop(1), nn.ReLU) and len(seq) == 3
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    with pytest.raises(IndexError, match="out of range"):
        seq[7]
    assert len(seq + nn.Sequential(nn.ReLU())) == 4


def test_module_list_and_dict():
    layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))
    assert len(layers) == 3 and [n for n, _ in layers.named_parameters()][:2] == [
        "0.weight",
        "0.bias",
    ]
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[1:3], nn.ModuleList)
    layers.insert(0, nn.Sigmoid())
    assert isinstance(layers[0], nn.Sigmoid) and len(layers) == 6
    del layers[0]
    assert isinstance(layers[0], nn.Linear)
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        layers(ag.ones(1))
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.ReLU()
    assert list(heads) == ["a", "b", "c"] and "a" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and list(heads.keys()) == ["a", "b"]
    params = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3)])
    assert len(params) == 2 and isinstance(params[1], nn.Parameter)
    assert [n for n, _ in params.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": ag.ones(2)})
    assert list(pd.state_dict()) == ["w"] and pd["w"].requires_grad


def test_state_dict_round_trip_with_arrays_and_tensors():
    src, dst = Net(), Net()
    src(ag.randn(4, 1, 5, 5))  # moves the running statistics
    state = src.state_dict()
    assert all(isinstance(v, ag.Tensor) and not v.requires_grad for v in state.values())
    assert state["conv.weight"].array is src.conv.weight.array  # shares memory, like PyTorch
    result = dst.load_state_dict({k: v.numpy() for k, v in state.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert_same_state(dst, snapshot(src))
    assert dst.conv.weight.array is not src.conv.weight.array  # copied, not aliased
    assert int(dst.bn.num_batches_tracked.item()) == 1
    x = ag.randn(2, 1, 5, 5)
    np.testing.assert_allclose(dst.eval()(x).numpy(), src.eval()(x).numpy())
    dst.load_state_dict(state)  # Tensors work as values too
    dst.load_state_dict({k: v.numpy().tolist() for k, v in state.items()})  # and lists
    assert_same_state(dst, snapshot(src))


def test_load_casts_to_the_parameter_dtype():
    m = nn.Linear(2, 2)
    m.load_state_dict({"weight": np.ones((2, 2), dtype=np.float64), "bias": np.zeros(2)})
    assert m.weight.dtype == ag.float32 and m.weight.numpy().sum() == 4


def test_strict_load_lists_every_problem_and_changes_nothing():
    net = Net()
    before = snapshot(net)
    bad = {k: v.copy() + 1 for k, v in before.items()}
    del bad["conv.bias"], bad["bn.running_var"]
    bad["head.1.weight"] = np.zeros((5, 18))
    bad["bn.weight"] = np.zeros(3)
    bad["extra.weight"] = np.zeros(1)
    bad["ghost"] = np.zeros(1)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(bad)
    msg = str(err.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "conv.bias", "bn.running_var"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight", "ghost"' in msg
    assert "size mismatch for head.1.weight: copying a param with shape (5, 18)" in msg
    assert "the shape in current model is (4, 18)" in msg
    assert "size mismatch for bn.weight" in msg
    assert "model is unchanged" in msg
    assert_same_state(net, before)


def test_non_strict_load_returns_keys_but_still_rejects_shapes():
    net = Net()
    before = snapshot(net)
    partial = {"conv.weight": np.full((2, 1, 3, 3), 0.5), "junk": np.zeros(2)}
    result = net.load_state_dict(partial, strict=False)
    missing, unexpected = result
    assert "conv.bias" in missing and "conv.weight" not in missing
    assert unexpected == ["junk"] and result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(net.conv.weight.numpy(), 0.5)
    np.testing.assert_array_equal(net.conv.bias.numpy(), before["conv.bias"])
    before = snapshot(net)
    with pytest.raises(RuntimeError, match="size mismatch for conv.bias"):
        net.load_state_dict({"conv.weight": np.zeros((2, 1, 3, 3)), "conv.bias": np.zeros(3)},
                            strict=False)  # fmt: skip
    assert_same_state(net, before)


def test_missing_num_batches_tracked_is_tolerated_as_pytorch():
    bn = nn.BatchNorm1d(3)
    bn(ag.randn(4, 3))
    state = {k: v.numpy() for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    fresh = nn.BatchNorm1d(3)
    assert fresh.load_state_dict(state).missing_keys == []
    np.testing.assert_allclose(fresh.running_mean.numpy(), bn.running_mean.numpy())


def test_load_state_dict_rejects_non_mappings_and_unreadable_values():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([("weight", np.zeros((2, 2)))])
    with pytest.raises(RuntimeError, match='"bias": cannot read'):
        m.load_state_dict({"weight": np.zeros((2, 2)), "bias": object()})


def test_assign_load_replaces_arrays_but_keeps_parameters():
    m = nn.Linear(2, 2)
    w = m.weight
    new = np.arange(4.0, dtype=np.float32).reshape(2, 2)
    m.load_state_dict({"weight": new, "bias": np.zeros(2, dtype=np.float32)}, assign=True)
    assert m.weight is w and m.weight.numpy()[1, 1] == 3
    new[1, 1] = 7
    assert m.weight.numpy()[1, 1] == 3


def test_deepcopy_and_pickle():
    net = Net()
    net(ag.randn(2, 1, 5, 5)).sum().backward()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert_same_state(clone, snapshot(net))
        assert clone.conv.weight is not net.conv.weight
        assert isinstance(clone.conv.weight, nn.Parameter)
        assert clone.conv.weight.requires_grad
        clone.conv.weight.array[...] = 0
        assert net.conv.weight.numpy().any()
    shared = nn.Linear(2, 2)
    twin = copy.deepcopy(nn.Sequential(shared, shared))
    assert twin[0] is twin[1]


def test_optimizer_style_update_through_parameters():
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    x, y = ag.randn(16, 3), ag.randn(16, 1)
    losses = []
    for _ in range(30):
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.array -= 0.1 * p.grad.array
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_state_dict_survives_training_save_and_load(tmp_path):
    from autograd_engine.training import load, save

    net = Net()
    net(ag.randn(3, 1, 5, 5))
    save({"model": net.state_dict(), "epoch": 2}, tmp_path / "net.ckpt")
    checkpoint = load(tmp_path / "net.ckpt")
    fresh = Net()
    fresh.load_state_dict(checkpoint["model"])
    assert_same_state(fresh, snapshot(net))
    assert checkpoint["epoch"] == 2
