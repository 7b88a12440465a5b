"""Matrix structure and the named products: tril/triu, diag/diagonal/diag_embed, trace; mm, bmm,
addmm, baddbmm, addmv, addr, dot, mv, outer, inner, kron, cdist (PyTorch's argument checks and
``grad_fn`` names, on ``MatMul`` and the indexing nodes)."""

from __future__ import annotations

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import norm_dim
from .linalg import MatMul
from .shape import GetItem, IndexAdd

__all__ = [
    "Tril",
    "tril", "triu", "diag", "diagonal", "diag_embed", "trace", "mm", "bmm", "addmm", "baddbmm",
    "addmv", "addr", "dot", "vdot", "mv", "outer", "ger", "inner", "kron", "cdist", "vecdot",
    "tensordot", "chain_matmul",
]  # fmt: skip


class Tril(Node):
    """y = the lower (or, with ``upper``, upper) triangle of a's last two dims, from diagonal
    ``k``; zeros elsewhere."""

    def __init__(self, k: int, upper: bool = False):
        self.k, self.upper = k, upper

    def name(self) -> str:
        if self._backward_name:  # set by the function that made this node
            return self._backward_name
        return "TriuBackward0" if self.upper else "TrilBackward0"

    def forward(self, a):
        xp = array_backend.get_array_module(a)
        return (xp.triu if self.upper else xp.tril)(a, self.k)

    def backward(self, grad):
        return triu(grad, self.k) if self.upper else tril(grad, self.k)


def _named(out: Tensor, name: str) -> Tensor:
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
    return out


def _xp(t: Tensor):
    return array_backend.get_array_module(t.array)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims, on and below ``diagonal`` (``torch.tril``)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril(int(diagonal))(input)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims, on and above ``diagonal`` (``torch.triu``)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tril(int(diagonal), upper=True)(input)


def _diagonal_index(xp, shape, offset: int, d1: int, d2: int):
    """Index arrays of the ``offset`` diagonal of dims ``d1``, ``d2``, and whether NumPy puts
    the diagonal axis first (advanced indices separated by a slice) or at ``min(d1, d2)``."""
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        length = max(min(n1, n2 - offset), 0)
        rows, cols = xp.arange(length), xp.arange(length) + offset
    else:
        length = max(min(n1 + offset, n2), 0)
        rows, cols = xp.arange(length) - offset, xp.arange(length)
    index = [slice(None)] * len(shape)
    index[d1], index[d2] = rows, cols
    return tuple(index), abs(d1 - d2) != 1


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1``, ``dim2`` (offset above or below the main one), appended
    as the last dimension (``torch.diagonal``)."""
    d1, d2 = norm_dim(dim1, input.ndim)[0], norm_dim(dim2, input.ndim)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    index, first = _diagonal_index(_xp(input), input.array.shape, int(offset), d1, d2)
    out = _named(GetItem(index)(input), "DiagonalBackward0")
    at = 0 if first else min(d1, d2)
    if at != out.ndim - 1:
        out = out.movedim(at, -1)
    return out


_diagonal = diagonal  # NOTE: diag's argument ``diagonal`` shadows the function there


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Square matrices with ``input``'s last dimension on the ``offset`` diagonal of dims
    ``dim1``, ``dim2`` of the result (``torch.diag_embed``)."""
    ndim = input.ndim + 1
    d1, d2 = norm_dim(dim1, ndim)[0], norm_dim(dim2, ndim)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.array.shape[-1] + abs(int(offset))
    rest = list(input.array.shape[:-1])
    shape = []
    for d in range(ndim):
        shape.append(n if d in (d1, d2) else rest.pop(0))
    index, first = _diagonal_index(_xp(input), shape, int(offset), d1, d2)
    at = 0 if first else min(d1, d2)
    src = input if at == input.ndim - 1 else input.movedim(-1, at)
    return _named(IndexAdd(tuple(shape), index)(src), "DiagEmbedBackward0")


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """For a vector, the square matrix with it on the ``diagonal``-th diagonal; for a matrix,
    that diagonal as a vector (``torch.diag``)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (``torch.trace``)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _named(diagonal(input).sum(), "TraceBackward0")


# --- products -----------------------------------------------------------------------------------
_SCALAR = {"float16": "Half", "float32": "float", "float64": "double", "int64": "long int",
           "int32": "int"}  # fmt: skip


def _same_dtype(op: str, a: Tensor, b: Tensor, names=("m1", "m2")) -> None:
    if a.array.dtype != b.array.dtype:
        ta, tb = (_SCALAR.get(t.array.dtype.name, t.array.dtype.name) for t in (a, b))
        raise RuntimeError(
            f"expected {names[0]} and {names[1]} to have the same dtype, but got: {ta} != {tb}"
        )


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product of two 2-D tensors, no broadcasting (``torch.mm``)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, k), (k2, m) = input.array.shape, mat2.array.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    _same_dtype("mm", input, mat2)
    return MatMul()(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix products of two 3-D tensors (b, n, k) @ (b, k, m) (``torch.bmm``)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (b, _, k), (b2, k2, _) = input.array.shape, mat2.array.shape
    if (b2, k2) != (b, k):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but "
            f"got: [{b2}, {k2}]."
        )
    _same_dtype("bmm", input, mat2)
    return _named(MatMul()(input, mat2), "BmmBackward0")


def _scaled(x: Tensor, factor):
    return x if factor == 1 else x * factor


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), ``input`` broadcast to the product's shape
    (``torch.addmm``)."""
    product = mm(mat1, mat2)
    shape = tuple(product.array.shape)
    _check_expand(input, shape)
    out = _scaled(product, alpha) + (0 * input if beta == 0 else _scaled(input, beta))
    return _named(out, "AddmmBackward0")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for batches of matrices (``torch.baddbmm``)."""
    product = bmm(batch1, batch2)
    _check_expand(input, tuple(product.array.shape))
    out = _scaled(product, alpha) + (0 * input if beta == 0 else _scaled(input, beta))
    return _named(out, "BaddbmmBackward0")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec) (``torch.addmv``)."""
    product = mv(mat, vec)
    _check_expand(input, tuple(product.array.shape))
    out = _scaled(product, alpha) + (0 * input if beta == 0 else _scaled(input, beta))
    return _named(out, "AddmvBackward0")


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2) (``torch.addr``)."""
    product = outer(vec1, vec2)
    _check_expand(input, tuple(product.array.shape))
    out = _scaled(product, alpha) + (0 * input if beta == 0 else _scaled(input, beta))
    return _named(out, "AddrBackward0")


def _check_expand(input: Tensor, shape: tuple) -> None:
    have = tuple(input.array.shape)
    try:
        full = array_backend.numpy.broadcast_shapes(have, shape)
    except ValueError:
        full = None
    if full != shape:
        raise RuntimeError(
            f"The expanded size of the tensor does not match: input of shape {have} cannot be "
            f"broadcast to the product's shape {shape}"
        )


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of the same size (``torch.dot``)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.array.shape != other.array.shape:
        n, m = input.array.shape[0], other.array.shape[0]
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    if input.array.dtype != other.array.dtype:
        from ..dtypes import torch_name

        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found "
            f"{torch_name(input.dtype)} and {torch_name(other.dtype)}"
        )
    return MatMul()(input, other)


vdot = dot


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix and a vector (``torch.mv``)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.array.shape[1] != vec.array.shape[0]:
        n, k = input.array.shape
        raise RuntimeError(
            f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({vec.array.shape[0]})"
        )
    _same_dtype("mv", input, vec)
    return MatMul()(input, vec)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors, (n,) x (m,) -> (n, m) (``torch.outer``)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"outer: expected 1-D tensors, got {input.ndim}-D and {vec2.ndim}-D; flatten them first"
        )
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of both (``torch.inner``)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.array.shape[-1] != other.array.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    a = "abcdefgh"[: input.ndim - 1]
    b = "ijklmnop"[: other.ndim - 1]
    from .linalg import einsum

    return einsum(f"{a}z,{b}z->{a}{b}", input, other)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product (``torch.kron``)."""
    nd = max(input.ndim, other.ndim)
    a = input.reshape(*([1] * (nd - input.ndim)), *input.shape)
    b = other.reshape(*([1] * (nd - other.ndim)), *other.shape)
    a_shape, b_shape = a.array.shape, b.array.shape
    inter_a, inter_b = [], []
    for sa, sb in zip(a_shape, b_shape):
        inter_a += [sa, 1]
        inter_b += [1, sb]
    out = a.reshape(*inter_a) * b.reshape(*inter_b)
    return out.reshape(*[sa * sb for sa, sb in zip(a_shape, b_shape)])


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M), shape (..., P, R) (``torch.cdist``); the gradient at a zero distance is 0."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D"
        )
    if x1.array.shape[-1] != x2.array.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.array.shape[-1]} "
            f"X2: {x2.array.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        out = (diff != 0).to(x1.array.dtype).sum(-1)
    elif p == float("inf"):
        out = diff.abs().amax(-1)
    else:
        out = diff.norm(p, dim=-1)
    return _named(out, "CdistBackward0")


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim``, broadcasting the rest (``linalg.vecdot``)."""
    return (x * y).sum(dim)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first of ``b``, or the listed pairs
    (``torch.tensordot``)."""
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in da]
    out += [c for j, c in enumerate(sb) if j not in db]
    from .linalg import einsum

    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def chain_matmul(*matrices) -> Tensor:
    """The product of 2-D tensors (``torch.chain_matmul``, deprecated there in favour of
    ``linalg.multi_dot``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out
