"""What the profiler records and how it hooks into the engine: the session that collects timed
events (op applications, backward nodes, ``record_function`` ranges) on the thread that started
it, and ``record_function``.

The hot path pays nothing while no profiler records: a session installs the timed op
application (``Node.__call__``) when it starts and restores the plain one when it stops, and
the backward pass reads ``engine_session()`` once per call (one ``is None`` test per node)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Any

from ..node import Node

_perf_ns = time.perf_counter_ns
_plain_call = Node.__call__  # NOTE: the untimed op application, restored when a session stops
_lock = threading.Lock()
_active: _Session | None = None  # the recording session, else None

# Frames in these folders are the engine's own; ``with_stack`` keeps the user's frames only.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_ENGINE_DIRS = tuple(os.path.join(_ROOT, p) + os.sep for p in ("autograd_engine", "nn", "optim"))


class Event:
    """One timed range: an op application (``cpu_op``), one backward node (``backward``) or a
    ``record_function`` range (``user_annotation``). Times are ``perf_counter_ns`` values."""

    __slots__ = ("name", "kind", "thread", "start_ns", "end_ns", "parent", "children", "shapes")
    __slots__ += ("stack",)

    def __init__(self, name: str, kind: str, thread: int, parent: Event | None):
        self.name, self.kind, self.thread, self.parent = name, kind, thread, parent
        self.children: list[Event] = []
        self.shapes: list | None = None
        self.stack: list[str] | None = None
        self.end_ns = None
        self.start_ns = _perf_ns()


class _Session:
    """The events of one recording window (one profiler trace), all from the thread that
    started it, as PyTorch's profiler records the thread it was entered on."""

    def __init__(self, record_shapes: bool, with_stack: bool, sync=None):
        self.thread = threading.get_ident()
        self.record_shapes, self.with_stack, self.sync = record_shapes, with_stack, sync
        self.events: list[Event] = []
        self.open: list[Event] = []  # the ranges entered and not yet left, innermost last
        self.start_ns = _perf_ns()
        self.end_ns: int | None = None

    def begin(self, name: str, kind: str, inputs=None) -> Event | None:
        """Open a range on this thread (None on another thread: not recorded)."""
        if threading.get_ident() != self.thread:
            return None
        if self.sync is not None and kind != "user_annotation":
            self.sync()  # the GPU's queued work is not charged to this range
        open_ = self.open
        ev = Event(name, kind, self.thread, open_[-1] if open_ else None)
        if inputs is not None and self.record_shapes:
            ev.shapes = [list(t.shape) if hasattr(t, "shape") else [] for t in inputs]
        if self.with_stack:
            ev.stack = _user_stack()
        open_.append(ev)
        return ev

    def end(self, ev: Event | None) -> None:
        """Close ``ev`` (and any range left open inside it by an exception)."""
        if ev is None or ev.end_ns is not None:
            return
        if self.sync is not None and ev.kind != "user_annotation":
            self.sync()  # the range's own GPU work is charged to it
        now = _perf_ns()
        open_ = self.open
        while open_:
            inner = open_.pop()
            inner.end_ns = now
            self._keep(inner)
            if inner is ev:
                break

    def _keep(self, ev: Event) -> None:
        if ev.parent is not None and ev.parent.end_ns is None:
            ev.parent.children.append(ev)
        self.events.append(ev)

    def close(self) -> None:
        """Stop recording: ranges still open end now."""
        now = _perf_ns()
        while self.open:
            inner = self.open.pop()
            inner.end_ns = now
            self._keep(inner)
        self.end_ns = now

    def call_backward(self, node: Node, fn, *args):
        """Run one node's backward (``fn(*args)``) as a timed ``backward`` range."""
        ev = self.begin(node.name(), "backward")
        try:
            return fn(*args)
        finally:
            self.end(ev)


def _profiled_call(self: Node, *inputs):
    """``Node.__call__`` while a session records: the plain application, timed."""
    session = _active
    ev = None if session is None else session.begin(type(self).__name__, "cpu_op", inputs)
    if ev is None:
        return _plain_call(self, *inputs)
    try:
        return _plain_call(self, *inputs)
    finally:
        session.end(ev)


def _user_stack() -> list[str]:
    """The calling frames outside the engine's packages, innermost first, as PyTorch's
    ``FunctionEvent.stack`` writes them (``file(line): function``)."""
    frames = []
    f = sys._getframe(2)
    while f is not None:
        path = f.f_code.co_filename
        if not path.startswith(_ENGINE_DIRS):
            frames.append(f"{path}({f.f_lineno}): {f.f_code.co_name}")
        f = f.f_back
    return frames


def start(record_shapes: bool = False, with_stack: bool = False, sync=None) -> _Session:
    """Start recording (one session at a time in the process)."""
    global _active
    with _lock:
        if _active is not None:
            raise RuntimeError(
                "A profiler is already recording (started on thread "
                f"{_active.thread}); profilers do not nest. Use record_function('name') to "
                "mark a range inside the running profiler instead of a second profiler."
            )
        _active = _Session(record_shapes, with_stack, sync)
        Node.__call__ = _profiled_call
    return _active


def stop(session: _Session) -> None:
    """Stop recording ``session`` and put the untimed op application back."""
    global _active
    with _lock:
        if _active is session:
            _active = None
            Node.__call__ = _plain_call
    session.close()


def engine_session() -> _Session | None:
    """The recording session, for the backward pass (read once per backward call)."""
    return _active


class record_function(contextlib.ContextDecorator):
    """A named range in the profile (``torch.profiler.record_function``,
    ``torch.autograd.profiler.record_function``): a context manager or a decorator.

    Inside a recording profiler the range becomes an event named ``name`` whose time includes
    the ops it runs (its self time is what they leave over); outside one it does nothing.
    ``args`` is accepted as in PyTorch (a string attached to the range) and kept as
    ``self.args``.

    Example::

        with profiler.profile() as prof:
            with profiler.record_function("forward"):
                loss = model(x).sum()
        print(prof.key_averages().table(sort_by="cpu_time_total"))
    """

    def __init__(self, name: str, args: str | None = None):
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        self.name, self.args = name, args
        # (session, event) per open use, per thread: a decorated function may run in several
        # threads at once, and recursively
        self._open: dict[int, list[tuple[Any, Any]]] = {}

    def __enter__(self) -> record_function:
        session = _active
        ev = None if session is None else session.begin(self.name, "user_annotation")
        self._open.setdefault(threading.get_ident(), []).append((session, ev))
        return self

    def __exit__(self, *exc) -> None:
        thread = threading.get_ident()
        uses = self._open[thread]
        session, ev = uses.pop()
        if not uses:
            del self._open[thread]
        if ev is not None:
            session.end(ev)
