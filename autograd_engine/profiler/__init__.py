"""``autograd_engine.profiler`` (``torch.profiler``): where the time of a forward and backward
pass goes, op by op, on the engine's own events.

What is recorded, on the thread that entered the profiler (PyTorch's profiler records that
thread too): every op application (``Node.__call__``: the op's forward and its recording into
the graph), named by its node class (``MatMul``, ``Linear``, ``Add``; PyTorch's names are
``aten::mm``...); every node of the backward pass, named as ``grad_fn`` shows it
(``MatMulBackward0``; PyTorch's inner backward event has the same name), timing the node's
backward formula; and the ranges of :class:`record_function`, including ``ProfilerStep#N``
under a ``schedule``. Operations that make no node (creation functions, comparisons, ``argmax``
and other non-differentiable results, the optimizer's array updates) are not events of their
own: their time is self time of the enclosing range. Times are CPU wall time in microseconds;
with ``ProfilerActivity.CUDA`` on a GPU the device is synchronized at each op's start and end,
so each op's CPU time includes its kernels (there are no separate device columns).

Not recorded: memory (``profile_memory=True`` warns and records time only), FLOPs
(``with_flops=True`` warns likewise), device kernel times. Sorting a table by such a column
raises, naming the keys that exist.

Example::

    from autograd_engine import profiler
    from autograd_engine.profiler import ProfilerActivity, record_function

    with profiler.profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("train_step"):
            loss = model(x).sum()
            loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
"""

from __future__ import annotations

import enum
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable

from . import _record
from ._events import EventList, FunctionEvent, FunctionEventAvg
from ._record import record_function

__all__ = [
    "profile",
    "schedule",
    "record_function",
    "ProfilerAction",
    "ProfilerActivity",
    "supported_activities",
    "tensorboard_trace_handler",
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
]


class ProfilerActivity(enum.Enum):
    """What to profile (``torch.profiler.ProfilerActivity``): ``CPU`` (the host's op times);
    ``CUDA`` on a GPU synchronizes the device around each op so its kernels are inside the op's
    CPU time; without a GPU it is dropped with PyTorch's warning."""

    CPU = 0
    CUDA = 2


class ProfilerAction(enum.Enum):
    """What the profiler does at a step (``torch.profiler.ProfilerAction``)."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set[ProfilerActivity]:
    """The activities that record here: CPU, and CUDA when a GPU is available
    (``torch.profiler.supported_activities``)."""
    from .. import cuda

    found = {ProfilerActivity.CPU}
    if cuda.is_available():
        found.add(ProfilerActivity.CUDA)
    return found


def schedule(
    *, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
    skip_first_wait: int = 0,
) -> Callable[[int], ProfilerAction]:  # fmt: skip
    """The step -> action function of ``profile(schedule=...)`` (``torch.profiler.schedule``).

    Skip the first ``skip_first`` steps, then cycle: ``wait`` steps doing nothing, ``warmup``
    steps warming up (recording nothing here), ``active`` steps recording, the last of them
    ``RECORD_AND_SAVE`` (``on_trace_ready`` is called when it ends). ``repeat`` cycles, or
    until the profiler stops when ``repeat=0``. ``skip_first_wait`` drops the first cycle's
    wait. PyTorch's ``AssertionError`` for bad arguments; its warning when ``warmup=0``.
    """

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        if mod_step < num_steps - 1:
            return ProfilerAction.RECORD
        return ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warnings.warn(
            "Profiler won't be using warmup, this can skew profiler results", stacklevel=2
        )
    return schedule_fn


def _default_schedule(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(
    dir_name: str, worker_name: str | None = None, use_gzip: bool = False, **kwargs
) -> Callable:
    """An ``on_trace_ready`` that writes each trace into ``dir_name`` as
    ``<worker_name>.<time_ns>.pt.trace.json`` (``.gz`` with ``use_gzip``), the file PyTorch
    writes for TensorBoard's profiler plugin (``torch.profiler.tensorboard_trace_handler``);
    ``worker_name`` defaults to ``<hostname>_<pid>``."""

    def handler_fn(prof) -> None:
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as exc:
                raise RuntimeError("Can't create directory: " + dir_name) from exc
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


def _effective_activities(activities, use_cuda) -> set:
    """The activities asked for, less CUDA without a GPU (PyTorch's warning), as PyTorch
    resolves ``activities`` and the deprecated ``use_cuda``."""
    if activities is None:
        wanted = supported_activities()
    else:
        wanted = set()
        for item in activities:
            if isinstance(item, dict):
                wanted.update(item)
            elif isinstance(item, ProfilerActivity):
                wanted.add(item)
            else:
                raise TypeError(
                    f"profile: activities must be ProfilerActivity values, got {item!r}"
                )
    if use_cuda is not None:
        warnings.warn(
            "`use_cuda` is deprecated, use `activities` argument instead",
            FutureWarning,
            stacklevel=3,
        )
        if use_cuda:
            wanted.add(ProfilerActivity.CUDA)
        else:
            wanted.discard(ProfilerActivity.CUDA)
    if ProfilerActivity.CUDA in wanted and ProfilerActivity.CUDA not in supported_activities():
        warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=3)
        wanted.discard(ProfilerActivity.CUDA)
    if not wanted:
        raise RuntimeError(
            "No activities specified for the profiler: ProfilerActivity.CUDA needs a GPU (none "
            "is available here). Pass activities=[ProfilerActivity.CPU]."
        )
    return wanted


def _warn_unmeasured(profile_memory: bool, with_flops: bool) -> None:
    for flag, what in ((profile_memory, "profile_memory"), (with_flops, "with_flops")):
        if flag:
            warnings.warn(
                f"profile({what}=True): this profiler records op times only; it has no "
                f"{'memory' if flag is profile_memory else 'FLOP'} columns. The profile is "
                "recorded without them.",
                UserWarning,
                stacklevel=3,
            )


class profile:
    """The profiler context manager (``torch.profiler.profile``).

    Args:
        activities: ``ProfilerActivity`` values (default: those ``supported_activities()``
            gives). CUDA without a GPU is dropped with a warning, as PyTorch does on a CPU
            build; CUDA alone then raises ``RuntimeError``.
        schedule: a step -> ``ProfilerAction`` function, usually ``profiler.schedule(...)``;
            without one every step records.
        on_trace_ready: called with the profiler at the end of each active window (each
            ``RECORD_AND_SAVE`` step, and when the profiler stops while recording).
        record_shapes: keep each op's input shapes (``key_averages(group_by_input_shape=True)``,
            the trace's ``Input Dims``).
        profile_memory, with_flops: accepted; warn that they are not measured.
        with_stack: keep the user's frames of each event (``key_averages(group_by_stack_n=)``,
            ``export_stacks``).
        with_modules: accepted; as in PyTorch's eager mode it adds nothing.
        acc_events: keep the events of every active window, not just the last one.
        use_cuda: deprecated alias of adding or removing ``ProfilerActivity.CUDA``.

    ``step()`` marks the end of a training step; ``key_averages()``, ``events()``,
    ``export_chrome_trace()`` read the last finished window (PyTorch's profiler clears its
    events at each new cycle unless ``acc_events=True``). Only one profiler records at a time;
    starting a second raises ``RuntimeError``.

    Example::

        with profiler.profile(
            schedule=profiler.schedule(wait=1, warmup=1, active=2),
            on_trace_ready=profiler.tensorboard_trace_handler("./log"),
        ) as prof:
            for batch in range(6):
                train_step()
                prof.step()
    """

    def __init__(
        self,
        *,
        activities: Iterable[ProfilerActivity] | None = None,
        schedule: Callable[[int], ProfilerAction] | None = None,
        on_trace_ready: Callable | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        with_modules: bool = False,
        experimental_config=None,
        execution_trace_observer=None,
        acc_events: bool = False,
        use_cuda: bool | None = None,
        custom_trace_id_callback: Callable[[], str] | None = None,
        post_processing_timeout_s: float | None = None,
    ) -> None:
        if execution_trace_observer is not None:
            raise NotImplementedError(
                "profile(execution_trace_observer=...): execution traces are not recorded by "
                "this engine; export the Chrome trace with on_trace_ready instead."
            )
        self.activities = _effective_activities(activities, use_cuda)
        _warn_unmeasured(profile_memory, with_flops)
        self.record_shapes, self.with_stack = record_shapes, with_stack
        self.profile_memory, self.with_flops, self.with_modules = (
            profile_memory,
            with_flops,
            with_modules,
        )
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.record_steps = schedule is not None
        self.schedule = schedule if schedule is not None else _default_schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn: record_function | None = None
        self.current_action = self.schedule(self.step_num)
        self._session = None
        self._events: EventList | None = None
        self._accumulated: list = []
        self._metadata: dict = {}
        self._trace_id: str | None = None
        self._prepared = False

    # --- PyTorch's state machine ------------------------------------------------------------
    def _actions(self, prev, current) -> list:
        A = ProfilerAction
        start, stop, ready = self._start_trace, self._stop_trace, self._trace_ready
        recording = (A.RECORD, A.RECORD_AND_SAVE)
        if prev in (None, A.NONE):
            return [start] if current in recording else []
        if prev is A.WARMUP:  # NOTE: PyTorch opens and closes an empty window when warmup ends
            if current is None:  # without recording; its events replace the last window's
                return [start, stop]
            if current is A.NONE:
                return [lambda: self._warn("WARMUP", current), start, stop]
            return [start] if current in recording else []
        if prev is A.RECORD:
            if current is None:
                return [stop, ready]
            if current in (A.NONE, A.WARMUP):
                return [lambda: self._warn("RECORD", current), stop]
            return []
        # RECORD_AND_SAVE: the window ends and its trace is ready; the next may begin at once
        actions = [stop, ready]
        if current in recording:
            actions.append(start)
        return actions

    @staticmethod
    def _warn(prev: str, current: ProfilerAction) -> None:
        warnings.warn(f"Incorrect schedule: {prev} followed by {current.name}", stacklevel=4)

    def _transit_action(self, prev, current) -> None:
        if current not in (None, ProfilerAction.NONE):
            self._prepared = True  # PyTorch has made its trace object by now
        for action in self._actions(prev, current):
            action()

    def _start_trace(self) -> None:
        sync = None
        if ProfilerActivity.CUDA in self.activities:
            from .. import cuda

            sync = cuda.synchronize
        self._session = _record.start(self.record_shapes, self.with_stack, sync)
        if self.custom_trace_id_callback is not None:
            self._trace_id = self.custom_trace_id_callback()

    def _stop_trace(self) -> None:
        from ._events import to_event_list

        session, self._session = self._session, None
        if session is None:
            return
        _record.stop(session)
        events = to_event_list(session, self._metadata)
        if self.acc_events:
            self._accumulated.extend(events)
            events = EventList(
                self._accumulated, trace_start_ns=events._trace_start_ns, metadata=self._metadata
            )
        self._events = events

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # --- the public methods -------------------------------------------------------------------
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.stop()

    def start(self) -> None:
        """Begin: the schedule's action for step 0 applies (record at once by default)."""
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def stop(self) -> None:
        """End: a window still recording is stopped and handed to ``on_trace_ready``."""
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self) -> None:
        """Signal that the next step begins: the schedule's action for it takes effect (a
        window that ended with ``RECORD_AND_SAVE`` goes to ``on_trace_ready`` now)."""
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev_action = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit_action(prev_action, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def events(self) -> EventList:
        """The raw events of the last finished window (``FunctionEvent``s in start order)."""
        if self._events is None:
            if self._session is not None:
                raise RuntimeError(
                    "The profiler is still recording: read its events after the with-block, "
                    "or in on_trace_ready when a schedule is used."
                )
            if not self._prepared:  # PyTorch's error: the schedule never left NONE
                raise AssertionError(
                    "Profiler must be initialized before getting key averages (the schedule "
                    "never reached a warmup or active step, so nothing was recorded)"
                )
            return EventList()
        return self._events

    def key_averages(
        self, group_by_input_shape: bool = False, group_by_stack_n: int = 0, **kwargs
    ) -> EventList:
        """The events averaged per name (``FunctionEventAvg``s: ``key``, ``count``,
        ``cpu_time_total``, ``self_cpu_time_total``, ``cpu_time``), as an ``EventList`` with
        ``table()``. ``group_by_input_shape`` needs ``record_shapes=True``;
        ``group_by_stack_n`` needs ``with_stack=True``."""
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError(
                "key_averages(group_by_input_shape=True) needs the shapes: create the profiler "
                "with record_shapes=True."
            )
        if group_by_stack_n > 0 and not self.with_stack:
            raise RuntimeError(
                "key_averages(group_by_stack_n=...) needs the stacks: create the profiler with "
                "with_stack=True."
            )
        return self.events().key_averages(group_by_input_shape, group_by_stack_n, **kwargs)

    def export_chrome_trace(self, path: str) -> None:
        """Write the last window's events as a Chrome trace JSON (``.gz``: gzipped)."""
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write the stacks for a flame graph (needs ``with_stack=True``)."""
        if not self.with_stack:
            raise RuntimeError("export_stacks needs with_stack=True in the profiler")
        self.events().export_stacks(path, metric)

    def add_metadata(self, key: str, value: str) -> None:
        """Add a string entry to the top level of the exported trace."""
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        """Add a JSON value (given as its text) to the top level of the exported trace."""
        import json

        self._metadata[key] = json.loads(value)

    def get_trace_id(self) -> str | None:
        """The id from ``custom_trace_id_callback`` for the current window, else None."""
        return self._trace_id

    def set_custom_trace_id_callback(self, callback: Callable[[], str]) -> None:
        """Set the trace id generator (called when each window starts)."""
        self.custom_trace_id_callback = callback
