"""Saved-tensor hooks (``autograd.graph``) against ``torch.autograd.graph``: gradients under
hooks equal those without (first and second order), what the hooks see for a Function's saved
tensors, nesting, the errors, ``save_on_cpu`` and ``disable_saved_tensors_hooks``."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import autograd
from autograd_engine.autograd.graph import (
    disable_saved_tensors_hooks,
    increment_version,
    save_on_cpu,
    saved_tensors_hooks,
)

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

X = np.array([0.3, -1.2, 2.0])


def _pair():
    return (
        ag.tensor(X, dtype=ag.float64, requires_grad=True),
        torch.tensor(X, dtype=torch.float64, requires_grad=True),
    )


def model(x):
    h = (x * 1.5).tanh()
    return (h * x.exp()).sum() + (h * h).mean()


def _grads(lib, x, hooks=None):
    import contextlib

    with hooks or contextlib.nullcontext():
        y = model(x)
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), x)
    return g.detach().numpy(), h.numpy()


def _copying(lib):
    def pack(t):
        return t.detach().clone()

    return lib.autograd.graph.saved_tensors_hooks(pack, lambda p: p)


@pytest.mark.parametrize("kind", ["copy", "identity", "save_on_cpu"])
def test_gradients_under_hooks_equal_those_without_and_torch(kind):
    x, tx = _pair()
    plain = _grads(ag, x)
    hooks = {
        "copy": _copying(ag),
        "identity": saved_tensors_hooks(lambda t: t, lambda t: t),
        "save_on_cpu": save_on_cpu(pin_memory=True),
    }[kind]
    hooked = _grads(ag, x, hooks)
    theirs = _grads(torch, tx, _copying(torch))
    for a, b, c in zip(plain, hooked, theirs):
        np.testing.assert_allclose(b, a, rtol=1e-12)
        np.testing.assert_allclose(b, c, rtol=1e-12)


def _function(lib):
    class ExpMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            y = x.exp() * w
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            ExpMul.unpacked = [(t.requires_grad, t.grad_fn is not None) for t in (x, y)]
            return g * y, None

    return ExpMul


def test_function_saved_tensors_go_through_the_hooks_like_torch():
    x, tx = _pair()
    log, tlog = [], []

    def hooks(lib, sink):
        def pack(t):
            sink.append(("pack", tuple(t.shape), t.requires_grad, t.grad_fn is not None))
            return t.detach().clone()

        def unpack(p):
            sink.append(("unpack", tuple(p.shape)))
            return p

        return lib.autograd.graph.saved_tensors_hooks(pack, unpack)

    fn, tfn = _function(ag), _function(torch)
    z, tz = x * 1, tx * 1
    with hooks(ag, log):
        y = fn.apply(z, 2.0)
    with hooks(torch, tlog):
        ty = tfn.apply(tz, 2.0)
    assert log == tlog
    log.clear(), tlog.clear()
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    assert log == tlog == [("unpack", (3,)), ("unpack", (3,))]
    assert fn.unpacked == tfn.unpacked == [(True, True), (True, True)]
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    (h,), (th,) = autograd.grad(g.sum(), x), torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)


def test_unpacked_leaf_still_receives_its_gradient():
    x, tx = _pair()
    with _copying(ag):
        y = (x * x).sum()  # saves the leaf twice
    y.backward()
    with _copying(torch):
        ty = (tx * tx).sum()
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_innermost_hooks_apply_and_restore_on_exit():
    x, _ = _pair()
    seen = []
    outer = saved_tensors_hooks(lambda t: ("outer", t), lambda p: p[1])
    inner = saved_tensors_hooks(lambda t: (seen.append("inner"), t)[1], lambda p: p)
    with outer:
        with inner:
            y = x.exp()
        z = x.exp()
    assert seen == ["inner"]
    assert y.grad_fn._saved[0].packed is not None and z.grad_fn._saved[0].packed[0] == "outer"
    w = x.exp()
    assert w.grad_fn._unpack is None  # no hooks outside
    (y.sum() + z.sum() + w.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(X))


def test_with_hooks_the_in_place_check_does_not_apply_like_torch():
    # PyTorch: hooks decide what is kept; an identity pack sees the later write.
    x, tx = _pair()
    for lib, leaf in ((autograd, x), (torch.autograd, tx)):
        z = leaf * 1
        with lib.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = z * leaf
        z.add_(1)
        y.sum().backward()  # no error
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("kind", ["identity", "save_on_cpu", "detached alias"])
def test_in_place_op_under_hooks_keeps_the_value_it_needs(kind):
    x, tx = _pair()
    w, tw = _pair()
    for lib, a, b in ((autograd, x, w), (torch.autograd, tx, tw)):
        if kind == "identity":
            hooks = lib.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
        elif kind == "save_on_cpu":
            hooks = lib.graph.save_on_cpu()
        else:
            hooks = lib.graph.saved_tensors_hooks(lambda t: t.detach(), lambda t: t)
        with hooks:
            z = a * 1
            z.mul_(b)  # the gradient of b needs z's old value
        (z * z).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_hook_errors_match_torch():
    x, tx = _pair()
    for lib, leaf in ((autograd, x), (torch.autograd, tx)):

        def bad_pack(t):
            t.add_(1)
            return t

        z = leaf * 1
        with lib.graph.saved_tensors_hooks(bad_pack, lambda p: p):
            with pytest.raises(RuntimeError, match="A saved tensor pack hook is modifying its "):
                z * z
        with lib.graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
            y = leaf.exp()
        with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result "
                           "of type int"):  # fmt: skip
            y.sum().backward()
        with lib.graph.disable_saved_tensors_hooks("no hooks in this region"):
            with pytest.raises(RuntimeError, match="no hooks in this region"):
                with lib.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass


def test_disable_saved_tensors_hooks_as_decorator():
    @disable_saved_tensors_hooks("not here")
    def f():
        with saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    with pytest.raises(RuntimeError, match="not here"):
        f()
    with saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again outside
        pass


def test_save_on_cpu_on_the_cpu_keeps_the_values():
    x, _ = _pair()
    with save_on_cpu():
        y = (x.exp() * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X) * (1 + X), rtol=1e-12)


def test_increment_version_makes_saved_tensors_stale_like_torch():
    x, tx = _pair()
    for lib, leaf in ((autograd, x), (torch.autograd, tx)):
        z = leaf * 1
        y = (z * z).sum()
        v = z._version
        lib.graph.increment_version(z)
        assert z._version == v + 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
    increment_version([x * 1, x * 2])
