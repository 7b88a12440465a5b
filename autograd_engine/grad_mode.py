"""Grad modes: whether operations record the graph (``no_grad``, ``enable_grad``,
``set_grad_enabled``), usable as context managers and as decorators. The mode is per thread, as
in PyTorch: ``no_grad()`` in one thread leaves every other thread recording, and a new thread
starts with grad enabled."""

from __future__ import annotations

import contextvars
import functools

# NOTE: a context variable rather than a threading.local: each thread has its own context (a new
# thread starts from the default, grad on), and reading it is one C call (about 30 ns, against
# 50-70 ns for a threading.local attribute) on the path every operation takes. An asyncio task
# also gets its own copy, so ``no_grad()`` in one task does not leak into another.
_enabled = contextvars.ContextVar("autograd_engine.grad_enabled", default=True)
grad_enabled = _enabled.get  # the hot-path read used by the engine
_set = _enabled.set


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward (``torch.is_grad_enabled``)."""
    return _enabled.get()


class _GradModeContext:
    """Base of the grad-mode context managers; any instance also works as a decorator."""

    mode: bool = True

    def __enter__(self):
        self.prev = _enabled.get()
        _set(self.mode)

    def __exit__(self, *exc):
        _set(self.prev)
        return False

    def _fresh(self) -> _GradModeContext:
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording off (``torch.no_grad``).

    Example::

        with ag.no_grad():
            y = model(x)          # y.requires_grad is False, nothing is recorded
    """

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording on (``torch.enable_grad``)."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; as a function call it takes effect at once, as a context
    manager it is restored on exit (``torch.set_grad_enabled``)."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = _enabled.get()
        _set(self.mode)

    def __enter__(self):
        pass

    def __call__(self, fn):
        # Used as a decorator: undo the switch made by __init__, apply it per call instead.
        _set(self.prev)
        return super().__call__(fn)

    def _fresh(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)


_inference = contextvars.ContextVar("autograd_engine.inference_mode", default=False)


class inference_mode(_GradModeContext):
    """Context manager and decorator for inference (``torch.inference_mode``): with
    ``mode=True`` (the default) nothing is recorded, as under :class:`no_grad`; with
    ``mode=False`` it changes nothing.

    NOTE: PyTorch also marks the tensors made inside as inference tensors and refuses to use
    them in autograd later; here they are ordinary tensors (no per-operation bookkeeping).

    Example::

        with ag.inference_mode():
            y = model(x)          # y.requires_grad is False
    """

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used bare: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode_on = bool(mode)

    def __enter__(self):
        self.prev = _enabled.get()
        self.prev_inference = _inference.get()
        if self.mode_on:
            _set(False)
            _inference.set(True)

    def __exit__(self, *exc):
        _set(self.prev)
        _inference.set(self.prev_inference)
        return False

    def _fresh(self) -> inference_mode:
        return inference_mode(self.mode_on)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (``torch.is_inference_mode_enabled``)."""
    return _inference.get()
