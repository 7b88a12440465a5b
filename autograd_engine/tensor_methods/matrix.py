"""Tensor methods for matrix products and matrix structure (``mm``, ``bmm``, ``addmm``, ``dot``,
``tril``, ``diagonal``, ...): one-line delegations to ``ops/matrix.py`` (``Tensor`` inherits
them from ``MatrixMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time


class MatrixMethods:
    __slots__ = ()

    def mm(self, mat2):
        """The matrix product of two 2-D tensors, no broadcasting (``torch.Tensor.mm``). The method
        form of ``autograd_engine.mm``."""
        return _t._ops.mm(self, mat2)

    def bmm(self, mat2):
        """Batched matrix products of two 3-D tensors (b, n, k) @ (b, k, m) (``torch.Tensor.bmm``).
        The method form of ``autograd_engine.bmm``."""
        return _t._ops.bmm(self, mat2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * input + alpha * (mat1 @ mat2), ``input`` broadcast to the product's shape
        (``torch.Tensor.addmm``). The method form of ``autograd_engine.addmm``."""
        return _t._ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * input + alpha * (batch1 @ batch2) for batches of matrices
        (``torch.Tensor.baddbmm``). The method form of ``autograd_engine.baddbmm``."""
        return _t._ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * input + alpha * (mat @ vec) (``torch.Tensor.addmv``). The method form of
        ``autograd_engine.addmv``."""
        return _t._ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * input + alpha * outer(vec1, vec2) (``torch.Tensor.addr``). The method form of
        ``autograd_engine.addr``."""
        return _t._ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def dot(self, other):
        """The inner product of two 1-D tensors of the same size (``torch.Tensor.dot``). The method
        form of ``autograd_engine.dot``."""
        return _t._ops.dot(self, other)

    vdot = dot

    def mv(self, vec):
        """The product of a matrix and a vector (``torch.Tensor.mv``). The method form of
        ``autograd_engine.mv``."""
        return _t._ops.mv(self, vec)

    def outer(self, vec2):
        """The outer product of two 1-D tensors, (n,) x (m,) -> (n, m) (``torch.Tensor.outer``). The
        method form of ``autograd_engine.outer``."""
        return _t._ops.outer(self, vec2)

    ger = outer

    def inner(self, other):
        """Sum of products over the last dimension of both (``torch.Tensor.inner``). The method form
        of ``autograd_engine.inner``."""
        return _t._ops.inner(self, other)

    def kron(self, other):
        """The Kronecker product (``torch.Tensor.kron``). The method form of
        ``autograd_engine.kron``."""
        return _t._ops.kron(self, other)

    def tril(self, diagonal=0):
        """The lower triangle of the last two dims, on and below ``diagonal``
        (``torch.Tensor.tril``). The method form of ``autograd_engine.tril``."""
        return _t._ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dims, on and above ``diagonal``
        (``torch.Tensor.triu``). The method form of ``autograd_engine.triu``."""
        return _t._ops.triu(self, diagonal)

    def diag(self, diagonal=0):
        """For a vector, the square matrix with it on the ``diagonal``-th diagonal; for a matrix,
        that diagonal as a vector (``torch.Tensor.diag``). The method form of
        ``autograd_engine.diag``."""
        return _t._ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of dims ``dim1``, ``dim2`` (offset above or below the main one), appended as
        the last dimension (``torch.Tensor.diagonal``). The method form of
        ``autograd_engine.diagonal``."""
        return _t._ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Square matrices with ``input``'s last dimension on the ``offset`` diagonal of dims
        ``dim1``, ``dim2`` of the result (``torch.Tensor.diag_embed``). The method form of
        ``autograd_engine.diag_embed``."""
        return _t._ops.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        """The sum of the main diagonal of a matrix (``torch.Tensor.trace``). The method form of
        ``autograd_engine.trace``."""
        return _t._ops.trace(self)

    def det(self):
        """The determinant of a square matrix or a batch of them (``torch.Tensor.det``).
        The method form of ``autograd_engine.det``."""
        return _t._ops.det(self)

    def logdet(self):
        """The log of the determinant (nan for a negative one) (``torch.Tensor.logdet``).
        The method form of ``autograd_engine.logdet``."""
        return _t._ops.logdet(self)

    def slogdet(self):
        """The sign and log absolute value of the determinant (``torch.Tensor.slogdet``).
        The method form of ``autograd_engine.slogdet``."""
        return _t._ops.slogdet(self)

    def inverse(self):
        """The inverse of a square matrix or a batch of them (``torch.Tensor.inverse``).
        The method form of ``autograd_engine.inverse``."""
        return _t._ops.inverse(self)

    def pinverse(self, rcond=1e-15):
        """The Moore-Penrose pseudo-inverse (``torch.Tensor.pinverse``). The method form
        of ``autograd_engine.pinverse``."""
        return _t._ops.pinverse(self, rcond)

    def matrix_exp(self):
        """The matrix exponential (``torch.Tensor.matrix_exp``). The method form of
        ``autograd_engine.matrix_exp``."""
        return _t._ops.matrix_exp(self)

    def matrix_power(self, n):
        """The matrix raised to the integer power ``n`` (negative: of the inverse)
        (``torch.Tensor.matrix_power``)."""
        return _t._ops.matrix_power(self, n)

    def svd(self, some=True, compute_uv=True):
        """The legacy SVD ``(U, S, V)`` with ``V`` not transposed (``torch.Tensor.svd``;
        ``autograd_engine.linalg.svd`` is the current form)."""
        return _t._ops.decomp.svd_legacy(self, some, compute_uv)

    def qr(self, some=True):
        """The legacy QR ``(Q, R)``, reduced unless ``some=False`` (``torch.Tensor.qr``;
        ``autograd_engine.linalg.qr`` is the current form)."""
        return _t._ops.decomp.qr_legacy(self, some)

    def cross(self, other, dim=None):
        """The cross product along ``dim`` (the first dimension of size 3 if not given)
        (``torch.Tensor.cross``)."""
        return _t._ops.decomp.cross_legacy(self, other, dim)
