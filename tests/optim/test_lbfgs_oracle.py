"""LBFGS against PyTorch's: the same problem, closures and options; the iterates, the
returned losses and the bookkeeping (``func_evals``, ``n_iter``) after each of three steps
(up to 60 iterations); state dicts that load both ways; PyTorch's errors.

The iterates agree to ~1e-15 after one step; on this non-convex problem (a ReLU network) the
last-bit differences of sums and dot products (NumPy's pairwise order against ATen's) grow
about tenfold per step of 20 iterations, so the tolerance is 1e-8 after three."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import optim

CASES = [
    {},
    {"lr": 0.5, "max_iter": 5},
    {"history_size": 3},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 7},
    {"line_search_fn": "strong_wolfe", "max_eval": 6},
    {"tolerance_grad": 1e-3},
    {"tolerance_change": 1e-4},
    {"lr": 0.8, "max_iter": 4, "max_eval": 3},
]


def _closures(torch, mlp, ours, theirs, opt, ref):
    def closure():
        opt.zero_grad()
        mlp.set_ag_grads(ours)
        return ag.tensor(np.float64(mlp.loss([p.numpy() for p in ours])))

    def ref_closure():
        ref.zero_grad()
        arrays = [p.detach().numpy() for p in theirs]
        for p, g in zip(theirs, mlp.grads(arrays)):
            p.grad = torch.from_numpy(g)
        return torch.tensor(mlp.loss(arrays), dtype=torch.float64)

    return closure, ref_closure


def _pair(torch, mlp, kwargs):
    ours, theirs = mlp.ag_params(), mlp.torch_params(torch)
    opt, ref = optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    return ours, theirs, opt, ref, *_closures(torch, mlp, ours, theirs, opt, ref)


def _assert_close(ours, theirs, rtol=1e-9, atol=1e-12):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()))
def test_lbfgs_matches_torch(torch, mlp, kwargs):
    ours, theirs, opt, ref, closure, ref_closure = _pair(torch, mlp, kwargs)
    for _ in range(3):
        loss, ref_loss = opt.step(closure), ref.step(ref_closure)
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-9)
        _assert_close(ours, theirs, rtol=1e-8, atol=1e-11)
        state, ref_state = opt.state[ours[0]], ref.state[theirs[0]]
        assert state["func_evals"] == ref_state["func_evals"]
        assert state["n_iter"] == ref_state["n_iter"]
    assert mlp.loss([p.numpy() for p in ours]) < mlp.loss(mlp.init)


def test_lbfgs_state_is_pytorchs(torch, mlp):
    ours, theirs, opt, ref, closure, ref_closure = _pair(torch, mlp, {"history_size": 4})
    for _ in range(2):
        opt.step(closure)
        ref.step(ref_closure)
    state, ref_state = opt.state[ours[0]], ref.state[theirs[0]]
    assert list(state) == list(ref_state)
    for key in ("d", "prev_flat_grad", "H_diag", "t"):
        np.testing.assert_allclose(
            np.asarray(state[key].numpy() if isinstance(state[key], ag.Tensor) else state[key]),
            np.asarray(ref_state[key]),
            rtol=1e-7,
            atol=1e-10,
        )
    assert len(state["old_dirs"]) == len(ref_state["old_dirs"]) == 4
    assert all(isinstance(v, ag.Tensor) for v in state["old_dirs"] + state["ro"])


def test_lbfgs_state_dict_resumes_and_loads_both_ways(torch, mlp):
    kwargs = {"line_search_fn": "strong_wolfe", "history_size": 5, "max_iter": 4}
    ours, theirs, opt, ref, closure, ref_closure = _pair(torch, mlp, kwargs)
    for _ in range(2):
        opt.step(closure)
        ref.step(ref_closure)
    sd, ref_sd = opt.state_dict(), ref.state_dict()

    # ours resumed from torch's state dict, torch's from ours
    ours_again = optim.LBFGS(ours, **kwargs)
    ours_again.load_state_dict(ref_sd)
    converted = {
        "state": {
            i: {
                k: (
                    [torch.from_numpy(x.numpy().copy()) if x is not None else None for x in v]
                    if isinstance(v, list)
                    else torch.from_numpy(v.numpy().copy())
                    if isinstance(v, ag.Tensor)
                    else v
                )
                for k, v in s.items()
            }
            for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
    ref_again = torch.optim.LBFGS(theirs, **kwargs)
    ref_again.load_state_dict(converted)
    closure, ref_closure = _closures(torch, mlp, ours, theirs, ours_again, ref_again)
    for _ in range(2):
        ours_again.step(closure)
        ref_again.step(ref_closure)
    _assert_close(ours, theirs, rtol=1e-8)


def test_lbfgs_errors_are_pytorchs(torch):
    p, q = ag.zeros(3, requires_grad=True), ag.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    opt = optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        p.grad = ag.ones(3)
        return ag.tensor(1.0)

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    with pytest.raises(TypeError):
        optim.LBFGS([p]).step()  # the closure is required, as in PyTorch
    assert optim.LBFGS([p], max_iter=8).param_groups[0]["max_eval"] == 10


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.LBFGS([p], tolerance_grad=1e-3)
    calls = []

    def closure():
        calls.append(1)
        p.grad = ag.tensor([1e-4, -1e-4])
        return ag.tensor(0.5)

    assert opt.step(closure).item() == 0.5
    assert calls == [1] and p.numpy().tolist() == [1.0, 2.0]
