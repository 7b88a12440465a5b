"""``autograd.Function`` against ``torch.autograd.Function``: the same Function source runs on
both libraries (``lib`` is ``torch`` or ``autograd_engine``), and values, gradients, second
derivatives, what ``backward`` receives, and the errors must agree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import autograd
from autograd_engine.autograd import Function

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

X = np.array([0.3, -1.2, 2.0])


def _pair(a=X, requires_grad=True):
    return (
        ag.tensor(a, dtype=ag.float64, requires_grad=requires_grad),
        torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad),
    )


def _np(t):
    return None if t is None else t.detach().numpy()


def _close(ours, theirs, **kw):
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-12, atol=1e-12, **kw)


# --- Functions written once, for both libraries ------------------------------------------------
def exp_scaled(lib):
    class ExpScaled(lib.autograd.Function):
        seen = {}

        @staticmethod
        def forward(ctx, x, k):
            ExpScaled.seen["fwd_needs"] = ctx.needs_input_grad
            ExpScaled.seen["fwd_grad_mode"] = lib.is_grad_enabled()
            y = x.exp() * k
            ctx.k = k
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            ExpScaled.seen["bwd_needs"] = ctx.needs_input_grad
            x, y = ctx.saved_tensors
            return g * y, None

    return ExpScaled


def cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    return Cube


def two_outputs(lib, materialize=True):
    class TwoOut(lib.autograd.Function):
        received = []

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            return x * 2, x.sin()

        @staticmethod
        def backward(ctx, g1, g2):
            TwoOut.received.append((_np(g1), _np(g2)))
            (x,) = ctx.saved_tensors
            out = x * 0
            if g1 is not None:
                out = out + 2 * g1
            if g2 is not None:
                out = out + x.cos() * g2
            return out

    return TwoOut


def sort_values(lib):
    class Sort(lib.autograd.Function):
        received = []

        @staticmethod
        def forward(ctx, x):
            idx = x.argsort() if lib is torch else lib.tensor(np.argsort(x.numpy()))
            values = x[idx]
            ctx.mark_non_differentiable(idx)
            ctx.idx = idx
            ctx.n = x.shape[0]
            return values, idx, "note"

        @staticmethod
        def backward(ctx, g, g_idx, g_note):
            Sort.received.append((_np(g_idx), g_note))
            out = [0.0] * ctx.n
            for pos, i in enumerate(ctx.idx.tolist()):
                out[i] = g[pos]
            return lib.stack(out)

    return Sort


def scale_inplace(lib):
    class ScaleInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return ScaleInplace


def identity(lib):
    class Identity(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3  # not the true derivative: shows which backward ran

    return Identity


def setup_style(lib):
    class Mul(lib.autograd.Function):
        inputs = []

        @staticmethod
        def forward(x, k=5.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            Mul.inputs.append(len(inputs))
            ctx.k = inputs[1]
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * ctx.k, None

    return Mul


def once(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            Square.grad_mode = lib.is_grad_enabled()
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Square


# --- values and gradients -----------------------------------------------------------------------
def test_forward_backward_and_ctx_flags_match_torch():
    x, tx = _pair()
    ours, theirs = exp_scaled(ag), exp_scaled(torch)
    y, ty = ours.apply(x, 1.5), theirs.apply(tx, 1.5)
    _close(y, ty)
    assert y.requires_grad and y.grad_fn is not None and y.grad_fn.name() == "ExpScaledBackward"
    assert isinstance(y.grad_fn, ours._backward_cls)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    _close(x.grad, tx.grad)
    for key in ("fwd_needs", "fwd_grad_mode", "bwd_needs"):
        assert ours.seen[key] == theirs.seen[key], key


def test_double_backward_through_tensor_op_backward_matches_torch():
    x, tx = _pair()
    (g,) = autograd.grad(cube(ag).apply(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(cube(torch).apply(tx).sum(), tx, create_graph=True)
    _close(g, tg)
    (h,) = autograd.grad((g * g).sum(), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    _close(h, th)


def test_saved_output_carries_the_function_for_double_backward():
    x, tx = _pair()
    y, ty = exp_scaled(ag).apply(x, 2.0), exp_scaled(torch).apply(tx, 2.0)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    assert g.requires_grad
    (h,) = autograd.grad(g.sum(), x)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    _close(h, th)


@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("use", ["both", "first", "second"])
def test_several_outputs_and_materialized_grads_match_torch(use, materialize):
    x, tx = _pair()
    ours, theirs = two_outputs(ag, materialize), two_outputs(torch, materialize)
    (a, b), (ta, tb) = ours.apply(x), theirs.apply(tx)
    _close(a, ta)
    _close(b, tb)
    loss = {"both": a.sum() + (b * b).sum(), "first": a.sum(), "second": (b * b).sum()}[use]
    tloss = {"both": ta.sum() + (tb * tb).sum(), "first": ta.sum(), "second": (tb * tb).sum()}[use]
    loss.backward()
    tloss.backward()
    _close(x.grad, tx.grad)
    (got,), (want,) = ours.received, theirs.received
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(g, w)


def test_several_outputs_second_order_matches_torch():
    x, tx = _pair()
    a, b = two_outputs(ag).apply(x)
    ta, tb = two_outputs(torch).apply(tx)
    (g,) = autograd.grad((a * b).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((ta * tb).sum(), tx, create_graph=True)
    _close(g, tg)
    _close(autograd.grad(g.sum(), x)[0], torch.autograd.grad(tg.sum(), tx)[0])


def test_non_differentiable_and_non_tensor_outputs_match_torch():
    x, tx = _pair()
    ours, theirs = sort_values(ag), sort_values(torch)
    (v, idx, note), (tv, tidx, tnote) = ours.apply(x), theirs.apply(tx)
    assert note == tnote == "note"
    assert v.requires_grad and not idx.requires_grad and idx.grad_fn is None
    assert idx.requires_grad == tidx.requires_grad and v.requires_grad == tv.requires_grad
    (v * ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64)).sum().backward()
    (tv * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    _close(x.grad, tx.grad)
    (g_idx, g_note), (tg_idx, tg_note) = ours.received[0], theirs.received[0]
    assert g_note is None and tg_note is None
    np.testing.assert_array_equal(g_idx, tg_idx)  # zeros for the non-differentiable output
    with pytest.raises(RuntimeError, match="does not require grad"):
        idx.sum().backward()


def test_mark_dirty_rebases_the_input_like_torch():
    x, tx = _pair()
    z, tz = x * 1, tx * 1
    out, tout = scale_inplace(ag).apply(z), scale_inplace(torch).apply(tz)
    assert out is z and tout is tz
    assert z._version == tz._version == 2  # one write in forward, one for mark_dirty
    assert z.grad_fn.name() == "ScaleInplaceBackward"
    _close(z, tz)
    (z * z).sum().backward()
    (tz * tz).sum().backward()
    _close(x.grad, tx.grad)


def test_mark_dirty_errors_match_torch():
    x, tx = _pair()
    for lib, leaf in ((ag, x), (torch, tx)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            scale_inplace(lib).apply(leaf)

    class NotReturned(Function):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="marked as dirty during the forward method were not"):
        NotReturned.apply(x * 1)

    class DirtyOutput(Function):
        @staticmethod
        def forward(ctx, a):
            y = a * 2
            ctx.mark_dirty(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.warns(UserWarning, match="received a tensor that was not an input"):
        y = DirtyOutput.apply(x * 1)
    assert y.requires_grad


def test_mark_dirty_on_a_view_gives_the_base_the_new_history():
    x, tx = _pair()
    base, tbase = x * 1, tx * 1
    scale_inplace(ag).apply(base[1:])
    scale_inplace(torch).apply(tbase[1:])
    _close(base, tbase)
    (base * base).sum().backward()
    (tbase * tbase).sum().backward()
    _close(x.grad, tx.grad)


def test_an_input_returned_as_is_becomes_an_alias_with_the_function_history():
    x, tx = _pair()
    y, ty = identity(ag).apply(x), identity(torch).apply(tx)
    assert y is not x and ty is not tx
    assert y.grad_fn is not None and ty.grad_fn is not None
    y.sum().backward()
    ty.sum().backward()
    _close(x.grad, tx.grad)  # 3: the custom backward ran


def test_setup_context_style_binds_defaults_like_torch():
    x, tx = _pair()
    ours, theirs = setup_style(ag), setup_style(torch)
    ours.apply(x).sum().backward()
    theirs.apply(tx).sum().backward()
    _close(x.grad, tx.grad)
    assert ours.inputs == theirs.inputs == [2]


def test_once_differentiable_runs_without_grad_and_refuses_a_second_derivative():
    x, tx = _pair()
    ours, theirs = once(ag), once(torch)
    y, ty = ours.apply(x), theirs.apply(tx)
    v = ag.ones(3, dtype=ag.float64, requires_grad=True)
    tv = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (g,) = autograd.grad(y, x, v, create_graph=True)
    (tg,) = torch.autograd.grad(ty, tx, tv, create_graph=True)
    _close(g, tg)
    assert ours.grad_mode is theirs.grad_mode is False
    assert g.requires_grad and tg.requires_grad
    for gg in (g, tg):
        with pytest.raises(RuntimeError, match="differentiate twice a function that was marked"):
            gg.sum().backward()


def test_no_graph_without_grad_mode_or_inputs_that_require_grad():
    for lib in (ag, torch):
        x = lib.ones(3, dtype=lib.float64)
        y = cube(lib).apply(x)
        assert not y.requires_grad and y.grad_fn is None
        w = lib.ones(3, dtype=lib.float64, requires_grad=True)
        with lib.no_grad():
            y = cube(lib).apply(w)
        assert not y.requires_grad and y.grad_fn is None


def test_gradient_dtype_is_cast_and_broadcast_gradient_is_summed_like_torch():
    class Wide(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.double().expand(2, 3)  # wider dtype, broadcast shape

    class TWide(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.double().expand(2, 3)

    x = ag.ones(3, requires_grad=True)
    tx = torch.ones(3, requires_grad=True)
    Wide.apply(x).sum().backward()
    TWide.apply(tx).sum().backward()
    assert x.grad.dtype == ag.float32 and tx.grad.dtype == torch.float32
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_hooks_and_retain_grad_on_function_outputs():
    x, tx = _pair()
    a, b = two_outputs(ag).apply(x)
    ta, tb = two_outputs(torch).apply(tx)
    for out in (a, ta):
        out.register_hook(lambda g: g * 10)
    b.retain_grad()
    tb.retain_grad()
    (a.sum() + (b * b).sum()).backward()
    (ta.sum() + (tb * tb).sum()).backward()
    _close(x.grad, tx.grad)
    _close(b.grad, tb.grad)


def test_gradcheck_and_gradgradcheck_on_a_function():
    x = ag.randn(4, dtype=ag.float64, requires_grad=True)
    k = ag.randn(4, dtype=ag.float64, requires_grad=True)
    fn = exp_scaled(ag)
    assert autograd.gradcheck(lambda a: fn.apply(a, 0.7), (x,))
    assert autograd.gradgradcheck(lambda a: fn.apply(a, 0.7), (x,))
    assert autograd.gradgradcheck(lambda a, b: two_outputs(ag).apply(a * b), (x, k))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, g):
            return g * 3  # not 2a

    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradcheck(Wrong.apply, (x,))
    assert autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


# --- errors: PyTorch's kinds and messages -----------------------------------------------------
def _errors(lib):
    class Few(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g

    class NonTensorGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    class BadShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, k, a):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return None, g[:2]

    class NotATensor(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return 3

    class SaveInt(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    class NoBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    class NoForward(lib.autograd.Function):
        pass

    return {
        "few": (lambda x: Few.apply(x, 2.0).sum().backward(), RuntimeError,
                r"function FewBackward returned an incorrect number of gradients \(expected 2, "
                r"got 1\)"),
        "non-tensor": (lambda x: NonTensorGrad.apply(x, 2.0).sum().backward(), RuntimeError,
                       "returned a gradient different than None at position 2, but the "
                       "corresponding forward input was not a Variable"),
        "shape": (lambda x: BadShape.apply(2.0, x).sum().backward(), RuntimeError,
                  r"Function BadShapeBackward returned an invalid gradient at index 0 - got \[2\] "
                  r"but expected shape compatible with \[3\]"),
        "type": (lambda x: NotATensor.apply(x).sum().backward(), RuntimeError,
                 r"expected Variable or None \(got int\)"),
        "save": (lambda x: SaveInt.apply(x), TypeError,
                 "save_for_backward can only save variables, but argument 1 is of type int"),
        "no backward": (lambda x: NoBackward.apply(x).sum().backward(), NotImplementedError,
                        "You must implement either the backward or vjp method"),
        "no forward": (lambda x: NoForward.apply(x), NotImplementedError,
                       "You must implement the forward function"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "case", ["few", "non-tensor", "shape", "type", "save", "no backward", "no forward"]
)
def test_errors_match_torch(case):
    x, tx = _pair()
    ours, theirs = _errors(ag)[case], _errors(torch)[case]
    fn, kind, message = ours
    with pytest.raises(kind, match=message):
        fn(x)
    tfn, tkind, tmessage = theirs
    with pytest.raises(tkind, match=tmessage):
        tfn(tx)


def test_saved_tensors_are_freed_after_backward_like_torch():
    x, tx = _pair()
    y, ty = cube(ag).apply(x), cube(torch).apply(tx)
    y.sum().backward()
    ty.sum().backward()
    for out in (y, ty):
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.grad_fn.saved_tensors  # noqa: B018
    x.grad = None
    y = cube(ag).apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()  # retained: the second pass works
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * X**2)


def test_saved_input_modified_in_place_raises_like_torch():
    x, tx = _pair()
    for lib, leaf in ((ag, x), (torch, tx)):
        z = leaf * 1
        y = cube(lib).apply(z)
        z.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_saved_output_modified_in_place_raises():
    x, _ = _pair()
    y = exp_scaled(ag).apply(x, 1.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_instantiating_warns_and_calling_an_instance_raises_like_torch():
    for lib in (ag, torch):
        fn = cube(lib)
        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            inst = fn()
        with pytest.raises(RuntimeError, match="Legacy autograd function with non-static"):
            inst(lib.ones(2))


def test_both_backward_and_vjp_is_an_error_and_vjp_alone_works():
    class Both(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    class OnlyVjp(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    x, _ = _pair()
    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        Both.apply(x).sum().backward()
    OnlyVjp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_anomaly_mode_shows_where_a_failing_function_was_called():
    class Fails(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    x, _ = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ag.autograd.detect_anomaly():
            y = Fails.apply(x)  # the line the note points at
            with pytest.raises(ValueError, match="broken backward") as info:
                y.sum().backward()
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "FailsBackward" in notes and "y = Fails.apply(x)" in notes


def test_function_can_be_used_inside_a_module_forward_and_keeps_no_cycle():
    import gc
    import weakref

    x, _ = _pair()
    y = exp_scaled(ag).apply(x, 1.0)  # saves its own output
    node = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node() is None  # freed by reference counting: no cycle through the saved output
    finally:
        gc.enable()
