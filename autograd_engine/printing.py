"""Printing tensors as PyTorch does (``torch/_tensor_str.py`` on NumPy): four decimals, a
shared width per tensor, scientific notation when magnitudes are far apart, summaries of
big tensors, and ``set_printoptions``/``get_printoptions``/``printoptions``."""

from __future__ import annotations

import contextlib
import dataclasses
import math

from . import array_backend
from .dtypes import default_float

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]

_np = array_backend.numpy


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Set how tensors print (``torch.set_printoptions``).

    Args:
        precision: digits after the decimal point (default 4).
        threshold: number of elements above which a tensor is summarized (default 1000).
        edgeitems: items shown at each end of a summarized dimension (default 3).
        linewidth: characters per line (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"``, overridden by the other arguments.
        sci_mode: True or False forces scientific notation on or off; None (the default)
            chooses per tensor.

    Example::

        ag.set_printoptions(precision=2)
        ag.tensor([1.12345])             # tensor([1.12])
        ag.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}")
        for key, value in _PROFILES[profile].items():
            setattr(_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):  # fmt: skip
        if value is not None:
            setattr(_OPTS, key, value)
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a ``with`` block (``torch._tensor_str.printoptions``)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """One width and notation for every element of a tensor (PyTorch's ``_Formatter``)."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = _OPTS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        finite = flat[_np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = _np.abs(finite).astype(_np.float64)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(_np.all(finite == _np.ceil(finite)))
        if _OPTS.sci_mode is None:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        else:
            self.sci_mode = _OPTS.sci_mode
        values = finite.tolist()
        if self.sci_mode:
            width = max(len(f"{v:.{p}e}") for v in values)
        elif self.int_mode:
            width = max(len(f"{v:.0f}") + 1 for v in values)
        else:
            width = max(len(f"{v:.{p}f}") for v in values)
        self.max_width = max(self.max_width, width)

    def format(self, value) -> str:
        p = _OPTS.precision
        if self.floating:
            if self.sci_mode:
                out = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                out = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    out += "."
            else:
                out = f"{value:.{p}f}"
        else:
            out = f"{value}"
        return (self.max_width - len(out)) * " " + out


def _vector_str(a, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / element_length))
    edge = _OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = (
            [fmt.format(v) for v in a[:edge].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in a[-edge:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    edge = _OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        rows = (
            [_array_str(a[i], indent + 1, summarize, fmt) for i in range(edge)]
            + ["..."]
            + [_array_str(a[i], indent + 1, summarize, fmt) for i in range(len(a) - edge, len(a))]
        )
    else:
        rows = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _summarized(a):
    """The elements a summarized print shows (what the shared width is computed from)."""
    edge = _OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return _np.concatenate([a[:edge], a[-edge:]]) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    rows = list(range(a.shape[0]))
    if a.shape[0] > 2 * edge:
        rows = rows[:edge] + rows[-edge:]
    return _np.stack([_summarized(a[i]) for i in rows])


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _current_cuda_device() -> int:
    from . import cuda

    current = getattr(cuda, "current_device", None)
    return current() if current is not None else 0


def tensor_repr(t) -> str:
    """``repr(t)`` as PyTorch prints it, with ``autograd_engine.`` for ``torch.``."""
    from .creation import get_default_device

    prefix = "tensor("
    indent = len(prefix)
    a = t.numpy()  # NOTE: through numpy(), so that a compiled step sees the host read
    suffixes = []
    dev = t.device
    if dev.type != get_default_device().type or (
        dev.type == "cuda" and dev.index != _current_cuda_device()
    ):
        suffixes.append(f"device='{dev}'")
    dtype = t.dtype
    has_default_dtype = a.dtype in (default_float(), _np.dtype("int64"), _np.dtype("bool"))
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != default_float():
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if not has_default_dtype:
            suffixes.append(f"dtype={dtype}")
        summarize = a.size > _OPTS.threshold
        fmt = _Formatter(_summarized(a) if summarize else a)
        body = _array_str(a, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
