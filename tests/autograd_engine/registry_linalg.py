"""Gradient-test registry rows for the matrix decompositions in ``ops/linalg.py``
(``Cholesky``, ``SolveTriangular``): inputs are made well conditioned (a symmetric
positive-definite matrix; a triangle with a diagonal away from zero)."""

from __future__ import annotations

from hypothesis import strategies as st
from registry import OpSpec

import autograd_engine as ag
from autograd_engine.ops.linalg import Cholesky, SolveTriangular, cholesky, solve_triangular


@st.composite
def _square(draw, extra: bool):
    n = draw(st.integers(1, 4))
    batch = draw(st.sampled_from([(), (2,)]))
    shapes = [batch + (n, n)]
    kwargs = {}
    if extra:
        k = draw(st.integers(1, 3))
        left = draw(st.booleans())
        b_batch = draw(st.sampled_from([(), batch]))
        shapes.append(b_batch + ((n, k) if left else (k, n)))
        kwargs = {"upper": draw(st.booleans()), "left": left, "unitriangular": draw(st.booleans())}
    return tuple(shapes), kwargs


def _spd_cholesky(a):
    n = a.shape[-1]
    return cholesky(a @ a.mT + n * ag.eye(n, dtype=a.dtype, device=a.device))


def _solve(a, b, upper, left, unitriangular):
    n = a.shape[-1]
    eye = ag.eye(n, dtype=a.dtype, device=a.device)
    return solve_triangular(a + 3 * eye, b, upper=upper, left=left, unitriangular=unitriangular)


LINALG_SPECS = [
    OpSpec("linalg.cholesky", _spd_cholesky, (Cholesky,), case=_square(False), domain=(-1.0, 1.0)),
    OpSpec(
        "linalg.solve_triangular",
        _solve,
        (SolveTriangular,),
        case=_square(True),
        domain=(-1.0, 1.0),
    ),
]
