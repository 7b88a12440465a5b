"""Indexing along a dimension (ops/index.py) against PyTorch: values, dtypes, gradients,
grad_fn names, in-place forms and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import check, same_error

import autograd_engine as ag

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
ROWS = np.array([2, 0, 2])
MASK = rng.standard_normal((3, 4)) > 0

CASES = {
    "gather0": (lambda L, x, i: L.gather(x, 0, i), X, IDX),
    "gather1": (lambda L, x, i: x.gather(1, i[:, :3]), X, IDX),
    "gather_neg_dim": (lambda L, x, i: L.gather(x, -2, i), X, IDX),
    "scatter_src": (
        lambda L, x, s: L.scatter(x, 0, L.tensor([[0, 1, 2], [2, 0, 1]]), s),
        X,
        X[:2, :3] * 2,
    ),  # fmt: skip
    "scatter_value": (lambda L, x, i: x.scatter(1, i[:, :1], 1.5), X, IDX),
    "scatter_add": (lambda L, x, i, s: L.scatter_add(x, 0, i, s), X, IDX, X[:2] * 3),
    "scatter_src_larger": (
        lambda L, x, s: L.scatter(x, 1, L.tensor([[3], [0]]), s.detach()),
        X,
        X * 2,
    ),  # fmt: skip
    "index_select": (lambda L, x, r: L.index_select(x, 0, r), X, ROWS),
    "index_select1": (lambda L, x, r: x.index_select(1, r), X, ROWS),
    "index_fill": (lambda L, x, r: x.index_fill(1, r, -1.0), X, ROWS),
    "index_add": (lambda L, x, r, s: x.index_add(0, r, s, alpha=2.0), X, ROWS, X * 0.5),
    "index_copy": (lambda L, x, s: x.index_copy(0, L.tensor([2, 0]), s), X, X[:2] * 3),
    "masked_fill": (lambda L, x, m: x.masked_fill(m, 0.25), X, MASK),
    "masked_fill_bcast": (lambda L, x, m: L.masked_fill(x, m[0], 0.0), X, MASK),
    "masked_fill_tensor": (lambda L, x, v, m: x.masked_fill(m, v), X, np.array(3.0), MASK),
    "masked_select": (lambda L, x, m: L.masked_select(x, m), X, MASK),
    "masked_select_bcast": (lambda L, x, m: x.masked_select(m[0]), X, MASK),
    "masked_scatter": (lambda L, x, m, s: x.masked_scatter(m, s), X, MASK, X * 10),
    "take": (lambda L, x: L.take(x, L.tensor([[0, 5], [11, 5]])), X),
    "take_along_dim": (lambda L, x, i: L.take_along_dim(x, i, 0), X, IDX),
    "take_along_dim_none": (lambda L, x: L.take_along_dim(x, L.tensor([3, 1, 3])), X),
    "take_along_dim_bcast": (lambda L, x: L.take_along_dim(x, L.tensor([[1], [0], [3]]), 1), X),
    "index_put": (lambda L, x, v: x.index_put((L.tensor([0, 2]),), v), X, X[:2] + 1),
    "index_put_acc": (
        lambda L, x, v: x.index_put((L.tensor([0, 0]),), v, accumulate=True),
        X,
        X[:2] + 1,
    ),  # fmt: skip
    "int_gather": (lambda L, x, i: L.gather(x, 1, i), IDX * 7, IDX),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(torch, name):
    fn, *arrays = CASES[name]
    check(fn, *arrays, torch=torch, name=name)


@pytest.mark.parametrize(
    "name, want",
    [("gather0", "GatherBackward0"), ("scatter_src", "ScatterBackward0"),
     ("scatter_value", "ScatterBackward1"), ("scatter_add", "ScatterAddBackward0"),
     ("index_select", "IndexSelectBackward0"), ("index_fill", "IndexFillBackward0"),
     ("index_add", "IndexAddBackward0"), ("index_copy", "IndexCopyBackward0"),
     ("masked_fill", "MaskedFillBackward0"), ("masked_select", "MaskedSelectBackward0"),
     ("masked_scatter", "MaskedScatterBackward0"), ("take", "TakeBackward0")],
)  # fmt: skip
def test_grad_fn_names(torch, name, want):
    fn, *arrays = CASES[name]

    def out(lib):
        return fn(lib, *[lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays])

    assert type(out(torch).grad_fn).__name__ == want
    assert out(ag).grad_fn.name() == want


INPLACE = {
    "scatter_": (lambda L, x, s: x.clone().scatter_(0, L.tensor([[2, 1, 0, 1]]), s), X, X[:1]),
    "scatter_value_": (lambda L, x, i: x.clone().scatter_(1, i[:, :1], 2.0), X, IDX),
    "scatter_add_": (lambda L, x, i, s: x.clone().scatter_add_(0, i, s), X, IDX, X[:2]),
    "index_fill_": (lambda L, x, r: x.clone().index_fill_(0, r, 0.5), X, ROWS),
    "index_add_": (lambda L, x, r, s: x.clone().index_add_(0, r, s), X, ROWS, X),
    "index_copy_": (lambda L, x, s: x.clone().index_copy_(1, L.tensor([3, 0]), s), X, X[:, :2]),
    "masked_fill_": (lambda L, x, m: x.clone().masked_fill_(m, -2.0), X, MASK),
    "masked_fill_bcast_": (lambda L, x, m: x.clone().masked_fill_(m[:, :1], 1.0), X, MASK),
    "masked_scatter_": (lambda L, x, m, s: x.clone().masked_scatter_(m, s), X, MASK, X),
    "index_put_": (
        lambda L, x, v: x.clone().index_put_((L.tensor([1]), L.tensor([2])), v),
        X,
        np.array(9.0),
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_forms_match_torch(torch, name):
    fn, *arrays = INPLACE[name]
    check(fn, *arrays, torch=torch, name=name)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_values_and_no_derivative(torch, reduce):
    def fn(L, x, i, s):
        return x.scatter(0, i, s, reduce=reduce)

    check(fn, X, IDX, X[:2], grad=False, torch=torch, name=reduce)
    with pytest.raises(RuntimeError, match="derivative for 'scatter'"):
        fn(ag, ag.tensor(X, requires_grad=True), ag.tensor(IDX), ag.tensor(X[:2]))


def test_inplace_without_grad_writes_the_array_and_bumps_the_version():
    x = ag.zeros(3, 4)
    before = x.array
    out = x.masked_fill_(ag.tensor(MASK), 1.0)
    assert out is x and x.array is before and x._version == 1
    np.testing.assert_array_equal(x.numpy(), MASK.astype(np.float32))
    x.scatter_(0, ag.tensor([[0, 1, 2, 0]]), 5.0)
    assert x._version == 2 and x.numpy()[0, 0] == 5.0


ERRORS = [
    (lambda L: L.gather(L.zeros(3, 4), 0, L.zeros(2, 4)), "Expected dtype int64 for index"),
    (lambda L: L.gather(L.zeros(3, 4), 0, L.zeros(2, dtype=L.int64)), "same number of dimensions"),
    (lambda L: L.gather(L.zeros(3, 4), 0, L.tensor([[5]])), "out of bounds"),
    (lambda L: L.gather(L.zeros(3, 2), 0, L.zeros(2, 3, dtype=L.int64)), "Size does not match"),
    (lambda L: L.zeros(3).masked_fill(L.tensor([1, 0, 1]), 0.0), "only supports boolean masks"),
    (
        lambda L: L.zeros(3).masked_fill(L.tensor([True, False, True]), L.zeros(2)),
        "0-dimensional value tensor",
    ),  # fmt: skip
    (lambda L: L.zeros(3).masked_fill_(L.ones(2, 3, dtype=L.bool), 0.0), "doesn't match"),
    (lambda L: L.index_select(L.zeros(3), 0, L.tensor([[0]])), None),
    (lambda L: L.zeros(3).scatter(0, L.tensor([0]), L.zeros(1, dtype=L.float64)), "dtype"),
    (lambda L: L.take(L.zeros(3), L.tensor([3])), "out of range"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_pytorchs(torch, case):
    fn, match = ERRORS[case]
    same_error(fn, torch=torch, match=match)
