"""Arithmetic: ``+ - * / **``, negation, comparisons (no gradient), dtype and device casts."""

from __future__ import annotations

from .. import array_backend
from ..dtypes import as_dtype, default_float
from ..node import Node
from ..tensor import Tensor
from ._util import binary, const, operand

__all__ = [
    "Constant",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Pow",
    "Cast",
    "ToDevice",
    "Clone",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "cast",
    "to_device",
    "clone",
    "compare",
    "addcmul",
    "addcdiv",
    "true_divide",
    "floor_divide",
]


class Constant(Node):
    """y = c, a leaf that needs no gradient (what a Python scalar or array operand becomes)."""

    def __init__(self, value):
        self.value = value

    def forward(self):
        return self.value

    def backward(self, grad):
        return ()


class Add(Node):
    """y = a + b."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad

    def backward_arrays(self, grad):
        need_a, need_b = self.needs_input_grad
        return (grad if need_a else None), (grad if need_b else None)


class Sub(Node):
    """y = a - b."""

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)

    def backward_arrays(self, grad):
        need_a, need_b = self.needs_input_grad
        return (grad if need_a else None), (-grad if need_b else None)


class Mul(Node):
    """y = a * b."""

    _saved = (0, 1)  # what forward saves (see Node)

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)

    def backward_arrays(self, grad):
        a, b = self.saved_values
        need_a, need_b = self.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Node):
    """y = a / b."""

    _saved = (0, 1)  # what forward saves (see Node)

    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = grad / b if need_a else None
        gb = -grad * a / (b * b) if need_b else None
        return ga, gb

    def backward_arrays(self, grad):
        a, b = self.saved_values
        need_a, need_b = self.needs_input_grad
        ga = grad / b if need_a else None
        gb = -grad * a / (b * b) if need_b else None
        return ga, gb


class Neg(Node):
    """y = -a."""

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad

    def backward_arrays(self, grad):
        return -grad


class Pow(Node):
    """y = a ** b."""

    _saved = (0, 1)
    _save_out = True  # what forward saves (see Node)

    _backward_name = "PowBackward1"  # NOTE: pow() names the scalar forms 0 and 2, as PyTorch

    def forward(self, a, b):
        return a**b

    def backward(self, grad):
        # NOTE: PyTorch's choices at a = 0: d(a^0)/da = 0 (not 0 * 0^-1 = nan), and d/db is 0
        # where a = 0 and b >= 0 (not 0 * log 0). Substituting harmless values only at those
        # points (b -> 1 where a = b = 0, a -> 1 where a = 0 and b >= 0) gives the zeros
        # without computing an inf, and keeps the second derivatives exact elsewhere.
        a, b, out = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            ga = grad * b * a ** (b.where((b != 0) | (a != 0), 1.0) - 1)
        if need_b:
            gb = grad * out * a.where((a != 0) | (b < 0), 1.0).log()
        return ga, gb


class Cast(Node):
    """y = a converted to another dtype (the gradient is converted back)."""

    _backward_name = "ToCopyBackward0"

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        self.src_dtype = a.dtype
        return a.astype(self.dtype)

    def backward(self, grad):
        return grad.to(self.src_dtype)


class ToDevice(Node):
    """y = a copied to another device (the gradient is copied back)."""

    _backward_name = "ToCopyBackward0"

    def __init__(self, device):
        self.device = device

    def forward(self, a):
        self.src_device = array_backend.device_of(a)
        return array_backend.to_device(a, self.device)

    def backward(self, grad):
        return grad.to(self.src_device)


class Clone(Node):
    """y = a copy of a (laid out in ``memory_format`` if given)."""

    memory_format = None

    def forward(self, a):
        if self.memory_format is None:
            return a.copy()
        from ..layouts import to_memory_format

        return to_memory_format(a.copy(), self.memory_format)

    def backward(self, grad):
        return grad


def add(a, b, alpha=1) -> Tensor:
    """a + alpha * b (``torch.add``)."""
    a, b = binary(a, b)
    if alpha != 1:
        b = mul(b, alpha)
    return Add()(a, b)


def sub(a, b, alpha=1) -> Tensor:
    """a - alpha * b (``torch.sub``)."""
    a, b = binary(a, b)
    if alpha != 1:
        b = mul(b, alpha)
    return Sub()(a, b)


def mul(a, b) -> Tensor:
    """a * b (``torch.mul``)."""
    return Mul()(*binary(a, b))


def div(a, b, rounding_mode=None) -> Tensor:
    """a / b (``torch.div``); with ``rounding_mode`` ('trunc' or 'floor') no gradient."""
    a, b = binary(a, b)
    if rounding_mode is None:
        if a.array.dtype.kind != "f":  # true division of integers: the default float dtype
            a, b = a.to(default_float()), b.to(default_float())
        return Div()(a, b)
    xp = array_backend.get_array_module(a.array)
    if rounding_mode == "floor":
        return const(xp.floor_divide(a.array, b.array))
    if rounding_mode == "trunc":
        return const(xp.trunc(a.array / b.array).astype(xp.result_type(a.array, b.array)))
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


def neg(a: Tensor) -> Tensor:
    """-a, element-wise (``torch.neg``)."""
    return Neg()(a)


def pow(a, b) -> Tensor:
    """a ** b (``torch.pow``), for a tensor or scalar exponent."""
    node = Pow()
    if not isinstance(b, Tensor):
        node._backward_name = "PowBackward0"
    elif not isinstance(a, Tensor):
        node._backward_name = "PowBackward2"
    return node(*binary(a, b))


def cast(a: Tensor, dtype) -> Tensor:
    """``a`` converted to ``dtype``; to an integer or bool dtype the result is outside the graph
    (no gradient flows through a cast to a discrete type, as in PyTorch)."""
    dtype = as_dtype(dtype)
    if dtype.kind not in "fc":
        return const(a.array.astype(dtype))
    return Cast(dtype)(a)


def to_device(a: Tensor, device) -> Tensor:
    return ToDevice(device)(a)


def clone(a: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``a`` that gradients flow through (``torch.clone``); with ``memory_format``
    (``channels_last``, ...) laid out in that format."""
    node = Clone()
    from ..layouts import preserve_format

    if memory_format is not None and memory_format is not preserve_format:
        node.memory_format = memory_format
    return node(a)


def compare(op: str, a, b) -> Tensor:
    """Element-wise comparison; the result is a bool tensor outside the graph."""
    if not isinstance(a, Tensor):
        a = operand(a, b)
    b = operand(b, a)
    try:
        return const(getattr(a.array, op)(b.array))
    except ValueError as exc:
        raise RuntimeError(
            f"comparison {op}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not "
            f"broadcastable: {exc}"
        ) from None


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2 (``torch.addcmul``)."""
    product = mul(tensor1, tensor2)
    out = add(input, product if value == 1 else mul(product, value))
    if out.grad_fn is not None:
        out.grad_fn._backward_name = "AddcmulBackward0"
    return out


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (``torch.addcdiv``); integer division is refused, as
    in PyTorch."""
    for t in (tensor1, tensor2):
        if isinstance(t, Tensor) and t.array.dtype.kind in "biu":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
    quotient = div(tensor1, tensor2)
    out = add(input, quotient if value == 1 else mul(quotient, value))
    if out.grad_fn is not None:
        out.grad_fn._backward_name = "AddcdivBackward0"
    return out


def true_divide(a, b) -> Tensor:
    """a / b, true division (``torch.true_divide``, an alias of ``div``)."""
    return div(a, b)


def floor_divide(a, b) -> Tensor:
    """a // b rounded toward minus infinity (``torch.floor_divide``)."""
    return div(a, b, rounding_mode="floor")
