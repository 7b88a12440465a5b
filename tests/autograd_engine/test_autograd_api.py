"""The ``autograd`` namespace against ``torch.autograd``: ``grad`` (with ``materialize_grads``,
``is_grads_batched``, ``only_inputs``), ``backward``, ``Variable``, the anomaly and grad-mode
names, and the forward-mode names that raise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import autograd

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _pair(a=A):
    return (
        ag.tensor(a, dtype=ag.float64, requires_grad=True),
        torch.tensor(a, dtype=torch.float64, requires_grad=True),
    )


def test_reachable_after_a_bare_import():
    code = (
        "import autograd_engine as torch\n"
        "x = torch.ones(2, requires_grad=True)\n"
        "print(torch.autograd.grad((x * 3).sum(), x)[0].tolist())\n"
    )
    root = Path(ag.__file__).parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[3.0, 3.0]"
    import autograd_engine.autograd.functional as F  # noqa: F401  (submodule imports work)

    assert ag.autograd is autograd


def test_names_are_torch_autograd_names():
    assert autograd.no_grad is ag.no_grad and autograd.enable_grad is ag.enable_grad
    assert autograd.set_grad_enabled is ag.set_grad_enabled
    assert autograd.detect_anomaly is ag.detect_anomaly
    assert autograd.set_detect_anomaly is ag.set_detect_anomaly
    assert autograd.gradcheck is ag.gradcheck and autograd.gradgradcheck is ag.gradgradcheck
    assert autograd.function.once_differentiable is autograd.once_differentiable
    assert autograd.graph.Node is ag.Node
    x = ag.ones(2, requires_grad=True)
    assert isinstance((x * 2).grad_fn, autograd.graph.Node)


def test_grad_matches_torch_with_grad_outputs_and_create_graph():
    x, tx = _pair()
    v = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    y, ty = (x * x).sin(), (tx * tx).sin()
    (g,) = autograd.grad(y, x, ag.tensor(v, dtype=ag.float64), create_graph=True)
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(v), create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
    (h,) = autograd.grad(g.sum(), x)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)


def test_grad_materialize_grads_matches_torch():
    x, tx = _pair()
    w = ag.ones(4, dtype=ag.float64, requires_grad=True)
    tw = torch.ones(4, dtype=torch.float64, requires_grad=True)
    gx, gw = autograd.grad((x * 2).sum(), (x, w), materialize_grads=True)
    tgx, tgw = torch.autograd.grad((tx * 2).sum(), (tx, tw), materialize_grads=True)
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())
    np.testing.assert_array_equal(gw.numpy(), tgw.numpy())
    for lib, a, b in ((autograd, x, w), (torch.autograd, tx, tw)):
        with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed"):
            lib.grad((a * 2).sum(), (a, b), materialize_grads=True, allow_unused=False)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.grad((a * 2).sum(), (a, b))
        assert lib.grad((a * 2).sum(), (a, b), allow_unused=True)[1] is None


def test_grad_is_grads_batched_matches_torch():
    x, tx = _pair()
    eye = np.eye(6).reshape(6, 2, 3)
    (j,) = autograd.grad(x.exp(), x, ag.tensor(eye), is_grads_batched=True)
    (tj,) = torch.autograd.grad(tx.exp(), tx, torch.tensor(eye), is_grads_batched=True)
    assert tuple(j.shape) == tuple(tj.shape) == (6, 2, 3)
    np.testing.assert_allclose(j.numpy(), tj.numpy(), rtol=1e-12)
    for lib, a, t in ((autograd, x, ag.ones(3)), (torch.autograd, tx, torch.ones(3))):
        with pytest.raises(RuntimeError, match="we interpret the first dimension of each"):
            lib.grad(a.exp(), a, t, is_grads_batched=True)


def test_grad_only_inputs_is_deprecated_like_torch():
    x, tx = _pair()
    for lib, a in ((autograd, x), (torch.autograd, tx)):
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            lib.grad((a * 2).sum(), a, only_inputs=False)


def test_grad_errors_match_torch():
    x, tx = _pair()
    for lib, a, other in ((autograd, x, ag.ones(2)), (torch.autograd, tx, torch.ones(2))):
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.grad((a * 2).sum(), other)
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            lib.grad(a * 2, a, a.new_ones(3))
        with pytest.raises(TypeError):
            lib.grad((a * 2).sum(), 3)


def test_backward_matches_torch_with_inputs_and_grad_variables():
    x, tx = _pair()
    w, tw = _pair(A[::-1].copy())
    autograd.backward([(x * w).sum(), (x * x).sum()], inputs=[x])
    torch.autograd.backward([(tx * tw).sum(), (tx * tx).sum()], inputs=[tx])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert w.grad is None and tw.grad is None
    for lib, a in ((autograd, x), (torch.autograd, tx)):
        with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be"):
            lib.backward((a * 2).sum(), inputs=[])
        with pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
            lib.backward([(a * 2).sum()], grad_variables=[a.new_tensor(1.0)])


def test_variable_is_the_legacy_tensor_constructor():
    t, tt = ag.ones(2), torch.ones(2)
    v = autograd.Variable(t, requires_grad=True)
    tv = torch.autograd.Variable(tt, requires_grad=True)
    for a, b in ((v, t), (tv, tt)):
        assert type(a) is type(b) and a is not b
        assert a.requires_grad and a.is_leaf
    t.add_(1)
    tt.add_(1)
    np.testing.assert_array_equal(v.detach().numpy(), tv.detach().numpy())  # memory is shared
    assert isinstance(t, autograd.Variable) and not isinstance(3, autograd.Variable)
    w = autograd.Variable(v * 2)
    assert not w.requires_grad and w.grad_fn is None
    assert autograd.Variable().shape == torch.autograd.Variable().shape
    for lib in (autograd, torch.autograd):
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.Variable([1.0, 2.0])
        with pytest.warns(UserWarning, match="volatile was removed and now has no effect"):
            lib.Variable(lib.Variable(), volatile=True)
    with pytest.raises(RuntimeError, match="floating point"):
        autograd.Variable(ag.ones(2, dtype=ag.int64), requires_grad=True)


def test_forward_mode_names_raise_and_point_to_functional_jvp():
    from autograd_engine.autograd import forward_ad

    x = ag.ones(2)
    for call in (
        lambda: forward_ad.dual_level(),
        lambda: forward_ad.make_dual(x, x),
        lambda: forward_ad.unpack_dual(x),
    ):
        with pytest.raises(NotImplementedError, match="functional.jvp"):
            call()


def test_gradcheck_takes_torchs_options():
    from autograd_engine.autograd import Function

    x = ag.randn(3, dtype=ag.float64, requires_grad=True)
    tx = torch.tensor(x.numpy(), requires_grad=True)

    def noisy(lib):
        class Noisy(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * (2 + lib.tensor(np.random.default_rng().normal(size=3) * 1e-9))

        return Noisy

    for lib, a in ((autograd, x), (torch.autograd, tx)):
        fn = noisy(ag if lib is autograd else torch)
        with pytest.raises(Exception, match="Backward is not reentrant"):
            lib.gradcheck(fn.apply, (a,))
        assert lib.gradcheck(fn.apply, (a,), nondet_tol=1e-6)
        assert lib.gradgradcheck(lambda t: (t * t).sin(), (a,), gen_non_contig_grad_outputs=True)
        assert lib.gradcheck(lambda t: t.exp(), (a,), fast_mode=True, check_undefined_grad=False)

    class WrongDtype(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    assert autograd.gradcheck(WrongDtype.apply, (x,), check_grad_dtypes=True)  # cast: passes
    for option in ("check_forward_ad", "check_batched_grad", "check_batched_forward_grad"):
        with pytest.raises(NotImplementedError, match=option):
            autograd.gradcheck(lambda t: t.exp(), (x,), **{option: True})
    with pytest.raises(NotImplementedError, match="check_fwd_over_rev"):
        autograd.gradgradcheck(lambda t: t.exp(), (x,), check_fwd_over_rev=True)
