"""Logical and bitwise operations, comparisons as functions, closeness tests (``isclose``,
``allclose``, ``equal``), value tests (``isinf``, ``signbit``, ...), rounding (``floor``,
``round``, ``fmod``, ...) and ``nonzero``. Only the rounding family and ``nan_to_num`` carry
gradients (zero, or passed through), as in PyTorch."""

from __future__ import annotations

from .. import array_backend
from ..dtypes import torch_name
from ..node import Node
from ..tensor import Tensor
from ._util import binary, const, norm_dim, operand

__all__ = [
    "Rounding", "Fmod", "Remainder", "NanToNum",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "eq", "ne", "lt",
    "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "isclose",
    "allclose", "equal", "isinf", "isposinf", "isneginf", "isnan", "isfinite", "isreal",
    "signbit", "is_nonzero", "floor", "ceil", "round", "trunc", "fix", "frac", "fmod",
    "remainder", "nan_to_num", "nonzero", "argwhere", "count_nonzero", "fmax", "fmin", "isin",
    "copysign", "heaviside", "gcd", "lcm", "is_complex", "is_conj", "is_neg", "conj",
    "conj_physical", "resolve_conj", "resolve_neg", "real", "imag", "view_as_real",
    "view_as_complex", "complex", "polar", "is_same_size", "is_signed", "result_type",
    "can_cast", "sparse_coo_tensor", "spmm",
]  # fmt: skip


def _xp(a):
    return array_backend.get_array_module(a)


# --- rounding: zero gradients -------------------------------------------------------------------
class Rounding(Node):
    """y = floor / ceil / round / trunc of a; the gradient is zero (PyTorch's convention)."""

    def __init__(self, kind: str, decimals: int = 0):
        self.kind, self.decimals = kind, decimals

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return f"{self.kind.capitalize()}Backward{1 if self.decimals else 0}"

    def forward(self, a):
        xp = _xp(a)
        if self.kind == "round":
            return xp.round(a, self.decimals)
        return getattr(xp, self.kind)(a)

    def backward(self, grad):
        return grad * 0


class Fmod(Node):
    """y = a - trunc(a / b) b, the remainder with the sign of a (C's fmod)."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).fmod(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        gb = -grad * const(_xp(a.array).trunc(a.array / b.array)) if need_b else None
        return (grad if need_a else None), gb


class Remainder(Node):
    """y = a - floor(a / b) b, the remainder with the sign of b (Python's %)."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).remainder(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        gb = -grad * const(_xp(a.array).floor(a.array / b.array)) if need_b else None
        return (grad if need_a else None), gb


class NanToNum(Node):
    """y = a with nan, +inf and -inf replaced by numbers; the gradient passes where a is
    finite and is zero at the replaced places."""

    def __init__(self, nan, posinf, neginf):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, a):
        self.save_inputs(0)
        return _xp(a).nan_to_num(a, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, grad):
        (a,) = self.saved_tensors
        x = a.array
        return grad * const(_xp(x).isfinite(x).astype(grad.array.dtype))


# --- logical and bitwise ------------------------------------------------------------------------
def _pair(a, b):
    if not isinstance(a, Tensor):
        a = operand(a, b)
    return a, operand(b, a)


def _logical(name: str, a, b) -> Tensor:
    a, b = _pair(a, b)
    return const(getattr(_xp(a.array), name)(a.array, b.array))


def logical_and(input, other) -> Tensor:
    """Element-wise ``input and other`` on truth values, a bool tensor (``torch.logical_and``)."""
    return _logical("logical_and", input, other)


def logical_or(input, other) -> Tensor:
    """Element-wise ``input or other`` on truth values (``torch.logical_or``)."""
    return _logical("logical_or", input, other)


def logical_xor(input, other) -> Tensor:
    """Element-wise exclusive or on truth values (``torch.logical_xor``)."""
    return _logical("logical_xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    """Element-wise ``not input``, a bool tensor (``torch.logical_not``)."""
    return const(_xp(input.array).logical_not(input.array))


def _check_integral(op: str, *arrays) -> None:
    for x in arrays:
        if x.dtype.kind not in "biu":
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{torch_name(x.dtype)}'")


def _bitwise(op: str, ufunc: str, a, b) -> Tensor:
    a, b = _pair(a, b)
    _check_integral(op, a.array, b.array)
    return const(getattr(_xp(a.array), ufunc)(a.array, b.array))


def bitwise_and(input, other) -> Tensor:
    """Element-wise bitwise and of integer or bool tensors (``torch.bitwise_and``)."""
    return _bitwise("bitwise_and", "bitwise_and", input, other)


def bitwise_or(input, other) -> Tensor:
    """Element-wise bitwise or of integer or bool tensors (``torch.bitwise_or``)."""
    return _bitwise("bitwise_or", "bitwise_or", input, other)


def bitwise_xor(input, other) -> Tensor:
    """Element-wise bitwise xor of integer or bool tensors (``torch.bitwise_xor``)."""
    return _bitwise("bitwise_xor", "bitwise_xor", input, other)


def bitwise_left_shift(input, other) -> Tensor:
    """input << other for integer tensors (``torch.bitwise_left_shift``)."""
    return _bitwise("lshift", "left_shift", input, other)


def bitwise_right_shift(input, other) -> Tensor:
    """input >> other for integer tensors (``torch.bitwise_right_shift``)."""
    return _bitwise("rshift", "right_shift", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise not of an integer tensor, logical not of a bool one (``torch.bitwise_not``)."""
    _check_integral("bitwise_not", input.array)
    return const(~input.array)


# --- comparisons as functions -------------------------------------------------------------------
def _compare(op: str):
    from .arith import compare

    def fn(input, other) -> Tensor:
        return compare(op, input, other)

    return fn


eq, ne, lt, le, gt, ge = (_compare(f"__{n}__") for n in ("eq", "ne", "lt", "le", "gt", "ge"))
eq.__doc__ = "Element-wise ``input == other`` (``torch.eq``)."
ne.__doc__ = "Element-wise ``input != other`` (``torch.ne``)."
lt.__doc__ = "Element-wise ``input < other`` (``torch.lt``)."
le.__doc__ = "Element-wise ``input <= other`` (``torch.le``)."
gt.__doc__ = "Element-wise ``input > other`` (``torch.gt``)."
ge.__doc__ = "Element-wise ``input >= other`` (``torch.ge``)."
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# --- closeness and value tests ------------------------------------------------------------------
def isclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|input - other| <= atol + rtol |other| element-wise (``torch.isclose``)."""
    if not isinstance(other, Tensor):
        other = operand(other, input)
    if input.array.dtype != other.array.dtype:
        raise RuntimeError(
            f"{input.dtype} did not match {other.dtype}: isclose needs both inputs of one dtype; "
            "convert one with .to(other.dtype)"
        )
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be non-negative (got {rtol}, {atol})")
    a, b = input.array, other.array
    xp = _xp(a)
    if a.dtype.kind in "biu":
        return const(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol)))
    return const(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element is close (``isclose``), a Python bool (``torch.allclose``)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same size and elements (``torch.equal``)."""
    if tuple(input.array.shape) != tuple(other.array.shape):
        return False
    a, b = input.array, array_backend.to_device(other.array, input.device)
    return bool((a == b).all())


def _test(fn: str, doc: str):
    def test(input: Tensor) -> Tensor:
        return const(getattr(_xp(input.array), fn)(input.array))

    test.__doc__ = doc
    return test


isinf = _test("isinf", "Whether each element is +inf or -inf (``torch.isinf``).")
isposinf = _test("isposinf", "Whether each element is +inf (``torch.isposinf``).")
isneginf = _test("isneginf", "Whether each element is -inf (``torch.isneginf``).")
isnan = _test("isnan", "Whether each element is nan (``torch.isnan``).")
isfinite = _test("isfinite", "Whether each element is finite (``torch.isfinite``).")
signbit = _test("signbit", "Whether each sign bit is set, -0.0 included (``torch.signbit``).")


def isreal(input: Tensor) -> Tensor:
    """All true: tensors here are real (``torch.isreal``)."""
    return const(_xp(input.array).ones(input.array.shape, dtype=bool))


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor (``torch.is_nonzero``)."""
    if input.array.size != 1:
        what = "no values" if input.array.size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
    return bool(input.array.reshape(()).item())


# --- rounding -----------------------------------------------------------------------------------
def _round(kind: str, input: Tensor, decimals: int = 0) -> Tensor:
    if input.array.dtype.kind in "biu":
        if decimals:
            name = torch_name(input.dtype)
            raise RuntimeError(f"\"round_decimals\" not implemented for '{name}'")
        return input.clone() if input.requires_grad else Tensor._make(input.array.copy())
    return Rounding(kind, decimals)(input)


def floor(input: Tensor) -> Tensor:
    """Round down; the gradient is zero (``torch.floor``)."""
    return _round("floor", input)


def ceil(input: Tensor) -> Tensor:
    """Round up; the gradient is zero (``torch.ceil``)."""
    return _round("ceil", input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001  (torch.round)
    """Round half to even, optionally to ``decimals`` places (``torch.round``)."""
    return _round("round", input, int(decimals))


def trunc(input: Tensor) -> Tensor:
    """Round toward zero; the gradient is zero (``torch.trunc``)."""
    return _round("trunc", input)


fix = trunc


def frac(input: Tensor) -> Tensor:
    """input - trunc(input), with the sign of input (``torch.frac``)."""
    return input - trunc(input)


def fmod(input, other) -> Tensor:
    """The remainder of division with the sign of the dividend, C's fmod (``torch.fmod``)."""
    a, b = binary(input, other)
    _check_zero_division("fmod", a, b)
    node = Fmod()
    node._backward_name = "FmodBackward1" if isinstance(other, Tensor) else "FmodBackward0"
    return node(a, b)


def remainder(input, other) -> Tensor:
    """The remainder with the sign of the divisor, Python's % (``torch.remainder``)."""
    a, b = binary(input, other)
    _check_zero_division("remainder", a, b)
    node = Remainder()
    node._backward_name = (
        "RemainderBackward1" if isinstance(other, Tensor) else "RemainderBackward0"
    )
    return node(a, b)


def _check_zero_division(op: str, a: Tensor, b: Tensor) -> None:
    if b.array.dtype.kind in "biu" and bool((b.array == 0).any()):
        raise RuntimeError("ZeroDivisionError")


def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
    largest and smallest values) (``torch.nan_to_num``)."""
    if input.array.dtype.kind != "f":
        return input.clone() if input.requires_grad else Tensor._make(input.array.copy())
    return NanToNum(nan, posinf, neginf)(input)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise maximum that ignores nan (the other value wins) (``torch.fmax``)."""
    a, b = binary(input, other)
    x, y = a.array, b.array
    keep = (x >= y) | _xp(y).isnan(y)
    from .unary import Where

    return Where(keep)(a, b)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Element-wise minimum that ignores nan (the other value wins) (``torch.fmin``)."""
    a, b = binary(input, other)
    x, y = a.array, b.array
    keep = (x <= y) | _xp(y).isnan(y)
    from .unary import Where

    return Where(keep)(a, b)


# --- where the nonzero values are ---------------------------------------------------------------
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an int64 tensor (n, ndim), or a tuple of one index
    tensor per dimension with ``as_tuple=True`` (``torch.nonzero``)."""
    x = input.array
    xp = _xp(x)
    if as_tuple:
        if x.ndim == 0:
            return (const(xp.nonzero(x.reshape(1))[0].astype(xp.int64)),)
        return tuple(const(i.astype(xp.int64)) for i in xp.nonzero(x))
    return const(xp.argwhere(x).astype(xp.int64))


def argwhere(input: Tensor) -> Tensor:
    """Indices of the nonzero elements, (n, ndim) int64 (``torch.argwhere``)."""
    return nonzero(input)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """How many elements are nonzero, over ``dim`` (all by default) (``torch.count_nonzero``)."""
    x = input.array
    dims = norm_dim(dim, x.ndim)
    out = _xp(x).count_nonzero(x, axis=dims)
    return const(_xp(x).asarray(out, dtype="int64"))


# --- more element-wise functions ---------------------------------------------------------------
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each element of ``elements`` is in ``test_elements`` (``torch.isin``)."""
    a = elements.array if isinstance(elements, Tensor) else None
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = _xp(like.array)
    a = a if a is not None else xp.asarray(elements)
    b = test_elements.array if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return const(xp.isin(a, b, invert=invert))


def copysign(input, other) -> Tensor:
    """|input| with the sign of ``other`` (the sign bit, so -0.0 counts as negative)
    (``torch.copysign``)."""
    a, b = binary(input, other)
    if a.array.dtype.kind != "f":
        from ..dtypes import default_float

        a = a.to(default_float())
    negative = const(_xp(b.array).signbit(b.array))
    magnitude = a.abs()
    out = (-magnitude).where(negative, magnitude)
    if out.grad_fn is not None:
        out.grad_fn._backward_name = "CopysignBackward0"
    return out


def heaviside(input: Tensor, values) -> Tensor:
    """0 below zero, 1 above, ``values`` at zero (``torch.heaviside``); no gradient."""
    v = values.array if isinstance(values, Tensor) else values
    return const(_xp(input.array).heaviside(input.array, v).astype(input.array.dtype))


def gcd(input: Tensor, other) -> Tensor:
    """Element-wise greatest common divisor of integers (``torch.gcd``)."""
    a, b = _pair(input, other)
    _check_integral("gcd", a.array, b.array)
    return const(_xp(a.array).gcd(a.array, b.array))


def lcm(input: Tensor, other) -> Tensor:
    """Element-wise least common multiple of integers (``torch.lcm``)."""
    a, b = _pair(input, other)
    _check_integral("lcm", a.array, b.array)
    return const(_xp(a.array).lcm(a.array, b.array))


def is_complex(input: Tensor) -> bool:
    """False: tensors here hold real numbers (``torch.is_complex``)."""
    return False


def is_conj(input: Tensor) -> bool:
    """False: no tensor here carries a conjugate bit (``torch.is_conj``)."""
    return False


def is_neg(input: Tensor) -> bool:
    """False: no tensor here carries a negative bit (``torch.is_neg``)."""
    return False


def conj(input: Tensor) -> Tensor:
    """The complex conjugate: for the real tensors here, ``input`` itself (``torch.conj``)."""
    return input


conj_physical = resolve_conj = resolve_neg = conj


def real(input: Tensor) -> Tensor:
    """The real part: for the real tensors here, ``input`` itself (``torch.real``)."""
    return input


def imag(input: Tensor):
    """PyTorch's error for a real tensor (``torch.imag``): there are no complex tensors here."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def view_as_real(input: Tensor):
    """PyTorch's error for a real input (``torch.view_as_real``): complex tensors, the only
    valid input, do not exist here."""
    raise RuntimeError("view_as_real is only supported for complex tensors")


def _no_complex(name: str):
    def fn(*args, **kwargs):
        raise RuntimeError(
            f"{name}: complex tensors are not supported by autograd_engine (tensors hold real "
            "numbers). Keep the real and imaginary parts in two real tensors, or a trailing "
            "dimension of size 2."
        )

    fn.__name__ = name
    fn.__doc__ = f"Raises: ``torch.{name}`` makes a complex tensor, which does not exist here."
    return fn


view_as_complex = _no_complex("view_as_complex")
complex = _no_complex("complex")  # noqa: A001  (torch.complex)
polar = _no_complex("polar")


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape (``torch.is_same_size``)."""
    return tuple(input.array.shape) == tuple(other.array.shape)


def is_signed(input: Tensor) -> bool:
    """Whether the dtype is signed (``torch.is_signed``)."""
    return input.array.dtype.kind in "fi"


def result_type(tensor1, tensor2):
    """The dtype an operation on the two would give (``torch.result_type``): tensors win
    over Python numbers of the same kind, as in PyTorch."""
    from ..dtypes import default_float, promote_types, torch_dtype

    def kind_dtype(x):
        if isinstance(x, Tensor):
            return x.array.dtype, x.ndim > 0
        if isinstance(x, bool):
            return _xp(x).dtype("bool"), False
        if isinstance(x, int):
            return _xp(x).dtype("int64"), False
        return default_float(), False

    (a, a_dim), (b, b_dim) = kind_dtype(tensor1), kind_dtype(tensor2)
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    if a_dim != b_dim and rank[a.kind] == rank[b.kind]:
        return torch_dtype(a if a_dim else b)
    return promote_types(a, b)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` without changing kind
    downward (float to int, or anything else to bool) (``torch.can_cast``)."""
    from ..dtypes import as_dtype

    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    return rank[as_dtype(from_).kind] <= rank[as_dtype(to).kind]


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, **kwargs):
    """Raises: sparse tensors are not supported (``torch.sparse_coo_tensor``)."""
    raise RuntimeError(
        "sparse_coo_tensor: sparse tensors are not supported by autograd_engine. Build the "
        "dense tensor instead: out = zeros(size); out[tuple(indices)] = values (index_put with "
        "accumulate=True sums repeated indices)."
    )


def spmm(input, mat2):
    """Raises: its input is a sparse matrix, which does not exist here (``torch.spmm``)."""
    raise RuntimeError(
        "spmm multiplies a sparse matrix, and autograd_engine has no sparse tensors; use "
        "autograd_engine.mm on the dense matrix"
    )
