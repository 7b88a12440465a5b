"""``autograd_engine.jit`` (``torch.jit``): the decorators and queries that real code uses to
stay TorchScript-compatible, with their true meaning here, where nothing is ever scripted or
traced: ``ignore``/``unused``/``export`` leave the function as it is (what they do in PyTorch's
eager mode too), ``is_scripting()`` and ``is_tracing()`` are False, ``Final`` is
``typing.Final``. ``script``, ``trace``, ``save`` and ``load`` raise: TorchScript is a compiler
and file format this engine does not have. To speed up a training step, see
``autograd_engine.compile`` (docs/compile.md)."""

# NOTE: no ``from __future__ import annotations`` here: it would bind the name ``annotations``
# and hide the submodule of that name.
import warnings
from collections.abc import Callable
from typing import Any, Final

from . import annotations

__all__ = [
    "annotations",
    "Final",
    "ignore",
    "unused",
    "export",
    "is_scripting",
    "is_tracing",
    "annotate",
    "script_if_tracing",
    "script",
    "trace",
    "trace_module",
    "save",
    "load",
    "freeze",
    "optimize_for_inference",
    "script_method",
    "ScriptModule",
    "ScriptFunction",
]

_NO_TORCHSCRIPT = (
    "autograd_engine.jit.{name}: TorchScript is not available in autograd_engine (there is no "
    "TorchScript compiler, interpreter or file format). Run the model eagerly as it is; to "
    "speed up a whole training step use autograd_engine.compile (see docs/compile.md); to save "
    "a model use autograd_engine.save(model.state_dict(), path)."
)


def is_scripting() -> bool:
    """False: code here never runs under the TorchScript compiler (``torch.jit.is_scripting``)."""
    return False


def is_tracing() -> bool:
    """False: code here never runs under the TorchScript tracer (``torch.jit.is_tracing``)."""
    return False


def ignore(drop: Any = False, **kwargs) -> Callable:
    """Mark a function for TorchScript to leave as Python (``torch.jit.ignore``): as
    ``@ignore`` or ``@ignore(drop=...)``. Nothing is scripted here, so the function is returned
    unchanged and runs as Python, as it does in PyTorch's eager mode."""
    if callable(drop):
        return drop
    if drop:
        warnings.warn(
            "ignore(True) has been deprecated. TorchScript will now drop the function call on "
            "compilation. Use torch.jit.unused now. {}",
            category=FutureWarning,
            stacklevel=2,
        )

    def decorator(fn: Callable) -> Callable:
        return fn

    return decorator


def unused(fn: Callable) -> Callable:
    """Mark a function or method for TorchScript to replace with an exception
    (``torch.jit.unused``). Nothing is scripted here: it is returned unchanged and runs, as in
    PyTorch's eager mode."""
    return fn


def export(fn: Callable) -> Callable:
    """Mark a method for TorchScript to compile as an entry point (``torch.jit.export``).
    Nothing is scripted here: it is returned unchanged."""
    return fn


def annotate(the_type: Any, the_value: Any) -> Any:
    """Give TorchScript a value's type (``torch.jit.annotate``); returns the value."""
    return the_value


def script_if_tracing(fn: Callable) -> Callable:
    """Script ``fn`` only when it is called under the tracer (``torch.jit.script_if_tracing``).
    Nothing is traced here, so ``fn`` always runs as Python: it is returned unchanged."""
    return fn


def _raise(name: str):
    raise RuntimeError(_NO_TORCHSCRIPT.format(name=name))


def script(obj: Any = None, *args, **kwargs):
    """Raises RuntimeError: TorchScript compilation is not available (see the module doc)."""
    _raise("script")


def trace(func: Any = None, *args, **kwargs):
    """Raises RuntimeError: TorchScript tracing is not available (see the module doc)."""
    _raise("trace")


def trace_module(mod: Any = None, *args, **kwargs):
    """Raises RuntimeError: TorchScript tracing is not available (see the module doc)."""
    _raise("trace_module")


def save(m: Any = None, f: Any = None, *args, **kwargs):
    """Raises RuntimeError: there are no TorchScript files here (see the module doc)."""
    _raise("save")


def load(f: Any = None, *args, **kwargs):
    """Raises RuntimeError: TorchScript files cannot be loaded here (see the module doc)."""
    _raise("load")


def script_method(fn: Any = None, *args, **kwargs):
    """Raises RuntimeError: script methods belong to scripted modules, which do not exist
    here."""
    _raise("script_method")


def freeze(mod: Any = None, *args, **kwargs):
    """Raises RuntimeError: freezing works on scripted modules, which do not exist here."""
    _raise("freeze")


def optimize_for_inference(mod: Any = None, *args, **kwargs):
    """Raises RuntimeError: works on scripted modules, which do not exist here."""
    _raise("optimize_for_inference")


class ScriptModule:
    """The type of a scripted module (``torch.jit.ScriptModule``). Nothing is scripted here,
    so no object is an instance of it (``isinstance(m, jit.ScriptModule)`` is False);
    constructing one raises."""

    def __init__(self, *args, **kwargs):
        _raise("ScriptModule")


class ScriptFunction:
    """The type of a scripted function (``torch.jit.ScriptFunction``); never instantiated here."""

    def __init__(self, *args, **kwargs):
        _raise("ScriptFunction")
