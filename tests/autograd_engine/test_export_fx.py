"""``autograd_engine.export`` and ``autograd_engine.fx``: every name real code uses exists and
either keeps its eager meaning (``fx.wrap``, ``fx.node.map_arg``, ``isinstance`` against the
classes) or raises a RuntimeError that says why and what to use instead."""

from __future__ import annotations

import collections

import pytest

import autograd_engine as ag
import nn


def _raisers():
    from autograd_engine import export, fx
    from autograd_engine.export import dynamic_shapes
    from autograd_engine.fx import proxy

    model = nn.Linear(2, 2)
    x = ag.randn(1, 2)
    return {
        "export.export": lambda: export.export(model, (x,), dynamic_shapes={"x": {0: None}}),
        "export.save": lambda: export.save(None, "m.pt2"),
        "export.load": lambda: export.load("m.pt2"),
        "export.Dim": lambda: export.Dim("batch", min=1, max=64),
        "export.dynamic_shapes.Dim": lambda: dynamic_shapes.Dim("batch"),
        "export.ShapesCollection": lambda: export.ShapesCollection(),
        "export.ExportedProgram": lambda: export.ExportedProgram(),
        "fx.symbolic_trace": lambda: fx.symbolic_trace(model),
        "fx.GraphModule": lambda: fx.GraphModule(model, None),
        "fx.Graph": lambda: fx.Graph(),
        "fx.Node": lambda: fx.node.Node(),
        "fx.Proxy": lambda: fx.Proxy(None),
        "fx.Tracer": lambda: fx.Tracer(),
        "fx.Interpreter": lambda: fx.Interpreter(model),
        "fx.Transformer": lambda: fx.Transformer(model),
        "fx.proxy.GraphAppendingTracer": lambda: proxy.GraphAppendingTracer(None),
    }


@pytest.mark.parametrize("name", list(_raisers()))
def test_names_that_cannot_work_here_raise_saying_why_and_what_instead(name):
    with pytest.raises(RuntimeError) as info:
        _raisers()[name]()
    message = str(info.value)
    assert message.startswith(f"torch.{name.split('.')[0]}.{name.split('.')[-1]}:")
    assert "autograd_engine.compile" in message and "onnx.export" in message


def test_reachable_after_a_bare_import_as_in_pytorch():
    assert ag.export.export is not None and ag.fx.symbolic_trace is not None
    import autograd_engine.export.dynamic_shapes as ds
    import autograd_engine.fx.node as fx_node

    assert ds.Dim is ag.export.Dim and fx_node.map_arg is ag.fx.map_arg


def test_wrap_keeps_its_eager_meaning_and_nothing_is_a_proxy():
    from autograd_engine import fx

    def f(x):
        return x + 1

    assert fx.wrap(f) is f
    assert fx.wrap("len") == "len"
    for obj in (ag.ones(2), 3, None, nn.Linear(1, 1)):
        assert not isinstance(obj, (fx.Proxy, fx.Node, fx.GraphModule, fx.Graph))


def test_map_arg_matches_pytorch_on_arguments_without_nodes():
    pytest.importorskip("torch", reason="the oracle is PyTorch")
    from torch.fx.node import map_arg as torch_map_arg

    from autograd_engine.fx.node import map_arg

    Pair = collections.namedtuple("Pair", "a b")
    arg = (1, [2.0, "s", {"k": (3, None)}], slice(1, 5, 2), Pair(4, [5]))
    got = map_arg(arg, lambda n: 1 / 0)  # fn runs on nodes only, and there are none
    want = torch_map_arg(arg, lambda n: 1 / 0)
    assert got == want
    assert type(got[3]) is type(want[3]) is Pair
    with pytest.raises(AssertionError, match="fn must be a callable"):
        map_arg(arg, 3)
    with pytest.raises(AssertionError, match="fn must be a callable"):
        torch_map_arg(arg, 3)
