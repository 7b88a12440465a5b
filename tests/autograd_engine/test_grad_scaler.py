"""``amp.GradScaler`` against ``torch.amp.GradScaler("cpu")``: the scale, growth tracker,
skipped steps and parameters along a trajectory with injected inf/NaN gradients, unscale_,
state_dict, and the errors."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import autograd_engine as ag
import optim
from autograd_engine.amp import GradScaler

KW = {"init_scale": 2.0**10, "growth_factor": 1.7, "backoff_factor": 0.3, "growth_interval": 3}
BAD = {2: np.inf, 6: np.nan, 7: -np.inf}  # step -> value written into one gradient


def _problem():
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((8, 4)).astype(np.float32),
        rng.standard_normal((8, 3)).astype(np.float32),
        rng.standard_normal((3, 4)).astype(np.float32) * 0.5,
        rng.standard_normal(3).astype(np.float32) * 0.1,
    )


def _torch_run(torch, steps, unscale_first=False):
    x, y, w, b = (torch.tensor(a) for a in _problem())
    w.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.5)
    scaler = torch.amp.GradScaler("cpu", **KW)
    trace = []
    for step in range(steps):
        opt.zero_grad()
        loss = ((x @ w.T + b - y) ** 2).mean()
        scaled = scaler.scale(loss)
        scaled.backward()
        if step in BAD:
            w.grad[0, 1] = BAD[step]
        if unscale_first:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_([w, b], 0.5)
        ret = scaler.step(opt)
        scaler.update()
        trace.append(
            (float(scaled.detach()), ret, scaler.get_scale(), scaler._get_growth_tracker(),
             w.detach().numpy().copy(), b.detach().numpy().copy())
        )  # fmt: skip
    return trace, scaler


def _ag_run(device, steps, unscale_first=False):
    import nn

    x, y, w, b = (ag.tensor(a, device=device) for a in _problem())
    w.requires_grad = True
    b.requires_grad = True
    opt = optim.SGD([w, b], lr=0.1, momentum=0.5)
    scaler = GradScaler("cpu" if device == "cpu" else "cuda", **KW)
    trace = []
    for step in range(steps):
        opt.zero_grad()
        loss = ((x @ w.T + b - y) ** 2).mean()
        scaled = scaler.scale(loss)
        scaled.backward()
        if step in BAD:
            g = w.grad.numpy()
            g[0, 1] = BAD[step]
            w.grad = ag.tensor(g, device=device)
        if unscale_first:
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_([w, b], 0.5)
        ret = scaler.step(opt)
        scaler.update()
        trace.append(
            (float(scaled.item()), ret, scaler.get_scale(), scaler._get_growth_tracker(),
             w.numpy().copy(), b.numpy().copy())
        )  # fmt: skip
    return trace, scaler


@pytest.mark.parametrize("unscale_first", [False, True])
def test_trajectory_matches_torch(torch, device, unscale_first):
    expected, t_scaler = _torch_run(torch, 12, unscale_first)
    got, scaler = _ag_run(device, 12, unscale_first)
    for step, (e, g) in enumerate(zip(expected, got)):
        np.testing.assert_allclose(g[0], e[0], rtol=1e-5, err_msg=f"scaled loss, step {step}")
        assert g[1] is None and e[1] is None
        assert g[2] == e[2], f"scale at step {step}: {g[2]} vs torch {e[2]}"
        assert g[3] == e[3], f"growth tracker at step {step}"
        np.testing.assert_allclose(g[4], e[4], rtol=1e-5, atol=1e-6, err_msg=f"w, step {step}")
        np.testing.assert_allclose(g[5], e[5], rtol=1e-5, atol=1e-6, err_msg=f"b, step {step}")
    assert scaler.state_dict() == t_scaler.state_dict()
    # the scale went down at each bad step and grew after three good ones
    scales = [s for _, _, s, _, _, _ in got]
    assert scales[2] < scales[1] and scales[5] > scales[4] and scales[10] > scales[9]


def test_state_dict_round_trip_and_pickle(torch):
    _, t_scaler = _torch_run(torch, 4)
    _, scaler = _ag_run("cpu", 4)
    fresh = GradScaler("cpu")
    fresh.load_state_dict(t_scaler.state_dict())  # a torch state dict loads as is
    assert fresh.state_dict() == scaler.state_dict()
    again = pickle.loads(pickle.dumps(scaler))
    assert again.state_dict() == scaler.state_dict()
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        GradScaler("cpu").load_state_dict({})


def test_scale_promotes_a_zero_d_float16_loss_like_torch(torch):
    t = torch.amp.GradScaler("cpu").scale(torch.tensor(1.5, dtype=torch.float16))
    ours = GradScaler("cpu").scale(ag.tensor(1.5, dtype=ag.float16))
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(t.dtype).rsplit(".", 1)[-1]
    assert float(ours.item()) == float(t)
    many = GradScaler("cpu").scale([ag.ones(2), (ag.ones(1),)])
    assert float(many[1][0].item()) == 2.0**16


def test_misuse_raises_as_torch():
    w = ag.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    scaler = GradScaler("cpu")
    with pytest.raises(AssertionError, match="did not use scaler.scale"):
        scaler.step(opt)
    scaler.scale((w * 2).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    np.testing.assert_allclose(w.numpy(), [0.8, 0.8])  # grad 2 unscaled, lr 0.1
    half = ag.ones(2, dtype=ag.float16, requires_grad=True)
    opt16 = optim.SGD([half], lr=0.1)
    scaler.scale(half.float().sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.step(opt16)
    with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
        GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor must be < 1.0"):
        GradScaler("cpu", backoff_factor=1.0)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)


def test_update_to_a_new_scale_and_disabled_scaler():
    scaler = GradScaler("cpu")
    w = ag.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    scaler.scale(w.sum()).backward()
    scaler.step(opt)
    scaler.update(3.3)
    assert scaler.get_scale() == float(np.float32(3.3))
    off = GradScaler("cpu", enabled=False)
    loss = w.sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    assert not off.is_enabled()


def test_cuda_scaler_without_a_gpu_warns_and_disables():
    if ag.cuda.is_available():
        pytest.skip("a GPU (or the CuPy stand-in) is available here")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = GradScaler()
    assert not scaler.is_enabled()
    assert "CUDA is not available" in str(caught[0].message)
