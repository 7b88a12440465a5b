"""``nn.functional`` and the layers without PyTorch: dropout's statistics and modes,
one_hot, pad, embedding, the shapes and error messages a user meets, and a tiny end-to-end
training run."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import nn
import nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_a_binomial_fraction_and_scales_survivors(p):
    ag.manual_seed(0)
    n = 200_000
    x = ag.ones(n, dtype=ag.float64, requires_grad=True)
    y = F.dropout(x, p=p)
    out = y.numpy()
    kept = out != 0
    # the kept fraction is Binomial(n, 1 - p) / n: 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[kept], 1 / (1 - p))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out)  # the same mask scales the gradient
    assert abs(out.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)  # inverted: mean preserved


def test_dropout_modes_and_reproducibility():
    x = ag.randn(50, 40)
    m = nn.Dropout(0.5)
    ag.manual_seed(11)
    a = m(x).numpy()
    ag.manual_seed(11)
    np.testing.assert_array_equal(m(x).numpy(), a)
    assert not np.array_equal(m(x).numpy(), a)
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)
    assert F.dropout(ag.ones(4, dtype=ag.float16), 0.5).dtype == ag.float16


def test_dropout2d_drops_whole_channels():
    ag.manual_seed(1)
    x = ag.ones(64, 32, 3, 3)
    out = nn.Dropout2d(0.5)(x).numpy()
    per_channel = out.reshape(64, 32, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    frac = (per_channel[..., 0] != 0).mean()
    assert abs(frac - 0.5) < 5 * np.sqrt(0.25 / (64 * 32))
    with pytest.warns(UserWarning, match="3D input"):
        F.dropout2d(ag.ones(2, 3, 4), 0.5)
    out1d = nn.Dropout1d(0.5)(ag.ones(8, 6, 5)).numpy()
    assert ((out1d == 0).all(-1) | (out1d == 2).all(-1)).all()


def test_one_hot():
    out = F.one_hot(ag.tensor([[0, 2], [1, 0]]), 4)
    assert out.dtype == ag.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0, 0], [0, 0, 1, 0]])
    assert F.one_hot(ag.tensor([3, 1])).shape == (2, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ag.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(ag.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(ag.tensor([1.0]), 3)


def test_pad_modes_values():
    x = ag.tensor(np.arange(4.0).reshape(1, 1, 4))
    assert F.pad(x, (2, 1)).numpy().tolist() == [[[0, 0, 0, 1, 2, 3, 0]]]
    assert F.pad(x, (1, 1), value=9.0).numpy().tolist() == [[[9, 0, 1, 2, 3, 9]]]
    assert F.pad(x, (2, 2), mode="reflect").numpy().tolist() == [[[2, 1, 0, 1, 2, 3, 2, 1]]]
    assert F.pad(x, (2, 1), mode="replicate").numpy().tolist() == [[[0, 0, 0, 1, 2, 3, 3]]]
    assert F.pad(x, (2, 1), mode="circular").numpy().tolist() == [[[2, 3, 0, 1, 2, 3, 0]]]
    assert F.pad(x, (-1, -2)).numpy().tolist() == [[[1]]]
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="padding size should be less than"):
        F.pad(x, (4, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode 'edge'"):
        F.pad(x, (1, 1), mode="edge")


def test_embedding_lookup_and_errors():
    emb = nn.Embedding(5, 2)
    out = emb(ag.tensor([[4, 0, 4]]))
    assert out.shape == (1, 3, 2)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [1, 0, 0, 0, 2])
    with pytest.raises(IndexError, match="index out of range"):
        emb(ag.tensor([5]))
    with pytest.raises(RuntimeError, match="Long, Int"):
        emb(ag.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    assert nn.Embedding(5, 2, padding_idx=-1).padding_idx == 4


def test_linear_error_names_both_sizes():
    lin = nn.Linear(3, 4)
    with pytest.raises(RuntimeError) as err:
        lin(ag.ones(2, 5))
    assert str(err.value) == (
        "Linear(in_features=3, out_features=4, bias=True): expected input with last dimension "
        "3, got shape (2, 5)"
    )
    with pytest.raises(RuntimeError, match=r"weight of shape \(4, 3\)"):
        F.linear(ag.ones(2, 5), lin.weight)


def test_linear_refuses_mixed_dtypes_like_torch():
    lin = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="input dtype .*float64 and weight dtype .*float32"):
        lin(ag.tensor(np.ones((2, 3))))
    with pytest.raises(RuntimeError, match=r"int64 .* \.float\(\)"):
        lin(ag.tensor([[1, 2, 3]]))
    assert lin.double()(ag.tensor(np.ones((2, 3)))).dtype == ag.float64


def test_conv2d_error_says_n_c_h_w():
    conv = nn.Conv2d(1, 8, 3)
    with pytest.raises(RuntimeError) as err:
        conv(ag.ones(64, 28, 28))
    msg = str(err.value)
    assert "expected input of shape (N, C, H, W) with C = 1" in msg
    assert "got shape (64, 28, 28)" in msg and "unsqueeze(1)" in msg
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\) with C = 3"):
        nn.Conv2d(3, 8, 3)(ag.ones(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"\(N, C, L\)"):
        nn.Conv1d(3, 8, 3)(ag.ones(2, 8))
    assert conv(ag.ones(1, 5, 5)).shape == (8, 3, 3)  # unbatched (C, H, W), as PyTorch


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_norm_layer_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(N, C, H, W\) \(got 3D input"):
        nn.BatchNorm2d(3)(ag.ones(2, 3, 4))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(ag.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="expected input with 3 channels"):
        nn.BatchNorm1d(3)(ag.ones(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ag.ones(1, 3))
    nn.BatchNorm1d(3).eval()(ag.ones(1, 3))  # fine in eval mode
    with pytest.raises(RuntimeError, match=r"expected input of shape \(\*, 4\)"):
        nn.LayerNorm(4)(ag.ones(2, 5))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)


def test_loss_errors():
    x = ag.randn(3, 4)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, ag.tensor([0, 1, 4]))
    with pytest.raises(RuntimeError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, ag.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="input's shape"):
        F.cross_entropy(x, ag.rand(3, 5))
    with pytest.raises(ValueError, match="label_smoothing must be between"):
        F.cross_entropy(x, ag.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(x, x)
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, ag.rand(3, 1))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(x, ag.rand(3, 4))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, ag.randn(3, 1))


def test_softmax_implicit_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = F.softmax(ag.randn(2, 3))
    np.testing.assert_allclose(out.numpy().sum(1), 1, rtol=1e-6)


def test_flatten_unflatten_shapes():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Unflatten(1, (3, 4))(ag.randn(2, 12)).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, -1))(ag.randn(2, 12)).shape == (2, 2, 6)
    with pytest.raises(IndexError, match=r"Dimension out of range .* got 1"):
        nn.Flatten()(ag.ones(4))
    with pytest.raises(RuntimeError, match="don't multiply up"):
        nn.Unflatten(1, (5, 3))(ag.randn(2, 12))


def test_maxout_is_a_max_of_affine_pieces():
    m = nn.Maxout(3, 2, pieces=3).double()
    x = ag.randn(4, 3, dtype=ag.float64)
    z = x.numpy() @ m.weight.numpy().T + m.bias.numpy()
    np.testing.assert_allclose(m(x).numpy(), z.reshape(4, 2, 3).max(-1))
    assert nn.Maxout(3, 2, pieces=1, bias=False)(ag.ones(5, 3)).shape == (5, 2)
    with pytest.raises(ValueError, match="pieces must be a positive"):
        nn.Maxout(3, 2, pieces=0)


def test_tiny_classifier_trains():
    ag.manual_seed(0)
    x = ag.randn(64, 2)
    y = ((x[:, 0] * x[:, 1]).numpy() > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(200):
        loss = loss_fn(model(x), ag.tensor(y))
        model.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        for p in model.parameters():
            p.array -= 0.5 * p.grad.array
        first = first if first is not None else loss.item()
    assert loss.item() < 0.5 * first
