"""The same model, losses and utilities on every device: results on ``device`` must match the
CPU's (on the CPU this is a self-check; with CuPy and a GPU it exercises every ``xp`` path of
``nn``)."""

from __future__ import annotations

import copy

import numpy as np

import autograd_engine as ag
import nn
import nn.functional as F


def model():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"),
        nn.BatchNorm2d(4),
        nn.PReLU(4),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding="same", groups=2),
        nn.GroupNorm(2, 4),
        nn.GELU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(4),
        nn.Maxout(4, 6, pieces=2),
        nn.Hardswish(),
        nn.Linear(6, 3),
    )


def run(net, x, y, device):
    net = copy.deepcopy(net).to(device)
    xs = ag.tensor(x, device=device, requires_grad=True)
    target = ag.tensor(y, device=device)
    out = net(xs)
    losses = [
        F.cross_entropy(out, target),
        F.cross_entropy(
            out,
            target,
            weight=ag.tensor([1.0, 2.0, 0.5], dtype=ag.float64, device=device),
            label_smoothing=0.1,
        ),
        F.cross_entropy(out, out.detach().softmax(1)),
        F.nll_loss(out.log_softmax(1), target, ignore_index=1),
        F.multi_margin_loss(out, target, p=2),
        F.binary_cross_entropy_with_logits(
            out, out.detach().sigmoid(), pos_weight=ag.ones(3, dtype=ag.float64, device=device)
        ),
        F.binary_cross_entropy(out.sigmoid(), out.detach().sigmoid()),
        F.kl_div(out.log_softmax(1), out.detach().softmax(1), reduction="batchmean"),
        F.huber_loss(out, out.detach() * 0.5) + F.smooth_l1_loss(out, out.detach() * 0.1),
        F.mse_loss(out, out.detach() + 1) + F.l1_loss(out, out.detach() - 1),
    ]
    total = sum(losses)
    total.backward()
    norm = nn.utils.clip_grad_norm_(net.parameters(), 0.5)
    grads = [p.grad.numpy() for p in net.parameters()]
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    return [loss.numpy() for loss in losses], xs.grad.numpy(), grads, state, norm.item()


def test_model_losses_and_clipping_agree_with_the_cpu(device):
    ag.manual_seed(0)
    net = model().double()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 2, 6, 6)), rng.integers(0, 3, 4)
    cpu, dev = run(net, x, y, "cpu"), run(net, x, y, device)
    for a, b in zip(cpu[0], dev[0]):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dev[1], cpu[1], rtol=1e-8, atol=1e-12)
    for a, b in zip(cpu[2], dev[2]):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-12)
    for k in cpu[3]:
        np.testing.assert_allclose(dev[3][k], cpu[3][k], rtol=1e-9, atol=1e-12, err_msg=k)
    assert abs(dev[4] - cpu[4]) < 1e-9 * cpu[4]


def test_random_and_index_paths_run_on_device(device):
    ag.manual_seed(1)
    x = ag.ones(200, 50, device=device)
    kept = (F.dropout(x, 0.5).numpy() != 0).mean()
    assert 0.45 < kept < 0.55
    assert F.dropout2d(ag.ones(4, 8, 2, 2, device=device), 0.5).device == ag.device(device)
    for fn, kwargs in [
        (nn.init.trunc_normal_, {"std": 0.5}),
        (nn.init.orthogonal_, {}),
        (nn.init.kaiming_normal_, {}),
        (nn.init.xavier_uniform_, {}),
        (nn.init.eye_, {}),
    ]:
        w = ag.empty(6, 4, device=device)
        assert fn(w, **kwargs) is w and w.device == ag.device(device)
    gen = ag.Generator(device).manual_seed(5)
    w = nn.init.normal_(ag.empty(3, 3, device=device), generator=gen)
    assert np.isfinite(w.numpy()).all()
    emb = nn.Embedding(6, 3, padding_idx=0, max_norm=1.0).to(device)
    out = emb(ag.tensor([[0, 2, 2]], device=device))
    out.sum().backward()
    assert not emb.weight.grad.numpy()[0].any() and emb.weight.grad.numpy()[2].sum() != 0
    idx = ag.tensor([2, 0], device=device)
    assert F.one_hot(idx, 3).numpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    t = ag.tensor(np.arange(4.0).reshape(1, 1, 4), device=device)
    for mode in ("reflect", "replicate", "circular"):
        assert F.pad(t, (2, 1), mode=mode).device == ag.device(device)
    params = [nn.Parameter(ag.ones(3, device=device))]
    params[0].grad = ag.full((3,), 5.0, device=device)
    nn.utils.clip_grad_value_(params, 1.0)
    assert params[0].grad.numpy().tolist() == [1.0, 1.0, 1.0]
    vec = nn.utils.parameters_to_vector(params)
    nn.utils.vector_to_parameters(vec * 2, params)
    assert params[0].numpy().tolist() == [2.0, 2.0, 2.0]
    summary = nn.summary(model().to(device), (2, 2, 6, 6), verbose=0)
    assert summary.rows[-1].output_shape == (2, 3)
