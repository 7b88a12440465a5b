"""Run the fused kernels' CUDA sources on the host: each ElementwiseKernel body from
``autograd_engine.kernels.SOURCES`` is compiled as plain C++ (g++) inside a loop that mimics
CuPy's (broadcast inputs, Python scalars cast to ``T``, outputs written in place), so the
sources are checked for syntax and numerics on a machine without a GPU.

``HostKernel(name)`` is called the way CuPy's kernel is: ``k(*inputs[, *outputs])``."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from autograd_engine import kernels

HAVE_CXX = shutil.which("g++") is not None
_CTYPES = {"bool": "bool", "int32": "int", "int64": "long long", "float32": "float"}
_DIR = Path(tempfile.mkdtemp(prefix="ag_host_kernels_"))
atexit.register(shutil.rmtree, _DIR, True)
_BINARIES: dict[tuple[str, str], Path] = {}


def _params(spec: str) -> list[tuple[bool, str, str]]:
    out = []
    for item in spec.split(","):
        words = item.split()
        out.append((words[0] == "raw", words[-2], words[-1]))
    return out


def _source(name: str, ctype: str) -> str:
    _, in_spec, out_spec, body = kernels.SOURCES[name]
    ins, outs = _params(in_spec), _params(out_spec)
    lines = [
        "#include <cmath>",
        "#include <cstdio>",
        "#include <vector>",
        "using namespace std;",
        f"typedef {ctype} T;",
        "typedef long long I;",
        kernels.PREAMBLE,
        "int main() {",
    ]
    for raw, t, n in ins:
        if raw:
            ctype_ = _CTYPES.get(t, t)
            lines += [
                f'  long long len_{n}; scanf("%lld", &len_{n}); vector<{ctype_}> {n}(len_{n});',
                f'  for (long long k = 0; k < len_{n}; ++k) {{ double r; scanf("%lf", &r);'
                f" {n}[k] = ({ctype_})r; }}",
            ]
    lines += ['  long long n; scanf("%lld", &n);', "  for (long long i = 0; i < n; ++i) {"]
    for raw, t, n in ins + outs:
        if not raw:
            ctype_ = _CTYPES.get(t, t)
            const = "const " if (raw, t, n) in ins else ""
            lines.append(
                f'    double r_{n}; scanf("%lf", &r_{n}); {const}{ctype_} {n} = ({ctype_})r_{n};'
            )
    lines += ["    {", body, "    }"]
    lines += [f'    printf("%.17g\\n", (double){n});' for _, _, n in outs]
    lines += ["  }", "  return 0;", "}"]
    return "\n".join(lines)


def compile_kernel(name: str, ctype: str) -> Path:
    key = (name, ctype)
    if key not in _BINARIES:
        src = _DIR / f"{name}_{ctype}.cpp"
        exe = _DIR / f"{name}_{ctype}"
        src.write_text(_source(name, ctype))
        subprocess.run(
            ["g++", "-O0", "-std=c++14", "-Wall", "-Werror", "-Wno-unused-result", "-o", exe, src],
            check=True,
            capture_output=True,
        )
        _BINARIES[key] = exe
    return _BINARIES[key]


class HostKernel:
    """A stand-in for the CuPy kernel ``name`` running its source on the host (NumPy arrays)."""

    def __init__(self, name: str):
        self.name = name
        _, in_spec, out_spec, _ = kernels.SOURCES[name]
        self.ins, self.outs = _params(in_spec), _params(out_spec)

    def __call__(self, *args):
        nin = len(self.ins)
        inputs, outputs = list(args[:nin]), list(args[nin:])
        t_dtype = next(
            a.dtype
            for a, (raw, t, _) in zip(inputs, self.ins)
            if t == "T" and isinstance(a, np.ndarray)
        )
        ctype = {"f": "float", "d": "double"}[t_dtype.char]
        arrays = [a for a, (raw, _, _) in zip(inputs, self.ins) if not raw]
        shape = np.broadcast_shapes(*[np.shape(a) for a in arrays + outputs])
        if not outputs:
            outputs = [np.empty(shape, t_dtype) for _ in self.outs]
        text = []
        for a, (raw, _, _) in zip(inputs, self.ins):
            if raw:
                flat = np.asarray(a).reshape(-1)
                text.append(str(flat.size))
                text += [repr(float(v)) for v in flat]
        cols = [
            np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1)
            for a, (raw, _, _) in zip(inputs, self.ins)
            if not raw
        ] + [np.broadcast_to(o.astype(np.float64), shape).reshape(-1) for o in outputs]
        n = int(np.prod(shape))
        text.append(str(n))
        for i in range(n):
            text += [repr(float(c[i])) for c in cols]
        exe = compile_kernel(self.name, ctype)
        done = subprocess.run(
            [exe], input="\n".join(text), capture_output=True, text=True, check=True
        )
        values = np.array(done.stdout.split(), dtype=np.float64).reshape(n, len(self.outs))
        for k, out in enumerate(outputs):
            out[...] = values[:, k].reshape(shape).astype(out.dtype)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def host_fused(name: str, array, *others):
    """A stand-in for ``kernels.fused`` that serves host kernels for NumPy arrays."""
    if array.dtype.char not in kernels._DTYPES[name] or array.dtype.char == "e":
        return None
    if any(o.dtype != array.dtype for o in others):
        return None
    if name == "softmax_cross_entropy":
        return kernels._sce_forward(_host_sum_exp, HostKernel("sce_probs"), HostKernel("sce_loss"))
    if name == "softmax_cross_entropy_backward":
        return kernels._sce_backward(HostKernel("sce_backward"))
    return HostKernel(name)


def _host_sum_exp(x, m, axis, keepdims):
    """The ``sce_sum_exp`` reduction (map ``exp(x - m)``, reduce ``a + b``), in NumPy."""
    _, _, _, (map_expr, reduce_expr, post, identity) = kernels.SOURCES["sce_sum_exp"]
    assert (map_expr, reduce_expr, post, identity) == ("exp(x - m)", "a + b", "s = a", "0")
    return np.exp(x - m).sum(axis=axis, keepdims=keepdims)
