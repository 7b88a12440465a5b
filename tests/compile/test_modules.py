"""``compile(module)``: PyTorch's OptimizedModule layout, and training through a compiled forward
(the backward program runs in the outer ``loss.backward()``), bit for bit with eager mode."""

from __future__ import annotations

import pytest
from autograd_engine.nn import functional as F
from compile_models import assert_same_state, batches, bn_dropout, cnn, mlp, same_bits

import autograd_engine as ag
from autograd_engine import nn, optim

MODELS = {
    "mlp": (mlp, (8, 20)),
    "cnn": (cnn, (6, 1, 8, 8)),
    "bn-dropout": (bn_dropout, (6, 1, 8, 8)),
}


def _train(make, data, compiled: bool, optimizer="sgd"):
    ag.manual_seed(0)
    model = make()
    m = ag.compile(model) if compiled else model
    if optimizer == "sgd":
        opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    else:
        opt = optim.Adam(m.parameters(), lr=0.01)
    losses = []
    for x, y in data:
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.numpy().copy())
    return losses, model, m


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_a_compiled_module_is_bit_identical(name, optimizer):
    make, shape = MODELS[name]
    data = batches(shape, n=6)
    losses_e, model_e, _ = _train(make, data, False, optimizer)
    losses_c, model_c, m = _train(make, data, True, optimizer)
    assert m.forward.explain()[0].startswith("replayed"), m.forward.explain()
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)


def test_several_calls_before_one_backward():
    """Each call keeps what its own backward needs (a siamese use of one module)."""
    data = batches((8, 20), n=5)
    grads = {}
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        m = ag.compile(model) if compiled else model
        for (x1, _), (x2, _) in zip(data, data[1:]):
            model.zero_grad()
            a, b = m(x1), m(x2)
            ((a * b).sum() + a.square().sum()).backward()
        grads[compiled] = [p.grad.numpy().copy() for p in model.parameters()]
    assert all(same_bits(a, b) for a, b in zip(grads[False], grads[True]))


def test_gradient_flows_into_an_input_with_history():
    data = batches((8, 20), n=4)
    grads = {}
    for compiled in (False, True):
        ag.manual_seed(0)
        scale = ag.randn(20, requires_grad=True)
        model = mlp()
        m = ag.compile(model) if compiled else model
        for x, y in data:
            F.cross_entropy(m(x * scale), y).backward()
        grads[compiled] = [scale.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    assert all(same_bits(a, b) for a, b in zip(grads[False], grads[True]))


def test_eval_and_no_grad_calls_are_their_own_signatures():
    ag.manual_seed(0)
    model = bn_dropout()
    m = ag.compile(model)
    x, _ = batches((6, 1, 8, 8), n=1)[0]
    for _ in range(3):
        m(x)
    m.eval()
    assert not model.training
    with ag.no_grad():
        outs = [m(x).numpy() for _ in range(3)]
        want = model(x).numpy()
    assert all(same_bits(o, want) for o in outs)
    assert len(m.forward.explain()) == 2


def test_double_backward_through_a_compiled_forward_raises():
    ag.manual_seed(0)
    model = mlp()
    m = ag.compile(model)
    x = ag.randn(4, 20, requires_grad=True)
    for _ in range(3):
        out = m(x)
    (g,) = ag.grad(out.sum(), x, create_graph=False)
    assert g.shape == (4, 20)
    with pytest.raises(RuntimeError, match="double backward"):
        ag.grad(m(x).sum(), x, create_graph=True)


def test_optimized_module_layout():
    ag.manual_seed(0)
    model = mlp()
    m = ag.compile(model)
    assert m._orig_mod is model
    assert list(m.state_dict()) == ["_orig_mod." + k for k in model.state_dict()]
    assert [id(p) for p in m.parameters()] == [id(p) for p in model.parameters()]
    assert m._orig_mod[0] is model[0] and len(m) == 3  # (no m[0]: PyTorch's has none either)
    m.eval()
    assert not model.training and not m.training
    m.train()
    assert model.training
    m.extra = 5
    assert model.extra == 5
    fresh = mlp()
    ag.compile(fresh).load_state_dict(m.state_dict())
    for a, b in zip(fresh.parameters(), model.parameters()):
        assert same_bits(a.numpy(), b.numpy())
    assert "(_orig_mod): Sequential" in repr(m)


def test_module_forward_hooks_run_eagerly_with_an_explanation():
    ag.manual_seed(0)
    model = mlp()
    calls = []
    model.register_forward_hook(lambda mod, args, out: calls.append(1))
    m = ag.compile(model)
    with pytest.warns(ag.compiler.CompileWarning, match="forward hook"):
        for _ in range(3):
            m(ag.ones(2, 20))
    assert len(calls) == 3


def test_module_with_a_python_scalar_attribute_change_is_not_seen():
    """Documented limit: a Python attribute read in forward is a constant of the trace."""
    ag.manual_seed(0)

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.k = 2.0

        def forward(self, x):
            return self.lin(x) * self.k

    model = Scaled()
    m = ag.compile(model)
    x = ag.ones(2, 3)
    with ag.no_grad():
        first = [m(x).numpy() for _ in range(3)]
        model.k = 3.0
        later = m(x).numpy()
    assert same_bits(later, first[0])  # still 2.0: see docs/compile.md, "What is a constant"
