"""``ReduceOp``, the ``Work`` handle that an ``async_op=True`` collective returns, and the
distributed errors (``torch.distributed``'s names)."""

from __future__ import annotations

import datetime
import enum


class DistError(RuntimeError):
    """A distributed operation failed (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication backend failed or timed out (``torch.distributed.DistBackendError``)."""


class ReduceOp(enum.Enum):
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter_tensor`` combine the ranks' values
    (``torch.distributed.ReduceOp``). ``AVG`` is the sum divided by the group size (floating
    point only); ``BAND``, ``BOR``, ``BXOR`` are bitwise (integers and bool)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self) -> str:
        return f"<ReduceOp.{self.name}: {self.value}>"


def seconds(timeout) -> float | None:
    """A timeout given as a ``timedelta`` or a number of seconds, in seconds."""
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


class Work:
    """A collective in flight (``torch.distributed.Work``), returned by ``async_op=True``.

    ``wait()`` blocks until this rank's part is done and the result is in the tensor;
    ``is_completed()`` asks without blocking. A collective that other ranks never join raises
    ``DistBackendError`` after the process group's timeout (or ``wait(timeout=...)``'s).

    Example::

        work = dist.all_reduce(t, async_op=True)
        ...                     # overlap other work
        work.wait()             # t now holds the sum
    """

    __slots__ = (
        "_op",
        "_requests",
        "_waiter",
        "_on_complete",
        "_done",
        "_error",
        "_keep",
        "_tester",
        "source",
    )

    def __init__(self, op: str, requests, waiter, on_complete, keep=None, source=None, tester=None):
        self._op = op
        self._requests = list(requests)
        self._waiter = waiter  # waiter(op, requests, timeout_seconds) blocks or raises
        self._on_complete = on_complete
        self._done = False
        self._error = None
        self._keep = keep  # a buffer MPI reads from until completion
        self.source = source  # recv: the sender's rank in the group, known once completed
        self._tester = tester  # tester(requests) -> bool, without blocking

    def wait(self, timeout=None) -> bool:
        """Block until the collective has finished on this rank; returns True."""
        if self._done:
            if self._error is not None:
                raise self._error
            return True
        try:
            self._waiter(self._op, self._requests, seconds(timeout))
            self._on_complete()
        except BaseException as exc:
            self._error = exc
            self._done = True
            raise
        self._done = True
        return True

    def is_completed(self) -> bool:
        """Whether the collective has finished (completing it if it just did). Asking also
        moves MPI's non-blocking transfers along."""
        if self._done:
            return True
        if self._tester is not None:
            if not self._tester(self._requests):
                return False
        else:
            try:
                self._waiter(self._op, self._requests, 0.0)
            except DistBackendError:
                return False
        self._on_complete()
        self._done = True
        return True

    def is_success(self) -> bool:
        """Whether the operation has completed without an error
        (``torch.distributed.Work.is_success``)."""
        return self._done and self._error is None

    def exception(self):
        """The error the operation failed with, or None (``torch.distributed.Work.exception``)."""
        return self._error

    def __repr__(self) -> str:
        state = "completed" if self._done else "in flight"
        return f"<Work {self._op} ({state})>"


class CompletedWork(Work):
    """A Work that is already done (a rank outside the group, a one-rank group)."""

    def __init__(self, op: str = "noop"):
        super().__init__(op, [], lambda *a: None, lambda: None)
        self._done = True
