"""Guards (a new signature traces again, up to the recompile limit), what falls back to eager mode
with a one-time explanation (and raises under fullgraph=True), and the compile() arguments."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest
from autograd_engine.nn import functional as F
from compile_models import batches, mlp, same_bits

import autograd_engine as ag
from autograd_engine import nn, optim
from autograd_engine.compiler import CompileWarning, Unsupported


def _setup(lr=0.1):
    ag.manual_seed(0)
    model = mlp()
    return model, optim.SGD(model.parameters(), lr=lr)


def _step_fn(model, opt, extra=None):
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if extra is not None:
            loss = extra(loss, model)
        loss.backward()
        opt.step()
        return loss

    return step


def _states(fn):
    return [line.split(":")[0] for line in fn.explain()]


# --- guards -------------------------------------------------------------------------------
def test_a_new_input_shape_traces_again_and_both_replay():
    model, opt = _setup()
    fn = ag.compile(_step_fn(model, opt))
    for x, y in batches((8, 20), n=3) + batches((4, 20), n=3):
        fn(x, y)
    assert _states(fn) == ["replayed", "replayed"]
    x, y = batches((8, 20), n=1, seed=5)[0]
    fn(x, y)  # back to the first shape: no new trace
    assert len(fn.explain()) == 2


@pytest.mark.parametrize(
    "change",
    ["dtype", "requires_grad", "grad_mode", "train_eval", "python_number"],
)
def test_each_guard_makes_a_new_signature(change):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))

    @ag.compile
    def forward(x, scale=1.0):
        return model(x) * scale

    x = ag.randn(2, 4)
    with ag.no_grad():
        for _ in range(3):
            forward(x)
        if change == "dtype":
            model.double()
            forward(x.double())
        elif change == "requires_grad":
            forward(x.detach().requires_grad_())
        elif change == "grad_mode":
            with ag.enable_grad():
                forward(x)
        elif change == "train_eval":
            model.eval()
            forward(x)
        else:
            forward(x, scale=2.0)
    assert len(fn_entries := forward.explain()) == 2, fn_entries


def test_recompile_limit_warns_once_and_runs_eagerly():
    ag.manual_seed(0)
    w = ag.randn(3, requires_grad=True)
    fn = ag.compile(lambda x: (x * w).sum(), recompile_limit=2)
    with ag.no_grad():
        with pytest.warns(CompileWarning, match="recompile_limit"):
            results = [fn(ag.ones(n, 3)) for n in range(1, 6)]
    assert [float(r.numpy()) for r in results] == [
        float((ag.ones(n, 3) * w).sum().numpy()) for n in range(1, 6)
    ]
    assert len(fn.explain()) == 2


def test_recompile_limit_raises_under_fullgraph():
    fn = ag.compile(lambda x: x * 2, recompile_limit=1, fullgraph=True)
    fn(ag.ones(2))
    with pytest.raises(Unsupported, match="recompile_limit"):
        fn(ag.ones(3))


def test_a_parameter_changing_shape_is_a_guard_miss():
    ag.manual_seed(0)
    lin = nn.Linear(4, 3)
    fn = ag.compile(lambda x: lin(x))
    with ag.no_grad():
        for _ in range(3):
            fn(ag.ones(2, 4))
        lin.weight.data = ag.ones(3, 4, dtype=ag.float64)
        lin.bias.data = ag.zeros(3, dtype=ag.float64)
        out = fn(ag.ones(2, 4, dtype=ag.float64))
    assert out.dtype == ag.float64 and np.allclose(out.numpy(), 4.0)


# --- what runs eagerly, with an explanation ------------------------------------------------------
def _item(loss, model):
    if loss.item() > 100:  # data-dependent Python control flow
        return loss * 0
    return loss


def _hook(loss, model):
    loss.register_hook(lambda g: g * 2)
    return loss


def _randn(loss, model):
    return loss + ag.randn(()) * 0


def _print(loss, model):
    repr(loss)
    return loss


def _clip(loss, model):
    loss.backward(retain_graph=True)
    for p in model.parameters():
        p.grad.array *= 0.5  # NumPy on the array: invisible to the trace
    return loss * 0


FALLBACKS = {
    "item": (_item, "item\\(\\) reads a value on the host"),
    "hook": (_hook, "hook on a tensor"),
    "random": (_randn, "random number was drawn outside"),
    "print": (_print, "numpy\\(\\) reads a value on the host"),
    "raw-numpy": (_clip, "does not reproduce eager mode"),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_unsupported_steps_run_eagerly_with_one_explanation(case):
    extra, message = FALLBACKS[case]
    data = batches((8, 20), n=5)
    model_e, opt_e = _setup()
    eager = _step_fn(model_e, opt_e, extra)
    want = [eager(x, y).numpy() for x, y in data]

    model_c, opt_c = _setup()
    fn = ag.compile(_step_fn(model_c, opt_c, extra))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [fn(x, y).numpy() for x, y in data]
    ours = [w for w in caught if issubclass(w.category, CompileWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert re.search(message, str(ours[0].message))
    assert _states(fn) == ["eager"]
    assert all(same_bits(a, b) for a, b in zip(want, got))
    for p_e, p_c in zip(model_e.parameters(), model_c.parameters()):
        assert same_bits(p_e.numpy(), p_c.numpy())


@pytest.mark.parametrize("case", ["item", "hook", "random", "print"])
def test_fullgraph_raises_at_the_unsupported_line(case):
    extra, message = FALLBACKS[case]
    model, opt = _setup()
    fn = ag.compile(_step_fn(model, opt, extra), fullgraph=True)
    x, y = batches((8, 20), n=1)[0]
    with pytest.raises(Unsupported, match=message) as info:
        fn(x, y)
    assert "fullgraph=True" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_fullgraph_raises_when_the_replay_differs():
    model, opt = _setup()
    fn = ag.compile(_step_fn(model, opt, _clip), fullgraph=True)
    data = batches((8, 20), n=2)
    fn(*data[0])
    with pytest.raises(Unsupported, match="does not reproduce eager mode"):
        fn(*data[1])


def test_in_place_write_into_an_input_runs_eagerly():
    fn = ag.compile(lambda x: x.mul_(2))
    with pytest.warns(CompileWarning, match="in-place write into an input"):
        out = fn(ag.ones(3))
    assert out.numpy().tolist() == [2.0, 2.0, 2.0]


def test_in_place_ops_on_intermediates_and_state_replay():
    ag.manual_seed(0)
    w = ag.randn(3)
    counter = ag.zeros(())

    @ag.compile
    def step(x):
        h = x * 2
        h.add_(w)
        h.clamp_(min=0.0)
        counter.add_(1)
        return h

    with ag.no_grad():
        outs = [step(ag.full((3,), float(i)) - 1).numpy() for i in range(4)]
    want = [np.maximum((np.full(3, i, np.float32) - 1) * 2 + w.numpy(), 0) for i in range(4)]
    assert all(np.array_equal(a, b) for a, b in zip(outs, want))
    assert float(counter.numpy()) == 4 and _states(step) == ["replayed"]


def test_forward_hook_runs_eagerly():
    ag.manual_seed(0)
    model = mlp()
    model[0].register_forward_hook(lambda m, args, out: None)
    fn = ag.compile(lambda x: model(x))
    with pytest.warns(CompileWarning, match="forward hook"):
        fn(ag.ones(2, 20))


def test_returning_a_tensor_that_needs_grad_besides_a_backward_runs_eagerly():
    model, opt = _setup()

    def step(x, y):
        logits = model(x)
        F.cross_entropy(logits, y).backward()
        return logits * 2  # made after the backward: still to be differentiated

    fn = ag.compile(step)
    x, y = batches((8, 20), n=1)[0]
    with pytest.warns(CompileWarning, match="besides running a backward"):
        out = fn(x, y)
    assert out.requires_grad


# --- the API -----------------------------------------------------------------------------------
def test_decorator_forms_and_methods():
    @ag.compile(fullgraph=True)
    def double(x):
        return x * 2

    class Scaler:
        def __init__(self, k):
            self.k = k

        @ag.compile
        def apply(self, x):
            return x * self.k

    assert double(ag.ones(2)).numpy().tolist() == [2.0, 2.0]
    assert Scaler(3.0).apply(ag.ones(2)).numpy().tolist() == [3.0, 3.0]
    assert Scaler(4.0).apply(ag.ones(2)).numpy().tolist() == [4.0, 4.0]
    assert double.__name__ == "double"


def test_disable_and_eager_backend_return_the_function_itself():
    def f(x):
        return x

    assert ag.compile(f, disable=True) is f
    assert ag.compile(f, backend="eager") is f


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"dynamic": True}, ValueError, r"dynamic=True\) is not supported"),
        ({"backend": "tvm"}, ValueError, "unknown backend 'tvm'"),
        ({"mode": "fastest"}, RuntimeError, "Unrecognized mode=fastest"),
        ({"options": {"max_autotune": True}}, RuntimeError, "Unexpected optimization option"),
        ({"mode": "default", "options": {}}, RuntimeError, "Either mode or options"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ag.compile(lambda x: x, **kwargs)


def test_modes_and_options_are_accepted():
    for kwargs in (
        {"mode": "reduce-overhead"},
        {"mode": "max-autotune-no-cudagraphs"},
        {"backend": "cudagraphs"},
        {"options": {"triton.cudagraphs": False}},
    ):
        fn = ag.compile(lambda x: x + 1, **kwargs)
        assert fn(ag.ones(2)).numpy().tolist() == [2.0, 2.0]


def test_is_compiling_and_nested_compiled_functions():
    seen = []
    inner = ag.compile(lambda x: x * 3)

    @ag.compile
    def outer(x):
        seen.append(ag.compiler.is_compiling())
        return inner(x) + 1

    for _ in range(4):
        out = outer(ag.ones(2))
    assert out.numpy().tolist() == [4.0, 4.0]
    assert seen[0] is True and not ag.compiler.is_compiling()
    assert _states(outer) == ["replayed"]


def test_reset_forgets_programs():
    fn = ag.compile(lambda x: x * 2)
    fn(ag.ones(2))
    assert len(fn.explain()) == 1
    ag.compiler.reset()
    assert fn.explain() == []


def test_compiler_disable_makes_the_caller_run_eagerly():
    @ag.compiler.disable(reason="talks to a server")
    def log(t):
        return t

    @ag.compile
    def step(x):
        return log(x * 2) + 1

    with pytest.warns(CompileWarning, match="log is marked autograd_engine.compiler.disable"):
        outs = [step(ag.ones(2)).numpy().tolist() for _ in range(3)]
    assert outs == [[3.0, 3.0]] * 3 and _states(step) == ["eager"]
    assert log(ag.ones(1)).numpy().tolist() == [1.0]
    with pytest.raises(Unsupported, match="talks to a server"):
        ag.compile(lambda x: log(x), fullgraph=True)(ag.ones(1))


def test_other_threads_are_not_recorded():
    """Ops that another thread runs while a step is traced are not part of the program."""
    import threading

    started, go = threading.Event(), threading.Event()
    results = []

    def other():
        started.set()
        go.wait(10)
        results.append((ag.ones(3) * 5).sum().numpy())

    worker = threading.Thread(target=other, daemon=True)

    @ag.compile
    def step(x):
        y = x * 2
        if not worker.is_alive() and not results:
            worker.start()
            started.wait(10)
            go.set()
            worker.join(10)
        return y + 1

    for _ in range(4):
        out = step(ag.ones(2))
    assert out.numpy().tolist() == [3.0, 3.0] and results[0] == 15.0
    assert step.explain() == ["replayed: 2 steps (2 forward)"]


def test_calls_from_several_threads_take_turns():
    """Concurrent calls from several threads give each its own right result (a program's calls
    take turns on its registers; a trace in one thread makes another's first call eager)."""
    import threading

    ag.manual_seed(0)
    w = ag.randn(16, 16)
    fn = ag.compile(lambda x: (x @ w).tanh() * 2)
    inputs = {i: [ag.randn(4, 16) for _ in range(60)] for i in range(3)}
    results: dict = {}

    def work(i):
        with ag.no_grad():
            results[i] = [fn(x).numpy() for x in inputs[i]]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between almost every bytecode
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(interval)
    for i in range(3):
        want = [((x @ w).tanh() * 2).numpy() for x in inputs[i]]
        assert all(same_bits(a, b) for a, b in zip(results[i], want))
