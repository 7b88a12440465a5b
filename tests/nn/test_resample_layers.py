"""Resampling, rearranging, padding, adaptive max pooling, distances and lazy layers against
PyTorch in float64: outputs, input gradients, reprs, and lazy materialization (first call and
``load_state_dict``), plus the error messages."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import close, sync, torch_state_as_arrays

import autograd_engine as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional

RNG = np.random.default_rng(5)
TOL = {"rtol": 1e-9, "atol": 1e-11}


def randn(*shape):
    return RNG.standard_normal(shape)


def check(fn, tfn, *arrays, what=""):
    """``fn`` on our tensors vs ``tfn`` on torch's: outputs and the gradient of every input."""
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(*ours), tfn(*theirs)
    if isinstance(out, tuple):
        for o, t in zip(out[1:], tout[1:]):
            close(o, t, what=f"{what} extra output")
        out, tout = out[0], tout[0]
    close(out, tout, what=what, **TOL)
    g = RNG.standard_normal(tuple(tout.shape))
    (out * ag.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for i, (a, t) in enumerate(zip(ours, theirs)):
        close(a.grad, t.grad, what=f"{what} grad {i}", **TOL)


INTERPOLATE = [
    ((2, 3, 5), {"size": 9, "mode": "nearest"}),
    ((2, 3, 5), {"scale_factor": 1.7, "mode": "nearest"}),
    ((1, 2, 4, 5), {"size": (7, 3), "mode": "nearest"}),
    ((1, 2, 4, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 4, 5), {"scale_factor": (1.5, 0.6), "mode": "nearest-exact"}),
    ((2, 3, 5), {"size": 8, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((1, 2, 4, 5), {"size": (7, 9), "mode": "bilinear"}),
    ((1, 2, 4, 5), {"size": (3, 2), "mode": "bilinear"}),
    ((1, 2, 4, 5), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
    ((1, 2, 4, 5), {"scale_factor": 1.3, "mode": "bilinear", "recompute_scale_factor": True}),
    ((1, 1, 3, 4, 2), {"size": (5, 3, 4), "mode": "trilinear"}),
    ((1, 1, 3, 4, 2), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 7, 5), {"size": (3, 2), "mode": "area"}),
    ((2, 3, 7), {"size": 3, "mode": "area"}),
]


@pytest.mark.parametrize("shape,kwargs", INTERPOLATE, ids=[str(k) for _, k in INTERPOLATE])
def test_interpolate_matches_torch(shape, kwargs):
    check(lambda x: F.interpolate(x, **kwargs), lambda x: tF.interpolate(x, **kwargs),
          randn(*shape), what=str(kwargs))  # fmt: skip


def test_interpolate_float32_nearest_indices_match_torch():
    # PyTorch computes nearest source indices in float32: the same rounding here
    x = RNG.standard_normal((1, 1, 37, 23)).astype(np.float32)
    for size in ((61, 50), (20, 11), (111, 7)):
        out = F.interpolate(ag.tensor(x), size=size).numpy()
        np.testing.assert_array_equal(out, tF.interpolate(torch.tensor(x), size=size).numpy())


def test_upsample_modules_match_torch():
    x = randn(1, 2, 3, 4)
    for ours, theirs in (
        (nn.Upsample(scale_factor=2, mode="bilinear"),
         torch.nn.Upsample(scale_factor=2, mode="bilinear")),
        (nn.UpsamplingNearest2d(size=(5, 7)), torch.nn.UpsamplingNearest2d(size=(5, 7))),
        (nn.UpsamplingBilinear2d(scale_factor=3), torch.nn.UpsamplingBilinear2d(scale_factor=3)),
    ):  # fmt: skip
        check(ours, theirs, x, what=repr(ours))
        assert repr(ours) == repr(theirs)


def test_interpolate_errors():
    x = ag.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, size=3, mode="linear")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, size=3, mode="bicubic")


@pytest.mark.parametrize("r", [2, 3])
def test_pixel_shuffle_and_unshuffle_match_torch(r):
    check(
        lambda x: F.pixel_shuffle(x, r), lambda x: tF.pixel_shuffle(x, r), randn(2, 2 * r * r, 3, 4)
    )
    check(
        lambda x: F.pixel_unshuffle(x, r),
        lambda x: tF.pixel_unshuffle(x, r),
        randn(3, 2 * r, 3 * r),
    )
    check(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), randn(r * r, 2, 2))
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ag.zeros(1, 5, 2, 2), 2)


UNFOLD = [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "stride": (2, 1), "padding": 1, "dilation": (1, 2)},
]


@pytest.mark.parametrize("kwargs", UNFOLD, ids=[str(k) for k in UNFOLD])
def test_unfold_and_fold_match_torch(kwargs):
    x = randn(2, 3, 5, 6)
    check(lambda a: F.unfold(a, **kwargs), lambda a: tF.unfold(a, **kwargs), x)
    cols = tF.unfold(torch.tensor(x), **kwargs).numpy()
    check(lambda c: F.fold(c, (5, 6), **kwargs), lambda c: tF.fold(c, (5, 6), **kwargs), cols)
    check(lambda c: F.fold(c, (5, 6), **kwargs), lambda c: tF.fold(c, (5, 6), **kwargs), cols[0])
    check(nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs), x[0])
    assert repr(nn.Fold((5, 6), **kwargs)) == repr(torch.nn.Fold((5, 6), **kwargs))


def test_fold_errors():
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(ag.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="match the calculated number of sliding blocks"):
        F.fold(ag.zeros(1, 4, 5), (3, 3), 2)


PADS = [
    ("ReflectionPad1d", (2, 1), (2, 3, 5)),
    ("ReflectionPad2d", 1, (2, 3, 4)),
    ("ReflectionPad3d", (1, 0, 1, 1, 0, 1), (1, 2, 3, 3, 3)),
    ("ReplicationPad1d", 3, (2, 3, 4)),
    ("ReplicationPad2d", (1, 2, 0, 3), (1, 2, 3, 4)),
    ("ReplicationPad3d", 1, (1, 2, 2, 3, 2)),
    ("CircularPad1d", (1, 2), (2, 3, 4)),
    ("CircularPad2d", 1, (1, 2, 3, 4)),
    ("ZeroPad1d", (1, 0), (2, 3, 4)),
    ("ZeroPad2d", (1, 2, 3, 0), (2, 3, 4)),
    ("ZeroPad3d", 1, (1, 1, 2, 2, 2)),
]


@pytest.mark.parametrize("name,padding,shape", PADS, ids=[p[0] for p in PADS])
def test_padding_layers_match_torch(name, padding, shape):
    ours, theirs = getattr(nn, name)(padding), getattr(torch.nn, name)(padding)
    check(ours, theirs, randn(*shape), what=name)
    assert repr(ours) == repr(theirs)


def test_constant_pad_layers_match_torch():
    for name, shape in (
        ("ConstantPad1d", (2, 3)),
        ("ConstantPad2d", (2, 3, 3)),
        ("ConstantPad3d", (1, 2, 2, 2)),
    ):
        ours, theirs = getattr(nn, name)(2, 3.5), getattr(torch.nn, name)(2, 3.5)
        check(ours, theirs, randn(*shape), what=name)
        assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        nn.ReflectionPad2d(1)(ag.zeros(2, 3, 4, 5, 6))


ADAPTIVE_MAX = [
    ((1, 2, 8, 9), (5, 7)),
    ((2, 3, 6, 6), 3),
    ((2, 5, 7), (None, 3)),
    ((1, 2, 5, 4), 1),
]


@pytest.mark.parametrize("shape,size", ADAPTIVE_MAX, ids=[str(s) for s in ADAPTIVE_MAX])
def test_adaptive_max_pool_matches_torch(shape, size):
    x = RNG.permutation(np.prod(shape)).reshape(shape) / 7.0  # distinct values: no ties
    check(lambda a: F.adaptive_max_pool2d(a, size, return_indices=True),
          lambda a: tF.adaptive_max_pool2d(a, size, return_indices=True), x)  # fmt: skip
    check(nn.AdaptiveMaxPool2d(size), torch.nn.AdaptiveMaxPool2d(size), x)
    assert repr(nn.AdaptiveMaxPool2d(size)) == repr(torch.nn.AdaptiveMaxPool2d(size))


def test_adaptive_max_pool1d_matches_torch():
    x = RNG.permutation(30).reshape(2, 3, 5) / 3.0
    check(
        lambda a: F.adaptive_max_pool1d(a, 3, True), lambda a: tF.adaptive_max_pool1d(a, 3, True), x
    )
    check(nn.AdaptiveMaxPool1d(2), torch.nn.AdaptiveMaxPool1d(2), x)


def test_adaptive_max_pool_ties_go_to_the_first_maximum():
    x = ag.tensor(np.ones((1, 1, 3, 5)), requires_grad=True)
    F.adaptive_max_pool2d(x, (2, 2)).sum().backward()
    tx = torch.ones(1, 1, 3, 5, dtype=torch.float64, requires_grad=True)
    tF.adaptive_max_pool2d(tx, (2, 2)).sum().backward()
    close(x.grad, tx.grad)


def test_distances_match_torch():
    check(F.cosine_similarity, tF.cosine_similarity, randn(4, 5), randn(4, 5))
    check(nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0), randn(3, 1, 4),
          randn(3, 2, 1))  # fmt: skip
    check(nn.CosineSimilarity(dim=-1), torch.nn.CosineSimilarity(dim=-1), randn(2, 3), randn(2, 3))
    check(F.pairwise_distance, tF.pairwise_distance, randn(4, 5), randn(4, 5))
    check(nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True),
          randn(4, 5), randn(4, 5))  # fmt: skip
    check(lambda a, b: F.pairwise_distance(a, b, p=3), lambda a, b: tF.pairwise_distance(a, b, p=3),
          randn(5), randn(5))  # fmt: skip
    # a zero vector: PyTorch's clamp of the norm, without a gradient through the clamp
    zero = np.zeros((2, 3))
    check(F.cosine_similarity, tF.cosine_similarity, zero + 1e-12, randn(2, 3))


def test_lazy_layers_materialize_on_first_call():
    model = nn.Sequential(
        nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
        nn.LazyLinear(5), nn.LazyBatchNorm1d(),
    )  # fmt: skip
    assert model[0].weight.__class__.__name__ == "UninitializedParameter"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        model[4].weight.shape  # noqa: B018
    params = list(model.parameters())
    out = model(ag.randn(2, 3, 6, 6))
    assert out.shape == (2, 5)
    assert [type(m).__name__ for m in model] == [
        "Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear", "BatchNorm1d",
    ]  # fmt: skip
    assert model[0].weight.shape == (4, 3, 3, 3) and model[4].weight.shape == (5, 144)
    assert model[0].in_channels == 3 and model[4].in_features == 144
    assert model[1].num_features == 4 and model[1].running_var.shape == (4,)
    assert all(a is b for a, b in zip(params, model.parameters()))  # an optimizer keeps working
    bound = 1 / np.sqrt(144)
    assert np.all(np.abs(model[4].weight.numpy()) <= bound)
    assert repr(model[4]) == "Linear(in_features=144, out_features=5, bias=True)"


def test_lazy_layers_load_torch_state_dicts():
    theirs = torch.nn.Sequential(
        torch.nn.Conv1d(3, 4, 2),
        torch.nn.BatchNorm1d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(12, 2),
    )
    ours = nn.Sequential(nn.LazyConv1d(4, 2), nn.LazyBatchNorm1d(), nn.Flatten(), nn.LazyLinear(2))
    ours.load_state_dict(torch_state_as_arrays(theirs))
    theirs.eval()
    ours.eval().double()
    theirs.double()
    check(ours, theirs, randn(2, 3, 4))
    tl = torch.nn.LazyConvTranspose2d(3, 2)
    tl(torch.zeros(1, 2, 3, 3))
    ol = nn.LazyConvTranspose2d(3, 2)
    sync(ol, tl)
    check(ol, tl, randn(1, 2, 3, 3))
    assert repr(nn.LazyLinear(3)) == repr(torch.nn.LazyLinear(3))
