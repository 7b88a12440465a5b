"""``autograd_engine.testing`` (``torch.testing``): ``assert_close`` with PyTorch's default
tolerances per dtype and its failure messages, the deprecated ``assert_allclose``, and
``make_tensor``."""

from __future__ import annotations

import collections.abc
import math
import numbers
import warnings

from . import array_backend
from .dtypes import as_dtype, default_float, torch_dtype

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

_np = array_backend.numpy

# PyTorch's default (rtol, atol) by dtype; integers and bools must be equal.
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7)}  # fmt: skip


def _is_tensor_like(x) -> bool:
    from .tensor import Tensor

    return isinstance(x, Tensor) or isinstance(x, _np.ndarray) or hasattr(x, "__dlpack__")


def _as_tensor(x):
    from .creation import as_tensor
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x
    if isinstance(x, _np.ndarray):
        return as_tensor(x)
    from .creation import from_dlpack

    return from_dlpack(x.detach() if hasattr(x, "detach") else x)


def _tolerances(dtype, rtol, atol) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}."
        )
    if rtol is not None:
        return float(rtol), float(atol)
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def assert_close(
    actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
    equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
    check_layout: bool = True, check_stride: bool = False, msg=None,
) -> None:  # fmt: skip
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close
    (``torch.testing.assert_close``): tensors (or NumPy arrays) of the same shape, dtype and
    device whose elements satisfy |a - e| <= atol + rtol |e|, with PyTorch's default tolerances
    for the dtype (float32: rtol 1.3e-6, atol 1e-5; integers must be equal); Python numbers;
    or sequences and mappings of those, compared item by item.

    Example::

        ag.testing.assert_close(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-7]))
    """
    _compare(actual, expected, (), dict(rtol=rtol, atol=atol, equal_nan=equal_nan,
                                        check_device=check_device, check_dtype=check_dtype,
                                        check_stride=check_stride, msg=msg))  # fmt: skip


def _compare(actual, expected, path: tuple, opts: dict) -> None:
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        return _fail_at(path, _compare_tensors, actual, expected, opts)
    scalar = (numbers.Number,)
    if isinstance(actual, scalar) and isinstance(expected, scalar):
        return _fail_at(path, _compare_scalars, actual, expected, opts)
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        if set(actual) != set(expected):
            raise AssertionError(
                f"The keys of the mappings do not match:\n{sorted(map(repr, actual))} != "
                f"{sorted(map(repr, expected))}"
            )
        for key in actual:
            _compare(actual[key], expected[key], (*path, key), opts)
        return None
    seqs = (collections.abc.Sequence,)
    if isinstance(actual, seqs) and isinstance(expected, seqs) and not isinstance(actual, str):
        if len(actual) != len(expected):
            raise AssertionError(
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, (*path, i), opts)
        return None
    if actual is None and expected is None:
        return None
    raise TypeError(
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
    )


def _fail_at(path: tuple, compare, actual, expected, opts) -> None:
    try:
        compare(actual, expected, opts)
    except AssertionError as exc:
        message = str(exc)
        if opts["msg"] is not None:
            message = opts["msg"] if isinstance(opts["msg"], str) else opts["msg"](message)
        elif path:
            where = "".join(f"[{p!r}]" for p in path)
            message += f"\n\nThe failure occurred for item {where}"
        raise AssertionError(message) from None


def _compare_scalars(actual, expected, opts) -> None:
    rtol, atol = _tolerances(_np.dtype("float64"), opts["rtol"], opts["atol"])
    if (
        isinstance(actual, bool)
        or isinstance(expected, bool)
        or (isinstance(actual, numbers.Integral) and isinstance(expected, numbers.Integral))
    ):
        if actual != expected:
            diff = abs(actual - expected)
            rel = diff / abs(expected) if expected != 0 else math.inf
            raise AssertionError(
                f"Scalars are not equal!\n\nExpected {expected} but got {actual}.\n"
                f"Absolute difference: {diff}\nRelative difference: {rel}"
            )
        return
    a, e = complex(actual), complex(expected)
    if opts["equal_nan"] and math.isnan(abs(a)) and math.isnan(abs(e)):
        return
    diff = abs(a - e)
    if diff <= atol + rtol * abs(e) and not (math.isnan(diff)):
        return
    rel = diff / abs(e) if e != 0 else math.inf
    raise AssertionError(
        f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
        f"Absolute difference: {diff} (up to {atol} allowed)\n"
        f"Relative difference: {rel} (up to {rtol} allowed)"
    )


def _compare_tensors(actual, expected, opts) -> None:
    a_t, e_t = _as_tensor(actual), _as_tensor(expected)
    if tuple(a_t.shape) != tuple(e_t.shape):
        raise AssertionError(
            f"The values for attribute 'shape' do not match: {a_t.shape} != {e_t.shape}."
        )
    if opts["check_device"] and a_t.device != e_t.device:
        raise AssertionError(
            f"The values for attribute 'device' do not match: {a_t.device} != {e_t.device}."
        )
    if opts["check_dtype"] and a_t.array.dtype != e_t.array.dtype:
        raise AssertionError(
            f"The values for attribute 'dtype' do not match: {a_t.dtype} != {e_t.dtype}."
        )
    if opts["check_stride"] and a_t.stride() != e_t.stride():
        raise AssertionError(
            f"The values for attribute 'stride()' do not match: {a_t.stride()} != {e_t.stride()}."
        )
    a = array_backend.to_device(a_t.array, array_backend.CPU)
    e = array_backend.to_device(e_t.array, array_backend.CPU)
    dtype = _np.promote_types(a.dtype, e.dtype)
    a, e = a.astype(dtype), e.astype(dtype)
    rtol, atol = _tolerances(dtype, opts["rtol"], opts["atol"])
    exact = dtype.kind in "biu"
    if dtype.kind == "b":
        a, e = a.astype(_np.int64), e.astype(_np.int64)
    if exact and opts["rtol"] is None:
        close = a == e
    else:
        with _np.errstate(invalid="ignore"):
            close = _np.abs(a.astype(_np.float64) - e) <= atol + rtol * _np.abs(
                e.astype(_np.float64)
            )
        if opts["equal_nan"] and dtype.kind == "f":
            close |= _np.isnan(a) & _np.isnan(e)
        if dtype.kind == "f":
            close |= a == e  # equal infinities
    if close.all():
        return
    mismatched = int((~close).sum())
    total = close.size
    with _np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if exact:
            diff = _np.abs(a.astype(_np.int64) - e.astype(_np.int64))
            rel = diff.astype(default_float()) / _np.abs(e).astype(default_float())
        else:
            diff = _np.abs(a - e)
            rel = diff / _np.abs(e)
    where_abs = _argmax(diff)
    where_rel = _argmax(rel)
    kind = "equal" if exact and opts["rtol"] is None else "close"
    lines = [
        f"Tensor-likes are not {kind}!",
        "",
        f"Mismatched elements: {mismatched} / {total} ({100 * mismatched / total:.1f}%)",
    ]
    abs_value, rel_value = diff[where_abs].item(), rel[where_rel].item()
    if kind == "equal":
        lines.append(f"Greatest absolute difference: {abs_value} at index {where_abs}")
        lines.append(f"Greatest relative difference: {rel_value} at index {where_rel}")
    else:
        lines.append(f"Greatest absolute difference: {abs_value} at index {where_abs} "
                     f"(up to {atol} allowed)")  # fmt: skip
        lines.append(f"Greatest relative difference: {rel_value} at index {where_rel} "
                     f"(up to {rtol} allowed)")  # fmt: skip
    raise AssertionError("\n".join(lines))


def _argmax(x) -> tuple:
    """The index of the largest value, nan counting as largest (as PyTorch reports them)."""
    flat = x.reshape(-1)
    if flat.dtype.kind == "f" and _np.isnan(flat).any():
        k = int(_np.flatnonzero(_np.isnan(flat))[0])
    else:
        k = int(_np.argmax(flat))
    return tuple(int(i) for i in _np.unravel_index(k, x.shape))


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg="") -> None:
    """Deprecated: use :func:`assert_close` (``torch.testing.assert_allclose``, which also
    warns); compares after casting ``expected`` to ``actual``'s dtype."""
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    from .creation import tensor
    from .tensor import Tensor

    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _TOLERANCES.get(actual.array.dtype.name, (0.0, 0.0))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, msg=msg or None)  # fmt: skip


def make_tensor(
    *shape, dtype, device, low=None, high=None, requires_grad: bool = False,
    noncontiguous: bool = False, exclude_zero: bool = False, memory_format=None,
):  # fmt: skip
    """A tensor of ``shape`` with random values in [low, high) (default [-9, 9) for floats,
    [-9, 10) for integers) (``torch.testing.make_tensor``)."""
    from .creation import _gen, _size, tensor

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = tuple(shape[0])
    size = _size(shape)
    np_dtype = as_dtype(dtype)
    gen = _gen(None, array_backend.device(device))
    if np_dtype.kind == "b":
        values = gen.integers(0, 2, size=size).astype(bool)
    elif np_dtype.kind in "iu":
        lo = -9 if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        if np_dtype.kind == "u":
            lo = max(lo, 0)
        values = gen.integers(lo, hi, size=size)
        if exclude_zero:
            values[values == 0] = 1
    else:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        values = gen.random(size) * (hi - lo) + lo
        if exclude_zero:
            values[values == 0] = _np.finfo(np_dtype).tiny
    out = tensor(values, dtype=torch_dtype(np_dtype), device=device, requires_grad=requires_grad)
    if noncontiguous and out.array.size > 1:
        doubled = array_backend.get_array_module(out.array).repeat(out.array, 2, axis=-1)
        out.array = doubled[..., ::2]
    if memory_format is not None:
        from .layouts import to_memory_format

        out.array = to_memory_format(out.array, memory_format)
    return out
