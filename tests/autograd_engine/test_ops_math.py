"""Element-wise math beyond the basics (ops/special.py, ops/logic.py, addcmul/addcdiv) against
PyTorch: values, dtypes, gradients, grad_fn names and errors."""

from __future__ import annotations

import numpy as np
import pytest
from torch_oracle import check, same_error

import autograd_engine as ag

rng = np.random.default_rng(2)
X = rng.uniform(-0.9, 0.9, (3, 4))
Y = rng.uniform(-2, 2, (3, 4))
POS = rng.uniform(0.2, 3, (3, 4))
BIG = rng.uniform(1.1, 3, (3, 4))
P = rng.uniform(0.05, 0.95, (3, 4))

UNARY = {
    "tan": X, "sinh": Y, "cosh": Y, "asin": X, "acos": X, "atan": Y, "asinh": Y, "acosh": BIG,
    "atanh": X, "arcsin": X, "arccos": X, "arctan": Y, "erf": Y, "erfc": Y, "erfinv": X,
    "lgamma": POS, "digamma": POS, "log2": POS, "log10": POS, "exp2": Y, "logit": P, "sinc": Y,
    "deg2rad": Y, "rad2deg": Y, "floor": Y, "ceil": Y, "round": Y, "trunc": Y, "frac": Y,
    "fix": Y, "nan_to_num": np.array([np.nan, np.inf, -np.inf, 1.5]), "exp": Y, "log": POS,
    "sqrt": POS, "sin": Y, "cos": Y, "tanh": Y, "sigmoid": Y, "abs": Y, "neg": Y,
}  # fmt: skip


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_function_and_method_match_torch(torch, name):
    check(lambda L, x: getattr(L, name)(x), UNARY[name], torch=torch, name=name)
    check(lambda L, x: getattr(x, name)(), UNARY[name], torch=torch, name=name + " method")


@pytest.mark.parametrize("name", ["sin", "exp", "tan", "erf", "log2", "sqrt", "tanh", "sigmoid"])
def test_integer_inputs_give_the_default_float_dtype(torch, name):
    check(lambda L, x: getattr(L, name)(x), np.array([1, 2, 3]), torch=torch, name=name)


BINARY = {
    "atan2": (lambda L, a, b: L.atan2(a, b), Y, POS),
    "arctan2": (lambda L, a, b: a.arctan2(b), Y, X),
    "hypot": (lambda L, a, b: L.hypot(a, b), Y, POS),
    "xlogy": (lambda L, a, b: L.xlogy(a, b), Y, POS),
    "xlogy_zero": (lambda L, a, b: L.xlogy(a * 0, b), Y, POS),
    "logaddexp": (lambda L, a, b: L.logaddexp(a * 50, b), Y, X),
    "logaddexp2": (lambda L, a, b: L.logaddexp2(a, b), Y, X),
    "lerp_scalar": (lambda L, a, b: L.lerp(a, b, 0.3), Y, X),
    "lerp_high": (lambda L, a, b: a.lerp(b, 0.8), Y, X),
    "lerp_tensor": (lambda L, a, b, w: L.lerp(a, b, w), Y, X, P),
    "fmod": (lambda L, a, b: L.fmod(a, b), Y * 3, POS),
    "remainder": (lambda L, a, b: L.remainder(a, b), Y * 3, POS),
    "remainder_scalar": (lambda L, a: a.remainder(0.7), Y * 3),
    "fmax": (lambda L, a, b: L.fmax(a, b), np.array([1.0, np.nan, 3]), np.array([2.0, 1, np.nan])),
    "fmin": (lambda L, a, b: a.fmin(b), np.array([1.0, np.nan, 3]), np.array([2.0, 1, np.nan])),
    "float_power": (lambda L, a, b: L.float_power(a, b), POS, Y),
    "addcmul": (lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), Y, X, POS),
    "addcdiv": (lambda L, a, b, c: a.addcdiv(b, c, value=-2), Y, X, POS),
    "polygamma": (lambda L, a: L.polygamma(2, a), POS),
    "logit_eps": (lambda L, a: L.logit(a, eps=0.1), P),
    "round_decimals": (lambda L, a: L.round(a * 100, decimals=1), Y),
    "clamp_min": (lambda L, a: a.clamp_min(0.1), Y),
    "clamp_max": (lambda L, a: a.clamp_max(0.1), Y),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_and_more_match_torch(torch, name):
    fn, *arrays = BINARY[name]
    check(fn, *arrays, torch=torch, name=name)


def test_no_grad_functions_match_torch(torch):
    a = np.array([[0, 1, 2, -3], [4, 0, -1, 7]])
    b = np.array([[1, 1, 0, 3], [2, 0, 5, 7]])
    f = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 0.0])
    cases = [
        (lambda L, x, y: L.logical_and(x, y), a, b),
        (lambda L, x, y: x.logical_or(y), a, b),
        (lambda L, x, y: L.logical_xor(x, y), a, b),
        (lambda L, x: L.logical_not(x), a),
        (lambda L, x, y: L.bitwise_and(x, y), a, b),
        (lambda L, x, y: x.bitwise_or(y), a, b),
        (lambda L, x, y: L.bitwise_xor(x, y), a, b),
        (lambda L, x: L.bitwise_not(x), a),
        (lambda L, x: L.bitwise_not(x > 0), a),
        (lambda L, x: L.bitwise_left_shift(x, 2), a),
        (lambda L, x, y: L.eq(x, y), a, b),
        (lambda L, x, y: L.ge(x, y), a, b),
        (lambda L, x, y: L.greater(x, y), a, b),
        (lambda L, x, y: L.not_equal(x, y), a, b),
        (lambda L, x: L.isinf(x), f),
        (lambda L, x: L.isposinf(x), f),
        (lambda L, x: L.isneginf(x), f),
        (lambda L, x: L.isnan(x), f),
        (lambda L, x: L.isfinite(x), f),
        (lambda L, x: L.signbit(x), f),
        (lambda L, x: L.isreal(x), f),
        (lambda L, x: L.nonzero(x), a),
        (lambda L, x: L.nonzero(x, as_tuple=True), a),
        (lambda L, x: L.argwhere(x), a),
        (lambda L, x: L.count_nonzero(x, dim=1), a),
        (lambda L, x, y: L.isclose(x.double(), y.double() + 1e-9), a, b),
        (lambda L, x, y: L.allclose(x.double(), y.double()), a, a),
        (lambda L, x, y: L.allclose(x.double(), y.double()), a, b),
        (lambda L, x: L.isclose(x, x, equal_nan=True), f),
        (lambda L, x, y: L.equal(x, y), a, a),
        (lambda L, x, y: L.equal(x, y), a, b),
        (lambda L, x: L.equal(x, x[:1]), a),
        (lambda L, x: L.floor(x), a),
        (lambda L, x: L.remainder(x, 3), a),
        (lambda L, x: L.fmod(x, 3), a),
        (lambda L, x: L.floor_divide(x, 3), a),
        (lambda L, x: x.true_divide(3), a),
        (lambda L, x: L.is_nonzero(x[:1, :1]), b),
    ]
    for i, (fn, *arrays) in enumerate(cases):
        check(fn, *arrays, grad=False, torch=torch, name=f"case {i}")


def test_grad_fn_names(torch):
    for name in ("tan", "asin", "erf", "log2", "floor", "round", "trunc", "logit"):
        t = getattr(torch, name)(torch.tensor(P, requires_grad=True))
        o = getattr(ag, name)(ag.tensor(P, requires_grad=True))
        assert o.grad_fn.name() == type(t.grad_fn).__name__, name
    for name in ("atan2", "hypot", "fmod", "remainder", "xlogy"):
        t = getattr(torch, name)(torch.tensor(P, requires_grad=True), torch.tensor(POS))
        o = getattr(ag, name)(ag.tensor(P, requires_grad=True), ag.tensor(POS))
        assert o.grad_fn.name() == type(t.grad_fn).__name__, name


ERRORS = [
    (lambda L: L.bitwise_and(L.zeros(2), L.zeros(2)), "not implemented for 'Float'"),
    (lambda L: L.bitwise_not(L.zeros(2)), None),
    (lambda L: L.isclose(L.zeros(2), L.zeros(2, dtype=L.float64)), None),
    (lambda L: L.lerp(L.zeros(2), L.ones(2), L.ones(2, dtype=L.float64)), "weight"),
    (lambda L: L.is_nonzero(L.zeros(2)), "more than one value"),
    (lambda L: L.remainder(L.tensor([1]), L.tensor([0])), "ZeroDivisionError"),
    (lambda L: L.polygamma(-1, L.ones(2)), None),
    (lambda L: L.addcdiv(L.zeros(2), L.tensor([1, 2]), L.tensor([1, 2])), "Integer division"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_pytorchs(torch, case):
    fn, match = ERRORS[case]
    same_error(fn, torch=torch, match=match)
