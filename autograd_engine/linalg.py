"""``autograd_engine.linalg`` (``torch.linalg``): the linear-algebra functions, differentiable
to any order where PyTorch's are (the factorizations' backward passes are Tensor ops)."""

from .ops.decomp import (
    LinAlgError,
    cross,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from .ops.decomp import linalg_norm as norm
from .ops.linalg import cholesky, matmul, solve_triangular
from .ops.matrix import diagonal, vecdot

__all__ = [
    "LinAlgError", "cholesky", "solve_triangular", "matmul", "cross", "det", "eig", "eigh",
    "eigvals", "eigvalsh", "inv", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
    "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
    "diagonal", "vecdot",
]  # fmt: skip
