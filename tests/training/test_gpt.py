"""The ``GPT`` model of the char-level job: nanoGPT's layout and initialization, its logits and
gradients against the same model in PyTorch (float64), the context check, and sampling."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag
import nn.functional as F
from autograd_engine.training.gpt import GPT, sample_next

ROOT = Path(__file__).resolve().parents[2]


def small(**kwargs):
    ag.manual_seed(0)
    options = dict(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)
    options.update(kwargs)
    return GPT(**options)


def test_parameters_are_nanogpts_and_the_head_is_tied():
    model = small()
    names = list(model.state_dict())
    assert names[:3] == ["transformer.wte.weight", "transformer.wpe.weight",
                         "transformer.h.0.ln_1.weight"]  # fmt: skip
    assert "lm_head.weight" in names and "transformer.h.1.mlp.c_proj.bias" in names
    assert model.lm_head.weight is model.transformer.wte.weight
    # the tied weight is one parameter: 16*13 + 8*16 + per block (2 LN, qkv, proj, fc, proj)
    block = 2 * 32 + (16 * 48 + 48) + (16 * 16 + 16) + (16 * 64 + 64) + (64 * 16 + 16)
    assert sum(p.numel() for p in model.parameters()) == 13 * 16 + 8 * 16 + 2 * block + 32


def test_initialization_follows_nanogpt():
    ag.manual_seed(0)
    model = GPT(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
    fc = model.transformer.h[0].mlp.c_fc.weight.numpy()
    proj = np.concatenate([b.attn.c_proj.weight.numpy().ravel() for b in model.transformer.h])
    assert fc.std() == pytest.approx(0.02, rel=0.05)
    assert proj.std() == pytest.approx(0.02 / math.sqrt(2 * 4), rel=0.05)
    assert not model.transformer.h[0].attn.c_attn.bias.numpy().any()


def test_logits_and_gradients_match_pytorch(torch):
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_gpt import torch_gpt

    model = small().to(ag.float64)
    theirs = torch_gpt(13, 8, 2, 2, 16, 0.0).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    ag.manual_seed(1)
    idx = ag.randint(0, 13, (3, 8))
    targets = ag.randint(0, 13, (3, 8))
    logits = model(idx)
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    loss.backward()
    t_idx, t_targets = torch.from_numpy(idx.numpy()), torch.from_numpy(targets.numpy())
    t_logits = theirs(t_idx)
    t_loss = torch.nn.functional.cross_entropy(t_logits.flatten(0, 1), t_targets.flatten())
    t_loss.backward()
    np.testing.assert_allclose(logits.detach().numpy(), t_logits.detach().numpy(), rtol=1e-10,
                               atol=1e-12)  # fmt: skip
    grads = dict(theirs.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)  # fmt: skip


def test_a_context_longer_than_block_size_is_refused():
    model = small()
    with pytest.raises(ValueError, match="9 tokens is longer than the model's block_size 8"):
        model(ag.zeros(1, 9, dtype=ag.int64))
    with pytest.raises(ValueError, match="n_embd 10 must be a multiple of n_head 4"):
        GPT(vocab_size=5, n_embd=10, n_head=4)


def test_generate_appends_tokens_and_is_seeded():
    model = small().eval()
    start = ag.tensor([[1, 2, 3]])
    a = model.generate(start, 12, generator=ag.Generator().manual_seed(7))
    b = model.generate(start, 12, generator=ag.Generator().manual_seed(7))
    assert tuple(a.shape) == (1, 15) and a.dtype == ag.int64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(a.numpy()[:, :3], [[1, 2, 3]])
    assert (a.numpy() >= 0).all() and (a.numpy() < 13).all()
    with pytest.raises(ValueError, match="temperature must be positive"):
        model.generate(start, 1, temperature=0)


def test_sample_next_follows_the_softmax_and_top_k():
    gen = ag.Generator().manual_seed(0)
    logits = ag.tensor(np.log(np.array([[0.1, 0.2, 0.7, 1e-9]] * 4000, dtype=np.float32)))
    draws = sample_next(logits, generator=gen).numpy().ravel()
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7, 0.0], atol=0.03)
    top1 = sample_next(logits, top_k=1, generator=gen).numpy()
    assert (top1 == 2).all()
    cold = sample_next(logits, temperature=0.05, generator=gen).numpy()
    assert (cold == 2).mean() > 0.99
    top2 = sample_next(logits, top_k=2, generator=gen).numpy().ravel()
    assert set(np.unique(top2)) == {1, 2}
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        sample_next(logits, top_k=0)
