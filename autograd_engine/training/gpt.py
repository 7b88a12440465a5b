"""``GPT``: a decoder-only transformer language model in the layout of Karpathy's nanoGPT
(its modules, parameter names and initialization), built from ``nn`` layers, and the sampling
loop that makes text with it (``generate``)."""

from __future__ import annotations

import math

import autograd_engine as ag
import nn
import nn.functional as F

__all__ = ["GPT", "CausalSelfAttention", "MLP", "Block", "sample_next", "load_checkpoint"]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees itself and the positions before it:
    one linear map to queries, keys and values (``c_attn``), ``scaled_dot_product_attention``
    with ``is_causal=True``, and an output projection (``c_proj``)."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(
                f"GPT: n_embd {n_embd} must be a multiple of n_head {n_head} (each head gets "
                "n_embd / n_head features)"
            )
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = nn.Dropout(dropout)
        self.n_head, self.n_embd, self.dropout = n_head, n_embd, dropout

    def forward(self, x):
        B, T, C = x.shape
        H = self.n_head
        # (B, T, 3C) -> (3, B, H, T, C/H): queries, keys and values, heads apart.
        qkv = self.c_attn(x).reshape(B, T, 3, H, C // H).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Linear to 4x the width, GELU (exact, erf form), linear back, dropout."""

    def __init__(self, n_embd: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """A pre-norm transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, dropout, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only transformer over tokens: nanoGPT's ``GPT`` (Karpathy, MIT licence).

    Token and position embeddings (``transformer.wte``, ``transformer.wpe``), ``n_layer``
    pre-norm blocks of causal self-attention and MLP, a final LayerNorm and a linear head
    whose weight is the token embedding's (weight tying). Weights start as nanoGPT's: normal
    with std 0.02 (the residual projections ``c_proj`` with 0.02 / sqrt(2 * n_layer)), biases
    zero. The parameter names are nanoGPT's, so its checkpoints' ``state_dict`` loads.

    Args:
        vocab_size: the number of distinct tokens (65-ish characters for Shakespeare).
        block_size: the longest context (positions) the model takes.
        n_layer, n_head, n_embd: depth, attention heads and width (``n_embd`` a multiple of
            ``n_head``).
        dropout: dropout on the embeddings, the attention weights and each residual branch.
        bias: biases in the linear layers and LayerNorms.

    Shape:
        ``idx`` ``(B, T)`` int64 token ids with ``T <= block_size`` -> logits
        ``(B, T, vocab_size)``: at each position, the scores of the token that follows.

    Example::

        >>> model = GPT(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
        >>> logits = model(ag.zeros(2, 64, dtype=ag.int64))     # (2, 64, 65)
        >>> loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int = 64,
        n_layer: int = 4,
        n_head: int = 4,
        n_embd: int = 128,
        dropout: float = 0.0,
        bias: bool = True,
    ):
        super().__init__()
        self.vocab_size, self.block_size = vocab_size, block_size
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(vocab_size, n_embd),
                "wpe": nn.Embedding(block_size, n_embd),
                "drop": nn.Dropout(dropout),
                "h": nn.ModuleList([Block(n_embd, n_head, dropout, bias) for _ in range(n_layer)]),
                "ln_f": nn.LayerNorm(n_embd, bias=bias),
            }
        )
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, idx):
        B, T = idx.shape
        if T > self.block_size:
            raise ValueError(
                f"GPT: a sequence of {T} tokens is longer than the model's block_size "
                f"{self.block_size}; crop it to the last {self.block_size} tokens"
            )
        pos = ag.arange(0, T, dtype=ag.int64, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))

    @ag.no_grad()
    def generate(
        self,
        idx,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator=None,
    ):
        """``idx`` ``(B, T)`` followed by ``max_new_tokens`` sampled tokens, ``(B, T + new)``.

        Each step feeds the last ``block_size`` tokens, divides the last position's logits by
        ``temperature`` (below 1: more likely tokens; above: more varied), keeps the ``top_k``
        largest (if given) and draws the next token from their softmax (nanoGPT's
        ``generate``). Call ``model.eval()`` first to turn dropout off. ``generator`` (an
        ``autograd_engine.Generator``) makes the draws; by default the global generator.
        """
        if temperature <= 0:
            raise ValueError(f"generate: temperature must be positive, got {temperature}")
        for _ in range(max_new_tokens):
            context = idx if idx.shape[1] <= self.block_size else idx[:, -self.block_size :]
            logits = self(context)[:, -1, :]
            nxt = sample_next(logits, temperature, top_k, generator)
            idx = ag.cat([idx, nxt], dim=1)
        return idx


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None, generator=None):
    """One token per row of ``logits`` ``(B, V)``, drawn from ``softmax(logits / temperature)``
    restricted to the ``top_k`` largest logits; returns ``(B, 1)`` int64.

    The draw is an inverse-CDF lookup of one uniform number per row from ``generator``, so a
    seeded generator gives the same text every time. (Done on the arrays: it needs no
    gradient.)
    """
    if top_k is not None and top_k < 1:
        raise ValueError(f"generate: top_k must be at least 1, got {top_k}")
    scores = logits.array.astype("float64") / temperature
    xp = ag.array_backend.get_array_module(scores)
    V = scores.shape[-1]
    if top_k is not None and top_k < V:
        kth = xp.partition(scores, V - top_k, axis=-1)[:, V - top_k : V - top_k + 1]
        scores = xp.where(scores < kth, -xp.inf, scores)
    scores = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    cdf = xp.cumsum(scores, axis=-1)
    u = ag.rand(scores.shape[0], 1, generator=generator, dtype=ag.float64, device=logits.device)
    below = (cdf < u.array * cdf[:, -1:]).sum(axis=-1, keepdims=True)
    return ag.Tensor._make(xp.minimum(below, V - 1).astype(xp.int64))


def load_checkpoint(path: str, device: str = "cpu"):
    """``(model, vocab)`` from a checkpoint of ``train --model gpt --checkpoint PATH``: the
    ``GPT`` (in eval mode, on ``device``) and its characters (``vocab[i]`` is token i)."""
    from autograd_engine.training._generate import load_gpt

    model, vocab, _ = load_gpt(path, device)
    return model, vocab
