"""``nn.RNN``/``LSTM``/``GRU``, the cells and ``nn.utils.rnn`` against PyTorch in float64:
outputs, final states, gradients of inputs, initial states and every parameter, packed
sequences, second derivatives, state_dict interchange both ways, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import close, sync, torch_state_as_arrays

import autograd_engine as ag
import nn
from nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
TOL = {"rtol": 1e-9, "atol": 1e-11}


def randn(*shape):
    return RNG.standard_normal(shape)


def pair(name, *args, **kwargs):
    """Our module and torch's with the same weights (torch's, loaded through state_dict)."""
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    sync(ours, theirs)
    return ours, theirs


def flat(result) -> list:
    """The tensors of a module's result ``(out, h)`` or ``(out, (h, c))`` in order."""
    out = []
    for r in result if isinstance(result, tuple) else (result,):
        if isinstance(r, tuple):
            out += flat(r)
        elif hasattr(r, "batch_sizes"):
            out.append(r.data)
        else:
            out.append(r)
    return out


def check_against_torch(ours, theirs, ins, tins, seed=0):
    """Compare outputs, then backpropagate the same random weights of every output and
    compare the gradients of the inputs (tensors among ``ins``) and of every parameter."""
    got, want = flat(ours(*ins)), flat(theirs(*tins))
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        close(g, w, what=f"output {i}", **TOL)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(tuple(w.shape)) for w in want]
    sum(((g * ag.tensor(a)).sum() for g, a in zip(got, weights)), ag.tensor(0.0)).backward()
    sum((w * torch.tensor(a)).sum() for w, a in zip(want, weights)).backward()
    for i, (x, t) in enumerate(zip(_tensors(ins), _tensors(tins))):
        if t.requires_grad and t.is_leaf:
            close(x.grad, t.grad, what=f"grad of input {i}", **TOL)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, tparams[name].grad, what=f"grad of {name}", **TOL)


def _tensors(args) -> list:
    out = []
    for a in args:
        if isinstance(a, rnn_utils.PackedSequence):
            continue
        if isinstance(a, (tuple, list)):
            out += _tensors(a)
        elif a is not None and hasattr(a, "requires_grad"):
            out.append(a)
    return out


def both(array, grad=True):
    return ag.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True, "bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "batch_first": True}),
    ("GRU", {"bidirectional": True, "num_layers": 2, "bias": False}),
]
IDS = [f"{n}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for n, kw in CONFIGS]


def _states(name, kwargs, batch, hidden=5):
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    out = kwargs.get("proj_size", 0) or hidden
    shape = (layers, batch, out) if batch else (layers, out)
    cell = (layers, batch, hidden) if batch else (layers, hidden)
    if name == "LSTM":
        (h, th), (c, tc) = both(randn(*shape)), both(randn(*cell))
        return (h, c), (th, tc)
    return both(randn(*shape))


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_recurrent_layers_match_torch(name, kwargs):
    ours, theirs = pair(name, 4, 5, **kwargs)
    x, tx = both(randn(3, 6, 4) if kwargs.get("batch_first") else randn(6, 3, 4))
    h, th = _states(name, kwargs, 3)
    check_against_torch(ours, theirs, (x, h), (tx, th))


@pytest.mark.parametrize("name,kwargs", CONFIGS[::3], ids=IDS[::3])
def test_default_state_and_unbatched_input(name, kwargs):
    ours, theirs = pair(name, 4, 5, **kwargs)
    x, tx = both(randn(6, 3, 4))
    check_against_torch(ours, theirs, (x,), (tx,))
    ours.zero_grad()
    theirs.zero_grad()
    x, tx = both(randn(5, 4))  # unbatched: (L, H_in), states (D * layers, H)
    h, th = _states(name, kwargs, None)
    check_against_torch(ours, theirs, (x, h), (tx, th), seed=1)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_packed_sequences_match_torch(name, kwargs):
    ours, theirs = pair(name, 4, 5, **kwargs)
    lengths = [4, 6, 1, 4]  # unsorted, with a tie
    batch_first = kwargs.get("batch_first", False)
    x, tx = both(randn(4, 6, 4) if batch_first else randn(6, 4, 4))
    h, th = _states(name, kwargs, 4)
    packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first, False)
    close(packed.sorted_indices, tpacked.sorted_indices, what="sorted_indices")
    close(packed.batch_sizes, tpacked.batch_sizes, what="batch_sizes")
    check_against_torch(ours, theirs, (packed, h), (tpacked, th))
    close(x.grad, tx.grad, what="grad of the padded input", **TOL)


def test_packed_output_pads_back_like_torch():
    ours, theirs = pair("LSTM", 3, 4, bidirectional=True)
    x, tx = both(randn(5, 3, 3))
    out, _ = ours(rnn_utils.pack_padded_sequence(x, [5, 2, 3], enforce_sorted=False))
    tout, _ = theirs(torch.nn.utils.rnn.pack_padded_sequence(tx, [5, 2, 3], False, False))
    assert isinstance(out, rnn_utils.PackedSequence)
    padded, lengths = rnn_utils.pad_packed_sequence(out, padding_value=-1.0, total_length=6)
    tpadded, tlengths = torch.nn.utils.rnn.pad_packed_sequence(tout, False, -1.0, 6)
    close(padded, tpadded, **TOL)
    close(lengths, tlengths)
    assert lengths.dtype == ag.int64


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_second_derivatives_match_torch(name):
    ours, theirs = pair(name, 3, 2, num_layers=2)
    x, tx = both(randn(4, 2, 3))
    (out, *_), (tout, *_) = ours(x), theirs(tx)
    (g,) = ag.grad(out.square().sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tout.square().sum(), tx, create_graph=True)
    close(g, tg, **TOL)
    w, tw = ours.weight_hh_l0, theirs.weight_hh_l0
    close(ag.grad(g.sin().sum(), w)[0], torch.autograd.grad(tg.sin().sum(), tw)[0], **TOL)


def test_dropout_between_layers():
    # p = 1 zeroes the first layer's output in training: deterministic, so torch must agree.
    ours, theirs = pair("GRU", 3, 4, num_layers=2, dropout=1.0)
    x, tx = both(randn(5, 2, 3))
    close(ours(x)[0], theirs(tx)[0], **TOL)
    ours2 = nn.LSTM(3, 4, num_layers=2, dropout=0.5).double()
    x = ag.tensor(randn(5, 2, 3))
    assert not np.allclose(ours2(x)[0].numpy(), ours2(x)[0].numpy())  # a new mask per call
    ours2.eval()
    close(ours2(x)[0], ours2(x)[0])
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_parameters_and_state_dict_interchange(name, kwargs):
    theirs = getattr(torch.nn, name)(4, 5, **kwargs)
    ours = getattr(nn, name)(4, 5, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    bound = 1 / np.sqrt(5)
    for p in ours.parameters():
        assert p.dtype == ag.float32 and np.all(np.abs(p.numpy()) <= bound)
    # ours -> torch, then torch -> a fresh ours: identical outputs all along
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    fresh = getattr(nn, name)(4, 5, **kwargs)
    fresh.load_state_dict(torch_state_as_arrays(theirs))
    x = randn(3, 6, 4).astype(np.float32)
    out, tout = flat(fresh(ag.tensor(x))), flat(theirs(torch.tensor(x)))
    for o, t in zip(out, tout):
        close(o, t, rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)


CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("name,kwargs", CELLS)
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, kwargs, batched):
    ours, theirs = pair(name, 3, 4, **kwargs)
    lead = (2,) if batched else ()
    x, tx = both(randn(*lead, 3))
    if name == "LSTMCell":
        (h, th), (c, tc) = both(randn(*lead, 4)), both(randn(*lead, 4))
        check_against_torch(ours, theirs, (x, (h, c)), (tx, (th, tc)))
    else:
        h, th = both(randn(*lead, 4))
        check_against_torch(ours, theirs, (x, h), (tx, th))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_unrolled_over_time_matches_torch(name):
    ours, theirs = pair(name, 3, 4)
    xs, txs = both(randn(5, 2, 3))
    state, tstate = None, None
    outs, touts = [], []
    for t in range(5):
        state, tstate = ours(xs[t], state), theirs(txs[t], tstate)
        outs.append(state[0] if isinstance(state, tuple) else state)
        touts.append(tstate[0] if isinstance(tstate, tuple) else tstate)
    loss, tloss = ag.stack(outs).square().sum(), torch.stack(touts).square().sum()
    close(loss, tloss, **TOL)
    loss.backward()
    tloss.backward()
    close(xs.grad, txs.grad, **TOL)
    close(ours.weight_hh.grad, theirs.weight_hh.grad, **TOL)


def test_error_messages():
    lstm = nn.LSTM(4, 5, num_layers=2)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(ag.zeros(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "):
        lstm(ag.zeros(3, 2, 7))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 5\), got \[1, 2, 5\]"
    ):
        lstm(ag.zeros(3, 2, 4), (ag.zeros(1, 2, 5), ag.zeros(2, 2, 5)))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D but got \\(2-D, 3-D\\)"):
        lstm(ag.zeros(3, 2, 4), (ag.zeros(2, 5), ag.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        lstm(ag.zeros(3, 2, 4, dtype=ag.float64))
    gru = nn.GRU(4, 5)
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D"):
        gru(ag.zeros(3, 4), ag.zeros(1, 1, 5))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(4, 5, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(4, 5, proj_size=5)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(4, 5, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.RNN(4, 5, dropout=1.5)
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        nn.GRUCell(4, 5)(ag.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match=r"hidden state has shape \(3, 5\), expected \(2, 5\)"):
        nn.RNNCell(4, 5)(ag.zeros(2, 4), ag.zeros(3, 5))


def test_pad_and_pack_functions_match_torch():
    seqs = [randn(n, 2) for n in (3, 5, 1)]
    ours = [ag.tensor(s, requires_grad=True) for s in seqs]
    theirs = [torch.tensor(s, requires_grad=True) for s in seqs]
    tpad = torch.nn.utils.rnn.pad_sequence
    for kwargs in ({}, {"batch_first": True, "padding_value": 2.5}, {"padding_side": "left"}):
        close(rnn_utils.pad_sequence(ours, **kwargs), tpad(theirs, **kwargs), what=str(kwargs))
    packed = rnn_utils.pack_sequence(ours, enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted=False)
    for a, b in zip(packed, tpacked):
        close(a, b)
    back = rnn_utils.unpack_sequence(packed)
    for a, b in zip(back, seqs):
        close(a, b)
    weights = randn(*packed.data.shape)
    (packed.data * ag.tensor(weights)).sum().backward()
    (tpacked.data * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        close(a.grad, b.grad)
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True)
    unpadded = rnn_utils.unpad_sequence(padded, lengths, batch_first=True)
    assert [tuple(u.shape) for u in unpadded] == [(3, 2), (5, 2), (1, 2)]
    perm = ag.tensor([2, 0, 1])
    close(rnn_utils.invert_permutation(perm), np.array([1, 2, 0]))
    assert rnn_utils.invert_permutation(None) is None


def test_pack_padded_sequence_errors():
    x = ag.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn_utils.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(ValueError, match="Expected `len\\(lengths\\)` to be equal to batch_size"):
        rnn_utils.pack_padded_sequence(x, [4, 2])
    packed = rnn_utils.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn_utils.pad_packed_sequence(packed, total_length=3)
    assert packed.to(ag.float64).data.dtype == ag.float64
    assert packed.double().is_cuda is False
