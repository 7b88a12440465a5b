"""Solving and factorizing (``torch.linalg``): inv, solve, det/slogdet/logdet, eigh/eigvalsh,
svd/svdvals, qr, matrix_exp, pinv, matrix_power, matrix_rank, cross, vector/matrix norms,
multi_dot. Each factorization is a node whose backward is written with Tensor ops (PyTorch's
formulas), so second order works; the others are composed."""

from __future__ import annotations

import math
from collections import namedtuple

from .. import array_backend
from ..node import Node
from ..tensor import Tensor
from ._util import as_float, const, norm_dim

__all__ = [
    "Inv", "Det", "LogAbsDet", "Solve", "Eigh", "Svd", "Qr", "LinAlgError",
    "inv", "inverse", "solve", "det", "slogdet", "logdet", "eigh", "eigvalsh", "svd", "svdvals",
    "qr", "matrix_exp", "pinv", "pinverse", "matrix_power", "matrix_rank", "cross",
    "vector_norm", "matrix_norm", "linalg_norm", "multi_dot", "eig", "eigvals", "svd_legacy",
    "qr_legacy", "cross_legacy",
]  # fmt: skip


def _xp(a):
    return array_backend.get_array_module(a)


def _square(op: str, a: Tensor) -> Tensor:
    if a.ndim < 2 or a.array.shape[-1] != a.array.shape[-2]:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are "
            f"{a.array.shape[-2] if a.ndim >= 2 else 1} by {a.array.shape[-1]} matrices"
        )
    return _float(op, a)


def _float(op: str, a: Tensor) -> Tensor:
    if a.array.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.{op}: Expected a floating point or complex tensor as input. Got {a.dtype}"
        )
    return a


class LinAlgError(RuntimeError):
    """A linear-algebra failure, such as a singular matrix (``torch.linalg.LinAlgError``)."""


def _singular(op: str, exc) -> RuntimeError:
    return LinAlgError(
        f"linalg.{op}: The diagonal element 1 is zero, the inversion could not be completed "
        f"because the input matrix is singular. ({exc})"
    )


class Inv(Node):
    """Y = A^-1; dA = -Y^T dY Y^T."""

    _backward_name = "LinalgInvExBackward0"

    def forward(self, a):
        self.save_output()
        try:
            return _xp(a).linalg.inv(a)
        except array_backend.numpy.linalg.LinAlgError as exc:
            raise _singular("inv", exc) from None

    def backward(self, grad):
        (out,) = self.saved_tensors
        return -(out.mT @ grad @ out.mT)


class Det(Node):
    """y = det A; dA = y A^-T."""

    _backward_name = "LinalgDetBackward0"

    def forward(self, a):
        self.save_inputs(0)
        self.save_output()
        return _xp(a).linalg.det(a)

    def backward(self, grad):
        a, out = self.saved_tensors
        return (grad * out).unsqueeze(-1).unsqueeze(-1) * inv(a).mT


class LogAbsDet(Node):
    """y = ln |det A|; dA = A^-T."""

    _backward_name = "LinalgSlogdetBackward0"

    def forward(self, a):
        self.save_inputs(0)
        sign, logabs = _xp(a).linalg.slogdet(a)
        self.sign = sign
        return logabs

    def backward(self, grad):
        (a,) = self.saved_tensors
        return grad.unsqueeze(-1).unsqueeze(-1) * inv(a).mT


class Solve(Node):
    """X = A^-1 B; dB = A^-T dX, dA = -dB X^T (``left``; the right form X A = B is
    transposed into it)."""

    _backward_name = "LinalgSolveExBackward0"

    def __init__(self, vector: bool):
        self.vector = vector  # B is a (batch of) vector(s)

    def forward(self, a, b):
        self.save_inputs(0)
        self.save_output()
        xp = _xp(a)
        rhs = b[..., None] if self.vector else b
        try:
            out = xp.linalg.solve(a, rhs)
        except array_backend.numpy.linalg.LinAlgError as exc:
            raise _singular("solve", exc) from None
        return out[..., 0] if self.vector else out

    def backward(self, grad):
        a, out = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        g = grad.unsqueeze(-1) if self.vector else grad
        x = out.unsqueeze(-1) if self.vector else out
        gb = solve(a.mT, g)
        ga = -(gb @ x.mT) if need_a else None
        if self.vector:
            gb = gb.squeeze(-1)
        return ga, (gb if need_b else None)


class Eigh(Node):
    """(L, V) of a symmetric A = V diag(L) V^T, eigenvalues ascending; the output is L and V
    stacked as (..., n + 1, n) (first row L) so one node carries both."""

    _backward_name = "LinalgEighBackward0"

    def __init__(self, uplo: str):
        self.uplo = uplo

    def forward(self, a):
        values, vectors = _xp(a).linalg.eigh(a, UPLO=self.uplo)
        self.save_output()
        return _xp(a).concatenate([values[..., None, :], vectors], axis=-2)

    def backward(self, grad):
        # NOTE: PyTorch's formula for distinct eigenvalues: dA = V (diag(dL) + E o skew(V^T dV))
        # V^T with E_ij = 1 / (L_j - L_i) off the diagonal; the result is symmetric.
        (out,) = self.saved_tensors
        values, vectors = out[..., 0, :], out[..., 1:, :]
        g_values, g_vectors = grad[..., 0, :], grad[..., 1:, :]
        diff = values.unsqueeze(-2) - values.unsqueeze(-1)
        n = values.shape[-1]
        eye = const(_xp(values.array).eye(n, dtype=bool))
        e = (1 / diff.where(~eye, diff.new_ones(()))).where(~eye, diff.new_zeros(()))
        inner = vectors.mT @ g_vectors
        inner = (inner - inner.mT) * 0.5  # the skew-symmetric part (the tangent space)
        middle = (e * inner) + g_values.diag_embed()
        return vectors @ middle @ vectors.mT


class Svd(Node):
    """(U, S, Vh) of A = U diag(S) Vh, reduced; stacked as one array (..., m + 1 + n, k) with
    U's m rows, then S, then Vh^T's n rows."""

    _backward_name = "LinalgSvdBackward0"

    def forward(self, a):
        u, s, vh = _xp(a).linalg.svd(a, full_matrices=False)
        self.m, self.n = a.shape[-2], a.shape[-1]
        self.save_output()
        return _xp(a).concatenate([u, s[..., None, :], vh.swapaxes(-1, -2)], axis=-2)

    def backward(self, grad):
        # NOTE: PyTorch's svd_backward (real case, distinct singular values).
        (out,) = self.saved_tensors
        m, n = self.m, self.n
        u, s, v = out[..., :m, :], out[..., m, :], out[..., m + 1 :, :]
        gu, gs, gv = grad[..., :m, :], grad[..., m, :], grad[..., m + 1 :, :]
        k = s.shape[-1]
        eye = const(_xp(s.array).eye(k, dtype=bool))
        s2 = s * s
        diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        f = (1 / diff.where(~eye, diff.new_ones(()))).where(~eye, diff.new_zeros(()))
        ut_gu = u.mT @ gu
        vt_gv = v.mT @ gv
        s_mat = s.diag_embed()
        inner = (f * (ut_gu - ut_gu.mT)) @ s_mat + s_mat @ (f * (vt_gv - vt_gv.mT))
        inner = inner + gs.diag_embed()
        ga = u @ inner @ v.mT
        s_inv = (1 / s).diag_embed()
        if m > k:
            eye_m = const(_xp(s.array).eye(m, dtype=grad.array.dtype))
            ga = ga + (eye_m - u @ u.mT) @ gu @ s_inv @ v.mT
        if n > k:
            eye_n = const(_xp(s.array).eye(n, dtype=grad.array.dtype))
            ga = ga + u @ s_inv @ gv.mT @ (eye_n - v @ v.mT)
        return ga


class Qr(Node):
    """(Q, R) of A = QR, reduced, for m >= n; stacked as (..., m + n, n) (Q's rows, then R)."""

    _backward_name = "LinalgQrBackward0"

    def forward(self, a):
        q, r = _xp(a).linalg.qr(a, mode="reduced")
        self.m = a.shape[-2]
        self.save_output()
        return _xp(a).concatenate([q, r], axis=-2)

    def backward(self, grad):
        # NOTE: PyTorch's linalg_qr_backward for m >= n: dA = (dQ + Q copyltu(M)) R^-T with
        # M = R dR^T - dQ^T Q and copyltu(M) = tril(M, -1) + tril(M, -1)^T + diag(M).
        (out,) = self.saved_tensors
        m = self.m
        q, r = out[..., :m, :], out[..., m:, :]
        gq, gr = grad[..., :m, :], grad[..., m:, :]
        mm = r @ gr.mT - gq.mT @ q
        low = mm.tril(-1)
        sym = low + low.mT + mm.diagonal(0, -2, -1).diag_embed()
        b = gq + q @ sym
        return solve(r, b.mT).mT


# --- functions -----------------------------------------------------------------------------------
def inv(A: Tensor) -> Tensor:
    """The inverse of square matrices (``torch.linalg.inv``)."""
    return Inv()(_square("inv", A))


inverse = inv


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B with ``left=False``) (``torch.linalg.solve``); B may be a
    vector or a batch of vectors."""
    _square("solve", A)
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.array.shape == A.array.shape[:-1])
    if B.array.dtype != A.array.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype} and B of type {B.dtype} instead"
        )
    n = A.array.shape[-1]
    rows = B.array.shape[-1] if vector else B.array.shape[-2]
    if rows != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.array.shape[-2]}x{n} and {tuple(B.shape)})"
        )
    return Solve(vector)(A, B)


def det(A: Tensor) -> Tensor:
    """The determinant of square matrices (``torch.linalg.det``)."""
    return Det()(_square("det", A))


SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])


def slogdet(A: Tensor):
    """``(sign, logabsdet)`` of square matrices, the log without overflow
    (``torch.linalg.slogdet``); the gradient flows through ``logabsdet``."""
    A = _square("slogdet", A)
    node = LogAbsDet()
    logabs = node(A)
    sign = node.sign if hasattr(node, "sign") else _xp(A.array).linalg.slogdet(A.array)[0]
    return SlogdetResult(const(_xp(A.array).asarray(sign, dtype=A.array.dtype)), logabs)


def logdet(A: Tensor) -> Tensor:
    """ln det A: nan for a negative determinant, -inf for a zero one (``torch.logdet``)."""
    sign, logabs = slogdet(A)
    nan = const(sign.array < 0)
    return logabs.where(~nan, logabs.new_full((), math.nan))


EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])


def eigh(A: Tensor, UPLO: str = "L"):  # noqa: N803  (PyTorch's argument name)
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices, read from
    the lower (``UPLO="L"``) or upper triangle (``torch.linalg.eigh``)."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    A = _square("eigh", A)
    both = Eigh(UPLO)(A)
    return EighResult(both[..., 0, :], both[..., 1:, :])


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending (``torch.linalg.eigvalsh``)."""
    return eigh(A, UPLO).eigenvalues


SvdResult = namedtuple("svd", ["U", "S", "Vh"])


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh (``torch.linalg.svd``); gradients need
    ``full_matrices=False`` (the reduced factors), as PyTorch's."""
    A = _float("svd", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if full_matrices and min(A.array.shape[-2:]) != max(A.array.shape[-2:]):
        if A.requires_grad:
            raise NotImplementedError(
                "linalg.svd: the gradient with full_matrices=True of a non-square matrix is not "
                "implemented (as in PyTorch, it is not unique); pass full_matrices=False"
            )
        u, s, vh = _xp(A.array).linalg.svd(A.array, full_matrices=True)
        return SvdResult(const(u), const(s), const(vh))
    m, n = A.array.shape[-2:]
    both = Svd()(A)
    return SvdResult(both[..., :m, :], both[..., m, :], both[..., m + 1 :, :].mT)


def svdvals(A: Tensor) -> Tensor:
    """The singular values, descending (``torch.linalg.svdvals``)."""
    return svd(A, full_matrices=False).S


QrResult = namedtuple("qr", ["Q", "R"])


def qr(A: Tensor, mode: str = "reduced"):
    """``(Q, R)`` with A = QR, Q orthonormal columns, R upper triangular
    (``torch.linalg.qr``; ``mode="reduced"``, ``"complete"`` or ``"r"``)."""
    A = _float("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")  # fmt: skip
    m, n = A.array.shape[-2:]
    if mode == "reduced" and m >= n:
        both = Qr()(A)
        return QrResult(both[..., :m, :], both[..., m:, :])
    if A.requires_grad:
        raise NotImplementedError(
            f"linalg.qr: the gradient is implemented for mode='reduced' with m >= n (got mode "
            f"{mode!r}, {m}x{n})"
        )
    q, r = _xp(A.array).linalg.qr(A.array, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":
        return QrResult(const(_xp(A.array).empty((0,), dtype=A.array.dtype)), const(r))
    return QrResult(const(q), const(r))


def matrix_exp(A: Tensor) -> Tensor:
    """e^A of square matrices by scaling and squaring with a Taylor series of degree 18
    (``torch.linalg.matrix_exp``); composed of matrix products, so differentiable."""
    A = _square("matrix_exp", A)
    norm = float(_xp(A.array).abs(A.array).sum(axis=-2).max()) if A.array.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    b = A / (2.0**squarings)
    n = A.array.shape[-1]
    eye = const(_xp(A.array).eye(n, dtype=A.array.dtype))
    term, out = eye + b * 0, eye + b * 0
    for k in range(1, 19):
        term = term @ b / k
        out = out + term
    for _ in range(squarings):
        out = out @ out
    return out


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse via the SVD, dropping singular values below
    max(atol, rtol * largest) (``torch.linalg.pinv``)."""
    A = _float("pinv", A)
    u, s, vh = svd(A, full_matrices=False)
    m, n = A.array.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else max(m, n) * float(
            array_backend.numpy.finfo(A.array.dtype).eps)  # fmt: skip
    largest = s.array.max(axis=-1, keepdims=True) if s.array.size else 0.0
    cutoff = _xp(s.array).maximum(atol or 0.0, rtol * largest)
    keep = const(s.array > cutoff)
    s_inv = (1 / s.where(keep, s.new_ones(()))).where(keep, s.new_zeros(()))
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """:func:`pinv` with ``rcond`` as the relative tolerance (``torch.pinverse``)."""
    return pinv(input, rtol=rcond)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A multiplied by itself ``n`` times (A^-1 for negative ``n``, I for 0)
    (``torch.linalg.matrix_power``)."""
    _square("matrix_power", A) if A.array.dtype.kind == "f" else None
    if n < 0:
        A, n = inv(A), -n
    size = A.array.shape[-1]
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    if result is None:
        eye = _xp(A.array).broadcast_to(_xp(A.array).eye(size, dtype=A.array.dtype), A.array.shape)
        return const(eye.copy()) + A * 0
    return result


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above the tolerance (``torch.linalg.matrix_rank``)."""
    s = _xp(A.array).linalg.svd(as_float(A).array, compute_uv=False)
    m, n = A.array.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else max(m, n) * float(
            array_backend.numpy.finfo(s.dtype).eps)  # fmt: skip
    largest = s.max(axis=-1, keepdims=True) if s.size else 0.0
    cutoff = _xp(s).maximum(atol or 0.0, rtol * largest)
    return const((s > cutoff).sum(axis=-1).astype("int64"))


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (``torch.linalg.cross``)."""
    d = norm_dim(dim, input.ndim)[0]
    if input.array.shape[d] != 3 or other.array.shape[norm_dim(dim, other.ndim)[0]] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} "
            f"and {other.shape[norm_dim(dim, other.ndim)[0]]}"
        )
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    from .shape import stack

    return stack(parts, dim)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ``ord``-norm of the entries over ``dim`` (all by default)
    (``torch.linalg.vector_norm``): 2, 1, inf, -inf, 0 or any p."""
    from .reduce import norm

    if dtype is not None:
        x = x.to(dtype)
    x = _float("vector_norm", x)
    dims = norm_dim(dim, x.ndim)
    if ord == 0:
        return (x != 0).to(x.array.dtype).sum(dims, keepdim)
    if ord == -math.inf:
        return x.abs().amin(dims if dims is not None else (), keepdim)
    return norm(x, ord, dims, keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,
                dtype=None) -> Tensor:  # fmt: skip
    """``"fro"``, ``"nuc"``, 2, -2, 1, -1, inf or -inf norm of matrices
    (``torch.linalg.matrix_norm``)."""
    if dtype is not None:
        A = A.to(dtype)
    A = _float("matrix_norm", A)
    d0, d1 = (norm_dim(d, A.ndim)[0] for d in dim)
    if ord == "fro":
        return (A * A).sum((d0, d1), keepdim).sqrt()
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        over, keep = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(over, keepdim=True)
        out = sums.amax(keep, keepdim=True) if ord > 0 else sums.amin(keep, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm (1-D ``dim``, or a 1-D tensor) or a matrix norm
    (2-D); with ``ord=None`` the 2-norm of all entries."""
    if ord is None:
        dims = dim if dim is not None else None
        return vector_norm(A, 2, dims, keepdim, dtype=dtype)
    if (dim is None and A.ndim == 2) or (dim is not None and not isinstance(dim, int)
                                          and len(dim) == 2):  # fmt: skip
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (first and last may be vectors)
    (``torch.linalg.multi_dot``)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def eig(A: Tensor):
    """Not available: the eigenvalues of a general matrix are complex, and complex tensors do
    not exist here; use :func:`eigh` for symmetric matrices."""
    raise RuntimeError(
        "linalg.eig returns complex eigenvalues and eigenvectors, and autograd_engine has no "
        "complex tensors; for a symmetric matrix use autograd_engine.linalg.eigh, or "
        "numpy.linalg.eig(A.numpy()) outside autograd"
    )


def eigvals(A: Tensor):
    """Not available (complex results): see :func:`eig`."""
    return eig(A)


SvdLegacy = namedtuple("svd", ["U", "S", "V"])


def svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` (V, not its transpose), reduced unless ``some=False``;
    with ``compute_uv=False``, U and V are zeros."""
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        xp = _xp(input.array)
        return SvdLegacy(const(xp.zeros_like(u.array)), s, const(xp.zeros_like(vh.array)).mT)
    return SvdLegacy(u, s, vh.mT)


def qr_legacy(input: Tensor, some: bool = True):
    """``torch.qr``: ``(Q, R)``, reduced unless ``some=False``."""
    return qr(input, "reduced" if some else "complete")


def cross_legacy(input: Tensor, other: Tensor, dim=None) -> Tensor:
    """``torch.cross``: along ``dim``, or (deprecated, as PyTorch warns) the first dimension
    of size 3."""
    if dim is None:
        import warnings

        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either "
            "pass the dim explicitly or simply use torch.linalg.cross. The default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        dim = next((i for i, n in enumerate(input.array.shape) if n == 3), -1)
    return cross(input, other, dim=dim)
