"""Anomaly detection (``torch.autograd.detect_anomaly``): while on, every recorded node keeps
the stack that created it; backward raises at the first gradient with NaN or Inf, naming the
node and showing the user's line that created it, and an error in a backward is annotated
with the same traceback. Off by default, and then it costs nothing."""

from __future__ import annotations

import contextvars
import functools
import os
import sys
import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]  # fmt: skip


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


# NOTE: per thread, as every mode here (DESIGN.md), through context variables (see grad_mode.py);
# a new thread starts with anomaly detection off. PyTorch keeps this one flag process-wide.
_enabled = contextvars.ContextVar("autograd_engine.anomaly", default=False)
_check_nan = contextvars.ContextVar("autograd_engine.anomaly_check_nan", default=True)
enabled = _enabled.get  # the hot-path read: whether this thread records creation stacks


def current() -> tuple[bool, bool]:
    """``(enabled, check_nan)`` for the calling thread."""
    return _enabled.get(), _check_nan.get()


def _set_mode(value: tuple[bool, bool]) -> None:
    _enabled.set(value[0])
    _check_nan.set(value[1])


def record(node) -> None:
    """Remember the stack that creates ``node`` (called while anomaly mode is on)."""
    # NOTE: (code, line) pairs only, innermost first: no frames, locals or source lines are
    # kept (so no tensors stay alive), and the text is made only if an error is reported.
    trace = []
    frame = sys._getframe(2)
    while frame is not None:
        trace.append((frame.f_code, frame.f_lineno))
        frame = frame.f_back
    node._trace = trace


def user_frames(node) -> str:
    """The stack that created ``node``, outermost first, without this package's frames."""
    trace = node._trace
    if not trace:
        return "  (the node was created while anomaly mode was off)\n"
    frames = [
        traceback.FrameSummary(code.co_filename, line, code.co_name)
        for code, line in reversed(trace)
        if not code.co_filename.startswith(_PACKAGE_DIR)
    ]
    return "".join(traceback.StackSummary.from_list(frames).format())


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return _enabled.get()


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection also checks gradients for NaN and Inf."""
    return _check_nan.get()


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on
    (``torch.autograd.detect_anomaly``).

    Args:
        check_nan: raise when a backward function returns NaN or Inf values (default True).

    Example::

        with ag.detect_anomaly():
            y = (x * 0).log() * 0     # the forward is fine: 0 * -inf is nan only in backward
            y.sum().backward()        # RuntimeError: Function 'LogBackward0' returned nan
                                      # values in its 0th output. ... y = (x * 0).log() * 0
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self._prev: list[tuple[bool, bool]] = []
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._prev.append(current())
        _set_mode((True, self.check_nan))

    def __exit__(self, *exc) -> bool:
        _set_mode(self._prev.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:  # re-entrant: each entry pushes the setting it restores
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off (``torch.autograd.set_detect_anomaly``): as a call it
    takes effect at once; as a context manager the previous setting returns on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = current()
        _set_mode((bool(mode), bool(check_nan)))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> bool:
        _set_mode(self.prev)
        return False
