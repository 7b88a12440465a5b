"""CUDA graphs (``mode="reduce-overhead"``) without a GPU: the orchestration is tested on the CPU
with a model of stream capture (capturing runs nothing and keeps the device steps; launching
runs them), and the calls into CuPy's capture API with a recording fake of ``cupy.cuda``. What
this cannot show (kernels really captured, their speed) needs a GPU: see docs/compile.md."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from autograd_engine.nn import functional as F
from compile_models import assert_same_state, batches, bn_dropout, mlp, same_bits

import autograd_engine as ag
from autograd_engine import optim
from autograd_engine.compiler import CompileWarning, _cuda_graph


class ModelCapture:
    """A model of CUDA stream capture on NumPy arrays: ``capture`` records the device steps
    without running them (as a capture runs no kernel); ``launch`` runs the recorded steps."""

    models_cpu = True
    instances: list = []

    def __init__(self):
        self.captured: list[list] = []
        self.launches = 0
        self.side_stream_runs = 0
        ModelCapture.instances.append(self)

    def on_side_stream(self):
        self.side_stream_runs += 1
        return contextlib.nullcontext()

    def allocating(self):
        return contextlib.nullcontext()

    def capture(self, runs):
        self.captured.append(list(runs))
        return list(runs)

    def launch(self, graph) -> None:
        self.launches += 1
        for run in graph:
            run()

    def synchronize(self) -> None:
        pass


@pytest.fixture
def model_capture(monkeypatch):
    ModelCapture.instances = []
    monkeypatch.setattr(_cuda_graph, "capture_factory", ModelCapture)
    return ModelCapture


def _run(make_opt, data, compiled: bool, sched_gamma=None):
    ag.manual_seed(0)
    model = mlp()
    opt = make_opt(model.parameters())
    sched = optim.lr_scheduler.StepLR(opt, 1, gamma=sched_gamma) if sched_gamma else None

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = ag.compile(step, mode="reduce-overhead") if compiled else step
    losses = []
    for x, y in data:
        losses.append(fn(x, y).numpy().copy())
        if sched is not None:
            sched.step()
    return losses, model, fn


@pytest.mark.parametrize(
    "make_opt",
    [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.01)],
    ids=["sgd", "adam"],
)
def test_graph_replays_give_the_eager_numbers(model_capture, make_opt):
    data = batches((8, 20), n=7)
    losses_e, model_e, _ = _run(make_opt, data, False, sched_gamma=0.7)
    losses_c, model_c, fn = _run(make_opt, data, True, sched_gamma=0.7)
    (capture,) = model_capture.instances
    assert capture.side_stream_runs == 1  # call 3: the warm-up on the side stream
    assert capture.launches > 0  # calls 4 on: graphs
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)  # (the scheduler's lr was read on every call)


def test_host_steps_stay_outside_the_graphs(model_capture):
    data = batches((8, 20), n=5)
    _, _, fn = _run(lambda p: optim.SGD(p, lr=0.1), data, True)
    (entry,) = fn._cache.values()
    kinds = [kind for kind, _ in entry.graphed.segments]
    assert kinds[0] == "host"  # zero_grad
    assert kinds[-1] == "host"  # optimizer.step
    assert "graph" in kinds
    captured = [run for graph in model_capture.instances[0].captured for run in graph]
    host_steps = [s.run for s in entry.program.steps if s.kind in ("call", "accumulate")]
    assert not set(map(id, host_steps)) & set(map(id, captured))


def test_outputs_are_copies(model_capture):
    data = batches((8, 20), n=6)
    ag.manual_seed(0)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)

    @ag.compile(mode="reduce-overhead")
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    outs = [step(x, y) for x, y in data]
    kept = [o.numpy().copy() for o in outs]
    step(*data[0])
    assert all(same_bits(o.numpy(), k) for o, k in zip(outs, kept))


def test_inputs_are_copied_into_static_buffers(model_capture):
    ag.manual_seed(0)
    w = ag.randn(4, 3)
    fn = ag.compile(lambda x: (x @ w).relu(), mode="reduce-overhead")
    xs = [ag.randn(2, 4) for _ in range(6)]
    with ag.no_grad():
        got = [fn(x).numpy() for x in xs]
    want = [np.maximum(x.numpy() @ w.numpy(), 0) for x in xs]
    assert all(same_bits(a, b) for a, b in zip(got, want))
    assert model_capture.instances[0].launches == 3


def test_a_replaced_parameter_traces_again(model_capture):
    ag.manual_seed(0)
    lin = mlp()[0]
    fn = ag.compile(lambda x: lin(x), mode="reduce-overhead")
    x = ag.ones(2, 20)
    with ag.no_grad():
        for _ in range(5):
            fn(x)
        lin.weight.data = ag.zeros(16, 20)
        out = fn(x)
    assert same_bits(out.numpy(), np.broadcast_to(lin.bias.numpy(), (2, 16)).copy())


def test_dropout_is_replayed_without_a_graph(model_capture):
    data = batches((6, 1, 8, 8), n=5)
    ag.manual_seed(0)
    model = bn_dropout()
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = ag.compile(step, mode="reduce-overhead")
    with pytest.warns(CompileWarning, match="no CUDA graph .* random numbers"):
        for x, y in data:
            fn(x, y)
    assert fn.explain()[0].startswith("replayed")
    assert model_capture.instances == []


def test_a_failed_capture_falls_back_with_one_warning(model_capture, monkeypatch):
    def refuse(self, runs):
        raise RuntimeError("the stream is capturing: synchronous API calls are not allowed")

    monkeypatch.setattr(ModelCapture, "capture", refuse)
    data = batches((8, 20), n=6)
    losses_e, model_e, _ = _run(lambda p: optim.SGD(p, lr=0.1), data, False)
    with pytest.warns(CompileWarning, match="capturing it failed"):
        losses_c, model_c, _ = _run(lambda p: optim.SGD(p, lr=0.1), data, True)
    assert all(same_bits(a, b) for a, b in zip(losses_e, losses_c))
    assert_same_state(model_e, model_c)


def test_cpu_tensors_get_no_graph_and_no_warning():
    fn = ag.compile(lambda x: x * 2, mode="reduce-overhead")
    with ag.no_grad():
        for _ in range(4):
            out = fn(ag.ones(3))
    assert out.numpy().tolist() == [2.0, 2.0, 2.0]


# --- the calls into CuPy ---------------------------------------------------------------------
class _Recorder:
    def __init__(self):
        self.calls: list = []


def _fake_cupy_cuda(log):
    class Stream:
        def __init__(self, null=False, non_blocking=False, ptr=0, priority=None):
            log.append(("Stream", non_blocking))
            self.capturing = False

        def __enter__(self):
            log.append("enter stream")
            return self

        def __exit__(self, *exc):
            log.append("exit stream")

        def begin_capture(self, mode=None):
            log.append("begin_capture")
            self.capturing = True

        def end_capture(self):
            log.append("end_capture")
            self.capturing = False
            return Graph()

        def synchronize(self):
            log.append("synchronize")

    class Graph:
        def launch(self, stream=None):
            log.append(("launch", stream))

    class MemoryPool:
        def malloc(self, size):  # pragma: no cover - only passed along
            raise AssertionError

    @contextlib.contextmanager
    def using_allocator(allocator=None):
        log.append(("using_allocator", getattr(allocator, "__name__", None)))
        yield

    current = object()

    class cuda:  # noqa: N801  (a module's name)
        pass

    cuda.Stream, cuda.MemoryPool, cuda.using_allocator = Stream, MemoryPool, using_allocator
    cuda.get_current_stream = lambda: current
    return cuda, current


def test_cupy_capture_uses_cupys_api(monkeypatch):
    log: list = []
    cuda, current = _fake_cupy_cuda(log)

    class FakeCupy:
        pass

    FakeCupy.cuda = cuda
    monkeypatch.setattr(_cuda_graph.array_backend, "cupy", FakeCupy)
    capture = _cuda_graph.CupyCapture()
    ran = []
    graph = capture.capture([lambda: ran.append(log[-1])])
    capture.launch(graph)
    assert log[0] == ("Stream", True)  # a non-blocking side stream: capture needs one
    assert log[1] == ("using_allocator", "malloc")  # the private pool's malloc
    assert log[2:4] == ["enter stream", "begin_capture"]
    assert ran == ["begin_capture"]  # the steps run between begin and end
    assert log[4:6] == ["end_capture", "exit stream"]
    assert log[-1] == ("launch", current)  # launched on the current stream


def test_gradient_accumulation_across_graph_calls(model_capture):
    """Without zero_grad in the step, each call adds to .grad, which must not be the graph's
    buffer (the next launch would overwrite it)."""
    data = batches((8, 20), n=7)
    models = []
    for compiled in (False, True):
        ag.manual_seed(0)
        model = mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)

        def micro(x, y, model=model):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss

        fn = ag.compile(micro, mode="reduce-overhead") if compiled else micro
        for i, (x, y) in enumerate(data):
            fn(x, y)
            if i % 3 == 2:
                opt.step()
                opt.zero_grad()
        models.append(model)
    assert_same_state(*models)
