"""``nn.utils`` (gradient clipping, parameters <-> vector) and ``nn.summary``; PyTorch is used
as the oracle only where marked."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_engine as ag
import nn


def params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(ag.tensor(rng.standard_normal(s))) for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in ps:
        p.grad = ag.tensor(rng.standard_normal(p.shape) * scale)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm(norm_type):
    ps = params_with_grads(scale=3.0)
    flat = np.concatenate([p.grad.numpy().ravel() for p in ps])
    expected = np.linalg.norm(flat, ord=norm_type)
    grads = [p.grad for p in ps]
    total = nn.utils.clip_grad_norm_(ps, max_norm=1.0, norm_type=norm_type)
    assert isinstance(total, ag.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(expected, rel=1e-12)
    assert all(p.grad is g for p, g in zip(ps, grads))  # clipped in place
    clipped = np.concatenate([p.grad.numpy().ravel() for p in ps])
    np.testing.assert_allclose(clipped, flat / (expected + 1e-6), rtol=1e-12)
    assert np.linalg.norm(clipped, ord=norm_type) <= 1.0


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing():
    ps = params_with_grads(scale=1e-3)
    ps.append(nn.Parameter(ag.ones(2)))  # no grad: skipped
    before = [p.grad.numpy().copy() for p in ps[:3]]
    nn.utils.clip_grad_norm_(ps, max_norm=10.0)
    for p, b in zip(ps, before):
        np.testing.assert_allclose(p.grad.numpy(), b)
    assert nn.utils.clip_grad_norm_([nn.Parameter(ag.ones(2))], 1.0).item() == 0.0
    single = params_with_grads()[0]
    nn.utils.clip_grad_norm_(single, 0.1)  # a single Tensor works too
    assert np.linalg.norm(single.grad.numpy()) <= 0.1


def test_clip_grad_norm_nonfinite():
    ps = params_with_grads()
    ps[0].grad.array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(ps, 1.0).item())


def test_clip_grad_value():
    ps = params_with_grads(scale=2.0)
    grads = [p.grad for p in ps]
    assert nn.utils.clip_grad_value_(ps, 0.5) is None
    for p, g in zip(ps, grads):
        assert p.grad is g and np.abs(g.numpy()).max() <= 0.5


def test_parameters_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    np.testing.assert_array_equal(vec.numpy()[:6], model[0].weight.numpy().ravel())
    w = model[0].weight
    nn.utils.vector_to_parameters(vec * 0 + 2.0, model.parameters())
    assert model[0].weight is w and (w.numpy() == 2).all() and w.shape == (2, 3)
    with pytest.raises(RuntimeError, match="has 12 elements but the parameters hold 11"):
        nn.utils.vector_to_parameters(ag.ones(12), model.parameters())
    x = nn.Parameter(ag.ones(3))
    (nn.utils.parameters_to_vector([x]) * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3])  # differentiable


def test_clip_grad_norm_matches_torch(torch):
    ps = params_with_grads(scale=4.0)
    tps = [torch.tensor(p.numpy(), requires_grad=True) for p in ps]
    for t, p in zip(tps, ps):
        t.grad = torch.tensor(p.grad.numpy())
    for norm_type in (2.0, math.inf):
        ours = nn.utils.clip_grad_norm_(ps, 0.7, norm_type)
        theirs = torch.nn.utils.clip_grad_norm_(tps, 0.7, norm_type)
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
        for p, t in zip(ps, tps):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(4, 3)
        self.temperature = nn.Parameter(ag.ones(1))

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1)) / self.temperature


def test_summary_table_counts_and_state_is_untouched(capsys):
    model = Tiny()
    model.features[0].requires_grad_(False)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    result = nn.summary(model, (2, 1, 6, 6))
    printed = capsys.readouterr().out
    assert printed.strip() == str(result).strip()
    rows = [(r.name, r.type, r.output_shape, r.params) for r in result.rows]
    assert rows == [
        ("Tiny", "Tiny", (2, 3), 1),
        ("features.0", "Conv2d", (2, 4, 4, 4), 40),
        ("features.1", "BatchNorm2d", (2, 4, 4, 4), 8),
        ("features.2", "ReLU", (2, 4, 4, 4), 0),
        ("pool", "AdaptiveAvgPool2d", (2, 4, 1, 1), 0),
        ("head", "Linear", (2, 3), 15),
    ]
    assert result.total_params == 64  # running statistics are buffers: not counted
    assert result.trainable_params == 24 and result.non_trainable_params == 40
    assert "Total params: 64" in printed and "Non-trainable params: 40" in printed
    assert "features.0 (Conv2d)" in printed and "(2, 4, 4, 4)" in printed
    assert model.training and model.features[1].training
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert not model.features[0]._forward_hooks and not model._forward_pre_hooks


def test_summary_options():
    emb_model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    result = nn.summary(emb_model, (5, 3), dtype=ag.int64, verbose=0)
    assert [r.output_shape for r in result.rows] == [(5, 3, 4), (5, 12), (5, 2)]
    shared = nn.Linear(3, 3)
    result = nn.summary(nn.Sequential(shared, nn.ReLU(), shared), input_data=ag.ones(1, 3),
                        verbose=0)  # fmt: skip
    assert [r.params for r in result.rows] == [12, 0, 0] and result.total_params == 12
    pooled = nn.summary(nn.MaxPool2d(2, return_indices=True), (1, 1, 4, 4), verbose=0)
    assert pooled.rows[0].output_shape == [(1, 1, 2, 2), (1, 1, 2, 2)]
    with pytest.raises(ValueError, match="input_size"):
        nn.summary(shared)
