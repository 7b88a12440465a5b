"""``nn.attention``: ``SDPBackend`` and ``sdpa_kernel`` decide whether scaled dot product
attention may run, as PyTorch's flags do on the CPU; ``backends.cuda``'s switches and the
deprecated ``sdp_kernel``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F
from autograd_engine.backends import cuda as ag_cuda
from nn.attention import SDPBackend, sdpa_kernel

torch = pytest.importorskip("torch", reason="the oracle is PyTorch")

ALL = [
    SDPBackend.MATH,
    SDPBackend.FLASH_ATTENTION,
    SDPBackend.EFFICIENT_ATTENTION,
    SDPBackend.CUDNN_ATTENTION,
    SDPBackend.OVERRIDEABLE,
]


def test_backend_names_and_values_are_pytorchs():
    from torch.nn.attention import SDPBackend as TorchBackend

    ours = {b.name: int(b) for b in SDPBackend}
    theirs = {name: int(b) for name, b in TorchBackend.__members__.items()}
    assert ours == theirs
    assert nn.attention.WARN_FOR_UNFUSED_KERNELS is False


@pytest.mark.parametrize(
    "chosen",
    [list(c) for r in range(0, 3) for c in itertools.combinations(ALL, r)],
    ids=lambda c: "+".join(b.name for b in c) or "none",
)
def test_which_backends_let_attention_run_on_cpu_match_pytorch(chosen):
    from torch.nn.attention import SDPBackend as TB
    from torch.nn.attention import sdpa_kernel as torch_kernel

    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)).astype(np.float32) for _ in range(3))
    torch_chosen = [TB.__members__[b.name] for b in chosen]
    try:
        with torch_kernel(torch_chosen):
            want = F_torch(q, k, v)
        torch_error = None
    except RuntimeError as e:
        torch_error = str(e)
    with sdpa_kernel(chosen):
        if torch_error is None:
            got = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v))
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
        else:
            with pytest.raises(RuntimeError, match="No viable backend") as info:
                F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v))
            assert "allow SDPBackend.MATH" in str(info.value)


def F_torch(q, k, v):
    return torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v)
    ).numpy()


def test_flags_are_restored_after_the_block_even_on_error():
    before = [f() for f in _getters()]
    with pytest.raises(ValueError):
        with sdpa_kernel(SDPBackend.MATH) as ctx:
            assert ctx == {}
            assert [f() for f in _getters()] == [False, False, True, False]
            raise ValueError
    assert [f() for f in _getters()] == before == [True, True, True, True]


def _getters():
    c = ag_cuda
    return [c.flash_sdp_enabled, c.mem_efficient_sdp_enabled, c.math_sdp_enabled,
            c.cudnn_sdp_enabled]  # fmt: skip


def test_enable_switches_and_deprecated_sdp_kernel():
    ag_cuda.enable_math_sdp(False)
    ag_cuda.enable_flash_sdp(False)
    try:
        assert not ag_cuda.math_sdp_enabled() and not ag_cuda.flash_sdp_enabled()
        q = ag.randn(1, 2, 3, 4)
        with pytest.raises(RuntimeError, match="No viable backend"):
            F.scaled_dot_product_attention(q, q, q)
    finally:
        ag_cuda.enable_math_sdp(True)
        ag_cuda.enable_flash_sdp(True)
    with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
        with ag_cuda.sdp_kernel(enable_math=False, enable_flash=False):
            assert ag_cuda.mem_efficient_sdp_enabled() and not ag_cuda.math_sdp_enabled()
    assert ag_cuda.math_sdp_enabled()


def test_bad_backend_is_refused_with_pytorchs_error():
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
        with sdpa_kernel("math"):
            pass
    with pytest.raises(AssertionError, match="is not a backend"):
        with sdpa_kernel([SDPBackend.ERROR]):
            pass


def test_gradients_flow_inside_the_block():
    q = ag.randn(1, 2, 3, 4, requires_grad=True)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION], set_priority=True):
        F.scaled_dot_product_attention(q, q, q, is_causal=True).sum().backward()
    assert q.grad is not None and q.grad.shape == q.shape
