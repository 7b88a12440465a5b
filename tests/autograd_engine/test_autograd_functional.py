"""``autograd.functional`` against ``torch.autograd.functional``: Jacobians, Hessians and the
four products, with tuple inputs and outputs, ``create_graph``, ``strict`` and ``vectorize``."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.autograd import functional as AF

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")
TF = torch.autograd.functional

X = np.array([0.3, -0.7, 1.1])
Y = np.array([[0.5, 2.0], [-1.0, 0.25]])


def _ours(a, requires_grad=False):
    return ag.tensor(a, dtype=ag.float64, requires_grad=requires_grad)


def _theirs(a, requires_grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad)


def _same(ours, theirs):
    """Equal nested tuples of tensors (to 1e-12)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-12)  # fmt: skip


def f_one(x):
    return (x * x).sin() * x.sum()


def f_two_in(x, y):
    return x.exp() * y.sum() + (y * y).sum()


def f_two_out(x, y):
    return x.exp(), (y * x[:2]).sum(dim=1)


def scalar(x):
    return (x**3).sum() + x.prod()


def scalar2(x, y):
    return (x**2).sum() * (y**3).sum()


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("fn, args", [(f_one, (X,)), (f_two_in, (X, Y)), (f_two_out, (X, Y))])
def test_jacobian_matches_torch(fn, args, vectorize):
    ours = AF.jacobian(fn, tuple(_ours(a) for a in args) if len(args) > 1 else _ours(args[0]),
                       vectorize=vectorize)  # fmt: skip
    theirs = TF.jacobian(fn, tuple(_theirs(a) for a in args) if len(args) > 1 else
                         _theirs(args[0]), vectorize=vectorize)  # fmt: skip
    _same(ours, theirs)


@pytest.mark.parametrize("fn, args", [(scalar, (X,)), (scalar2, (X, Y))])
def test_hessian_matches_torch(fn, args):
    pack_o = tuple(_ours(a) for a in args) if len(args) > 1 else _ours(args[0])
    pack_t = tuple(_theirs(a) for a in args) if len(args) > 1 else _theirs(args[0])
    _same(AF.hessian(fn, pack_o), TF.hessian(fn, pack_t))


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(name):
    ours, theirs = getattr(AF, name), getattr(TF, name)
    if name in ("vjp", "jvp"):
        fn, inputs = f_two_out, (X, Y)
        v = [np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.7])] if name == "vjp" else [X, Y]
    else:
        fn, inputs, v = scalar2, (X, Y), [X[::-1].copy(), Y.T.copy()]
    out = ours(fn, tuple(_ours(a) for a in inputs), tuple(_ours(a) for a in v))
    tout = theirs(fn, tuple(_theirs(a) for a in inputs), tuple(_theirs(a) for a in v))
    _same(out, tout)


def test_single_tensor_inputs_and_default_v_match_torch():
    s = np.array([0.7])
    for name in ("vjp", "jvp", "vhp", "hvp"):
        fn = (lambda t: (t**3).sum()) if name in ("vhp", "hvp") else (lambda t: t.exp())
        _same(getattr(AF, name)(fn, _ours(s)), getattr(TF, name)(fn, _theirs(s)))


def test_create_graph_makes_results_differentiable_like_torch():
    x, tx = _ours(X, True), _theirs(X, True)
    jac = AF.jacobian(f_one, x, create_graph=True)
    tjac = TF.jacobian(f_one, tx, create_graph=True)
    assert jac.requires_grad and tjac.requires_grad
    (g,) = ag.autograd.grad(jac.sum(), x)
    (tg,) = torch.autograd.grad(tjac.sum(), tx)
    _same(g, tg)
    out, hv = AF.hvp(scalar, x, _ours(X), create_graph=True)
    tout, thv = TF.hvp(scalar, tx, _theirs(X), create_graph=True)
    _same(ag.autograd.grad(hv.sum(), x), torch.autograd.grad(thv.sum(), tx))
    plain = AF.jacobian(f_one, x)
    assert not plain.requires_grad


def test_unused_inputs_give_zeros_and_strict_raises_like_torch():
    def partial(x, y):
        return x * 2

    for lib, make in ((AF, _ours), (TF, _theirs)):
        jx, jy = lib.jacobian(partial, (make(X), make(Y)))
        assert float(jy.abs().sum()) == 0.0 and tuple(jy.shape) == (3, 2, 2)
        with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                           "independent of input 1"):  # fmt: skip
            lib.jacobian(partial, (make(X), make(Y)), strict=True)
        with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in "
                           "strict mode"):  # fmt: skip
            lib.vjp(partial, (make(X), make(Y)), make(X), strict=True)
        with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not"):
            lib.jacobian(partial, (make(X), make(Y)), strict=True, vectorize=True)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda lib, m: lib.vjp(f_one, m(X)), "The vector v can only be None if the user-"),
        (lambda lib, m: lib.jvp(f_one, m(X), m(Y)), "v has invalid size: should be"),
        (lambda lib, m: lib.jvp(f_two_in, (m(X), m(Y)), (m(X),)), "v is a tuple of invalid length"),
        (lambda lib, m: lib.hessian(f_one, m(X)), "should contain a single element"),
        (lambda lib, m: lib.hvp(f_two_out, (m(X), m(Y)), (m(X), m(Y))), "should return a single"),
    ],
)
def test_argument_errors_match_torch(call, message):
    for lib, make in ((AF, _ours), (TF, _theirs)):
        with pytest.raises(RuntimeError, match=message):
            call(lib, make)


def test_non_tensor_inputs_raise_type_error_like_torch():
    for lib in (AF, TF):
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            lib.jacobian(f_one, [1.0, 2.0])


def test_forward_mode_strategy_says_it_is_not_implemented():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        AF.jacobian(f_one, _ours(X), strategy="forward-mode")


def test_the_function_closing_over_its_input_is_not_differentiated_through():
    # PyTorch's rule: the inputs are new tensor objects, so a closure over the caller's tensor
    # is a constant.
    x = _ours(X, True)
    tx = _theirs(X, True)
    _same(AF.jacobian(lambda t: t * x, x), TF.jacobian(lambda t: t * tx, tx))
