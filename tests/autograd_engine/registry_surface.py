"""Gradient-test registry rows for the functions of the PyTorch surface (``SURFACE_SPECS``,
loaded by ``registry.py``): special functions, rounding, indexing along a dimension, ordering,
scans, matrix products and structure, rearranging and sampling. Composite functions get rows
too, so their gradients (and second order, where smooth) are checked against differences."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from registry import OpSpec

import autograd_engine as ag
from autograd_engine.ops import decomp, index, logic, random, special
from autograd_engine.ops.arrange import Roll
from autograd_engine.ops.inplace import IndexPut
from autograd_engine.ops.matrix import Tril
from autograd_engine.ops.scan import Cumprod, Cumsum
from autograd_engine.ops.shape import GetItem, IndexAdd


def _shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def _one(min_dims: int = 0, max_dims: int = 3):
    return _shapes(min_dims, max_dims).map(lambda s: (s,))


def _two(min_dims: int = 0):
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=3, min_side=1, max_side=4
    ).map(lambda r: r.input_shapes)


def _fixed(*shapes):
    return st.just(tuple(shapes))


def _dim(shapes):
    n = len(shapes[0])
    return st.fixed_dictionaries({"dim": st.integers(-n, n - 1)})


def _unary(name, node, lo=-2.0, hi=2.0, **kw):
    return OpSpec(name, getattr(ag, name), (node,), _one(), (lo, hi), **kw)


IDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])  # for (3, 4) inputs, dim 0


def _apart(arrays) -> bool:
    """No coordinate of a row of x1 within 1e-3 of the same coordinate of a row of x2 (the
    kinks of |x1 - x2|)."""
    a, b = arrays
    return bool(np.all(np.abs(a[:, None, :] - b[None, :, :]) > 1e-3))


_SVD_SHIFT = np.array([[3.0, 0.0], [0.0, 1.5], [0.0, 0.0]])
_QR_SHIFT = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
_W = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 2.0]])


def _on(a, values):
    """A constant tensor on ``a``'s device: float data in ``a``'s dtype, index data as int64
    (a row's constants must follow its inputs, or the ``cuda`` case mixes devices)."""
    values = np.asarray(values)
    dtype = a.dtype if values.dtype.kind == "f" else None
    return ag.tensor(values, dtype=dtype, device=a.device)


def _eye(a, n):
    return ag.eye(n, dtype=a.dtype, device=a.device)


def _svd_loss(u, s, vh):
    """A function of the SVD that does not depend on the signs of the singular vectors."""
    w = _on(s, _W)
    return (s * 3).sum() + (u**2 * w).sum() + (vh**2 * w[:2]).sum()


def _qr_loss(q, r):
    w = _on(q, _W)
    return (q**2 * w).sum() + (r**2 * w[:2]).sum()


def _bernoulli_valid(arrays) -> bool:
    u = np.random.Generator(np.random.PCG64(0)).random(arrays[0].shape)
    return bool(np.all(np.abs(u - arrays[0]) > 1e-3))


SURFACE_SPECS = [
    # special functions
    _unary("tan", special.Tan, -1.2, 1.2),
    _unary("sinh", special.Sinh),
    _unary("cosh", special.Cosh),
    _unary("asin", special.Asin, -0.9, 0.9),
    _unary("acos", special.Acos, -0.9, 0.9),
    _unary("atan", special.Atan),
    _unary("asinh", special.Asinh),
    _unary("acosh", special.Acosh, 1.2, 3.0),
    _unary("atanh", special.Atanh, -0.9, 0.9),
    _unary("erf", special.Erf),
    _unary("erfc", special.Erfc),
    _unary("erfinv", special.Erfinv, -0.9, 0.9),
    _unary("lgamma", special.Lgamma, 0.5, 3.0),
    _unary("digamma", special.Digamma, 0.5, 3.0),
    OpSpec("polygamma", lambda a: ag.polygamma(1, a), (special.Polygamma,), _one(), (0.5, 3.0)),
    _unary("log2", special.Log2, 0.2, 3.0),
    _unary("log10", special.Log10, 0.2, 3.0),
    _unary("exp2", special.Exp2),
    _unary("logit", special.Logit, 0.05, 0.95),
    OpSpec(
        "logit_eps",
        lambda a: ag.logit(a, 0.2),
        (special.Logit,),
        _one(),
        (0.05, 0.95),
        kinks=(0.2, 0.8),
    ),  # fmt: skip
    OpSpec("atan2", ag.atan2, (special.Atan2,), _two(), ((0.3, 2.0), (-2.0, 2.0))),
    OpSpec("hypot", ag.hypot, (special.Hypot,), _two(), ((0.3, 2.0), (-2.0, 2.0))),
    OpSpec("xlogy", ag.xlogy, (special.Xlogy,), _two(), ((-2.0, 2.0), (0.2, 3.0)), kinks=(0.0,)),
    OpSpec(
        "lerp",
        lambda a, b, w: ag.lerp(a, b, w),
        (special.Lerp,),
        hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=2, max_side=3).map(
            lambda r: r.input_shapes
        ),
        ((-2.0, 2.0), (-2.0, 2.0), (0.0, 1.0)),
    ),
    OpSpec("lerp_scalar", lambda a, b: ag.lerp(a, b, 0.7), (special.Lerp,), _two()),
    OpSpec("logaddexp", ag.logaddexp, (), _two()),
    OpSpec("sinc", ag.sinc, (), _one(), kinks=(0.0,)),
    OpSpec(
        "addcmul",
        lambda a, b, c: ag.addcmul(a, b, c, value=0.5),
        (),
        _fixed((2, 3), (2, 3), (1, 3)),
    ),  # fmt: skip
    OpSpec(
        "addcdiv",
        lambda a, b, c: ag.addcdiv(a, b, c, value=2.0),
        (),
        _fixed((2, 3), (3,), (2, 3)),
        ((-2, 2), (-2, 2), (0.5, 2)),
    ),  # fmt: skip
    # rounding and remainders
    OpSpec(
        "floor",
        lambda a: ag.floor(a) * a,
        (logic.Rounding,),
        _one(),
        kinks=(-2.0, -1.0, 0.0, 1.0, 2.0),
    ),
    OpSpec(
        "round", lambda a: ag.round(a) * a, (logic.Rounding,), _one(), kinks=(-1.5, -0.5, 0.5, 1.5)
    ),  # fmt: skip
    OpSpec("frac", ag.frac, (logic.Rounding,), _one(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    OpSpec("fmod", ag.fmod, (logic.Fmod,), _two(), ((2.1, 2.9), (1.0, 1.04))),
    OpSpec("remainder", ag.remainder, (logic.Remainder,), _two(), ((-2.9, -2.1), (1.0, 1.04))),
    OpSpec("nan_to_num", lambda a: ag.nan_to_num(a) * a, (logic.NanToNum,), _one()),
    # indexing along a dimension
    OpSpec(
        "gather", lambda a: ag.gather(a, 0, _on(a, IDX)), (GetItem, IndexAdd), _fixed((3, 4))
    ),  # fmt: skip
    OpSpec(
        "scatter",
        lambda a, s: ag.scatter(a, 1, _on(a, [[3, 0], [1, 2], [0, 3]]), s),
        (IndexPut,),
        _fixed((3, 4), (3, 2)),
    ),  # fmt: skip
    OpSpec(
        "scatter_add",
        lambda a, s: ag.scatter_add(a, 0, _on(a, IDX), s),
        (index.ScatterAdd,),
        _fixed((3, 4), (2, 4)),
    ),  # fmt: skip
    OpSpec(
        "index_select",
        lambda a: a.index_select(-1, _on(a, [2, 0, 2])),
        (GetItem,),
        _shapes(1).filter(lambda s: s[-1] >= 3).map(lambda s: (s,)),
    ),  # fmt: skip
    OpSpec(
        "index_add",
        lambda a, s: a.index_add(0, _on(a, [1, 1]), s, alpha=2.0),
        (index.ScatterAdd,),
        _fixed((3, 4), (2, 4)),
    ),  # fmt: skip
    OpSpec(
        "index_copy",
        lambda a, s: a.index_copy(1, _on(a, [3, 0]), s),
        (IndexPut,),
        _fixed((3, 4), (3, 2)),
    ),  # fmt: skip
    OpSpec(
        "index_fill",
        lambda a: a.index_fill(0, _on(a, [1]), 0.5) * a,
        (IndexPut,),
        _fixed((3, 4)),
    ),  # fmt: skip
    OpSpec(
        "masked_fill",
        lambda a, v: a.masked_fill(a > 0.5, v) * a,
        (),
        _fixed((3, 4), ()),
        kinks=(0.5,),
    ),  # fmt: skip
    OpSpec("masked_select", lambda a: a.masked_select(a > 0.0) ** 2, (), _one(), kinks=(0.0,)),
    OpSpec(
        "masked_scatter",
        lambda a, s: a.masked_scatter(a > 0.0, s),
        (),
        _fixed((3, 4), (12,)),
        kinks=(0.0,),
    ),  # fmt: skip
    OpSpec("take", lambda a: ag.take(a, _on(a, [[0, 5], [5, 11]])), (), _fixed((3, 4))),
    OpSpec(
        "take_along_dim",
        lambda a: ag.take_along_dim(a, _on(a, [[1], [0], [3]]), 1),
        (),
        _fixed((3, 4)),
    ),  # fmt: skip
    # ordering and scans
    OpSpec(
        "sort",
        lambda a, dim: ag.sort(a, dim, descending=True).values * a.sort(dim).values,
        (),
        _one(1),
        kwargs=_dim,
        unique=True,
    ),  # fmt: skip
    OpSpec("topk", lambda a: a.topk(1, 0).values.exp(), (), _one(1), unique=True),
    OpSpec("kthvalue", lambda a: a.kthvalue(1, -1).values, (), _one(1), unique=True),
    OpSpec("median", lambda a: a.median() + a.median(-1).values.sum(), (), _one(1), unique=True),
    OpSpec(
        "cummax", lambda a, dim: ag.cummax(a, dim).values, (), _one(1), kwargs=_dim, unique=True
    ),  # fmt: skip
    OpSpec("cumsum", lambda a, dim: ag.cumsum(a, dim) ** 2, (Cumsum,), _one(1), kwargs=_dim),
    OpSpec(
        "cumprod", lambda a, dim: ag.cumprod(a, dim), (Cumprod,), _one(1), (0.5, 1.5), kwargs=_dim
    ),  # fmt: skip
    OpSpec("logcumsumexp", lambda a, dim: ag.logcumsumexp(a, dim), (), _one(1), kwargs=_dim),
    OpSpec(
        "diff",
        lambda a: ag.diff(a, n=2, dim=-1) ** 2,
        (),
        _shapes(1).filter(lambda s: s[-1] > 2).map(lambda s: (s,)),
    ),  # fmt: skip
    # matrix products and structure
    OpSpec("mm", ag.mm, (), _fixed((2, 3), (3, 4))),
    OpSpec("bmm", ag.bmm, (), _fixed((2, 2, 3), (2, 3, 2))),
    OpSpec(
        "addmm",
        lambda c, a, b: ag.addmm(c, a, b, beta=0.5, alpha=2.0),
        (),
        _fixed((4,), (2, 3), (3, 4)),
    ),  # fmt: skip
    OpSpec(
        "baddbmm", lambda c, a, b: ag.baddbmm(c, a, b), (), _fixed((1, 2), (2, 2, 3), (2, 3, 2))
    ),  # fmt: skip
    OpSpec("addmv", lambda c, a, v: ag.addmv(c, a, v, alpha=3.0), (), _fixed((2,), (2, 3), (3,))),
    OpSpec("addr", lambda c, u, v: ag.addr(c, u, v), (), _fixed((2, 3), (2,), (3,))),
    OpSpec("dot", ag.dot, (), _fixed((4,), (4,))),
    OpSpec("mv", ag.mv, (), _fixed((2, 3), (3,))),
    OpSpec("outer", ag.outer, (), _fixed((2,), (3,))),
    OpSpec("inner", ag.inner, (), _fixed((2, 3), (4, 3))),
    OpSpec("kron", ag.kron, (), _fixed((2, 2), (1, 3))),
    OpSpec(
        "tril",
        lambda a, k: ag.tril(a, k) * a,
        (Tril,),
        _one(2),
        kwargs=lambda s: st.fixed_dictionaries({"k": st.integers(-2, 2)}),
    ),  # fmt: skip
    OpSpec("triu", lambda a: ag.triu(a, 1), (Tril,), _one(2)),
    OpSpec("diag", lambda a: ag.diag(ag.diag(a, 1), -1), (), _fixed((3, 4))),
    OpSpec("diagonal", lambda a: a.diagonal(0, 0, 2), (), _fixed((3, 2, 4))),
    OpSpec("diag_embed", lambda a: ag.diag_embed(a, -1) * 2, (), _fixed((2, 3))),
    OpSpec("trace", ag.trace, (), _fixed((3, 4))),
    OpSpec("cdist", ag.cdist, (), _fixed((3, 2), (4, 2)), valid=_apart),
    OpSpec(
        "cdist_p1", lambda a, b: ag.cdist(a, b, p=1.0), (), _fixed((2, 3), (2, 3)), valid=_apart
    ),  # fmt: skip
    # rearranging
    OpSpec("roll", lambda a: ag.roll(a, (1, -1), (0, -1)) * a, (Roll,), _one(2)),
    OpSpec("roll_flat", lambda a: ag.roll(a, 2), (Roll,), _one(1)),
    OpSpec("movedim", lambda a: ag.movedim(a, 0, -1), (), _one(2)),
    OpSpec("unbind", lambda a: ag.unbind(a, -1)[0] * 3, (), _one(1)),
    OpSpec("tile", lambda a: ag.tile(a, (2, 1)), (), _one(1, 2)),
    OpSpec("repeat_interleave", lambda a: a.repeat_interleave(2, dim=0), (), _one(1)),
    OpSpec("tensor_split", lambda a: ag.tensor_split(a, 3, dim=0)[-1] * 2, (), _one(1)),
    OpSpec("hstack", lambda a, b: ag.hstack([a, b]), (), _fixed((2, 3), (2, 1))),
    OpSpec(
        "meshgrid",
        lambda a, b: ag.meshgrid(a, b, indexing="xy")[0] * ag.meshgrid(a, b, indexing="xy")[1],
        (),
        _fixed((3,), (2,)),
    ),  # fmt: skip
    OpSpec(
        "unfold",
        lambda a: a.unfold(-1, 2, 1),
        (),
        _shapes(1).filter(lambda s: s[-1] >= 2).map(lambda s: (s,)),
    ),  # fmt: skip
    OpSpec("rot90", lambda a: ag.rot90(a, 1), (), _one(2)),
    OpSpec("block_diag", ag.block_diag, (), _fixed((2, 2), (1, 3))),
    # linear algebra: well-conditioned inputs (A = M + 3 I), symmetric ones for eigh, and only
    # sign-invariant functions of eigenvectors and singular vectors
    OpSpec(
        "inv",
        lambda a: ag.linalg.inv(a + 5 * _eye(a, 3)),
        (decomp.Inv,),
        _fixed((3, 3)),
        (-1.0, 1.0),
    ),  # fmt: skip
    OpSpec(
        "det",
        lambda a: ag.linalg.det(a + 5 * _eye(a, 3)),
        (decomp.Det,),
        _fixed((2, 3, 3)),
        (-1.0, 1.0),
    ),  # fmt: skip
    OpSpec(
        "slogdet",
        lambda a: ag.linalg.slogdet(a + 3 * _eye(a, 2))[1],
        (decomp.LogAbsDet,),
        _fixed((2, 2)),
        (-1.0, 1.0),
    ),  # fmt: skip
    OpSpec(
        "solve",
        lambda a, b: ag.linalg.solve(a + 5 * _eye(a, 3), b),
        (decomp.Solve,),
        _fixed((3, 3), (3, 2)),
        (-1.0, 1.0),
    ),  # fmt: skip
    OpSpec(
        "solve_vector",
        lambda a, b: ag.linalg.solve(a + 5 * _eye(a, 3), b),
        (decomp.Solve,),
        _fixed((3, 3), (3,)),
        (-1.0, 1.0),
    ),  # fmt: skip
    OpSpec(
        "eigh",
        lambda a: (lambda e: e[0] * 2 + (e[1] ** 2).sum(0))(
            ag.linalg.eigh(a + a.mT + ag.diag(_on(a, [0.0, 3.0, 6.0])))
        ),
        (decomp.Eigh,),
        _fixed((3, 3)),
        (-0.5, 0.5),
    ),  # fmt: skip
    OpSpec(
        "svd",
        lambda a: _svd_loss(*ag.linalg.svd(a + _on(a, _SVD_SHIFT), full_matrices=False)),
        (decomp.Svd,),
        _fixed((3, 2)),
        (-0.3, 0.3),
    ),  # fmt: skip
    OpSpec(
        "qr",
        lambda a: _qr_loss(*ag.linalg.qr(a + _on(a, _QR_SHIFT))),
        (decomp.Qr,),
        _fixed((3, 2)),
        (-0.5, 0.5),
    ),  # fmt: skip
    OpSpec("matrix_exp", ag.linalg.matrix_exp, (), _fixed((3, 3)), (-1.0, 1.0)),
    OpSpec(
        "pinv",
        lambda a: ag.linalg.pinv(a + _on(a, [[2.0, 0], [0, 1], [0, 0]])),
        (),
        _fixed((3, 2)),
        (-0.3, 0.3),
    ),  # fmt: skip
    OpSpec("cross", lambda a, b: ag.linalg.cross(a, b), (), _fixed((2, 3), (2, 3))),
    OpSpec(
        "matrix_norm_nuc",
        lambda a: ag.linalg.matrix_norm(a + _on(a, [[2.0, 0], [0, 1]]), "nuc"),
        (),
        _fixed((2, 2)),
        (-0.3, 0.3),
    ),  # fmt: skip
    # special functions and statistics
    OpSpec("i0", ag.i0, (special.I0,), _one()),
    OpSpec("i1", ag.special.i1, (special.I1,), _one(), kinks=(0.0,)),  # I1(a) / a near 0
    OpSpec("entr", ag.special.entr, (special.Entr,), _one(), (0.1, 3.0)),
    OpSpec("ndtr", ag.special.ndtr, (), _one()),
    OpSpec("multigammaln", lambda a: ag.special.multigammaln(a, 2), (), _one(), (1.0, 3.0)),
    OpSpec("xlog1py", ag.special.xlog1py, (), _two(), ((-2.0, 2.0), (-0.5, 2.0)), kinks=(0.0,)),
    OpSpec("quantile", lambda a: ag.quantile(a, 0.4, dim=-1), (), _one(1), unique=True),
    OpSpec("cov", ag.cov, (), _fixed((2, 4))),
    OpSpec("corrcoef", ag.corrcoef, (), _fixed((2, 4)), unique=True),
    OpSpec(
        "trapezoid",
        lambda a: ag.trapezoid(a, dx=0.5) + ag.cumulative_trapezoid(a).sum(-1),
        (),
        _one(1),
    ),  # fmt: skip
    OpSpec(
        "dist",
        lambda a, b: ag.dist(a, b),
        (),
        _fixed((3,), (3,)),
        valid=lambda arrays: bool(np.abs(arrays[0] - arrays[1]).min() > 1e-3),
    ),  # fmt: skip
    OpSpec("copysign", lambda a, b: ag.copysign(a, b), (), _two(), kinks=(0.0,)),
    # sampling: the gradient is zero, and the draw is fixed by a seeded generator
    OpSpec(
        "bernoulli",
        lambda p: ag.bernoulli(p, generator=ag.Generator(p.device).manual_seed(0)) * p,
        (random.Sampled,),
        _one(),
        (0.05, 0.95),
        second_order=False,
        valid=_bernoulli_valid,
    ),
]
