"""``Module`` against PyTorch: the same architecture has the same state_dict keys, shapes and
parameter names; a PyTorch state_dict converted to arrays loads and gives the same outputs;
and layer reprs are PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import close, torch_state_as_arrays

import autograd_engine as ag
import nn

torch = pytest.importorskip("torch")


def cnn(m):
    """The same small CNN built with ``torch.nn`` or ``nn``."""
    return m.Sequential(
        m.Conv2d(1, 4, 3, padding=1),
        m.BatchNorm2d(4),
        m.ReLU(),
        m.MaxPool2d(2),
        m.Conv2d(4, 6, 3, groups=2, bias=False),
        m.GroupNorm(2, 6),
        m.GELU(),
        m.AdaptiveAvgPool2d(1),
        m.Flatten(),
        m.Dropout(0.3),
        m.Linear(6, 8),
        m.LayerNorm(8),
        m.PReLU(),
        m.Linear(8, 3),
    )


def test_state_dict_keys_shapes_and_parameter_names_match_torch():
    ours, theirs = cnn(nn), cnn(torch.nn)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for k in ours_sd:
        assert tuple(ours_sd[k].shape) == tuple(theirs_sd[k].shape), k
        assert repr(ours_sd[k].dtype).replace("autograd_engine.", "torch.") == repr(
            theirs_sd[k].dtype
        ), k
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_torch_state_dict_loads_and_gives_the_same_outputs():
    theirs = cnn(torch.nn).double()
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8))
    theirs.train()
    theirs(torch.tensor(x))  # non-trivial running statistics
    theirs.eval()
    ours = cnn(nn).double()
    ours.load_state_dict(torch_state_as_arrays(theirs))
    ours.eval()
    close(ours(ag.tensor(x)), theirs(torch.tensor(x)), rtol=1e-10)
    # and a torch tensor is accepted as a value directly (it converts with numpy.asarray)
    ours2 = cnn(nn).double().eval()
    ours2.load_state_dict({k: v.detach() for k, v in theirs.state_dict().items()})
    close(ours2(ag.tensor(x)), theirs(torch.tensor(x)), rtol=1e-10)


def test_our_state_dict_loads_into_torch():
    ours = cnn(nn)
    ours(ag.randn(2, 1, 8, 8))
    theirs = cnn(torch.nn)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})  # fmt: skip
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    close(ours(ag.tensor(x)), theirs(torch.tensor(x)), rtol=1e-5, atol=1e-6)


REPRS = [
    lambda m: m.Linear(3, 4, bias=False),
    lambda m: m.Bilinear(2, 3, 4),
    lambda m: m.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2),
    lambda m: m.Conv2d(2, 4, (3, 5), padding="same", padding_mode="reflect"),
    lambda m: m.Conv2d(2, 4, 3, padding="valid"),
    lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, bias=False),
    lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda m: m.AvgPool2d(2, stride=1),
    lambda m: m.AdaptiveAvgPool2d((5, 7)),
    lambda m: m.BatchNorm1d(5, momentum=None, affine=False),
    lambda m: m.LayerNorm((2, 3), eps=1e-6, bias=False),
    lambda m: m.GroupNorm(2, 4),
    lambda m: m.Dropout(0.1),
    lambda m: m.Dropout2d(),
    lambda m: m.Embedding(10, 3, padding_idx=0, max_norm=2.0),
    lambda m: m.Flatten(0, 2),
    lambda m: m.Unflatten(1, (2, 3)),
    lambda m: m.Identity(),
    lambda m: m.PReLU(4),
    lambda m: m.Softmax(dim=-1),
    lambda m: m.ELU(alpha=0.5, inplace=True),
    lambda m: m.LeakyReLU(0.2),
    lambda m: m.CrossEntropyLoss(label_smoothing=0.1),
    lambda m: m.ModuleList([m.ReLU(), m.Sequential(m.Tanh())]),
    lambda m: m.ModuleDict({"a": m.ReLU()}),
]


@pytest.mark.parametrize("make", REPRS, ids=range(len(REPRS)))
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))
