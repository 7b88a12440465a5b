"""In-place operations (``add_``, ``mul_``, ``copy_``, ``__setitem__``, ...). Outside the graph
they write into the tensor's array and bump its version; when the graph is recorded they
compute the out-of-place node, write its result into the same array (so aliases see it) and
rebase the tensor, and the base of a view, onto the new history (PyTorch's rebase_history)."""

from __future__ import annotations

import numbers

from .. import array_backend
from .. import node as _node
from ..creation import _gen
from ..dtypes import torch_name as _torch_name
from ..grad_mode import grad_enabled as _grad_enabled
from ..node import Node, saved_hooks
from ..tensor import Tensor
from ..views import copy_slices, move_retain, refresh_view, standin
from ._util import const, operand
from .shape import _to_index, index_error

_NUMPY_ARRAY = array_backend.numpy.ndarray

__all__ = ["IndexPut", "Fill", "Copy"]

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


class IndexPut(Node):
    """y = a with y[index] = v (v broadcast to the shape of a[index])."""

    def __init__(self, index, inplace: bool = False):
        # NOTE: with ``inplace`` forward writes into ``a`` itself; the in-place ops use it when
        # ``a`` is the array being modified anyway, so ``y[mask] = 0`` copies nothing.
        self.index, self.inplace = index, inplace

    def forward(self, a, v):
        out = a if self.inplace else a.copy()
        out[self.index] = v
        return out

    def backward(self, grad):
        need_a, need_v = self.needs_input_grad
        ga = gv = None
        if need_a:
            mask = array_backend.get_array_module(grad.array).ones(grad.shape, dtype=grad.dtype)
            mask[self.index] = 0
            ga = grad * const(mask)
        if need_v:
            gv = grad[self.index]
            v_shape = self.in_shapes[1]
            if gv.ndim < len(v_shape):  # v had leading size-1 dims that assignment dropped
                gv = gv.reshape((1,) * (len(v_shape) - gv.ndim) + tuple(gv.shape))
        return ga, gv


class Fill(Node):
    """y = a filled with ``value``, or with the 0-d tensor ``v``; no gradient flows to a."""

    def __init__(self, value=None):
        self.value = value

    def forward(self, a, *v):
        out = array_backend.get_array_module(a).empty_like(a)
        out[...] = v[0] if v else self.value  # a 0-d array or a number, on either backend
        return out

    def backward(self, grad):
        zeros = const(array_backend.get_array_module(grad.array).zeros_like(grad.array))
        ga = zeros if self.needs_input_grad[0] else None
        if len(self.needs_input_grad) == 1:
            return ga
        return ga, (grad.sum() if self.needs_input_grad[1] else None)


class Copy(Node):
    """y = src broadcast to a's shape and cast to a's dtype and device (``a.copy_(src)``)."""

    def forward(self, a, src):
        self.src_dtype, self.src_device = src.dtype, array_backend.device_of(src)
        xp = array_backend.get_array_module(a)
        out = xp.empty_like(a)
        out[...] = array_backend.to_device(src, array_backend.device_of(a))
        return out

    def backward(self, grad):
        need_a, need_src = self.needs_input_grad
        ga = gs = None
        if need_a:
            ga = const(array_backend.get_array_module(grad.array).zeros_like(grad.array))
        if need_src:
            gs = grad.to(self.src_device, self.src_dtype)
        return ga, gs


# --- the machinery ------------------------------------------------------------------------------
def _check_leaf(t: Tensor) -> None:
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = t._base
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def _check_result(t: Tensor, array) -> None:
    """The result of an op written into ``t`` must have ``t``'s shape and a castable dtype."""
    if array.shape != t.array.shape:
        raise RuntimeError(
            f"output with shape {tuple(t.shape)} doesn't match the broadcast shape "
            f"{tuple(array.shape)}"
        )
    if _KIND_RANK.get(array.dtype.kind, 3) > _KIND_RANK.get(t.array.dtype.kind, 3):
        raise RuntimeError(
            f"result type {_torch_name(array.dtype)} can't be cast to the desired output type "
            f"{_torch_name(t.array.dtype)}"
        )


def _overlap_error() -> RuntimeError:
    return RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location (it is an expanded or read-only view). Please clone() the "
        "tensor before performing the operation."
    )


def _write_error(t: Tensor, arrays, exc: Exception) -> RuntimeError:
    """PyTorch's message for a failed in-place write (the fast path's NumPy error)."""
    if not getattr(t.array.flags, "writeable", True):
        return _overlap_error()
    devices = {str(array_backend.device_of(a)) for a in (t.array, *arrays) if hasattr(a, "shape")}
    if len(devices) > 1:
        return RuntimeError(
            f"in-place operation: expected all tensors to be on the same device, but found "
            f"{' and '.join(sorted(devices))}. Move them to one device with .to(device) first."
        )
    shapes = [getattr(a, "shape", ()) for a in arrays]
    try:
        full = array_backend.numpy.broadcast_shapes(t.array.shape, *shapes)
    except ValueError:
        shown = " and ".join(str(tuple(s)) for s in (t.array.shape, *shapes))
        return RuntimeError(
            f"in-place operation: the shapes {shown} are not broadcastable ({exc}); reshape "
            "the operand so that its sizes match the tensor's."
        )
    if full != t.array.shape:
        return RuntimeError(
            f"output with shape {tuple(t.shape)} doesn't match the broadcast shape {tuple(full)}"
        )
    return RuntimeError(
        f"result type {_result_name(t.array.dtype, arrays)} can't be cast to the desired output "
        f"type {_torch_name(t.array.dtype)}"
    )


def _result_name(dtype, arrays) -> str:
    """The name of the first operand type of a higher kind than ``dtype`` (a Python float is
    Float and an int Long, as PyTorch's scalars)."""
    for a in arrays:
        if isinstance(a, bool):
            kind, name = "b", "Bool"
        elif isinstance(a, numbers.Integral):
            kind, name = "i", "Long"
        elif isinstance(a, numbers.Number):
            kind, name = "f", "Float"
        else:
            kind, name = a.dtype.kind, _torch_name(a.dtype)
        if _KIND_RANK.get(kind, 3) > _KIND_RANK.get(dtype.kind, 3):
            return name
    return _torch_name(dtype)


def apply_(t: Tensor, compute, others=(), fast=None, needs_old=None) -> Tensor:
    """Make ``t``'s value ``compute(t, *others)`` in place and return ``t``.

    ``compute`` builds the result from Tensors with recorded ops (used when the graph is
    recorded, and outside it when there is no ``fast``); ``fast(array, *arrays)`` writes the
    result into ``t``'s array directly. ``needs_old``: whether the node's backward reads the
    old value of ``t`` (None: the node decides, by having saved it). On a GPU it all runs
    with ``t``'s device current.
    """
    rec = _node._recorder
    if rec is not None and rec.claims():  # a compiled step is being traced
        return rec.apply_inplace(apply_, t, compute, others, fast, needs_old)
    if type(t.array) is _NUMPY_ARRAY:
        return _apply(t, compute, others, fast, needs_old)
    with array_backend.on_device_of(t.array):
        return _apply(t, compute, others, fast, needs_old)


def _apply(t: Tensor, compute, others, fast, needs_old) -> Tensor:
    if 0 in t.array.strides and array_backend.has_internal_overlap(t.array):
        raise _overlap_error()
    if _grad_enabled():
        _check_leaf(t)
        base = t._base
        if base is not None:
            if base.grad_fn is not t._view_fn:
                refresh_view(t)
            if base.requires_grad and not t.requires_grad:
                raise RuntimeError(
                    "A view was created in no_grad mode and is being modified inplace with grad "
                    "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                    "forbidden. You can clarify your code by moving both the view and the "
                    "inplace either both inside the no_grad block (if you don't want the "
                    "inplace to be tracked) or both outside (if you want the inplace to be "
                    "tracked)."
                )
        if t.requires_grad or any(o.requires_grad for o in others):
            return _record(t, compute, others, needs_old)
    if fast is not None:
        arrays = [o.array if isinstance(o, Tensor) else o for o in others]
        try:
            fast(t.array, *arrays)
        except (TypeError, ValueError) as exc:
            raise _write_error(t, arrays, exc) from None
    else:
        out = compute(t, *others)
        _check_result(t, out.array)
        if out.array is not t.array:
            t.array[...] = out.array
    t._counter()[0] += 1
    return t


def _record(t: Tensor, compute, others, needs_old) -> Tensor:
    base = t._base
    version = t._version
    old = standin(t)
    # NOTE: ``old`` shares t's version counter while the result is computed, so a node deep in
    # a composite ``compute`` that saved it sees the write and raises in backward; the node on
    # top gets a private counter (and a copy of the old values when its backward reads them).
    old._vc = t._counter()
    packing = bool(saved_hooks())
    if packing:  # NOTE: pack hooks see ``old`` as it is saved, before t is written: copy it now
        old.array = old.array.copy()
    out = compute(old, *[old if o is t else o for o in others])
    if out.grad_fn is None:  # a result that carries no gradient (rounding division, random)
        out = Copy()(old, out)
    node = out.grad_fn
    _check_result(t, out.array)
    saved_old = node.saves(old)
    if saved_old or needs_old is False:
        if saved_old and needs_old is not False and not packing:
            old.array = old.array.copy()
        old._vc = [version]
    if out.array is not t.array:
        t.array[...] = out.array
    move_retain(t, node)
    t.grad_fn = node
    t.requires_grad = True
    t._vc[0] += 1  # made above
    if base is not None:
        copy_slices(base, t)
    return t


# --- the operations -----------------------------------------------------------------------------
def _expands_to(shape, target) -> bool:
    """Whether an operand of ``shape`` broadcasts to exactly ``target`` (leading 1s may go)."""
    shape = tuple(shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > len(target):
        return False
    return all(s in (1, n) for s, n in zip(shape, target[len(target) - len(shape) :]))


def add_(t: Tensor, other, alpha=1) -> Tensor:
    if not _grad_enabled() and isinstance(other, numbers.Number):
        return apply_(t, None, (other * alpha,), _iadd)
    other = operand(other, t)
    if alpha != 1:
        return apply_(t, lambda a, b: a.add(b, alpha=alpha), (other,),
                      lambda a, b: _iadd(a, b * alpha))  # fmt: skip
    return apply_(t, lambda a, b: a + b, (other,), _iadd)


def sub_(t: Tensor, other, alpha=1) -> Tensor:
    if not _grad_enabled() and isinstance(other, numbers.Number):
        return apply_(t, None, (other * alpha,), _isub)
    other = operand(other, t)
    if alpha != 1:
        return apply_(t, lambda a, b: a.sub(b, alpha=alpha), (other,),
                      lambda a, b: _isub(a, b * alpha))  # fmt: skip
    return apply_(t, lambda a, b: a - b, (other,), _isub)


def mul_(t: Tensor, other) -> Tensor:
    if not _grad_enabled() and isinstance(other, numbers.Number):
        return apply_(t, None, (other,), _imul)
    other = operand(other, t)
    # NOTE: Mul's backward reads the old value of t only for the gradient of ``other``.
    return apply_(t, lambda a, b: a * b, (other,), _imul, other.requires_grad)


def div_(t: Tensor, other, rounding_mode=None) -> Tensor:
    other = operand(other, t)
    if rounding_mode is not None:
        return apply_(t, lambda a, b: a.div(b, rounding_mode=rounding_mode), (other,))
    if t.array.dtype.kind != "f":  # true division makes floats
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_torch_name(t.dtype)}"
        )
    # NOTE: as for mul_, the old value of t is read only for the gradient of ``other``.
    return apply_(t, lambda a, b: a / b, (other,), _idiv, other.requires_grad)


def _iadd(a, b):
    array_backend.get_array_module(a).add(a, b, out=a)


def _isub(a, b):
    array_backend.get_array_module(a).subtract(a, b, out=a)


def _imul(a, b):
    array_backend.get_array_module(a).multiply(a, b, out=a)


def _idiv(a, b):
    array_backend.get_array_module(a).true_divide(a, b, out=a)


def _assign(a, v):
    a[...] = v


def fill_(t: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return apply_(t, lambda a, v: Fill()(a, v), (value,), _assign)
    return apply_(t, lambda a: Fill(value)(a), (), lambda a: _assign(a, value))


def zero_(t: Tensor) -> Tensor:
    return fill_(t, 0)


def copy_(t: Tensor, src) -> Tensor:
    if not isinstance(src, Tensor):
        src = operand(src, t)
    if not _expands_to(src.shape, t.shape):
        raise RuntimeError(
            f"copy_: the source of shape {tuple(src.shape)} cannot be broadcast to the "
            f"destination of shape {tuple(t.shape)}"
        )

    def fast(a, s):
        a[...] = array_backend.to_device(s, array_backend.device_of(a))

    return apply_(t, lambda a, s: Copy()(a, s), (src,), fast)


def clamp_(t: Tensor, min=None, max=None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clamp_: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return apply_(t, lambda a: a.clamp(min, max))

    def fast(a):
        array_backend.get_array_module(a).clip(a, min, max, out=a)

    return apply_(t, lambda a: a.clamp(min, max), (), fast)


def _random_(t: Tensor, draw, generator) -> Tensor:
    if t.array.dtype.kind != "f":
        raise TypeError(f"random fill: expected a floating point tensor, got dtype {t.dtype}")
    gen = _gen(generator, t.device)
    work = t.array.dtype if t.array.dtype.itemsize >= 4 else array_backend.numpy.dtype("float32")
    values = draw(gen, t.array.shape, work).astype(t.array.dtype, copy=False)
    return apply_(t, lambda a: const(values), (), lambda a: _assign(a, values))


def uniform_(t: Tensor, from_=0.0, to=1.0, generator=None) -> Tensor:
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}"
        )

    def draw(gen, shape, dtype):
        return gen.random(shape, dtype=dtype) * dtype.type(to - from_) + dtype.type(from_)

    return _random_(t, draw, generator)


def normal_(t: Tensor, mean=0.0, std=1.0, generator=None) -> Tensor:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")

    def draw(gen, shape, dtype):
        return gen.standard_normal(shape, dtype=dtype) * dtype.type(std) + dtype.type(mean)

    return _random_(t, draw, generator)


def unary_(t: Tensor, fn) -> Tensor:
    """``t = fn(t)`` in place for an element-wise op ``fn`` (``relu_``, ``exp_``, ...)."""
    return apply_(t, fn)


def setitem(t: Tensor, index, value) -> None:
    """``t[index] = value`` for slices, ints, None, Ellipsis, index arrays and masks; the value
    (a tensor or a scalar) is broadcast to ``t[index]``'s shape and cast to ``t``'s dtype."""
    xp = array_backend.get_array_module(t.array)
    index = _to_index(index, xp, t.array.shape)
    v = value if isinstance(value, Tensor) else operand(value, t)
    try:
        region = t.array[index].shape if v.ndim else ()
    except IndexError as exc:
        raise index_error(exc) from None
    if v.ndim and not _expands_to(v.shape, region):
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {tuple(v.shape)} cannot be broadcast to "
            f"indexing result of shape {tuple(region)}"
        )

    def fast(a, v):
        a[index] = array_backend.to_device(v, array_backend.device_of(a))

    try:
        apply_(t, lambda a, v: IndexPut(index, inplace=True)(a, v), (v,), fast, False)
    except IndexError as exc:
        raise index_error(exc) from None


def compare_(t: Tensor, op: str, other) -> Tensor:
    """``t`` overwritten with the comparison ``t op other`` as 0/1 in its own dtype
    (``eq_``, ``lt_``, ``logical_not_``, ...); no gradient flows, as in PyTorch."""
    xp = array_backend.get_array_module(t.array)
    if op == "logical_not":
        values = xp.logical_not(t.array)
    else:
        o = operand(other, t)
        values = getattr(t.array, op)(o.array)
    return apply_(t, lambda a: const(values.astype(t.array.dtype)), (),
                  lambda a: _assign(a, values))  # fmt: skip


def fill_diagonal_(t: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """``t``'s main diagonal set to ``fill_value`` (all dims of equal size, or 2-D)."""
    shape = t.array.shape
    if t.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if t.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = array_backend.get_array_module(t.array)
    n = min(shape)
    if t.ndim == 2 and wrap and shape[0] > shape[1] + 1:
        rows = xp.arange(shape[0])
        keep = rows % (shape[1] + 1) < shape[1]
        rows = rows[keep]
        index = (rows, rows % (shape[1] + 1))
    else:
        index = (xp.arange(n),) * t.ndim
    return apply_(t, lambda a: IndexPut(index)(a, operand(fill_value, a)), (),
                  lambda a: _setitem_value(a, index, fill_value))  # fmt: skip


def _setitem_value(a, index, value) -> None:
    a[index] = value


def reshape_(t: Tensor, fn, name: str) -> Tensor:
    """``t`` becomes ``fn(t)``, a view with another shape, in place (``unsqueeze_``, ``t_``):
    it takes the view's array and, when recorded, its history."""
    if _grad_enabled():
        _check_leaf(t)
    out = fn(t)
    t.array = out.array
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
        move_retain(t, out.grad_fn)
        t.grad_fn = out.grad_fn
    return t
