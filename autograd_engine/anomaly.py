"""Anomaly detection (``torch.autograd.detect_anomaly``): while on, every recorded node keeps
the stack that created it; backward raises at the first gradient with NaN or Inf, naming the
node and showing the user's line that created it, and an error in a backward is annotated
with the same traceback. Off by default, and then it costs nothing."""

from __future__ import annotations

import functools
import warnings

from .node import _anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]  # fmt: skip


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection also checks gradients for NaN and Inf."""
    return _anomaly.check_nan


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on
    (``torch.autograd.detect_anomaly``).

    Args:
        check_nan: raise when a backward function returns NaN or Inf values (default True).

    Example::

        with ag.detect_anomaly():
            y = (x * 0).log() * 0     # the forward is fine: 0 * -inf is nan only in backward
            y.sum().backward()        # RuntimeError: Function 'LogBackward' returned nan
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
        self._prev.append((_anomaly.enabled, _anomaly.check_nan))
        _anomaly.enabled, _anomaly.check_nan = True, self.check_nan

    def __exit__(self, *exc) -> bool:
        _anomaly.enabled, _anomaly.check_nan = self._prev.pop()
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
        self.prev = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> bool:
        _anomaly.enabled, _anomaly.check_nan = self.prev
        return False
