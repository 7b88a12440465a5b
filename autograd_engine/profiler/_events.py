"""The profiler's results as PyTorch's ``torch.autograd.profiler_util`` shapes them: one
``FunctionEvent`` per recorded range, ``FunctionEventAvg`` per key of ``key_averages()``, and
``EventList`` with ``table()``, ``export_chrome_trace()`` and ``export_stacks()``. Times are
microseconds, as in PyTorch."""

from __future__ import annotations

import gzip
import json
import os

# The attributes ``table(sort_by=...)`` accepts; PyTorch's device and memory keys are refused
# (see ``_check_sort_key``) because this profiler measures neither.
SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "count")
_UNMEASURED = ("cuda", "device", "xpu", "memory", "flops", "privateuse1")


class Interval:
    """A time range in microseconds since the profiler started (PyTorch's ``Interval``)."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end

    def elapsed_us(self) -> float:
        """The length of the range in microseconds."""
        return self.end - self.start


class FunctionEvent:
    """One recorded range (``torch.autograd.profiler_util.FunctionEvent``): ``name``,
    ``thread``, ``time_range`` (µs since the profiler started), ``cpu_time_total`` (its
    duration), ``self_cpu_time_total`` (the duration minus its children's), ``cpu_children``,
    ``cpu_parent``, ``input_shapes`` (with ``record_shapes``) and ``stack`` (with
    ``with_stack``); ``kind`` says what it is: ``"cpu_op"`` (a forward op), ``"backward"`` (one
    node of the backward pass) or ``"user_annotation"`` (a ``record_function`` range)."""

    count = 1

    def __init__(self, id: int, name: str, kind: str, thread: int, start_us: float, end_us: float):
        self.id, self.name, self.kind, self.thread = id, name, kind, thread
        self.time_range = Interval(start_us, end_us)
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.input_shapes: list = []
        self.stack: list[str] = []

    @property
    def key(self) -> str:
        """The name ``key_averages`` groups by."""
        return self.name

    @property
    def cpu_time_total(self) -> float:
        """The range's duration in µs, children included."""
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        """The duration in µs minus the children's durations."""
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self) -> float:
        """Time per call in µs (one call: the duration)."""
        return self.cpu_time_total

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name} kind={self.kind} "
            f"cpu_time={_format_time(self.cpu_time_total)} "
            f"self_cpu_time={_format_time(self.self_cpu_time_total)} "
            f"input_shapes={self.input_shapes}>"
        )


class FunctionEventAvg:
    """The events of one key summed (``torch.autograd.profiler_util.FunctionEventAvg``):
    ``key``, ``count``, ``cpu_time_total`` and ``self_cpu_time_total`` (sums, µs) and
    ``cpu_time`` (``cpu_time_total / count``, µs); ``input_shapes`` and ``stack`` when grouped
    by them."""

    def __init__(self, key: str):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes: list | None = None
        self.stack: list[str] | None = None
        self.cpu_parent = None
        self.is_user_annotation = False

    def add(self, other) -> FunctionEventAvg:
        """Add an event (or another average) into this one."""
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_parent = other.cpu_parent
        self.is_user_annotation = getattr(other, "kind", "") == "user_annotation"
        return self

    def __iadd__(self, other) -> FunctionEventAvg:
        return self.add(other)

    @property
    def cpu_time(self) -> float:
        """Average time per call in µs."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def cpu_time_str(self) -> str:
        """``cpu_time`` formatted as the table shows it."""
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        """``cpu_time_total`` formatted as the table shows it."""
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        """``self_cpu_time_total`` formatted as the table shows it."""
        return _format_time(self.self_cpu_time_total)

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str} count={self.count} input_shapes={self.input_shapes}>"
        )


class EventList(list):
    """A list of events with PyTorch's summaries (``torch.autograd.profiler_util.EventList``)."""

    def __init__(self, *args, trace_start_ns: int = 0, metadata: dict | None = None):
        super().__init__(*args)
        self._trace_start_ns = trace_start_ns
        self._metadata = dict(metadata or {})

    def key_averages(
        self, group_by_input_shape: bool = False, group_by_stack_n: int = 0, **kwargs
    ) -> EventList:
        """One ``FunctionEventAvg`` per event name, in order of first appearance; with
        ``group_by_input_shape`` per (name, input shapes) (needs ``record_shapes=True``), with
        ``group_by_stack_n=n`` per (name, the innermost ``n`` user frames) (needs
        ``with_stack=True``). ``ProfilerStep#N`` ranges are summed under ``ProfilerStep*``."""
        unknown = set(kwargs) - {"group_by_overload_name"}
        if unknown:
            raise TypeError(f"key_averages() got an unexpected keyword argument {unknown.pop()!r}")
        groups: dict = {}
        for ev in self:
            name = "ProfilerStep*" if ev.key.startswith("ProfilerStep#") else ev.key
            key = [name]
            if group_by_input_shape:
                key.append(str(ev.input_shapes))
            if group_by_stack_n > 0:
                key.append(tuple(ev.stack[:group_by_stack_n]))
            key = tuple(key)
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(name)
                if group_by_input_shape:
                    avg.input_shapes = ev.input_shapes
                if group_by_stack_n > 0:
                    avg.stack = list(ev.stack[:group_by_stack_n])
            avg.add(ev)
        return EventList(groups.values(), trace_start_ns=self._trace_start_ns)

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one ``FunctionEventAvg`` with key ``"Total"``."""
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        total.key = "Total"
        return total

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of the events' self times in µs: the time the profile covers."""
        return sum(ev.self_cpu_time_total for ev in self)

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_src_column_width: int = 75,
        max_name_column_width: int = 55,
        max_shapes_column_width: int = 80,
        header: str | None = None,
        top_level_events_only: bool = False,
        time_unit: str | None = None,
    ) -> str:
        """The events as PyTorch's text table: Name, Self CPU %, Self CPU, CPU total %,
        CPU total, CPU time avg, # of Calls (and Input Shapes / Source Location when grouped
        by them), sorted by ``sort_by`` (descending; one of ``SORT_KEYS``), at most
        ``row_limit`` rows (``-1``: all)."""
        return _build_table(
            self,
            sort_by,
            row_limit,
            max_src_column_width,
            max_name_column_width,
            max_shapes_column_width,
            header,
            top_level_events_only,
            time_unit,
        )

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (``chrome://tracing``, Perfetto, TensorBoard's
        profiler plugin): complete events (``"ph": "X"``) with ``ts``/``dur`` in µs, one
        ``tid`` per thread. A path ending in ``.gz`` is written gzipped."""
        pid = os.getpid()
        base_us = self._trace_start_ns / 1000.0
        events = [
            {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python"}}
        ]
        for ev in self:
            if not isinstance(ev, FunctionEvent):
                raise TypeError("export_chrome_trace needs the raw events, not key averages")
            args = {}
            if ev.input_shapes:
                args["Input Dims"] = ev.input_shapes
            if ev.stack:
                args["Call stack"] = ";".join(ev.stack)
            events.append(
                {
                    "ph": "X",
                    "cat": "user_annotation" if ev.kind == "user_annotation" else "cpu_op",
                    "name": ev.name,
                    "pid": pid,
                    "tid": ev.thread,
                    "ts": base_us + ev.time_range.start,
                    "dur": ev.cpu_time_total,
                    "args": args,
                }
            )
        trace = {"schemaVersion": 1, "displayTimeUnit": "ms", **self._metadata}
        trace["traceEvents"] = events
        text = json.dumps(trace)
        if path.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as f:
                f.write(text)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write one line per event with a stack, ``frame;frame;... value`` (outermost frame
        first, the event's name last, ``metric`` in µs): the input of flamegraph.pl and
        speedscope. Needs ``with_stack=True``."""
        if metric not in ("self_cpu_time_total", "cpu_time_total"):
            raise ValueError(
                f"export_stacks: metric must be 'self_cpu_time_total' or 'cpu_time_total' "
                f"(device times are not measured), got {metric!r}"
            )
        with open(path, "w", encoding="utf-8") as f:
            for ev in self:
                if ev.stack:
                    frames = ";".join(reversed(ev.stack))
                    f.write(f"{frames};{ev.name} {int(getattr(ev, metric))}\n")


def _format_time(time_us: float) -> str:
    """PyTorch's time format: µs below 1 ms, then ms, then s, three decimals."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_share(time_us: float, total_us: float) -> str:
    return "NaN" if total_us == 0 else f"{time_us * 100.0 / total_us:.2f}%"


def _check_sort_key(sort_by: str) -> None:
    if sort_by in SORT_KEYS:
        return
    valid = ", ".join(repr(k) for k in SORT_KEYS)
    if any(word in sort_by for word in _UNMEASURED):
        raise AttributeError(
            f"table(sort_by={sort_by!r}): this profiler measures CPU time only (no device "
            "kernel times, memory or FLOPs; with ProfilerActivity.CUDA the GPU's work is "
            f"waited for inside each op's CPU time). Sort by one of {valid}."
        )
    raise AttributeError(f"table(sort_by={sort_by!r}): unknown sort key; use one of {valid}.")


def _build_table(
    events,
    sort_by,
    row_limit,
    max_src_column_width,
    max_name_column_width,
    max_shapes_column_width,
    header,
    top_level_events_only,
    time_unit,
) -> str:
    if sort_by is not None:
        _check_sort_key(sort_by)
    if time_unit not in (None, "s", "ms", "us"):
        raise ValueError(f"table: time_unit must be 's', 'ms' or 'us', got {time_unit!r}")
    if len(events) == 0:
        return ""
    if sort_by is not None:
        events = sorted(events, key=lambda ev: getattr(ev, sort_by), reverse=True)
    if top_level_events_only:
        events = [ev for ev in events if ev.cpu_parent is None]
    fmt = _format_time
    if time_unit is not None:
        scale = {"s": 1e6, "ms": 1e3, "us": 1.0}[time_unit]

        def fmt(us):
            return f"{us / scale:.3f}{time_unit}"

    has_shapes = any(ev.input_shapes for ev in events)
    has_stack = any(ev.stack for ev in events)
    name_width = min(max(len(ev.key) for ev in events) + 4, max_name_column_width)
    widths = [name_width] + [12] * 6
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    headers.append("# of Calls")
    if has_shapes:
        shapes_width = max(len(str(ev.input_shapes)) for ev in events) + 4
        widths.append(min(shapes_width, max_shapes_column_width))
        headers.append("Input Shapes")
    if has_stack:
        src_width = max(len(frame) for ev in events for frame in (ev.stack or [""])) + 4
        widths.append(min(src_width, max_src_column_width))
        headers.append("Source Location")

    row_format = "".join("{:>" + str(w) + "}  " for w in widths)
    line = "".join("-" * w + "  " for w in widths)
    total = sum(ev.self_cpu_time_total for ev in events)

    def clip(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 3] + "..."

    out = []
    if header is not None:
        out += ["=" * len(line), header]
    out += [line, row_format.format(*headers), line]
    for i, ev in enumerate(events):
        if row_limit > 0 and i >= row_limit:
            break
        row = [
            clip(ev.key, name_width),
            _format_share(ev.self_cpu_time_total, total),
            fmt(ev.self_cpu_time_total),
            _format_share(ev.cpu_time_total, total),
            fmt(ev.cpu_time_total),
            fmt(ev.cpu_time),
            ev.count,
        ]
        if has_shapes:
            row.append(clip(str(ev.input_shapes), widths[7]))
        stack = list(ev.stack or [])
        if has_stack:
            row.append(clip(stack.pop(0) if stack else "", widths[-1]))
        out.append(row_format.format(*row))
        for frame in stack:  # the rest of the stack, one frame per row
            out.append(row_format.format(*([""] * (len(widths) - 1)), clip(frame, widths[-1])))
    out += [line, f"Self CPU time total: {fmt(total)}"]
    return "\n".join(out) + "\n"


def to_event_list(session, metadata: dict | None = None) -> EventList:
    """The recorded events of a stopped session, in start order, as ``FunctionEvent``s."""
    origin = session.start_ns
    raw = sorted(session.events, key=lambda ev: ev.start_ns)
    made = {}
    out = EventList(trace_start_ns=origin, metadata=metadata)
    for i, ev in enumerate(raw):
        fe = FunctionEvent(
            i,
            ev.name,
            ev.kind,
            ev.thread,
            (ev.start_ns - origin) / 1000.0,
            (ev.end_ns - origin) / 1000.0,
        )
        fe.input_shapes = ev.shapes or []
        fe.stack = ev.stack or []
        made[id(ev)] = fe
        out.append(fe)
    for ev in raw:
        fe = made[id(ev)]
        for child in ev.children:
            fe.cpu_children.append(made[id(child)])
            made[id(child)].cpu_parent = fe
    return out
