"""Attention and transformers against PyTorch in float64: ``F.scaled_dot_product_attention``
(masks, causal, scale, grouped-query heads, empty rows, dropout), ``nn.MultiheadAttention``
(every option), the transformer layers, stacks and ``nn.Transformer`` (outputs, gradients of
inputs and parameters, state_dict both ways, reprs), and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import close, sync, torch_state_as_arrays

import autograd_engine as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional

RNG = np.random.default_rng(11)
TOL = {"rtol": 1e-9, "atol": 1e-11}


def randn(*shape):
    return RNG.standard_normal(shape)


def both(array, grad=True):
    if array.dtype == bool:
        return ag.tensor(array), torch.tensor(array)
    return ag.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def backward_both(out, tout, seed=0):
    g = np.random.default_rng(seed).standard_normal(tuple(tout.shape))
    (out * ag.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()


SDPA_CASES = [
    ("plain", {}),
    ("causal", {"is_causal": True}),
    ("bool_mask", {"mask": "bool"}),
    ("float_mask", {"mask": "float"}),
    ("scale", {"scale": 0.3}),
    ("gqa", {"enable_gqa": True, "kv_heads": 1}),
    ("empty_rows", {"mask": "empty"}),
]


@pytest.mark.parametrize("name,case", SDPA_CASES, ids=[c[0] for c in SDPA_CASES])
def test_scaled_dot_product_attention_matches_torch(name, case):
    heads, kv_heads = 4, case.get("kv_heads", 4)
    (q, tq), (k, tk), (v, tv) = (
        both(randn(2, heads, 5, 3)),
        both(randn(2, kv_heads, 6, 3)),
        both(randn(2, kv_heads, 6, 4)),
    )
    kwargs = {k2: case[k2] for k2 in ("is_causal", "scale", "enable_gqa") if k2 in case}
    mask = tmask = None
    if case.get("mask") == "bool":
        mask, tmask = both(RNG.random((5, 6)) > 0.3)
    elif case.get("mask") == "float":
        mask, tmask = both(randn(2, 1, 5, 6))
    elif case.get("mask") == "empty":
        keep = RNG.random((2, heads, 5, 6)) > 0.4
        keep[0, 1, 2] = False  # a query that may attend no key: zeros, as PyTorch's CPU result
        mask, tmask = both(keep)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    tout = tF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask, **kwargs)
    close(out, tout, **TOL)
    backward_both(out, tout)
    for a, b, what in ((q, tq, "q"), (k, tk, "k"), (v, tv, "v")):
        close(a.grad, b.grad, what=f"grad of {what}", **TOL)
    if case.get("mask") == "float":
        close(mask.grad, tmask.grad, what="grad of the float mask", **TOL)


def test_scaled_dot_product_attention_second_derivative_matches_torch():
    (q, tq), (k, tk), (v, tv) = both(randn(2, 3, 4)), both(randn(2, 5, 4)), both(randn(2, 5, 2))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    tout = tF.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    (gq,) = ag.grad(out.square().sum(), q, create_graph=True)
    (tgq,) = torch.autograd.grad(tout.square().sum(), tq, create_graph=True)
    close(gq, tgq, **TOL)
    second = ag.grad(gq.sin().sum(), [q, k, v])
    tsecond = torch.autograd.grad(tgq.sin().sum(), [tq, tk, tv])
    for a, b in zip(second, tsecond):
        close(a, b, **TOL)


def test_scaled_dot_product_attention_dropout():
    q = k = v = ag.ones(1, 1, 200, 4)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # uniform weights 1/200 each: dropout keeps about half of them, scaled by 2
    assert 0.8 < float(out.mean()) < 1.2 and not np.allclose(out.numpy(), 1.0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    close(out, np.ones((1, 1, 200, 4)), rtol=1e-5)


def _mha_inputs(batch_first, unbatched=False, kdim=8, vdim=8, length=3, source=4, batch=2):
    def shape(steps, width):
        if unbatched:
            return (steps, width)
        return (batch, steps, width) if batch_first else (steps, batch, width)

    return (
        both(randn(*shape(length, 8))),
        both(randn(*shape(source, kdim))),
        both(randn(*shape(source, vdim))),
    )


MHA_CASES = [
    ("defaults", {}, {}, "cross"),
    ("self_attention", {}, {}, "self"),
    ("shared_key_value", {}, {}, "kv"),
    ("batch_first_no_weights", {"batch_first": True}, {"need_weights": False}, "self"),
    ("per_head_weights_no_bias", {"bias": False}, {"average_attn_weights": False}, "cross"),
    ("kdim_vdim", {"kdim": 5, "vdim": 6}, {}, "cross"),
    ("bias_kv_zero_attn", {"add_bias_kv": True, "add_zero_attn": True}, {"kpm": "bool"}, "cross"),
    ("bias_kv_self", {"add_bias_kv": True, "batch_first": True}, {"need_weights": False}, "self"),
    ("causal_hint", {}, {"mask": "causal", "is_causal": True, "need_weights": False}, "self"),
    ("causal_with_weights", {}, {"mask": "causal", "is_causal": True}, "self"),
    ("float_3d_mask", {}, {"mask": "float3d"}, "cross"),
    ("float_masks", {}, {"mask": "float", "kpm": "float"}, "cross"),
    ("bool_masks_no_weights", {}, {"mask": "bool", "kpm": "bool", "need_weights": False}, "cross"),
    ("unbatched", {}, {}, "unbatched"),
    ("unbatched_batch_first_kpm", {"batch_first": True}, {"kpm": "bool"}, "unbatched"),
]


def _mask(kind, length, source, heads=2, batch=2):
    if kind == "causal":
        return both(np.triu(np.ones((length, source), bool), 1))
    if kind == "bool":
        m = RNG.random((length, source)) > 0.7
        m[:, 0] = False  # every query keeps a key
        return both(m)
    if kind == "float":
        return both(randn(length, source))
    if kind == "float3d":
        return both(randn(batch * heads, length, source))
    raise AssertionError(kind)


def _key_padding(kind, source, batch, unbatched):
    shape = (source,) if unbatched else (batch, source)
    if kind == "bool":
        m = RNG.random(shape) > 0.6
        m[..., 0] = False
        return both(m)
    return both(randn(*shape))


@pytest.mark.parametrize("name,kwargs,call,kind", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_torch(name, kwargs, call, kind):
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
    ours = nn.MultiheadAttention(8, 2, **kwargs)
    sync(ours, theirs)
    unbatched = kind == "unbatched"
    source = 3 if kind == "self" else 4
    (q, tq), (k, tk), (v, tv) = _mha_inputs(
        kwargs.get("batch_first", False),
        unbatched,
        kwargs.get("kdim", 8),
        kwargs.get("vdim", 8),
        source=source,
    )
    if kind == "self":
        k, tk, v, tv = q, tq, q, tq
    elif kind == "kv":
        v, tv = k, tk
    extra, textra = {}, {}
    if "mask" in call:
        extra["attn_mask"], textra["attn_mask"] = _mask(call["mask"], 3, source)
    if "kpm" in call:
        extra["key_padding_mask"], textra["key_padding_mask"] = _key_padding(
            call["kpm"], source, 2, unbatched
        )
    for key in ("need_weights", "average_attn_weights", "is_causal"):
        if key in call:
            extra[key] = textra[key] = call[key]
    with pytest.warns() if call.get("mask") == "float" and call.get("kpm") == "bool" else _null():
        out, weights = ours(q, k, v, **extra)
    tout, tweights = theirs(tq, tk, tv, **textra)
    close(out, tout, what="output", **TOL)
    if tweights is None:
        assert weights is None
    else:
        close(weights, tweights, what="weights", **TOL)
    backward_both(out, tout)
    for a, b, what in ((q, tq, "query"), (k, tk, "key"), (v, tv, "value")):
        if b.grad is not None:
            close(a.grad, b.grad, what=f"grad of {what}", **TOL)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for n, p in ours.named_parameters():
        close(p.grad, tparams[n].grad, what=f"grad of {n}", **TOL)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_multihead_attention_fully_masked_rows_follow_torch():
    # need_weights: a plain softmax gives nan; without weights SDPA gives zeros (then out_proj)
    theirs = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    ours = nn.MultiheadAttention(4, 2, batch_first=True)
    sync(ours, theirs)
    x = randn(2, 3, 4)
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    for need in (True, False):
        out, _ = ours(*(ag.tensor(x),) * 3, key_padding_mask=ag.tensor(kpm), need_weights=need)
        tout, _ = theirs(
            *(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm), need_weights=need
        )
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_multihead_attention_init_and_repr():
    theirs = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4)
    ours = nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert not np.any(ours.in_proj_bias.numpy()) and not np.any(ours.out_proj.bias.numpy())
    bound = np.sqrt(6 / (8 + 8))  # xavier_uniform_ on (8, 8)
    assert np.all(np.abs(ours.q_proj_weight.numpy()) <= bound)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def _layer_pair(cls, **kwargs):
    theirs = getattr(torch.nn, cls)(8, 2, 16, dropout=0.0, **kwargs)
    if not isinstance(kwargs.get("activation", ""), str):
        kwargs["activation"] = nn.GELU()
    ours = getattr(nn, cls)(8, 2, 16, dropout=0.0, **kwargs)
    sync(ours, theirs)
    return ours, theirs


def _compare_module(ours, theirs, ins, tins, extra=None, textra=None):
    out = ours(*ins, **(extra or {}))
    tout = theirs(*tins, **(textra or {}))
    close(out, tout, what="output", **TOL)
    backward_both(out, tout)
    for i, (a, b) in enumerate(zip(ins, tins)):
        close(a.grad, b.grad, what=f"grad of input {i}", **TOL)
    tparams = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        close(p.grad, tparams[n].grad, what=f"grad of {n}", **TOL)


LAYER_CASES = [
    ("post_norm_relu", {}),
    ("pre_norm_gelu_batch_first", {"norm_first": True, "activation": "gelu", "batch_first": True}),
    ("module_activation_no_bias", {"activation": "module", "bias": False}),
]


@pytest.mark.parametrize("name,kwargs", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_encoder_layer_matches_torch(name, kwargs):
    if kwargs.get("activation") == "module":
        kwargs = {**kwargs, "activation": torch.nn.GELU()}
    ours, theirs = _layer_pair("TransformerEncoderLayer", **kwargs)
    x, tx = both(randn(3, 5, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=ag.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    kpm = np.zeros((3, 5), bool) if kwargs.get("batch_first") else np.zeros((5, 5), bool)
    kpm[:, -1] = True
    if kwargs.get("batch_first"):
        _compare_module(ours, theirs, [x], [tx], {"src_mask": mask, "is_causal": True},
                        {"src_mask": tmask, "is_causal": True})  # fmt: skip
    else:
        x, tx = both(randn(5, 3, 8))
        extra = {"src_key_padding_mask": ag.tensor(kpm[:3])}
        textra = {"src_key_padding_mask": torch.tensor(kpm[:3])}
        _compare_module(ours, theirs, [x], [tx], extra, textra)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name,kwargs", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_decoder_layer_matches_torch(name, kwargs):
    if kwargs.get("activation") == "module":
        kwargs = {**kwargs, "activation": torch.nn.GELU()}
    ours, theirs = _layer_pair("TransformerDecoderLayer", **kwargs)
    batch_first = kwargs.get("batch_first", False)
    tgt, ttgt = both(randn(2, 5, 8) if batch_first else randn(5, 2, 8))
    mem, tmem = both(randn(2, 4, 8) if batch_first else randn(4, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=ag.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    kpm = np.array([[False, False, True, True], [False, False, False, False]])
    extra = {"tgt_mask": mask, "tgt_is_causal": True, "memory_key_padding_mask": ag.tensor(kpm)}
    textra = {
        "tgt_mask": tmask,
        "tgt_is_causal": True,
        "memory_key_padding_mask": torch.tensor(kpm),
    }
    _compare_module(ours, theirs, [tgt, mem], [ttgt, tmem], extra, textra)


def test_transformer_matches_torch_and_state_dicts_interchange():
    kwargs = {"num_encoder_layers": 2, "num_decoder_layers": 2, "dim_feedforward": 16}
    theirs = torch.nn.Transformer(8, 2, dropout=0.0, **kwargs)
    ours = nn.Transformer(8, 2, dropout=0.0, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # ours -> torch
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.double()
    theirs.double()
    (src, tsrc), (tgt, ttgt) = both(randn(6, 2, 8)), both(randn(5, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=ag.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    kpm = np.zeros((2, 6), bool)
    kpm[1, 4:] = True
    extra = {"tgt_mask": mask, "src_key_padding_mask": ag.tensor(kpm),
             "memory_key_padding_mask": ag.tensor(kpm)}  # fmt: skip
    textra = {"tgt_mask": tmask, "src_key_padding_mask": torch.tensor(kpm),
              "memory_key_padding_mask": torch.tensor(kpm)}  # fmt: skip
    _compare_module(ours, theirs, [src, tgt], [tsrc, ttgt], extra, textra)
    # torch -> a fresh ours
    fresh = nn.Transformer(8, 2, dropout=0.0, **kwargs)
    fresh.load_state_dict(torch_state_as_arrays(theirs))
    close(fresh.double()(src, tgt, **extra), theirs(tsrc, ttgt, **textra), **TOL)


def test_encoder_stack_detects_the_causal_mask():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
        2,
        norm=torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    )
    sync(encoder, theirs)
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    x, tx = both(randn(2, 5, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=ag.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    _compare_module(encoder, theirs, [x], [tx], {"mask": mask}, {"mask": tmask})
    from nn.modules.transformer import _detect_is_causal_mask

    assert _detect_is_causal_mask(mask, None, 5) is True
    assert _detect_is_causal_mask(mask, False, 5) is False
    assert _detect_is_causal_mask(ag.zeros(5, 5), None, 5) is False


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    close(mask, torch.nn.Transformer.generate_square_subsequent_mask(4))
    assert mask.dtype == ag.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64).dtype == ag.float64


def test_error_messages():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    mha = nn.MultiheadAttention(8, 2)
    x = ag.zeros(3, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(
        RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 3\), but should"
    ):
        mha(x, ag.zeros(4, 2, 8), ag.zeros(4, 2, 8), attn_mask=ag.zeros(3, 3))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        mha(x, ag.zeros(4, 8), ag.zeros(4, 8))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask"):
        mha(x, x, x, key_padding_mask=ag.zeros(2, 3, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        nn.Transformer(8, 2, 1, 1, 16)(ag.zeros(3, 2, 8), ag.zeros(3, 4, 8))
    q = ag.zeros(1, 4, 3, 2)
    with pytest.raises(RuntimeError, match="must be a multiple of the key's and value's heads"):
        F.scaled_dot_product_attention(
            q, ag.zeros(1, 3, 3, 2), ag.zeros(1, 3, 3, 2), enable_gqa=True
        )
    with pytest.raises(RuntimeError, match="must be \\(\\*, L, E\\), \\(\\*, S, E\\)"):
        F.scaled_dot_product_attention(q, ag.zeros(1, 4, 3, 5), ag.zeros(1, 4, 3, 2))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(
            q, q, q, attn_mask=ag.ones(3, 3, dtype=ag.bool), is_causal=True
        )


def test_out_proj_class_lives_where_pytorchs_does():
    # word_language_model/main.py lists torch.nn.modules.linear.NonDynamicallyQuantizableLinear
    # among the safe globals for loading a saved Transformer.
    ours, theirs = nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)
    for mha, lib in ((ours, nn), (theirs, torch.nn)):
        cls = lib.modules.linear.NonDynamicallyQuantizableLinear
        assert type(mha.out_proj) is cls and issubclass(cls, lib.Linear)
    assert type(ours.out_proj).__module__ == "nn.modules.linear"
    assert type(theirs.out_proj).__module__ == "torch.nn.modules.linear"
    assert repr(ours.out_proj) == repr(theirs.out_proj)
    assert "NonDynamicallyQuantizableLinear" not in nn.modules.linear.__all__
