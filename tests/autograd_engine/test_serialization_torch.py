"""Checkpoints both ways with PyTorch: a state_dict saved here loads with
``safetensors.torch.load_file`` (and ``torch.load``) into the equivalent torch module and gives
the same outputs; ``safetensors.torch.save_file(model.state_dict())`` loads here; a PyTorch
pickle is refused unless ``weights_only=False``."""

import pickle

import numpy as np
import pytest

import autograd_engine as ag
import nn

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

# NOTE: nn.TransformerEncoderLayer is not in the engine yet; when it is, add it to PAIRS (its
# state_dict keys are PyTorch's, so the same two tests apply).


def mlp_pair():
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    return ours, theirs, (5, 4)


def cnn_pair():
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 3),
    )
    return ours, theirs, (2, 1, 8, 8)


def lstm_pair():
    ours = nn.LSTM(4, 6, num_layers=2)
    theirs = torch.nn.LSTM(4, 6, num_layers=2)
    return ours, theirs, (5, 2, 4)  # (sequence, batch, features)


PAIRS = {"mlp": mlp_pair, "cnn": cnn_pair, "lstm": lstm_pair}


def first(out):
    """The output of a module (an LSTM returns ``(output, (h, c))``)."""
    return out[0] if isinstance(out, tuple) else out


def outputs(ours, theirs, shape):
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = first(theirs(torch.from_numpy(x))).numpy()
    return first(ours(ag.tensor(x))).detach().numpy(), want


def train_a_little(ours, shape):
    """Move weights and BatchNorm statistics away from their initial values."""
    opt = __import__("optim").SGD(ours.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        first(ours(ag.randn(*shape))).square().mean().backward()
        opt.step()


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_saved_here_loads_in_pytorch(tmp_path, kind):
    ours, theirs, shape = PAIRS[kind]()
    train_a_little(ours, shape)
    path = tmp_path / "model.safetensors"
    ag.save(ours.state_dict(), path)
    state = st_torch.load_file(path)
    theirs.load_state_dict(state)  # strict: every key and shape is PyTorch's
    got, want = outputs(ours, theirs, shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # torch.load reads a .safetensors path too (PyTorch 2.13)
    assert sorted(torch.load(path)) == sorted(state)


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_saved_by_pytorch_loads_here(tmp_path, kind):
    ours, theirs, shape = PAIRS[kind]()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for name, buf in theirs.named_buffers():
            if name.endswith("running_var"):
                buf.mul_(1.5)
    path = tmp_path / "model.safetensors"
    st_torch.save_file(theirs.state_dict(), path)
    state = ag.load(path)
    assert all(isinstance(v, ag.Tensor) for v in state.values())
    ours.load_state_dict(state)
    got, want = outputs(ours, theirs, shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    mapped = ag.load(path, mmap=True, map_location="cpu")
    ours.load_state_dict(mapped)
    np.testing.assert_allclose(outputs(ours, theirs, shape)[0], want, rtol=1e-5, atol=1e-6)


def test_dtypes_match_pytorchs(tmp_path):
    sd = {
        "f16": torch.arange(3, dtype=torch.float16),
        "f64": torch.arange(3, dtype=torch.float64),
        "i64": torch.arange(3),
        "u8": torch.arange(3, dtype=torch.uint8),
        "b": torch.tensor([True, False]),
        "s": torch.tensor(2.5),
    }
    st_torch.save_file(sd, tmp_path / "d.safetensors")
    back = ag.load(tmp_path / "d.safetensors")
    for k, v in sd.items():
        assert back[k].numpy().dtype == v.numpy().dtype and back[k].shape == tuple(v.shape)
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    ag.save(back, tmp_path / "again.safetensors")
    again = st_torch.load_file(tmp_path / "again.safetensors")
    for k, v in sd.items():
        assert again[k].dtype == v.dtype and torch.equal(again[k], v)


def test_bfloat16_is_refused_with_the_conversion(tmp_path):
    st_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "b.safetensors")
    with pytest.raises(ag.serialization.CheckpointError, match=r"'w'.*bfloat16.*v.float\(\)"):
        ag.load(tmp_path / "b.safetensors")


def test_pytorch_pickle_is_refused_unless_weights_only_false(tmp_path):
    model = torch.nn.Linear(2, 3)
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    with pytest.raises(pickle.UnpicklingError) as info:
        ag.load(path)
    message = str(info.value)
    assert "pickle file written by PyTorch" in message and "weights_only=False" in message
    line = message.split("\n")[1].strip()
    assert line.startswith('python -c "import torch; from safetensors.torch import save_file;')
    # the suggested one line really converts the file
    exec(line[len('python -c "') : -1].replace("model.safetensors", str(tmp_path / "m.st")))
    ours = nn.Linear(2, 3)
    ours.load_state_dict(ag.load(tmp_path / "m.st"))
    np.testing.assert_array_equal(ours.weight.detach().numpy(), model.weight.detach().numpy())
    state = ag.load(path, weights_only=False)  # trusted: read through PyTorch
    assert isinstance(state["weight"], ag.Tensor)
    np.testing.assert_array_equal(state["bias"].numpy(), model.bias.detach().numpy())
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(pickle.UnpicklingError, match="written by PyTorch"):
        ag.load(legacy)
    assert ag.load(legacy, weights_only=False)["w"].tolist() == [1.0, 1.0]


class Thing:
    """A class neither library allows by default."""


def test_weights_only_message_matches_pytorchs(tmp_path):
    torch.save({"t": Thing()}, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(tmp_path / "t.pt")
    ag.save({"t": Thing()}, tmp_path / "t.ckpt")
    with pytest.raises(pickle.UnpicklingError) as ours:
        ag.load(tmp_path / "t.ckpt")
    name = f"{Thing.__module__}.{Thing.__qualname__}"
    for text in (str(theirs.value), str(ours.value)):
        assert "Weights only load failed" in text
        assert f"Unsupported global: GLOBAL {name} was not an allowed global by default" in text
        assert f"add_safe_globals([{name}])" in text and f"safe_globals([{name}])" in text
