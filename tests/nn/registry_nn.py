"""Gradient-test registry rows for ``nn`` (``NN_SPECS``, loaded by ``registry.py``): the fused
loss nodes of ``autograd_engine/ops/loss.py``, ``Linear``, and the losses and layers composed
from engine ops, checked against float64 central differences (and at second order where smooth)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from registry import OpSpec

import autograd_engine as ag
import nn.functional as F
from autograd_engine.ops import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    Fold,
    Linear,
    SoftmaxCrossEntropy,
    Unfold,
)

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _target(x, array):
    return ag.tensor(array, device=x.device)


@st.composite
def class_case(draw, extra_dims: bool = True, ignore: bool = True):
    """Logits shape (N, C), (N, C, d) or (C,) with int64 class targets, some ignored."""
    c = draw(st.integers(2, 4))
    layout = draw(st.sampled_from(["nc", "ncd", "c"] if extra_dims else ["nc", "c"]))
    n = draw(st.integers(1, 3))
    shape = {"nc": (n, c), "ncd": (n, c, draw(st.integers(1, 3))), "c": (c,)}[layout]
    t_shape = shape[:1] + shape[2:] if layout != "c" else ()
    target = np.asarray(
        draw(
            st.lists(
                st.integers(0, c - 1),
                min_size=int(np.prod(t_shape)),
                max_size=int(np.prod(t_shape)),
            )
        )
    ).reshape(t_shape)
    ignore_index = -100
    if ignore and target.ndim and target.size > 1 and draw(st.booleans()):
        ignore_index = int(target.reshape(-1)[0])  # ignore one class (others remain)
        if (target == ignore_index).all():
            ignore_index = -100
    return (shape,), {"target": target, "reduction": draw(REDUCTIONS), "ignore_index": ignore_index}


@st.composite
def weighted_case(draw):
    shapes, kwargs = draw(class_case())
    c = shapes[0][1] if len(shapes[0]) > 1 else shapes[0][0]
    kwargs["weight"] = np.array(draw(st.lists(st.floats(0.5, 2.0), min_size=c, max_size=c)))
    kwargs["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.4]))
    return shapes, kwargs


@st.composite
def same_shapes(draw, n: int, last_broadcast: bool = False):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    shapes = (shape,) * n
    if last_broadcast:
        shapes += ((shape[-1],),)
    return shapes, {"reduction": draw(REDUCTIONS)}


def _cross_entropy(x, target, reduction, ignore_index, **kw):
    return F.cross_entropy(
        x, _target(x, target), reduction=reduction, ignore_index=ignore_index, **kw
    )


def _cross_entropy_weighted(x, target, reduction, ignore_index, weight, label_smoothing):
    return F.cross_entropy(
        x,
        _target(x, target),
        weight=ag.tensor(weight, device=x.device),
        reduction=reduction,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )


def _nll(x, target, reduction, ignore_index):
    return F.nll_loss(
        x.log_softmax(0 if x.ndim == 1 else 1),
        _target(x, target),
        reduction=reduction,
        ignore_index=ignore_index,
    )


@st.composite
def margin_case(draw):
    """Scores (N, C) whose hinge terms stay away from the kink at margin - x_y + x_i = 0."""
    shapes, kwargs = draw(class_case(extra_dims=False, ignore=False))
    kwargs.pop("ignore_index")
    kwargs["p"] = draw(st.sampled_from([1, 2]))
    kwargs["margin"] = draw(st.sampled_from([1.0, 0.5]))
    return shapes, kwargs


def _no_hinge_kink(arrays, **_) -> bool:
    x = arrays[0]
    x2 = x.reshape(-1, x.shape[-1])
    diffs = x2[:, :, None] - x2[:, None, :]
    return bool(
        np.all(np.abs(np.abs(diffs) - 1.0) > 1e-2)
        and np.all(np.abs(diffs - 0.5) > 1e-2)
        and np.all(np.abs(diffs + 0.5) > 1e-2)
    )


@st.composite
def linear_case(draw):
    """x of shape (*, in) with 0 to 2 leading dims, W (out, in), and a bias or not."""
    n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shapes = ((*lead, n_in), (n_out, n_in))
    if draw(st.booleans()):
        shapes += ((n_out,),)
    return shapes, {}


NN_SPECS: list[OpSpec] = [
    OpSpec(
        "nn_cross_entropy_fused",
        _cross_entropy,
        (SoftmaxCrossEntropy,),
        case=class_case(),
        domain=(-3.0, 3.0),
    ),
    OpSpec(
        "nn_cross_entropy_weighted_smoothed",
        _cross_entropy_weighted,
        (),
        case=weighted_case(),
        domain=(-3.0, 3.0),
    ),
    OpSpec(
        "nn_cross_entropy_probabilities",
        lambda x, t, reduction: F.cross_entropy(
            x, t.softmax(-1), reduction=reduction, label_smoothing=0.2
        ),
        (),
        case=st.integers(2, 4).flatmap(
            lambda c: st.tuples(st.integers(1, 3), REDUCTIONS).map(
                lambda r: (((r[0], c), (r[0], c)), {"reduction": r[1]})
            )
        ),
    ),
    OpSpec("nn_nll_loss", _nll, (), case=class_case(), domain=(-3.0, 3.0)),
    OpSpec(
        "nn_binary_cross_entropy",
        lambda x, t, reduction: F.binary_cross_entropy(x, t, reduction=reduction),
        (BinaryCrossEntropy,),
        domain=((0.05, 0.95), (0.0, 1.0)),
        case=same_shapes(2),
    ),
    OpSpec(
        "nn_bce_with_logits",
        lambda x, t, reduction: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        (BinaryCrossEntropyWithLogits,),
        domain=((-4.0, 4.0), (0.0, 1.0)),
        case=same_shapes(2),
    ),
    OpSpec(
        "nn_bce_with_logits_pos_weight",
        lambda x, t, w, pw, reduction: F.binary_cross_entropy_with_logits(
            x, t, weight=w, pos_weight=pw, reduction=reduction
        ),
        (BinaryCrossEntropyWithLogits,),
        domain=((-4.0, 4.0), (0.0, 1.0), (0.5, 2.0), (0.5, 3.0)),
        case=same_shapes(3, last_broadcast=True),
    ),
    OpSpec(
        "nn_multi_margin_loss",
        lambda x, target, reduction, p, margin: F.multi_margin_loss(
            x, _target(x, target), p=p, margin=margin, reduction=reduction
        ),
        (),
        case=margin_case(),
        valid=_no_hinge_kink,
        second_order=False,
    ),
    OpSpec(
        "nn_kl_div",
        lambda x, t, reduction, log_target: F.kl_div(
            x, t.log() if log_target else t, reduction=reduction, log_target=log_target
        ),
        (),
        domain=((-3.0, 0.0), (0.05, 1.0)),
        case=same_shapes(2).flatmap(
            lambda r: st.tuples(st.sampled_from(["sum", "batchmean", "none"]), st.booleans()).map(
                lambda k: (r[0], {"reduction": k[0], "log_target": k[1]})
            )
        ),
    ),
    OpSpec(
        "nn_huber_loss",
        lambda x, t, reduction: F.huber_loss(x, t, reduction=reduction, delta=0.7),
        (),
        case=same_shapes(2),
        valid=lambda a: bool(np.all(np.abs(np.abs(a[0] - a[1]) - 0.7) > 1e-2)),
    ),
    OpSpec(
        "nn_smooth_l1_loss",
        lambda x, t, reduction: F.smooth_l1_loss(x, t, reduction=reduction, beta=0.7),
        (),
        case=same_shapes(2),
        valid=lambda a: bool(np.all(np.abs(np.abs(a[0] - a[1]) - 0.7) > 1e-2)),
    ),
    OpSpec(
        "nn_mse_l1_loss",
        lambda x, t, reduction: (
            F.mse_loss(x, t, reduction=reduction) + F.l1_loss(x, t, reduction=reduction)
        ),
        (),
        case=same_shapes(2),
        valid=lambda a: bool(np.all(np.abs(a[0] - a[1]) > 1e-2)),
    ),
    OpSpec("nn_linear", F.linear, (Linear,), case=linear_case()),
    OpSpec(
        "nn_bilinear",
        F.bilinear,
        (),
        case=st.tuples(
            st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)
        ).map(lambda r: (((r[0], r[1]), (r[0], r[2]), (r[3], r[1], r[2]), (r[3],)), {})),
    ),
    OpSpec(
        "nn_prelu",
        F.prelu,
        (),
        case=st.tuples(st.integers(1, 2), st.integers(1, 3), st.booleans()).map(
            lambda r: (((r[0], r[1], 2), (r[1] if r[2] else 1,)), {})
        ),
        kinks=(0.0,),
    ),
    OpSpec(
        "nn_normalize",
        lambda x, dim: F.normalize(x, dim=dim),
        (),
        case=st.lists(st.integers(1, 3), min_size=1, max_size=3).flatmap(
            lambda s: st.integers(-len(s), len(s) - 1).map(lambda d: ((tuple(s),), {"dim": d}))
        ),
        domain=(0.2, 2.0),
    ),
    OpSpec(
        "nn_pad_modes",
        lambda x, pad, mode: F.pad(x, pad, mode=mode),
        (),
        case=st.sampled_from(["reflect", "replicate", "circular"]).flatmap(
            lambda mode: st.tuples(st.integers(2, 4), st.integers(2, 4)).flatmap(
                lambda s: st.tuples(
                    st.integers(0, 1), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)
                ).map(lambda p: (((1, s[0], s[1]),), {"pad": p, "mode": mode}))
            )
        ),
    ),
]


@st.composite
def unfold_case(draw):
    """An image (N, C, H, W) and unfold's arguments with at least one block."""
    kernel = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), 1)
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(dilation[0] * (kernel[0] - 1) + 1, 4))
    w = draw(st.integers(kernel[1], 4))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    kwargs = {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}
    return (shape,), kwargs


def _fold_of_unfold_shape(draw_case):
    """Fold's input: the columns of an unfold case, with the image size to fold back to."""
    return draw_case.map(
        lambda r: (
            (
                (
                    r[0][0][0],
                    r[0][0][1] * r[1]["kernel_size"][0] * r[1]["kernel_size"][1],
                    _blocks(r[0][0][2:], r[1]),
                ),
            ),
            {**r[1], "output_size": r[0][0][2:]},
        )
    )


def _blocks(hw, kw) -> int:
    n = 1
    for d in range(2):
        k, s, p, dl = (kw[a][d] for a in ("kernel_size", "stride", "padding", "dilation"))
        n *= (hw[d] + 2 * p - dl * (k - 1) - 1) // s + 1
    return n


@st.composite
def interpolate_case(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "area"]))
    dims = {"linear": 1, "bilinear": 2}.get(mode, draw(st.integers(1, 2)))
    shape = (1, draw(st.integers(1, 2))) + tuple(draw(st.integers(1, 4)) for _ in range(dims))
    kwargs = {"mode": mode}
    if mode in ("linear", "bilinear"):
        kwargs["align_corners"] = draw(st.booleans())
    if mode != "area" and draw(st.booleans()):
        kwargs["scale_factor"] = draw(st.sampled_from([0.5, 1.5, 2.0]))
        if shape[2:] and min(int(s * kwargs["scale_factor"]) for s in shape[2:]) < 1:
            kwargs["scale_factor"] = 2.0
    else:
        kwargs["size"] = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    return (shape,), kwargs


def _distinct(arrays) -> bool:
    a = arrays[0].reshape(-1)
    return a.size < 2 or bool(np.diff(np.sort(a)).min() > 1e-3)


NN_SPECS += [
    OpSpec("nn_unfold", lambda x, **kw: F.unfold(x, **kw), (Unfold, Fold), case=unfold_case()),
    OpSpec(
        "nn_fold",
        lambda x, **kw: F.fold(x, **kw),
        (Fold, Unfold),
        case=_fold_of_unfold_shape(unfold_case()),
    ),
    OpSpec("nn_interpolate", lambda x, **kw: F.interpolate(x, **kw), (), case=interpolate_case()),
    OpSpec(
        "nn_pixel_shuffle_unshuffle",
        lambda x, r: F.pixel_unshuffle(F.pixel_shuffle(x, r).sin(), r),
        (),
        case=st.sampled_from([1, 2]).map(lambda r: (((1, 2 * r * r, 2, 1),), {"r": r})),
    ),
    OpSpec(
        "nn_adaptive_max_pool2d",
        lambda x, size: F.adaptive_max_pool2d(x, size),
        (),
        case=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)).map(
            lambda r: (((1, 2, r[0], r[1]),), {"size": (r[2], None)})
        ),
        unique=True,
        second_order=False,
    ),
    OpSpec(
        "nn_cosine_similarity",
        lambda a, b, dim: F.cosine_similarity(a, b, dim=dim),
        (),
        case=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(-2, 1)).map(
            lambda r: (((r[0], r[1]), (r[0], r[1])), {"dim": r[2]})
        ),
        domain=(0.2, 2.0),
    ),
    OpSpec(
        "nn_pairwise_distance",
        lambda a, b, p: F.pairwise_distance(a, b, p=p),
        (),
        case=st.tuples(st.integers(1, 3), st.integers(1, 3), st.sampled_from([1.0, 2.0, 3.0])).map(
            lambda r: (((r[0], r[1]), (r[0], r[1])), {"p": r[2]})
        ),
        valid=lambda a: bool(np.all(np.abs(a[0] - a[1] + 1e-6) > 1e-2)),
    ),
]
