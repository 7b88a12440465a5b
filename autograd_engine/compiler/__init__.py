"""Compiled steps (``torch.compile``'s entry point, our own mechanism): ``compile(fn)`` traces
a whole training step on its first call into a flat program of array calls over registers and
replays it on later calls, behind guards. See docs/compile.md."""

from __future__ import annotations

import functools
import threading

from .. import node as _node
from ._function import CompiledFunction, CompileWarning, _compiled
from ._trace import Unsupported

__all__ = [
    "compile",
    "disable",
    "reset",
    "is_compiling",
    "CompiledFunction",
    "CompileWarning",
    "Unsupported",
]

_BACKENDS = ("inductor", "cudagraphs", "eager")
_MODES = {  # mode -> whether CUDA graphs are used (on CUDA tensors)
    "default": False,
    "reduce-overhead": True,
    "max-autotune": True,
    "max-autotune-no-cudagraphs": False,
}
_OPTIONS = ("triton.cudagraphs",)
RECOMPILE_LIMIT = 8  # torch._dynamo.config.recompile_limit


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str = "inductor",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
    recompile_limit: int | None = None,
):
    """Trace ``model`` (a function, or a module whose forward is compiled) on its first call
    and replay the recorded array program on later calls (``torch.compile``).

    Args:
        model: a function (typically a whole training step: forward, ``loss.backward()``,
            ``optimizer.step()``, ``zero_grad()``) or an ``nn.Module``. ``None`` returns a
            decorator.
        fullgraph: raise instead of falling back to eager mode when the function cannot be
            captured whole (``.item()`` in the step, hooks, ...).
        dynamic: ``None`` or ``False``: every new input shape is traced on its own (shapes are
            always specialized here; ``True`` is refused).
        backend: ``"inductor"`` (the default: the replayed program), ``"cudagraphs"`` (the
            same, captured as a CUDA graph on CUDA tensors) or ``"eager"`` (no compilation).
        mode: ``"default"``, ``"reduce-overhead"`` (CUDA graphs on CUDA tensors),
            ``"max-autotune"`` (the same as reduce-overhead here) or
            ``"max-autotune-no-cudagraphs"`` (the same as default).
        options: ``{"triton.cudagraphs": bool}`` (PyTorch's key for the CUDA-graph switch).
        disable: return ``model`` unchanged.
        recompile_limit: how many signatures are traced before new ones run eagerly
            (default 8, as PyTorch's).

    Returns:
        A :class:`CompiledFunction` (or, for a module, a module whose forward is compiled).

    Example::

        @ag.compile
        def train_step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss

    See docs/compile.md for what is traced, the guards, and what runs eagerly.
    """
    if model is None:

        def decorate(fn):
            if fn is None:
                raise RuntimeError("Model can't be None")
            return compile(
                fn,
                fullgraph=fullgraph,
                dynamic=dynamic,
                backend=backend,
                mode=mode,
                options=options,
                disable=disable,
                recompile_limit=recompile_limit,
            )

        return decorate
    cudagraphs = _check_arguments(dynamic, backend, mode, options)
    if disable or backend == "eager":
        return model
    limit = RECOMPILE_LIMIT if recompile_limit is None else int(recompile_limit)
    from autograd_engine.nn import Module

    if isinstance(model, Module):
        from ._module import OptimizedModule

        return OptimizedModule(
            model, fullgraph=fullgraph, cudagraphs=cudagraphs, recompile_limit=limit
        )
    if not callable(model):
        raise TypeError(f"compile() expects a callable or an nn.Module, got {type(model).__name__}")
    return CompiledFunction(
        model, fullgraph=fullgraph, cudagraphs=cudagraphs, recompile_limit=limit
    )


def _check_arguments(dynamic, backend, mode, options) -> bool:
    """Validate the arguments as PyTorch does; return whether CUDA graphs are asked for."""
    if dynamic:
        raise ValueError(
            "compile(dynamic=True) is not supported: every input shape is traced separately "
            "(as dynamic=False); leave dynamic at None or False"
        )
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise ValueError(
            f"compile(): unknown backend {backend!r}; choose one of {', '.join(_BACKENDS)} "
            "(custom backend callables are not supported)"
        )
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    cudagraphs = backend == "cudagraphs"
    if mode is not None:
        if mode not in _MODES:
            raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
        cudagraphs = cudagraphs or _MODES[mode]
    for key, value in (options or {}).items():
        if key not in _OPTIONS:
            raise RuntimeError(
                f"Unexpected optimization option {key}, known options are {list(_OPTIONS)}"
            )
        if key == "triton.cudagraphs":
            cudagraphs = bool(value)
    return cudagraphs


def disable(fn=None, recursive: bool = True, *, reason: str | None = None):
    """Mark ``fn`` as not to be compiled (``torch.compiler.disable``; usable as a decorator).

    A trace has no graph breaks: a compiled function that calls ``fn`` runs eagerly for that
    signature, with a ``CompileWarning`` naming ``fn`` (and ``reason``); ``fullgraph=True``
    raises. Outside a trace ``fn`` runs as usual. ``recursive`` is accepted for PyTorch's
    signature (everything ``fn`` calls is eager anyway).
    """
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        rec = _node._recorder
        if rec is not None and rec.claims():
            name = getattr(fn, "__qualname__", repr(fn))
            why = f" ({reason})" if reason else ""
            rec.fail(f"{name} is marked autograd_engine.compiler.disable{why}")
        return fn(*args, **kwargs)

    return wrapper


def reset() -> None:
    """Forget the programs of every compiled function (``torch.compiler.reset``)."""
    for fn in list(_compiled):
        fn.reset()


def is_compiling() -> bool:
    """True while a compiled function is being traced in this thread
    (``torch.compiler.is_compiling``)."""
    rec = _node._recorder
    return rec is not None and rec.thread == threading.get_ident()
