"""Matrix products and structure (ops/matrix.py) and rearranging (ops/arrange.py) against
PyTorch: values, gradients, grad_fn names and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from torch_oracle import check, same_error

import autograd_engine as ag

rng = np.random.default_rng(3)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((4, 5))
C = rng.standard_normal((3, 5))
V3, V4 = rng.standard_normal(3), rng.standard_normal(4)
S = rng.standard_normal((4, 4))
T3 = rng.standard_normal((2, 3, 4))
T3B = rng.standard_normal((2, 4, 5))

MATRIX = {
    "mm": (lambda L, a, b: L.mm(a, b), A, B),
    "mm_method": (lambda L, a, b: a.mm(b), A, B),
    "bmm": (lambda L, a, b: L.bmm(a, b), T3, T3B),
    "addmm": (lambda L, c, a, b: L.addmm(c, a, b), C, A, B),
    "addmm_scaled_bcast": (lambda L, c, a, b: L.addmm(c[0], a, b, beta=0.5, alpha=2), C, A, B),
    "addmm_beta0": (lambda L, c, a, b: c.addmm(a, b, beta=0), C, A, B),
    "baddbmm": (lambda L, c, a, b: L.baddbmm(c, a, b, alpha=0.5), T3[..., :1] * 0 + 1, T3, T3B),
    "addmv": (lambda L, c, a, v: L.addmv(c, a, v, beta=2), V3, A, V4),
    "addr": (lambda L, c, u, v: L.addr(c, u, v), A, V3, V4),
    "dot": (lambda L, u, v: L.dot(u, v), V4, B[:, 0]),
    "vdot": (lambda L, u, v: u.vdot(v), V4, B[:, 0]),
    "mv": (lambda L, a, v: L.mv(a, v), A, V4),
    "outer": (lambda L, u, v: L.outer(u, v), V3, V4),
    "ger": (lambda L, u, v: u.ger(v), V3, V4),
    "inner": (lambda L, a, b: L.inner(a, b), A, B.T),
    "kron": (lambda L, a, b: L.kron(a, b), A[:2, :2], B[:2, :3]),
    "tril": (lambda L, a: L.tril(a), S),
    "tril_k": (lambda L, a: a.tril(-1), T3),
    "triu": (lambda L, a: L.triu(a, 1), A),
    "diag_of_matrix": (lambda L, a: L.diag(a), S),
    "diag_of_matrix_k": (lambda L, a: a.diag(-1), A),
    "diag_of_vector": (lambda L, v: L.diag(v), V3),
    "diag_of_vector_k": (lambda L, v: L.diag(v, 2), V3),
    "diagonal": (lambda L, a: L.diagonal(a, 1), A),
    "diagonal_dims": (lambda L, t: t.diagonal(0, 0, 2), T3),
    "diagonal_neg": (lambda L, t: L.diagonal(t, -1, 1, 2), T3),
    "diag_embed": (lambda L, a: L.diag_embed(a), A),
    "diag_embed_offset": (lambda L, a: L.diag_embed(a, 1, 0, 2), A),
    "trace": (lambda L, a: L.trace(a), A),
    "cdist": (lambda L, a, b: L.cdist(a, b), A, B.T),
    "cdist_p1": (lambda L, a, b: L.cdist(a, b, p=1), A, B.T),
    "cdist_inf": (lambda L, a, b: L.cdist(a, b, p=float("inf")), A, B.T),
    "cdist_batched": (lambda L, a, b: L.cdist(a, b), T3, T3),
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_matrix_ops_match_torch(torch, name):
    fn, *arrays = MATRIX[name]
    check(fn, *arrays, torch=torch, name=name, rtol=1e-6, atol=1e-8)


ARRANGE = {
    "roll": (lambda L, a: L.roll(a, 1, 0), A),
    "roll_multi": (lambda L, a: a.roll((1, -2), (0, 1)), A),
    "roll_flat": (lambda L, a: L.roll(a, 5), A),
    "movedim": (lambda L, t: L.movedim(t, 0, -1), T3),
    "movedim_multi": (lambda L, t: t.movedim((0, 1), (2, 0)), T3),
    "moveaxis": (lambda L, t: L.moveaxis(t, 2, 0), T3),
    "swapaxes": (lambda L, t: L.swapaxes(t, 0, 2), T3),
    "select": (lambda L, t: L.select(t, 1, -1), T3),
    "unbind": (lambda L, t: L.unbind(t, 1), T3),
    "unbind_method": (lambda L, t: t.unbind(), T3),
    "tile": (lambda L, a: L.tile(a, (2,)), A),
    "tile_method": (lambda L, a: a.tile(2, 1, 1), A),
    "repeat_interleave": (lambda L, a: L.repeat_interleave(a, 2), A),
    "repeat_interleave_dim": (lambda L, a: a.repeat_interleave(L.tensor([1, 0, 2]), dim=0), A),
    "tensor_split": (lambda L, a: L.tensor_split(a, 3, dim=1), A),
    "tensor_split_idx": (lambda L, a: a.tensor_split([1, 3], dim=1), A),
    "hsplit": (lambda L, a: L.hsplit(a, 2), A),
    "vsplit": (lambda L, a: L.vsplit(a, [1, 3]), S),
    "hstack": (lambda L, a, b: L.hstack([a, b]), A, C),
    "vstack": (lambda L, u, v: L.vstack([u, v]), V4, V4),
    "dstack": (lambda L, a: L.dstack([a, a]), A),
    "column_stack": (lambda L, u, a: L.column_stack([u, a]), V3, A),
    "row_stack": (lambda L, a, b: L.row_stack([a, b]), A, A),
    "meshgrid_ij": (lambda L, u, v: L.meshgrid(u, v, indexing="ij"), V3, V4),
    "meshgrid_xy": (lambda L, u, v, w: L.meshgrid(u, v, w, indexing="xy"), V3, V4, V3[:2]),
    "broadcast_tensors": (lambda L, u, a: L.broadcast_tensors(u, a), V4, A),
    "unfold": (lambda L, a: a.unfold(1, 2, 1), A),
    "unfold_step": (lambda L, t: t.unfold(2, 2, 2), T3),
    "unfold_1d": (lambda L: L.arange(7.0).unfold(0, 3, 2),),
    "ravel": (lambda L, t: L.ravel(t.transpose(0, 1)), T3),
    "rot90": (lambda L, a: L.rot90(a), A),
    "rot90_k3": (lambda L, t: t.rot90(3, (1, 2)), T3),
    "fliplr": (lambda L, a: L.fliplr(a), A),
    "flipud": (lambda L, a: a.flipud(), A),
    "atleast_3d": (lambda L, u: L.atleast_3d(u), V3),
    "block_diag": (lambda L, a, u: L.block_diag(a, u), A[:2, :2], V3),
    "cartesian_prod": (lambda L, u, v: L.cartesian_prod(u, v), V3[:2], V4[:3]),
}


@pytest.mark.parametrize("name", list(ARRANGE))
def test_arrange_ops_match_torch(torch, name):
    fn, *arrays = ARRANGE[name]
    check(fn, *arrays, torch=torch, name=name)


def test_broadcast_shapes_and_meshgrid_warning(torch):
    assert ag.broadcast_shapes((3, 1), (4,)) == torch.broadcast_shapes((3, 1), (4,))
    assert isinstance(ag.broadcast_shapes((2,), 2), ag.Size)
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        ag.meshgrid(ag.zeros(2), ag.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.meshgrid(ag.zeros(2), ag.zeros(3), indexing="ij")


def test_grad_fn_names(torch):
    cases = [
        lambda L, a: L.mm(a, a.T), lambda L, a: L.bmm(a[None], a.T[None]),
        lambda L, a: L.addmm(a, a, a.T), lambda L, a: L.tril(a),
        lambda L, a: L.triu(a), lambda L, a: L.diagonal(a), lambda L, a: L.trace(a),
        lambda L, a: L.roll(a, 1, 0), lambda L, a: L.unbind(a)[0],
        lambda L, a: a.unfold(1, 2, 1), lambda L, a: L.cdist(a, a),
    ]  # fmt: skip
    for i, fn in enumerate(cases):
        t = fn(torch, torch.tensor(S, requires_grad=True))
        o = fn(ag, ag.tensor(S, requires_grad=True))
        assert o.grad_fn.name() == type(t.grad_fn).__name__, i


ERRORS = [
    (lambda L: L.mm(L.zeros(2, 3), L.zeros(4, 5)), "mat1 and mat2 shapes cannot be multiplied"),
    (lambda L: L.mm(L.zeros(2, 3), L.zeros(3)), "mat2 must be a matrix"),
    (lambda L: L.mm(L.zeros(2, 3), L.zeros(3, 2, dtype=L.float64)), "same dtype"),
    (lambda L: L.bmm(L.zeros(2, 3), L.zeros(2, 3)), "batch1 must be a 3D tensor"),
    (lambda L: L.bmm(L.zeros(2, 2, 3), L.zeros(3, 3, 4)), "Expected size for first two"),
    (lambda L: L.dot(L.zeros(3), L.zeros(4)), "inconsistent tensor size"),
    (lambda L: L.dot(L.zeros(2, 3), L.zeros(3)), "1D tensors expected"),
    (lambda L: L.dot(L.tensor([1, 2]), L.tensor([1.0, 2.0])), "same dtype"),
    (lambda L: L.mv(L.zeros(2, 3), L.zeros(4)), "size mismatch"),
    (lambda L: L.tril(L.zeros(3)), "at least 2 dimensions"),
    (lambda L: L.trace(L.zeros(2, 2, 2)), "expected a matrix"),
    (lambda L: L.diag(L.zeros(2, 2, 2)), "Supports 1D or 2D"),
    (lambda L: L.cdist(L.zeros(2, 3), L.zeros(2, 4)), "same number of columns"),
    (lambda L: L.cdist(L.zeros(2, 3), L.zeros(2, 3), p=-1), "non-negative p"),
    (lambda L: L.roll(L.zeros(2, 3), (1, 2), 0), "shifts and dimensions must align"),
    (lambda L: L.zeros(3).unfold(0, 4, 1), "maximum size"),
    (lambda L: L.meshgrid(L.zeros(2), indexing="ab"), "indexing must be one of"),
    (lambda L: L.select(L.zeros(2, 3), 1, 5), None),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_pytorchs(torch, case):
    fn, match = ERRORS[case]
    same_error(fn, torch=torch, match=match)
