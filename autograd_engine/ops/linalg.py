"""Matrix products: ``matmul`` (1-D, 2-D and batched with broadcasting), ``einsum``, and the
affine map ``linear`` (x W^T + b, one fused node); the Cholesky factorization and triangular
solves (``linalg.cholesky``, ``linalg.solve_triangular``)."""

from __future__ import annotations

import math

from .. import array_backend
from ..node import Node
from ..tensor import Tensor

__all__ = [
    "MatMul",
    "Einsum",
    "Linear",
    "Cholesky",
    "SolveTriangular",
    "matmul",
    "einsum",
    "linear",
    "cholesky",
    "solve_triangular",
]


class MatMul(Node):
    """y = a @ b (NumPy's matmul rules)."""

    _saved = (0, 1)  # what forward saves (see Node)

    def forward(self, a, b):
        return _matmul_2d(a, b)

    def name(self) -> str:
        """PyTorch's name for the product matmul dispatched to (mm, mv, dot, bmm)."""
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        dims = tuple(len(s) for s in self.in_shapes)
        names = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
        return names.get(dims, "SqueezeBackward4" if dims == (1, 2) else "UnsafeViewBackward0")

    def backward(self, grad):
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        if a.ndim >= 2 and b.ndim >= 2:
            ga = grad @ b.mT if need_a else None
            gb = a.mT @ grad if need_b else None
            return ga, gb  # the engine sums batch broadcasting back
        # 1-D operands: promote to matrices, then drop the added dims again.
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if need_a:
            ga = g2 @ b2.mT
            ga = ga.squeeze(-2) if a.ndim == 1 else ga
        if need_b:
            gb = a2.mT @ g2
            gb = gb.squeeze(-1) if b.ndim == 1 else gb
        return ga, gb

    def backward_arrays(self, grad):
        a, b = self.saved_values
        if a.ndim < 2 or b.ndim < 2:  # the rare 1-D forms: the Tensor formula, unrecorded
            grads = self.backward(Tensor._make(grad))
            return tuple(None if g is None else g.array for g in grads)
        need_a, need_b = self.needs_input_grad
        xp = array_backend.get_array_module(grad)
        ga = _matmul_2d(grad, xp.swapaxes(b, -1, -2)) if need_a else None
        gb = None
        if need_b:
            if b.ndim == 2 and a.ndim > 2:  # a stack times one matrix: b's gradient is one GEMM
                gb = _rows(a).T @ _rows(grad)
            else:
                gb = xp.swapaxes(a, -1, -2) @ grad
        return ga, gb


class Einsum(Node):
    """y = einsum(equation, *operands), explicit form without ellipsis."""

    def __init__(self, inputs: list[str], output: str):
        self.inputs, self.output = inputs, output

    def forward(self, *arrays):
        self.save_inputs(*range(len(arrays)))
        xp = array_backend.get_array_module(arrays[0])
        return xp.einsum(",".join(self.inputs) + "->" + self.output, *arrays)

    def backward(self, grad):
        operands = self.saved_tensors
        grads = []
        for i, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            target = self.inputs[i]
            others = [(s, t) for j, (s, t) in enumerate(zip(self.inputs, operands)) if j != i]
            have = set(self.output).union(*[set(s) for s, _ in others])
            kept = "".join(c for c in target if c in have)
            subs = [self.output] + [s for s, _ in others]
            g = einsum(",".join(subs) + "->" + kept, grad, *[t for _, t in others])
            if kept != target:  # letters summed only within this operand: broadcast back
                shape = operands[i].shape
                for pos, c in enumerate(target):
                    if c not in have:
                        g = g.unsqueeze(pos)
                g = g.expand(*shape)
            grads.append(g)
        return tuple(grads)


def _matmul_2d(a, b):
    """``a @ b`` for a 2-D ``b`` and an ``a`` of any rank: one GEMM over the merged leading
    dims when ``a`` is C-contiguous (NumPy's stacked matmul runs one smaller GEMM per leading
    index, ~20% slower for a (35, 32, 256) input), else the stacked product."""
    if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
        return (_rows(a) @ b).reshape(*a.shape[:-1], b.shape[-1])
    return a @ b


def _rows(a):
    """``a`` as a matrix of its last dim's rows (a view when it can be; size-0 safe)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


class Linear(Node):
    """y = x W^T + b over the last dim of x (W is (out, in), as in PyTorch)."""

    _saved = (0, 1)  # what forward saves (see Node)

    def forward(self, x, w, *bias):
        out = _matmul_2d(x, w.T)
        if bias:
            out += bias[0]
        return out

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        if len(self.in_shapes[0]) != 2:
            return "ViewBackward0"
        return "AddmmBackward0" if len(self.in_shapes) == 3 else "MmBackward0"

    def backward(self, grad):
        # NOTE: one node instead of Permute + MatMul + Add: the weight gradient comes out
        # contiguous in W's layout (grad^T x), not as a transposed view to copy.
        x, w = self.saved_tensors
        need = self.needs_input_grad
        gx = grad @ w if need[0] else None
        gw = None
        if need[1]:
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            gw = g2.mT @ x2
        if len(need) == 2:
            return gx, gw
        gb = None
        if need[2]:
            gb = grad.sum(tuple(range(grad.ndim - 1))) if grad.ndim > 1 else grad
        return gx, gw, gb

    def backward_arrays(self, grad):
        x, w = self.saved_values
        need = self.needs_input_grad
        gx = _matmul_2d(grad, w) if need[0] else None
        gw = None
        if need[1]:
            gw = _rows(grad).T @ _rows(x)
        if len(need) == 2:
            return gx, gw
        gb = None
        if need[2]:
            gb = grad.sum(axis=tuple(range(grad.ndim - 1))) if grad.ndim > 1 else grad
        return gx, gw, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting rules (``torch.matmul``)."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    try:
        return MatMul()(a, b)
    except RuntimeError:
        if a.device != b.device:
            raise  # the node's device error
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({a.shape[-1]} != {b.shape[-2] if b.ndim > 1 else b.shape[0]}); the last dim of "
            "the first must equal the second-to-last dim of the second"
        ) from None


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (``torch.einsum``): e.g. ``einsum("ij,jk->ik", a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise NotImplementedError("einsum: ellipsis ('...') is not supported; name every axis")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if not arrow:
        letters = "".join(inputs)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != len(operands):
        raise ValueError(
            f"einsum(): the equation names {len(inputs)} operands but {len(operands)} were given"
        )
    for s, t in zip(inputs, operands):
        if len(s) != t.ndim:
            raise RuntimeError(
                f"einsum(): the subscript {s!r} has {len(s)} letters for an operand of shape "
                f"{tuple(t.shape)}"
            )
        if len(set(s)) != len(s):
            raise NotImplementedError(
                f"einsum(): repeated letters within one operand ({s!r}) are not supported"
            )
    return Einsum(inputs, out)(*operands)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dim of ``input``, ``weight`` of shape
    (out_features, in_features) (``torch.nn.functional.linear``)."""
    if bias is None:
        return Linear()(input, weight)
    return Linear()(input, weight, bias)


def _triangle_mask(xp, n: int, upper: bool, strict: bool, dtype):
    """1 on the kept triangle of an n x n matrix (without the diagonal if ``strict``)."""
    k = 1 if strict else 0
    ones = xp.ones((n, n), dtype=dtype)
    return xp.triu(ones, k) if upper else xp.tril(ones, -k)


class Cholesky(Node):
    """L = cholesky(A): A = L L^T with L lower triangular (A symmetric positive-definite)."""

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        try:
            out = xp.linalg.cholesky(a)
        except Exception as exc:  # NumPy's LinAlgError, CuPy's
            raise _not_positive_definite(xp, a) from exc
        if bool(xp.isnan(out).any()) and not bool(xp.isnan(a).any()):
            raise _not_positive_definite(xp, a)  # CuPy reports failure as NaN
        self.save_output()
        return out

    def backward(self, grad):
        # PyTorch's formula: with T = tril(L^T gL), gA = L^-T (T + tril(T, -1)^T)/2 L^-1.
        (out,) = self.saved_tensors
        xp = array_backend.get_array_module(out.array)
        n = out.shape[-1]
        lower = Tensor._make(_triangle_mask(xp, n, False, False, out.array.dtype))
        strict = Tensor._make(_triangle_mask(xp, n, False, True, out.array.dtype))
        t = (out.mT @ grad) * lower
        g = (t + (t * strict).mT) * 0.5
        g = solve_triangular(out.mT, g, upper=True, left=True)
        return solve_triangular(out, g, upper=False, left=False)


def _not_positive_definite(xp, a) -> RuntimeError:
    """PyTorch's message, naming the first leading minor that is not positive-definite."""
    order = a.shape[-1]
    for k in range(1, a.shape[-1] + 1):
        try:
            block = xp.linalg.cholesky(a[..., :k, :k])
        except Exception:
            order = k
            break
        if bool(xp.isnan(block).any()):
            order = k
            break
    return RuntimeError(
        "linalg.cholesky: The factorization could not be completed because the input is not "
        f"positive-definite (the leading minor of order {order} is not positive-definite)."
    )


class SolveTriangular(Node):
    """X = A^-1 B (``left``) or B A^-1, A triangular (upper or lower; with a unit diagonal
    assumed if ``unitriangular``); the other triangle of A is not read."""

    def __init__(self, upper: bool, left: bool, unitriangular: bool):
        self.upper, self.left, self.unitriangular = upper, left, unitriangular

    def forward(self, a, b):
        xp = array_backend.get_array_module(a)
        n = a.shape[-1]
        t = a * _triangle_mask(xp, n, self.upper, self.unitriangular, a.dtype)
        if self.unitriangular:
            t = t + xp.eye(n, dtype=a.dtype)
        if self.left:
            out = xp.linalg.solve(*_broadcast_batch(xp, t, b))
        else:
            tt, bt = _broadcast_batch(xp, xp.swapaxes(t, -1, -2), xp.swapaxes(b, -1, -2))
            out = xp.swapaxes(xp.linalg.solve(tt, bt), -1, -2)
        self.save_inputs(0)
        self.save_output()
        return out

    def backward(self, grad):
        a, out = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        gb = solve_triangular(a.mT, grad, upper=not self.upper, left=self.left,
                              unitriangular=self.unitriangular)  # fmt: skip
        ga = None
        if need_a:
            ga = -(gb @ out.mT) if self.left else -(out.mT @ gb)
            xp = array_backend.get_array_module(a.array)
            mask = _triangle_mask(xp, a.shape[-1], self.upper, self.unitriangular, a.array.dtype)
            ga = ga * Tensor._make(mask)
        return ga, (gb if need_b else None)


def _broadcast_batch(xp, a, b):
    """``a`` (..., n, n) and ``b`` (..., n, k) with their batch dimensions broadcast."""
    batch = array_backend.numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # shapes only
    return (xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:]))


def _check_square(op: str, a: Tensor, name: str = "A") -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: {name} must be batches of square matrices, but they are "
            f"{a.shape[-2] if a.ndim >= 2 else ''} by {a.shape[-1] if a.ndim else ''} matrices"
            f" (shape {tuple(a.shape)})"
        )


def _check_float(op: str, *tensors: Tensor) -> None:
    for t in tensors:
        if t.array.dtype.kind != "f":
            raise RuntimeError(
                f"linalg.{op}: Expected a floating point tensor as input. Got {t.dtype}"
            )


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite matrix (or a batch of them):
    lower ``L`` with ``A = L L^T``, or upper ``U = L^T`` with ``upper=True``
    (``torch.linalg.cholesky``). Only the lower triangle of ``A`` is read; the gradient is
    PyTorch's, which treats ``A`` as symmetric.

    Example::

        A = ag.tensor([[4.0, 2.0], [2.0, 3.0]])
        L = ag.linalg.cholesky(A)     # [[2, 0], [1, 1.4142]]
    """
    _check_square("cholesky", A)
    _check_float("cholesky", A)
    L = Cholesky()(A)
    return L.mT if upper else L


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``left=True``) or ``X A = B``, ``A`` triangular
    (``torch.linalg.solve_triangular``). Batch dimensions broadcast. ``upper`` says which
    triangle of ``A`` is used (the other is not read); ``unitriangular`` takes the diagonal as
    ones.

    Example::

        L = ag.tensor([[2.0, 0.0], [1.0, 1.0]])
        X = ag.linalg.solve_triangular(L, ag.eye(2), upper=False)   # L^-1
    """
    _check_square("solve_triangular", A)
    _check_float("solve_triangular", A, B)
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
            f"shape {tuple(B.shape)}"
        )
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({tuple(A.shape[-2:])} and {tuple(B.shape[-2:])})"
        )
    if A.array.dtype != B.array.dtype:
        raise RuntimeError(
            "linalg.solve_triangular: Expected A and B to have the same dtype, but found A of "
            f"type {A.dtype} and B of type {B.dtype} instead."
        )
    return SolveTriangular(bool(upper), bool(left), bool(unitriangular))(A, B)
