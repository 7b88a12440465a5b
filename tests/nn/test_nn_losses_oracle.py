"""Every loss against PyTorch in float64: values and the gradients of the input (and of the
target where PyTorch gives one), every reduction, and the options (weights, ignore_index,
label smoothing, class probabilities, pos_weight, margins, log targets)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from nn_oracle import close

import autograd_engine as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

RNG = np.random.default_rng(99)
REDUCTIONS = ["mean", "sum", "none"]


def run_both(ours, theirs, inputs, grad_of=(0,), rtol=1e-10, atol=1e-12):
    """Call ``ours`` and ``theirs`` on the same inputs (float arrays listed in ``grad_of`` get
    gradients) and compare the values and those gradients."""
    ins, tins = [], []
    for i, a in enumerate(inputs):
        if isinstance(a, np.ndarray):
            need = i in grad_of and a.dtype.kind == "f"
            ins.append(ag.tensor(a, requires_grad=need))
            tins.append(torch.tensor(a, requires_grad=need))
        else:
            ins.append(a)
            tins.append(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, tout = ours(*ins), theirs(*tins)
    close(out, tout, rtol, atol, "loss")
    g = RNG.standard_normal(tout.shape)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    for i in grad_of:
        close(ins[i].grad, tins[i].grad, rtol, atol, f"grad of input {i}")
    return out


def logits(*shape):
    return RNG.standard_normal(shape) * 2


def classes(c, *shape):
    return RNG.integers(0, c, size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss"])
def test_regression_losses(name, reduction):
    x, y = logits(4, 3), logits(4, 3)
    x[0, 0] = y[0, 0]  # the L1 kink: gradient 0, as torch
    run_both(
        getattr(nn, name)(reduction=reduction),
        getattr(tnn, name)(reduction=reduction),
        [x, y],
        grad_of=(0, 1),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses_with_weight(fn, reduction):
    x, y, w = logits(3, 4), logits(3, 4), RNG.random((3, 4)) + 0.1
    run_both(
        lambda a, b, c: getattr(F, fn)(a, b, reduction=reduction, weight=c),
        lambda a, b, c: getattr(TF, fn)(a, b, reduction=reduction, weight=c),
        [x, y, w],
        grad_of=(0, 1),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss(delta, reduction):
    x, y = logits(5, 4), logits(5, 4)
    x[0, :2] = y[0, :2] + np.array([delta, -delta])  # the boundary itself
    run_both(nn.HuberLoss(reduction, delta), tnn.HuberLoss(reduction, delta), [x, y], (0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.4, 0.0])
def test_smooth_l1_loss(beta, reduction):
    x, y = logits(5, 4), logits(5, 4)
    x[0, :2] = y[0, :2] + np.array([beta, -beta])
    run_both(
        nn.SmoothL1Loss(reduction=reduction, beta=beta),
        tnn.SmoothL1Loss(reduction=reduction, beta=beta),
        [x, y],
        (0, 1),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss(reduction, weighted):
    x = RNG.random((4, 3)) * 0.98 + 0.01
    y = RNG.random((4, 3))
    x[0, 0], x[0, 1], y[0, 0], y[0, 1] = 0.0, 1.0, 0.3, 0.6  # log clamped at -100
    w = RNG.random(3) + 0.5 if weighted else None
    ours = nn.BCELoss(weight=None if w is None else ag.tensor(w), reduction=reduction)
    theirs = tnn.BCELoss(weight=None if w is None else torch.tensor(w), reduction=reduction)
    run_both(ours, theirs, [x, y], grad_of=(0,))


def test_bce_loss_target_gradient():
    x, y = RNG.random((3, 2)) * 0.9 + 0.05, RNG.random((3, 2))
    run_both(nn.BCELoss(), tnn.BCELoss(), [x, y], grad_of=(0, 1), rtol=1e-9)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, opts):
    x = logits(4, 3)
    x[0] = [0.0, 200.0, -200.0]  # exact gradient at 0, stable for huge logits
    y = RNG.random((4, 3))
    y[1, 0] = 1.0
    w = RNG.random((4, 3)) + 0.5 if opts in ("weight", "both") else None
    pw = RNG.random(3) * 3 + 0.2 if opts in ("pos_weight", "both") else None

    def make(mod, lib):
        return mod.BCEWithLogitsLoss(
            weight=None if w is None else lib.tensor(w),
            pos_weight=None if pw is None else lib.tensor(pw),
            reduction=reduction,
        )

    out = run_both(make(nn, ag), make(tnn, torch), [x, y], grad_of=(0, 1))
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["nc", "ncd", "ncdd", "c"])
def test_cross_entropy_class_indices_fused(reduction, layout):
    c = 5
    shape = {"nc": (6, c), "ncd": (3, c, 4), "ncdd": (2, c, 3, 2), "c": (c,)}[layout]
    target = classes(c, *((shape[0],) + shape[2:] if layout != "c" else ()))
    x = logits(*shape)
    run_both(
        nn.CrossEntropyLoss(reduction=reduction),
        tnn.CrossEntropyLoss(reduction=reduction),
        [x, target],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("layout", ["nc", "ncd"])
def test_cross_entropy_weight_ignore_index_smoothing(reduction, weighted, smoothing, layout):
    c = 4
    shape = (6, c) if layout == "nc" else (3, c, 5)
    x = logits(*shape)
    target = classes(c, *((shape[0],) + shape[2:]))
    target.reshape(-1)[:3] = 2  # some ignored (ignore_index=2), some kept
    target.reshape(-1)[3] = 1
    w = RNG.random(c) + 0.5 if weighted else None

    def make(mod, lib):
        return mod.CrossEntropyLoss(
            weight=None if w is None else lib.tensor(w),
            ignore_index=2,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    run_both(make(nn, ag), make(tnn, torch), [x, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.3}, {"weight": True}])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3,)])
def test_cross_entropy_class_probabilities(reduction, opts, shape):
    x = logits(*shape)
    dim = 0 if len(shape) == 1 else 1
    p = RNG.random(shape)
    p /= p.sum(dim, keepdims=True)
    kw = {k: v for k, v in opts.items() if k != "weight"}
    w = RNG.random(shape[dim]) + 0.5
    run_both(
        lambda a, b: F.cross_entropy(
            a, b, weight=ag.tensor(w) if opts.get("weight") else None, reduction=reduction, **kw
        ),
        lambda a, b: TF.cross_entropy(
            a, b, weight=torch.tensor(w) if opts.get("weight") else None, reduction=reduction, **kw
        ),
        [x, p],
        grad_of=(0, 1),
    )


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 1.0]])
    out = run_both(nn.CrossEntropyLoss(), tnn.CrossEntropyLoss(), [x, np.array([1, 1])])
    assert np.isfinite(out.numpy())


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x, t = logits(2, 3), np.array([-100, -100])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = F.cross_entropy(ag.tensor(x), ag.tensor(t)).item()
    assert np.isnan(ours) and np.isnan(TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item())


def test_cross_entropy_float32_matches_torch():
    x, t = logits(8, 10).astype(np.float32), classes(10, 8)
    run_both(nn.CrossEntropyLoss(), tnn.CrossEntropyLoss(), [x, t], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("layout", ["nc", "ncd", "c"])
def test_nll_loss(reduction, weighted, layout):
    c = 4
    shape = {"nc": (5, c), "ncd": (2, c, 3), "c": (c,)}[layout]
    x = logits(*shape)
    target = classes(c, *((shape[0],) + shape[2:] if layout != "c" else ()))
    if layout != "c":
        target.reshape(-1)[0] = -1
    w = RNG.random(c) + 0.5 if weighted else None

    def make(mod, lib):
        return mod.NLLLoss(
            weight=None if w is None else lib.tensor(w), ignore_index=-1, reduction=reduction
        )

    run_both(make(nn, ag), make(tnn, torch), [x, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, 2.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, margin, weighted):
    x, t = logits(6, 4), classes(4, 6)
    x[0, :2] = [0.5, 0.5 - margin]  # a hinge exactly at its kink (zero gradient, as torch)
    t[0] = 0
    w = RNG.random(4) + 0.5 if weighted else None

    def make(mod, lib):
        return mod.MultiMarginLoss(
            p=p, margin=margin, reduction=reduction, weight=None if w is None else lib.tensor(w)
        )

    run_both(make(nn, ag), make(tnn, torch), [x, t])


def test_multi_margin_loss_unbatched_and_docs_example():
    x = np.array([0.1, 0.2, 0.4, 0.8])
    run_both(nn.MultiMarginLoss(), tnn.MultiMarginLoss(), [x, np.array(3)])
    out = nn.MultiMarginLoss()(ag.tensor([[0.1, 0.2, 0.4, 0.8]]), ag.tensor([3]))
    assert abs(out.item() - 0.325) < 1e-6  # PyTorch's documented example


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(RNG.dirichlet(np.ones(4), size=3))
    t = RNG.dirichlet(np.ones(4), size=3)
    t[0, 1] = 0.0  # 0 log 0 = 0
    if log_target:
        t = np.log(t + 0.01)
    kw = {"reduction": reduction, "log_target": log_target}
    run_both(
        nn.KLDivLoss(**kw), tnn.KLDivLoss(**kw), [x, t], grad_of=(0, 1) if log_target else (0,)
    )
    if not log_target:
        # The target's gradient where target > 0; at target = 0 PyTorch gives nan (0 / 0 in
        # xlogy's backward) and we give the finite -input.
        at, tt = ag.tensor(t, requires_grad=True), torch.tensor(t, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.kl_div(ag.tensor(x), at, **kw).sum().backward()
            TF.kl_div(torch.tensor(x), tt, **kw).sum().backward()
        mask = t > 0
        close(at.grad.numpy()[mask], tt.grad.numpy()[mask], what="target grad")
        assert np.isfinite(at.grad.numpy()).all()


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(ag.zeros(2, 3), ag.ones(2, 3) / 3)


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True)])
def test_legacy_size_average_and_reduce(size_average, reduce):
    x, y = logits(3, 2), logits(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.MSELoss(size_average=size_average, reduce=reduce)
        theirs = tnn.MSELoss(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    run_both(ours, theirs, [x, y])
