"""Tensor methods for matrix products and matrix structure (``mm``, ``bmm``, ``addmm``, ``dot``,
``tril``, ``diagonal``, ...): one-line delegations to ``ops/matrix.py`` (``Tensor`` inherits
them from ``MatrixMethods``)."""

from __future__ import annotations

from .. import tensor as _t  # NOTE: partly initialised when this runs; read at call time


class MatrixMethods:
    __slots__ = ()

    def mm(self, mat2):
        return _t._ops.mm(self, mat2)

    def bmm(self, mat2):
        return _t._ops.bmm(self, mat2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _t._ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _t._ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _t._ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _t._ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def dot(self, other):
        return _t._ops.dot(self, other)

    vdot = dot

    def mv(self, vec):
        return _t._ops.mv(self, vec)

    def outer(self, vec2):
        return _t._ops.outer(self, vec2)

    ger = outer

    def inner(self, other):
        return _t._ops.inner(self, other)

    def kron(self, other):
        return _t._ops.kron(self, other)

    def tril(self, diagonal=0):
        return _t._ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _t._ops.triu(self, diagonal)

    def diag(self, diagonal=0):
        return _t._ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _t._ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _t._ops.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return _t._ops.trace(self)
