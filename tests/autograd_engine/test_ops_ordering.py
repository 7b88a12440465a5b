"""Sorting, selection, scans and counting (ops/ordering.py, ops/scan.py) against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import check, same_error

import autograd_engine as ag

rng = np.random.default_rng(1)
X = rng.permutation(24).reshape(4, 6).astype(np.float64) / 7 - 1  # distinct values
TIES = np.array([[3.0, 1, 2, 1, 5], [0, np.nan, 5, 5, -1]])
POS = rng.uniform(0.5, 1.5, (3, 4))
ZEROS = np.array([[1.5, 0.0, 2.0, 3.0], [0.0, 0.0, 1.0, 2.0]])

CASES = {
    "sort": (lambda L, x: L.sort(x), X),
    "sort_dim0_desc": (lambda L, x: x.sort(0, descending=True), X),
    "sort_ties_nan": (lambda L, x: L.sort(x, stable=True), TIES),
    "sort_ties_desc": (lambda L, x: L.sort(x, descending=True, stable=True), TIES),
    "argsort": (lambda L, x: L.argsort(x, dim=0), X),
    "argsort_desc": (lambda L, x: x.argsort(descending=True), X),
    "msort": (lambda L, x: L.msort(x), X),
    "topk": (lambda L, x: L.topk(x, 3), X),
    "topk_smallest_dim0": (lambda L, x: x.topk(2, dim=0, largest=False), X),
    "kthvalue": (lambda L, x: L.kthvalue(x, 2, 1), X),
    "kthvalue_keepdim": (lambda L, x: x.kthvalue(3, 0, keepdim=True), X),
    "median_all": (lambda L, x: L.median(x), X),
    "median_dim": (lambda L, x: x.median(1), X),
    "median_even_dim0": (lambda L, x: x.median(0, keepdim=True), X),
    "median_nan": (lambda L, x: L.median(x, 1), np.array([[0.0, np.nan, 5, 4], [1, 2, 3, 4]])),
    "nanmedian": (lambda L, x: L.nanmedian(x, 1), np.array([[0.0, np.nan, 5, 4], [1, 2, 3, 4]])),
    "mode": (lambda L, x: L.mode(x), np.array([[1.0, 2, 2, 3, 3], [4, 4, 1, 1, 4]])),
    "cummax": (lambda L, x: L.cummax(x, 1), np.array([[1.0, 3, 2, 3, 5], [2, 1, 0, 4, 4]])),
    "cummin": (lambda L, x: x.cummin(0), X),
    "cumsum": (lambda L, x: L.cumsum(x, 1), X),
    "cumsum_dim0": (lambda L, x: x.cumsum(dim=0), X),
    "cumsum_int": (lambda L, x: L.cumsum(x, 0), np.arange(6, dtype=np.int32)),
    "cumprod": (lambda L, x: L.cumprod(x, 1), POS),
    "cumprod_zeros": (lambda L, x: x.cumprod(1), ZEROS),
    "cumprod_dim0_zeros": (lambda L, x: x.cumprod(0), ZEROS),
    "logcumsumexp": (lambda L, x: L.logcumsumexp(x * 30, 1), X),
    "diff": (lambda L, x: L.diff(x), X),
    "diff_n2_dim0": (lambda L, x: x.diff(n=2, dim=0), X),
    "diff_prepend": (lambda L, x: L.diff(x, dim=1, prepend=x[:, :1]), X),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(torch, name):
    fn, *arrays = CASES[name]
    check(fn, *arrays, torch=torch, name=name, rtol=1e-6)


def test_no_grad_results_match_torch(torch):
    ints = np.array([3, 1, 2, 1, 3, 3, 0])
    cases = [
        lambda L, x: L.unique(x),
        lambda L, x: L.unique(x, return_inverse=True, return_counts=True),
        lambda L, x: x.unique(sorted=False),
        lambda L, x: L.unique(x.reshape(7, 1), dim=0, return_counts=True),
        lambda L, x: L.unique_consecutive(x, return_counts=True, return_inverse=True),
        lambda L, x: L.bincount(x),
        lambda L, x: L.bincount(x, weights=x.double() * 0.5, minlength=6),
        lambda L, x: L.bucketize(x, L.tensor([0, 2, 3])),
        lambda L, x: L.bucketize(x, L.tensor([0, 2, 3]), right=True, out_int32=True),
        lambda L, x: L.searchsorted(L.tensor([0, 1, 3, 5]), x),
        lambda L, x: L.searchsorted(
            L.tensor([[0, 1, 3], [1, 2, 4]]), L.tensor([[1, 4], [2, 0]]), side="right"
        ),  # fmt: skip
        lambda L, x: L.histc(x.double(), bins=4, min=0, max=3),
        lambda L, x: L.histc(x.float(), bins=3),
        lambda L, x: L.histogram(x.double(), bins=4, range=(0.0, 4.0)),
        lambda L, x: x.double().aminmax(),
        lambda L, x: L.count_nonzero(x),
    ]
    for i, fn in enumerate(cases):
        check(fn, ints, grad=False, torch=torch, name=f"case {i}")


def test_sort_and_topk_grad_fn_names(torch):
    t, x = torch.tensor(X, requires_grad=True), ag.tensor(X, requires_grad=True)
    assert type(t.sort().values.grad_fn).__name__ == x.sort().values.grad_fn.name()
    assert type(t.topk(2).values.grad_fn).__name__ == x.topk(2).values.grad_fn.name()


ERRORS = [
    (lambda L: L.topk(L.zeros(3), 4), "selected index k out of range"),
    (lambda L: L.kthvalue(L.zeros(3), 4), None),
    (lambda L: L.bincount(L.tensor([-1, 2])), "non-negative"),
    (lambda L: L.bincount(L.zeros(2)), None),
    (lambda L: L.bucketize(L.tensor([1]), L.tensor([[1, 2]])), "1 dimension"),
    (lambda L: L.median(L.zeros(0, 2), 0), "non-zero size"),
    (lambda L: L.searchsorted(L.tensor([1, 2]), L.tensor([1]), side="up"), "side can only be"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_pytorchs(torch, case):
    fn, match = ERRORS[case]
    same_error(fn, torch=torch, match=match)
