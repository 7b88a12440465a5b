"""Matrix products: ``matmul`` (1-D, 2-D and batched with broadcasting), ``einsum``, and the
affine map ``linear`` (x W^T + b, one fused node)."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor

__all__ = ["MatMul", "Einsum", "Linear", "matmul", "einsum", "linear"]


class MatMul(Node):
    """y = a @ b (NumPy's matmul rules)."""

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a @ b

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
        need_a, need_b = self.needs_input_grad
        xp = array_backend.get_array_module(grad)
        if a.ndim >= 2 and b.ndim >= 2:
            ga = grad @ xp.swapaxes(b, -1, -2) if need_a else None
            gb = xp.swapaxes(a, -1, -2) @ grad if need_b else None
            return ga, gb
        if a.ndim == 1 and b.ndim == 1:  # a dot product: grad is 0-d
            return (grad * b if need_a else None), (grad * a if need_b else None)
        a2 = a[None] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if need_a:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = ga.squeeze(-2) if a.ndim == 1 else ga
        if need_b:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = gb.squeeze(-1) if b.ndim == 1 else gb
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


class Linear(Node):
    """y = x W^T + b over the last dim of x (W is (out, in), as in PyTorch)."""

    def forward(self, x, w, *bias):
        self.save_inputs(0, 1)
        out = x @ w.T
        if bias:
            out += bias[0]
        return out

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
        gx = grad @ w if need[0] else None
        gw = None
        if need[1]:
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            gw = g2.T @ x2
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
