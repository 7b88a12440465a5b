"""The profiler (``torch.profiler``, ``torch.autograd.profiler``): what it records (op
applications, backward nodes, ``record_function`` ranges) with counts and consistent
self/total times, the table, the Chrome trace, the schedule and ``on_trace_ready`` checked
against PyTorch's, and nothing recorded (nor any cost left behind) outside a profiler."""

from __future__ import annotations

import gzip
import json
import os
import threading
import warnings

import pytest

import autograd_engine as ag
import nn
from autograd_engine import profiler
from autograd_engine.autograd import profiler as legacy
from autograd_engine.node import Node
from autograd_engine.profiler import ProfilerAction, ProfilerActivity, record_function

PLAIN_CALL = Node.__call__


def _mlp():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def _averages(prof) -> dict:
    return {ev.key: ev for ev in prof.key_averages()}


def test_mlp_forward_and_backward_counts():
    model, x = _mlp(), ag.randn(5, 8)
    steps = 3
    with profiler.profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            out = model(x)
            loss = out.relu().sum()
            loss.backward()
    linear_backward = model(x).grad_fn.name()
    avg = _averages(prof)
    assert avg["Linear"].count == 2 * steps  # two Linear layers per forward
    assert avg["ReLU"].count == 2 * steps  # nn.ReLU and Tensor.relu
    assert avg["Sum"].count == steps
    assert avg[linear_backward].count == 2 * steps
    assert avg["ReluBackward0"].count == 2 * steps
    assert avg["SumBackward0"].count == steps
    for ev in avg.values():
        assert ev.cpu_time_total >= ev.self_cpu_time_total >= 0
        assert ev.cpu_time == pytest.approx(ev.cpu_time_total / ev.count)
    assert Node.__call__ is PLAIN_CALL  # the untimed application is back


def test_nested_record_function_self_and_total_times():
    x = ag.randn(30, 30, requires_grad=True)
    with profiler.profile() as prof:
        with record_function("outer"):
            y = x @ x
            with record_function("inner"):
                z = (y * y).sum()
            z.backward()
    events = {ev.name: ev for ev in prof.events()}
    outer, inner = events["outer"], events["inner"]
    assert inner.cpu_parent is outer and inner in outer.cpu_children
    assert outer.cpu_time_total >= inner.cpu_time_total > 0
    for ev in prof.events():
        assert ev.cpu_time_total >= ev.self_cpu_time_total >= 0
        children = sum(c.cpu_time_total for c in ev.cpu_children)
        assert ev.self_cpu_time_total == pytest.approx(ev.cpu_time_total - children)
        for c in ev.cpu_children:  # a child lies inside its parent's range
            assert ev.time_range.start <= c.time_range.start
            assert c.time_range.end <= ev.time_range.end
    assert {c.name for c in inner.cpu_children} == {"Mul", "Sum"}
    # the backward nodes ran inside "outer" but outside "inner"
    assert "MulBackward0" in {c.name for c in outer.cpu_children}


def test_record_function_as_decorator_and_outside_a_profiler():
    @record_function("helper")
    def helper(t):
        return t * 2

    helper(ag.ones(3))  # no profiler: nothing happens, no error
    with profiler.profile() as prof:
        helper(ag.ones(3))
        helper(ag.ones(3))
    avg = _averages(prof)
    assert avg["helper"].count == 2 and avg["Mul"].count == 2
    with pytest.raises(TypeError, match="name must be a str"):
        record_function(3)


def _rows(table: str) -> list[list[str]]:
    lines = table.strip().splitlines()
    body = lines[3:-2]  # dashes, header, dashes ... dashes, footer
    return [line.split() for line in body]


def test_table_sorting_and_row_limit():
    x = ag.randn(40, 40, requires_grad=True)
    with profiler.profile() as prof:
        for _ in range(4):
            (x @ x).tanh().sum().backward()
    averages = prof.key_averages()
    for key in ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count"):
        table = averages.table(sort_by=key)
        names = [row[0] for row in _rows(table)]
        expected = [ev.key for ev in sorted(averages, key=lambda e: getattr(e, key), reverse=True)]
        assert names == expected, key
    table = averages.table(sort_by="self_cpu_time_total", row_limit=2)
    assert len(_rows(table)) == 2
    assert len(_rows(averages.table(row_limit=-1))) == len(averages)
    header = table.splitlines()[1].split()
    assert header[:3] == ["Name", "Self", "CPU"] and "Calls" in header
    assert table.splitlines()[-1].startswith("Self CPU time total:")
    counts = {row[0]: int(row[-1]) for row in _rows(averages.table(row_limit=-1))}
    assert counts == {ev.key: ev.count for ev in averages}


def test_bad_sort_key_names_the_valid_ones():
    with profiler.profile() as prof:
        ag.ones(2) + ag.ones(2)
    averages = prof.key_averages()
    with pytest.raises(AttributeError, match="'cpu_time_total'.*'self_cpu_time_total'"):
        averages.table(sort_by="cpu_totl")
    with pytest.raises(AttributeError, match="measures CPU time only"):
        averages.table(sort_by="self_cuda_time_total")
    with pytest.raises(AttributeError, match="measures CPU time only"):
        averages.table(sort_by="cpu_memory_usage")


def _torch_schedule_actions(torch, kwargs, steps):
    fn = torch.profiler.schedule(**kwargs)
    return [fn(i).name for i in range(steps)]


SCHEDULES = [
    dict(wait=1, warmup=1, active=2),
    dict(wait=1, warmup=1, active=2, repeat=2),
    dict(wait=0, warmup=2, active=1, repeat=3, skip_first=2),
    dict(wait=3, warmup=1, active=3, repeat=1, skip_first=1),
    dict(wait=2, warmup=1, active=1, skip_first=5, skip_first_wait=1),
]


@pytest.mark.parametrize("kwargs", SCHEDULES)
def test_schedule_actions_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours = profiler.schedule(**kwargs)
    assert [ours(i).name for i in range(40)] == _torch_schedule_actions(torch, kwargs, 40)


def test_schedule_errors_and_warmup_warning_match_torch():
    with pytest.raises(AssertionError, match="active=0 \\(need > 0\\)"):
        profiler.schedule(wait=1, warmup=1, active=0)
    with pytest.raises(AssertionError, match="Step must be non-negative"):
        profiler.schedule(wait=1, warmup=1, active=1)(-1)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        profiler.schedule(wait=1, warmup=0, active=1)


def _run_scheduled(lib, record, kwargs, steps):
    """Run ``steps`` steps under ``lib``'s profiler with ``kwargs``'s schedule; each step runs
    a ``record_function(f"it{i}")``. Returns the it-names seen by each on_trace_ready call,
    their step numbers, and the it-names key_averages shows after the block."""
    seen, at = [], []

    def ready(prof):
        seen.append(sorted(e.key for e in prof.key_averages() if e.key.startswith("it")))
        at.append(prof.step_num)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = lib.profiler.schedule(**kwargs)
        with lib.profiler.profile(schedule=sched, on_trace_ready=ready) as prof:
            for i in range(steps):
                with record(f"it{i}"):
                    pass
                prof.step()
    try:
        after = sorted(e.key for e in prof.key_averages() if e.key.startswith("it"))
    except AssertionError as exc:  # the schedule never left NONE: both raise
        after = str(exc).split(" (")[0]
    return seen, at, after


@pytest.mark.parametrize("steps", [3, 4, 5, 7, 10])
@pytest.mark.parametrize("kwargs", SCHEDULES[:4])
def test_on_trace_ready_windows_match_torch(kwargs, steps):
    torch = pytest.importorskip("torch")
    ours = _run_scheduled(ag, record_function, kwargs, steps)
    theirs = _run_scheduled(torch, torch.profiler.record_function, kwargs, steps)
    assert ours == theirs


def test_profiler_steps_are_ranges_summed_as_profilerstep_star():
    sched = profiler.schedule(wait=0, warmup=1, active=3, repeat=1)
    with profiler.profile(schedule=sched) as prof:
        for _ in range(5):
            ag.ones(2) * 2
            prof.step()
    avg = _averages(prof)
    assert avg["ProfilerStep*"].count == 3
    names = [ev.name for ev in prof.events() if ev.name.startswith("ProfilerStep#")]
    assert names == ["ProfilerStep#1", "ProfilerStep#2", "ProfilerStep#3"]


def test_chrome_trace_is_valid_json(tmp_path):
    x = ag.randn(4, 4, requires_grad=True)
    with profiler.profile(record_shapes=True) as prof:
        with record_function("block"):
            (x @ x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(prof.events())
    for e in complete:
        assert isinstance(e["ts"], float) and e["dur"] >= 0
        assert e["pid"] == os.getpid() and isinstance(e["tid"], int)
    by_name = {e["name"]: e for e in complete}
    assert by_name["block"]["cat"] == "user_annotation"
    assert by_name["MatMul"]["cat"] == "cpu_op"
    assert by_name["MatMul"]["args"]["Input Dims"] == [[4, 4], [4, 4]]
    block = by_name["block"]
    assert block["ts"] <= by_name["MatMul"]["ts"]
    assert by_name["MatMul"]["ts"] + by_name["MatMul"]["dur"] <= block["ts"] + block["dur"]
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(str(gz))
    with gzip.open(gz, "rt") as f:
        assert json.load(f)["traceEvents"] == trace["traceEvents"]


def test_tensorboard_trace_handler_writes_one_file_per_window(tmp_path):
    logdir = tmp_path / "log"
    sched = profiler.schedule(wait=1, warmup=1, active=1, repeat=2)
    handler = profiler.tensorboard_trace_handler(str(logdir), worker_name="w0")
    with profiler.profile(schedule=sched, on_trace_ready=handler) as prof:
        for _ in range(8):
            ag.ones(3) + ag.ones(3)
            prof.step()
    files = sorted(os.listdir(logdir))
    assert len(files) == 2
    assert all(f.startswith("w0.") and f.endswith(".pt.trace.json") for f in files)
    for f in files:
        names = [e["name"] for e in json.loads((logdir / f).read_text())["traceEvents"]]
        assert "Add" in names and any(n.startswith("ProfilerStep#") for n in names)


def test_disabled_profiler_records_nothing_and_binds_none():
    with legacy.profile(enabled=False) as prof:
        assert Node.__call__ is PLAIN_CALL
        ag.ones(2) + ag.ones(2)
    assert prof is None


def test_nothing_recorded_outside_the_context():
    x = ag.ones(3, requires_grad=True)
    (x * 2).sum().backward()  # before: not recorded
    with profiler.profile() as prof:
        (x * 3).sum().backward()
    before = [(ev.key, ev.count) for ev in prof.key_averages()]
    (x * 4).sum().backward()  # after: not recorded either
    assert [(ev.key, ev.count) for ev in prof.key_averages()] == before
    assert dict(before)["Mul"] == 1 and dict(before)["MulBackward0"] == 1
    assert Node.__call__ is PLAIN_CALL


def test_other_threads_are_not_recorded_as_in_pytorch():
    x = ag.ones(3)

    def work():
        with record_function("in_thread"):
            x * 5

    with profiler.profile() as prof:
        t = threading.Thread(target=work)
        t.start()
        t.join()
        x + x
    assert [(ev.key, ev.count) for ev in prof.key_averages()] == [("Add", 1)]


def test_a_decorated_function_in_two_threads_keeps_its_ranges_apart():
    entered, release = threading.Event(), threading.Event()
    threads = []

    @record_function("shared")
    def work(role: str):
        if role == "main":  # start the other thread inside our range and leave before it does
            threads.append(threading.Thread(target=work, args=("thread",)))
            threads[0].start()
            assert entered.wait(timeout=10)
        else:
            entered.set()
            release.wait(timeout=10)
        return ag.ones(2) * 2

    with profiler.profile() as prof:
        with record_function("outer"):
            work("main")
            ag.ones(1) + ag.ones(1)  # after our range closed, while the thread is in its own
            release.set()
            threads[0].join(timeout=10)
    events = list(prof.events())
    shared = [ev for ev in events if ev.name == "shared"]
    assert len(shared) == 1 and [c.name for c in shared[0].cpu_children] == ["Mul"]
    add = next(ev for ev in events if ev.name == "Add")
    assert add.cpu_parent.name == "outer"


def test_profilers_do_not_nest_and_state_recovers():
    with profiler.profile():
        with pytest.raises(RuntimeError, match="already recording"):
            with profiler.profile():
                pass
    with profiler.profile() as prof:  # usable again
        ag.ones(1) + ag.ones(1)
    assert _averages(prof)["Add"].count == 1


def test_errors_inside_the_profile_close_their_ranges():
    x = ag.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError):
            with record_function("failing"):
                x @ x  # shapes do not match
        (x * 2).sum().backward()
    events = {ev.name: ev for ev in prof.events()}
    assert events["failing"].cpu_time_total >= events["MatMul"].cpu_time_total
    assert events["MulBackward0"].cpu_parent is None  # the failed ranges are closed
    assert Node.__call__ is PLAIN_CALL


def test_create_graph_backward_records_the_backward_ops():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with profiler.profile() as prof:
        (g,) = ag.grad((x**3).sum(), x, create_graph=True)
        g.sum().backward()
    events = list(prof.events())
    pow_backward = next(ev for ev in events if ev.name.startswith("Pow") and "Backward" in ev.name)
    assert pow_backward.cpu_children  # its Tensor-op formula ran as recorded ops
    assert all(c.kind == "cpu_op" for c in pow_backward.cpu_children)


def test_shapes_and_stacks_grouping():
    with profiler.profile(record_shapes=True, with_stack=True) as prof:
        ag.ones(2, 3) + ag.ones(2, 3)
        ag.ones(4) + ag.ones(4)
    by_shape = prof.key_averages(group_by_input_shape=True)
    shapes = sorted(str(ev.input_shapes) for ev in by_shape if ev.key == "Add")
    assert shapes == ["[[2, 3], [2, 3]]", "[[4], [4]]"]
    assert "Input Shapes" in by_shape.table()
    by_stack = prof.key_averages(group_by_stack_n=1)
    adds = [ev for ev in by_stack if ev.key == "Add"]
    assert len(adds) == 2  # two different lines of this file
    assert all("test_profiler.py" in ev.stack[0] for ev in adds)
    assert "Source Location" in by_stack.table()


def test_grouping_needs_the_recorded_data():
    with profiler.profile() as prof:
        ag.ones(1) + ag.ones(1)
    with pytest.raises(RuntimeError, match="record_shapes=True"):
        prof.key_averages(group_by_input_shape=True)
    with pytest.raises(RuntimeError, match="with_stack=True"):
        prof.key_averages(group_by_stack_n=2)


def test_cuda_activity_without_a_gpu_warns_or_raises_as_pytorch(monkeypatch):
    monkeypatch.setattr(ag.cuda, "is_available", lambda: False)
    assert profiler.supported_activities() == {ProfilerActivity.CPU}
    with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"):
        prof = profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    with prof:
        ag.ones(1) + ag.ones(1)
    assert _averages(prof)["Add"].count == 1
    with pytest.warns(UserWarning, match="CUDA is not available"):
        with pytest.raises(RuntimeError, match="No activities specified"):
            profiler.profile(activities=[ProfilerActivity.CUDA])


def test_cuda_activity_on_a_gpu_synchronizes_around_each_op(monkeypatch):
    calls = []
    monkeypatch.setattr(ag.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ag.cuda, "synchronize", lambda device=None: calls.append(device))
    with profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        with record_function("r"):  # a user range does not synchronize
            ag.ones(1) + ag.ones(1)
    assert _averages(prof)["Add"].count == 1
    assert len(calls) == 2  # at the op's start and at its end


def test_memory_and_flops_are_not_faked():
    with pytest.warns(UserWarning, match="profile_memory=True.*no memory columns"):
        prof = profiler.profile(profile_memory=True)
    with prof:
        ag.ones(1) + ag.ones(1)
    assert "memory" not in prof.key_averages().table().lower()
    with pytest.warns(UserWarning, match="with_flops=True"):
        profiler.profile(with_flops=True)


def test_legacy_autograd_profiler():
    model, x = _mlp(), ag.randn(3, 8)
    with legacy.profile(record_shapes=True) as prof:
        with legacy.record_function("fwd"):
            loss = model(x).sum()
        loss.backward()
    assert _averages(prof)["Linear"].count == 2
    assert prof.self_cpu_time_total == pytest.approx(prof.total_average().self_cpu_time_total)
    assert prof.total_average().count == len(prof.function_events)
    assert "fwd" in str(prof) and "Linear" in prof.table(sort_by="cpu_time_total")
    assert prof.key_averages(group_by_input_shape=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        legacy.profile(use_cuda=True)
    messages = [str(w.message) for w in caught]
    assert any("use_cuda" in m for m in messages)
    if not ag.cuda.is_available():
        assert "CUDA is not available, disabling CUDA profiling" in messages


def test_events_while_recording_is_an_error_and_actions_are_pytorchs():
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError, match="still recording"):
            prof.events()
    assert [a.name for a in ProfilerAction] == ["NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE"]


def test_acc_events_keeps_every_window():
    sched = profiler.schedule(wait=0, warmup=1, active=1)
    with profiler.profile(schedule=sched, acc_events=True) as prof:
        for i in range(6):
            with record_function(f"it{i}"):
                pass
            prof.step()
    assert sorted(e.key for e in prof.key_averages() if e.key.startswith("it")) == [
        "it1",
        "it3",
        "it5",
    ]


def test_export_stacks(tmp_path):
    with profiler.profile(with_stack=True) as prof:
        ag.ones(2) * ag.ones(2)
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path))
    lines = path.read_text().splitlines()
    assert lines and all(line.rsplit(" ", 1)[1].isdigit() for line in lines)
    assert any(line.rsplit(" ", 1)[0].endswith(";Mul") for line in lines)


@pytest.mark.gpu
@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
def test_cuda_ops_and_backward_are_recorded_with_synchronization(monkeypatch):
    synced = []
    real_sync = ag.cuda.synchronize

    def sync(device=None):
        synced.append(device)
        real_sync(device)

    monkeypatch.setattr(ag.cuda, "synchronize", sync)
    x = ag.randn(8, 8, device="cuda", requires_grad=True)
    with profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        y = x @ x
        y.relu().sum().backward()
    avg = _averages(prof)
    assert avg["MatMul"].count == 1 and avg["ReLU"].count == 1
    assert avg[y.grad_fn.name()].count == 1 and avg["ReluBackward0"].count == 1
    assert len(synced) == 2 * len(prof.events())  # each op and node: at its start and end
    assert x.grad is not None and str(x.grad.device) == "cuda:0"
