"""Argument spellings PyTorch's parser accepts beyond a function's own signature: ``axis=`` and
``keepdims=`` for ``dim=``/``keepdim=``, and ``out=`` (write the result into a given tensor)."""

from __future__ import annotations

import functools
import inspect
import warnings

from . import array_backend

__all__ = ["dim_aliases", "out_arg", "write_out"]


def dim_aliases(fn):
    """Let ``fn`` also take ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``, the NumPy
    spellings PyTorch's argument parser accepts everywhere (``x.sum(axis=0, keepdims=True)``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both '{name}' and its alias "
                                        f"'{alias}'")  # fmt: skip
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    extra = [inspect.Parameter(alias, inspect.Parameter.KEYWORD_ONLY, default=None)
             for alias, name in (("axis", "dim"), ("keepdims", "keepdim"))
             if name in sig.parameters]  # fmt: skip
    params = list(sig.parameters.values())
    tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    head = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    wrapper.__signature__ = sig.replace(parameters=head + extra + tail)
    return wrapper


def out_arg(fn):
    """Let ``fn`` take ``out=``: the result is written into that tensor (resized if its shape
    differs, cast to its dtype) and returned, as PyTorch's ``out=`` arguments do."""

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else write_out(fn.__name__, out, result)

    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    head = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    wrapper.__signature__ = sig.replace(parameters=head + [out] + tail)
    return wrapper


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def write_out(op: str, out, result):
    """Write ``result`` (a Tensor or a tuple of them) into ``out`` as PyTorch's ``out=`` does."""
    from .grad_mode import grad_enabled

    if isinstance(out, (tuple, list)):
        return type(out)(write_out(op, o, r) for o, r in zip(out, result))
    from .tensor import Tensor

    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    src, dst = result.array, out.array
    if _KIND_RANK.get(src.dtype.kind, 3) > _KIND_RANK.get(dst.dtype.kind, 3):
        from .dtypes import torch_name

        raise RuntimeError(
            f"result type {torch_name(src.dtype)} can't be cast to the desired output type "
            f"{torch_name(dst.dtype)}"
        )
    if src.shape != dst.shape:
        if dst.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(dst.shape)}, which does not match the required output shape "
                f"{list(src.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        out.array = array_backend.get_array_module(dst).empty(src.shape, dtype=dst.dtype)
    out.array[...] = array_backend.to_device(src, out.device)
    out._counter()[0] += 1
    return out
