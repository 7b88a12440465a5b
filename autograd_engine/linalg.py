"""``autograd_engine.linalg`` (``torch.linalg``): the linear-algebra functions implemented so
far, differentiable to any order: ``cholesky``, ``solve_triangular`` and ``matmul``."""

from .ops.linalg import cholesky, matmul, solve_triangular

__all__ = ["cholesky", "solve_triangular", "matmul"]
