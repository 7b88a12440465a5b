"""A stack of matrices times one matrix (``x @ W``, ``F.linear`` on 3-D input) runs as one GEMM
over the merged leading dims; the results and gradients are PyTorch's for contiguous,
non-contiguous and empty inputs."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn.functional as F

torch = pytest.importorskip("torch", reason="the oracle is PyTorch")

CASES = {
    "contiguous": lambda rng: rng.standard_normal((3, 4, 5)),
    "transposed": lambda rng: rng.standard_normal((4, 3, 5)).transpose(1, 0, 2),
    "4-d": lambda rng: rng.standard_normal((2, 3, 4, 5)),
    "empty rows": lambda rng: rng.standard_normal((0, 4, 5)),
    "empty features": lambda rng: rng.standard_normal((3, 4, 0)),
}


def _pair(a, requires_grad=True):
    return (
        ag.tensor(np.ascontiguousarray(a), requires_grad=requires_grad),
        torch.tensor(np.ascontiguousarray(a), requires_grad=requires_grad),
    )


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("op", ["matmul", "linear"])
def test_stack_times_a_matrix_matches_pytorch(case, op):
    rng = np.random.default_rng(0)
    x_np = CASES[case](rng)
    k = x_np.shape[-1]
    w_np, b_np = rng.standard_normal((6, k)), rng.standard_normal(6)
    x, tx = _pair(x_np)
    if case == "transposed":  # a non-contiguous input: the stacked product path
        x = ag.tensor(np.ascontiguousarray(x_np.transpose(1, 0, 2)), requires_grad=True)
        tx = torch.tensor(np.ascontiguousarray(x_np.transpose(1, 0, 2)), requires_grad=True)
        xs, txs = x.transpose(0, 1), tx.transpose(0, 1)
    else:
        xs, txs = x, tx
    w, tw = _pair(w_np)
    b, tb = _pair(b_np)
    if op == "matmul":
        out, want = xs @ w.mT, txs @ tw.mT
    else:
        out, want = F.linear(xs, w, b), torch.nn.functional.linear(txs, tw, tb)
    g = rng.standard_normal(tuple(want.shape))
    (out * ag.tensor(g)).sum().backward()
    (want * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    if op == "linear":
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-12)
