"""User-defined kernels on the stand-in: ``ElementwiseKernel``, ``ReductionKernel``,
``RawKernel``, ``RawModule`` and ``fuse`` are constructed as CuPy constructs them (the
parameter lists are parsed, so a malformed one fails here as in CuPy), but calling one raises
NotImplementedError: CUDA C++ cannot run on the host. Fused-kernel code paths are tested with
them switched off on the stand-in, and against the plain code on a real GPU."""

from __future__ import annotations

import numpy


def _not_on_standin(kind: str, name: str) -> NotImplementedError:
    return NotImplementedError(
        f"{kind} {name!r} cannot run on the CuPy stand-in (tests/_cupy_standin): it is CUDA "
        "C++. Switch custom kernels off (autograd_engine.kernels.enabled = False) or run "
        "this on a real GPU."
    )


def _parse_params(s: str) -> tuple:
    """CuPy's ``_get_param_info``/``ParameterInfo``: ``[raw] type name`` separated by commas,
    type a one-letter placeholder or a NumPy dtype name."""
    if len(s) == 0:
        return ()
    params = []
    for param in s.strip().split(","):
        parts = param.split()
        if len(parts) < 2:
            raise Exception(f"Syntax error: {param}")
        t, name = parts[-2:]
        if len(t) != 1 and t != "CIndexer":
            numpy.dtype(t)  # an unknown type name fails as get_dtype does
        for word in parts[:-2]:
            if word not in ("raw", "_non_const"):
                raise Exception(f'Unknown keyword "{word}"')
        params.append((t, name, "raw" in parts[:-2]))
    return tuple(params)


class ElementwiseKernel:
    def __init__(
        self,
        in_params,
        out_params,
        operation,
        name="kernel",
        reduce_dims=True,
        preamble="",
        no_return=False,
        return_tuple=False,
        **kwargs,
    ):
        self.in_params = _parse_params(in_params)
        self.out_params = _parse_params(out_params)
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout
        self.operation, self.name, self.preamble = operation, name, preamble
        names = [p[1] for p in self.in_params + self.out_params]
        if len(set(names)) != len(names):
            raise ValueError("Parameter names must be unique")

    def __call__(self, *args, **kwargs):
        raise _not_on_standin("ElementwiseKernel", self.name)


class ReductionKernel:
    def __init__(
        self,
        in_params,
        out_params,
        map_expr,
        reduce_expr,
        post_map_expr,
        identity,
        name="reduce_kernel",
        reduce_type=None,
        reduce_dims=True,
        preamble="",
        options=(),
    ):
        self.in_params = _parse_params(in_params)
        self.out_params = _parse_params(out_params)
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.name = name
        self.map_expr, self.reduce_expr, self.post_map_expr = map_expr, reduce_expr, post_map_expr
        self.identity = identity

    def __call__(self, *args, **kwargs):
        raise _not_on_standin("ReductionKernel", self.name)


class RawKernel:
    def __init__(self, code, name, options=(), backend="nvrtc", translate_cucomplex=False, **kw):
        if not isinstance(code, str) or not isinstance(name, str):
            raise TypeError("code and name must be str")
        self.code, self.name, self.options, self.backend = code, name, options, backend

    def __call__(self, grid, block, args, **kwargs):
        raise _not_on_standin("RawKernel", self.name)


class RawModule:
    def __init__(self, *, code=None, path=None, options=(), backend="nvrtc", **kwargs):
        if (code is None) == (path is None):
            raise TypeError("One of code and path must be given")
        self.code, self.path = code, path

    def get_function(self, name):
        return RawKernel(self.code or "", name)


class _Fusion:
    def __init__(self, func, name=None):
        self.func = func
        self.name = name or func.__name__

    def __call__(self, *args, **kwargs):
        raise _not_on_standin("cupy.fuse function", self.name)


def fuse(*args, **kwargs):
    """``@cupy.fuse`` / ``@cupy.fuse(kernel_name=...)``."""
    if len(args) == 1 and not kwargs and callable(args[0]):
        return _Fusion(args[0])
    return lambda f: _Fusion(f, kwargs.get("kernel_name"))
