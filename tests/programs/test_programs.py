"""Real public PyTorch programs, vendored under ``vendored/`` with only their import lines
changed, run on autograd_engine and on PyTorch from the same initial weights and data: the
losses of a few training steps (with each program's own optimizer setup) agree to float32
tolerance. Sizes are tiny; dropout is 0 on both sides (the two random streams differ)."""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import programs_loader
import pytest

import autograd_engine as ag
import nn
import optim

# float32 through a few optimizer steps (float64 programs use the float64 bounds).
RTOL32, ATOL32 = 2e-5, 1e-6
RTOL64, ATOL64 = 1e-10, 1e-12


def both(torch, relpath):
    """The vendored program as a module on autograd_engine and as upstream on PyTorch;
    PyTorch's generator (whose draws become both sides' weights) seeded."""
    torch.manual_seed(0)
    return programs_loader.load(relpath, "ours"), programs_loader.load(relpath, "torch")


def copy_weights(ours, theirs):
    """Give ``ours`` exactly ``theirs``'s initial state (through ``load_state_dict``)."""
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys


def no_dropout(model):
    """Dropout off in every module that has it (Dropout layers, MultiheadAttention)."""
    for m in model.modules():
        if type(m).__name__.startswith("Dropout"):
            m.p = 0.0
        elif type(m).__name__ == "MultiheadAttention":
            m.dropout = 0.0


def assert_losses(ours, theirs, rtol=RTOL32, atol=ATOL32):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape and ours.size > 0
    assert np.all(np.isfinite(ours)), ours
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def assert_params(ours_model, theirs_model, rtol):
    """Every trained parameter within ``rtol`` of PyTorch's, in norm: elementwise bounds do
    not fit Adam-style updates, which move an element whose gradient is rounding noise by
    a full ``lr`` either way."""
    theirs = dict(theirs_model.named_parameters())
    for name, p in ours_model.named_parameters():
        a, b = p.detach().numpy().astype(np.float64), theirs[name].detach().numpy()
        assert a.shape == b.shape, name
        error = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12)
        assert error <= rtol, f"{name}: relative error {error:.1e} > {rtol:.0e}"


def token_batches(steps, batch, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.integers(0, vocab, (batch, length)), rng.integers(0, vocab, (batch, length)))
        for _ in range(steps)
    ]


# ---------------------------------------------------------------------------------- nanoGPT


def test_nanogpt_trains_like_pytorch(torch, capsys):
    ours, theirs = both(torch, "nanoGPT/model.py")
    cfg = dict(block_size=16, vocab_size=50, n_layer=2, n_head=2, n_embd=32, dropout=0.0)
    model, tmodel = ours.GPT(ours.GPTConfig(**cfg)), theirs.GPT(theirs.GPTConfig(**cfg))
    copy_weights(model, tmodel)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95), "cpu")
    topt = tmodel.configure_optimizers(0.1, 1e-3, (0.9, 0.95), "cpu")
    losses, tlosses = [], []
    for x, y in token_batches(4, 4, 16, 50):
        _, loss = model(ag.tensor(x), ag.tensor(y))
        _, tloss = tmodel(torch.tensor(x), torch.tensor(y))
        for o, lo in ((opt, loss), (topt, tloss)):
            o.zero_grad(set_to_none=True)
            lo.backward()
            o.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
    assert_losses(losses, tlosses)
    # 1e-3: the key part of c_attn.bias has a gradient that is 0 in exact arithmetic (a
    # constant added to every score of a row), so AdamW moves it by rounding noise.
    assert_params(model, tmodel, rtol=1e-3)
    # The program's own prints (parameter counts, optimizer groups) read the same.
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 8 and all(out.count(line) == 2 for line in out), out
    # Its top-k sampling loop runs (random draws differ between engines, so only shapes).
    model.eval()
    idx = model.generate(ag.tensor(x[:, :4]), max_new_tokens=5, top_k=5)
    assert tuple(idx.shape) == (4, 9) and idx.dtype == ag.int64


# ----------------------------------------------------------------------------------- minGPT


def _mingpt_config(module, **overrides):
    c = module.GPT.get_default_config()
    c.model_type = None
    c.merge_from_dict(dict(n_layer=2, n_head=2, n_embd=32, vocab_size=50, block_size=16))
    c.merge_from_dict(dict(embd_pdrop=0.0, resid_pdrop=0.0, attn_pdrop=0.0))
    c.merge_from_dict(overrides)
    return c


def test_mingpt_trainer_trains_like_pytorch(torch):
    ours, theirs = both(torch, "minGPT/mingpt/model.py")
    ours_tr = programs_loader.load("minGPT/mingpt/trainer.py", "ours")
    theirs_tr = programs_loader.load("minGPT/mingpt/trainer.py", "torch")
    model, tmodel = ours.GPT(_mingpt_config(ours)), theirs.GPT(_mingpt_config(theirs))
    copy_weights(model, tmodel)
    ((x, y),) = token_batches(1, 1, 16, 50)

    # A one-sequence dataset: the trainer's RandomSampler (with replacement, 1e10 samples)
    # then draws the same batch on both sides, whatever the random streams.
    class OneSequence:
        def __init__(self, lib):
            self.x, self.y = lib.tensor(x[0]), lib.tensor(y[0])

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return self.x, self.y

    runs = {}
    for name, lib, tr, m in (("ours", ag, ours_tr, model), ("torch", torch, theirs_tr, tmodel)):
        cfg = tr.Trainer.get_default_config()
        cfg.merge_from_dict(dict(device="cpu", num_workers=0, max_iters=4, batch_size=4))
        cfg.learning_rate = 1e-3
        trainer = tr.Trainer(cfg, m, OneSequence(lib))
        losses = []
        trainer.add_callback("on_batch_end", lambda t, losses=losses: losses.append(t.loss.item()))
        trainer.run()
        runs[name] = losses
    assert len(runs["ours"]) == 4
    assert_losses(runs["ours"], runs["torch"])
    # 1e-3: the key part of c_attn.bias has a gradient that is 0 in exact arithmetic (a
    # constant added to every score of a row), so AdamW moves it by rounding noise.
    assert_params(model, tmodel, rtol=1e-3)
    # Greedy generation is deterministic: the same tokens come out.
    model.eval()
    tmodel.eval()
    got = model.generate(ag.tensor(x[:, :4]), 6, do_sample=False).numpy()
    want = tmodel.generate(torch.tensor(x[:, :4]), 6, do_sample=False).numpy()
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ pytorch/examples: MNIST


def test_mnist_example_trains_like_pytorch(torch, capsys):
    ours, theirs = both(torch, "pytorch_examples/mnist/main.py")
    rng = np.random.default_rng(0)
    images = rng.standard_normal((12, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 12)
    args = types.SimpleNamespace(log_interval=1, dry_run=False)
    printed = {}
    torch.manual_seed(1)
    tmodel, ours_model = theirs.Net(), ours.Net()
    copy_weights(ours_model, tmodel)
    for name, mod, lib, model in (("torch", theirs, torch, tmodel), ("ours", ours, ag, ours_model)):
        no_dropout(model)
        data = lib.utils.data.TensorDataset(lib.tensor(images), lib.tensor(labels))
        loader = lib.utils.data.DataLoader(data, batch_size=4)
        optimizer = mod.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = mod.StepLR(optimizer, step_size=1, gamma=0.7)
        for epoch in (1, 2):
            mod.train(args, model, lib.device("cpu"), loader, optimizer, epoch)
            mod.test(model, lib.device("cpu"), loader)
            scheduler.step()
        printed[name] = capsys.readouterr().out
    # The program's own log lines, losses to 6 decimals, come out the same.
    number = re.compile(r"Loss: ([\d.]+)|Average loss: ([\d.]+)")
    got = [float(a or b) for a, b in number.findall(printed["ours"])]
    want = [float(a or b) for a, b in number.findall(printed["torch"])]
    assert len(got) == 8 and len(want) == 8
    assert_losses(got, want, rtol=RTOL32, atol=2e-6)
    assert_params(ours_model, tmodel, rtol=1e-4)


# ------------------------------------------------------- pytorch/examples: word language model


def _word_lm_train(lib, model, batches, lr=20.0, clip=0.25, transformer=False, ntokens=30):
    """main.py's train() loop (plain SGD through ``p.data.add_``), on given batches."""
    criterion = lib.nn.NLLLoss()
    model.train()
    hidden = None if transformer else model.init_hidden(batches[0][0].shape[1])
    losses = []
    for data, targets in batches:
        data, targets = lib.tensor(data), lib.tensor(targets).view(-1)
        model.zero_grad()
        if transformer:
            output = model(data).view(-1, ntokens)
        else:
            hidden = (
                tuple(h.detach() for h in hidden)
                if isinstance(hidden, tuple)
                else (hidden.detach())
            )
            output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


def _bptt_batches(steps, bptt=5, batch=3, vocab=30, seed=0):
    stream = np.random.default_rng(seed).integers(0, vocab, (steps * bptt + 1, batch))
    return [
        (stream[i : i + bptt], stream[i + 1 : i + 1 + bptt]) for i in range(0, steps * bptt, bptt)
    ]


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_word_language_model_rnn_trains_like_pytorch(torch, rnn_type):
    ours, theirs = both(torch, "pytorch_examples/word_language_model/model.py")
    tmodel = theirs.RNNModel(rnn_type, 30, 16, 16, 2, dropout=0.0, tie_weights=True)
    model = ours.RNNModel(rnn_type, 30, 16, 16, 2, dropout=0.0, tie_weights=True)
    copy_weights(model, tmodel)
    batches = _bptt_batches(4)
    assert_losses(_word_lm_train(ag, model, batches), _word_lm_train(torch, tmodel, batches))
    assert_params(model, tmodel, rtol=1e-4)


def test_word_language_model_transformer_trains_like_pytorch(torch):
    ours, theirs = both(torch, "pytorch_examples/word_language_model/model.py")
    tmodel = theirs.TransformerModel(30, 16, 2, 32, 2, dropout=0.0)
    model = ours.TransformerModel(30, 16, 2, 32, 2, dropout=0.0)
    copy_weights(model, tmodel)
    no_dropout(model)
    no_dropout(tmodel)
    batches = _bptt_batches(3)
    got = _word_lm_train(ag, model, batches, lr=0.5, transformer=True)
    want = _word_lm_train(torch, tmodel, batches, lr=0.5, transformer=True)
    assert_losses(got, want)
    assert_params(model, tmodel, rtol=1e-4)


def _write_corpus(folder):
    rng = np.random.default_rng(0)
    words = "the cat sat on a mat and dog ran to big red house with small green tree".split()
    folder.mkdir()
    for name, lines in (("train", 60), ("valid", 15), ("test", 15)):
        text = "\n".join(" ".join(rng.choice(words, rng.integers(3, 10))) for _ in range(lines))
        (folder / f"{name}.txt").write_text(text + "\n")


_WORD_LM = "pytorch_examples/word_language_model/"
_NUMBERS = re.compile(r"\b(?:loss|ppl)\s+([\d.]+)")


def _run_word_lm(flavour, folder, corpus, args):
    """word_language_model/main.py run as a script (python main.py ...), in a copy of its
    folder with the flavour's imports; its printed output."""
    folder.mkdir()
    for name in ("main.py", "model.py", "data.py"):
        (folder / name).write_text(programs_loader.source(_WORD_LM + name, flavour))
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, "main.py", "--data", str(corpus), "--save", "model.pt", *args]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--model", "LSTM"],
        ["--model", "GRU", "--tied", "--use-optimizer", "--lr", "0.01"],
        ["--model", "Transformer", "--lr", "5"],
    ],
    ids=["LSTM", "GRU-tied-AdamW", "Transformer"],
)
def test_word_language_model_script_runs_like_pytorch(torch, tmp_path, args):
    """The whole script, unchanged but for its imports: it trains for two epochs, saves the
    whole model with torch.save, loads it back with torch.load inside safe_globals (naming
    torch.nn.modules.* classes), and evaluates on the test set. Each run draws its initial
    weights from its own engine's random stream (the script seeds and builds the model
    itself), so the two runs are compared loosely; the exact comparison from shared weights
    is the test above."""
    _write_corpus(tmp_path / "corpus")
    common = ["--epochs", "2", "--emsize", "16", "--nhid", "16", "--bptt", "5"]
    common += ["--batch_size", "4", "--dropout", "0", "--log-interval", "5", *args]
    out = {
        flavour: _run_word_lm(flavour, tmp_path / flavour, tmp_path / "corpus", common)
        for flavour in ("ours", "torch")
    }
    for flavour in ("ours", "torch"):
        assert "End of training" in out[flavour], out[flavour]
        numbers = [float(v) for v in _NUMBERS.findall(out[flavour])]
        # 2 epochs x (4 logged batches + validation) x (loss, ppl), then the test loss and ppl
        assert len(numbers) == 22 and all(math.isfinite(v) for v in numbers), out[flavour]
        losses = numbers[::2]
        assert losses[-1] < losses[0], out[flavour]  # toward the random text's entropy, about ln 18
        if flavour == "ours":
            ours_test = losses[-1]
    assert ours_test == pytest.approx(losses[-1], rel=0.1)


# ------------------------------------------------- pytorch/examples: time sequence prediction


def test_time_sequence_prediction_trains_like_pytorch(torch, capsys):
    pytest.importorskip("matplotlib", reason="the program imports matplotlib")
    ours, theirs = both(torch, "pytorch_examples/time_sequence_prediction/train.py")
    # generate_sine_wave.py's data, fewer and shorter sequences.
    rng = np.random.RandomState(2)
    T, L, N = 20, 30, 6
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + rng.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype("float64")
    results = {}
    torch.manual_seed(0)
    tseq, ours_seq = theirs.Sequence(), ours.Sequence()
    copy_weights(ours_seq, tseq)
    for name, mod, lib, seq in (("torch", theirs, torch, tseq), ("ours", ours, ag, ours_seq)):
        inp, target = lib.from_numpy(data[3:, :-1]), lib.from_numpy(data[3:, 1:])
        seq.double()
        criterion = mod.nn.MSELoss()
        optimizer = mod.optim.LBFGS(seq.parameters(), lr=0.8)
        losses = []

        def closure(
            optimizer=optimizer, seq=seq, inp=inp, target=target, losses=losses, criterion=criterion
        ):
            optimizer.zero_grad()
            loss = criterion(seq(inp), target)
            losses.append(loss.item())
            loss.backward()
            return loss

        for _ in range(2):
            optimizer.step(closure)
        with lib.no_grad():
            future = 10
            pred = seq(lib.from_numpy(data[:3, :-1]), future=future)
            test_loss = criterion(pred[:, :-future], lib.from_numpy(data[:3, 1:])).item()
        results[name] = losses + [test_loss]
    assert_losses(results["ours"], results["torch"], rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------- kuangliu/pytorch-cifar ResNet


def test_cifar_resnet18_trains_like_pytorch(torch):
    """main.py's setup (SGD with momentum and weight decay, CrossEntropyLoss,
    CosineAnnealingLR) at lr 0.01, in float64: the first float32 step already agrees, but
    after it, a pre-activation within float32 rounding of 0 (|x| ~ 1e-6 against values ~ 8)
    can land on either side of a ReLU's kink in either engine, and with a batch of two that
    one element moves whole gradients by percents. In float64 both engines agree to ~1e-15."""
    ours, theirs = both(torch, "pytorch_cifar/models/resnet.py")
    torch.manual_seed(0)
    tmodel, model = theirs.ResNet18(), ours.ResNet18()
    copy_weights(model, tmodel)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((2, 3, 32, 32)), rng.integers(0, 10, 2)) for _ in range(3)]

    # float32: one forward and backward from the same weights.
    first = []
    for lib, crit, m in ((ag, nn, model), (torch, torch.nn, tmodel)):
        loss = crit.CrossEntropyLoss()(
            m(lib.tensor(batches[0][0].astype(np.float32))), lib.tensor(batches[0][1])
        )
        loss.backward()
        m.zero_grad()
        first.append(loss.item())
    assert_losses(first[:1], first[1:])

    results = {}
    for name, lib, opt_lib, crit, m in (
        ("ours", ag, optim, nn, model),
        ("torch", torch, torch.optim, torch.nn, tmodel),
    ):
        m.double()
        optimizer = opt_lib.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        scheduler = opt_lib.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
        criterion = crit.CrossEntropyLoss()
        m.train()
        losses = []
        for xb, yb in batches:
            optimizer.zero_grad()
            loss = criterion(m(lib.tensor(xb)), lib.tensor(yb))
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        results[name] = losses
    assert_losses(results["ours"], results["torch"], rtol=RTOL64, atol=ATOL64)
    assert_params(model, tmodel, rtol=1e-10)


def test_vendored_files_change_only_imports():
    """Each vendored file keeps its upstream licence and records its edits, every one an
    import line; undoing them gives back the upstream file byte for byte (its sha256, taken
    when it was vendored, is in the header)."""
    files = sorted(programs_loader.VENDORED.rglob("*.py"))
    assert len(files) == 11
    for path in files:
        text = path.read_text()
        assert text.startswith("# Vendored from https://github.com/"), path
        assert "Permission is hereby granted" in text or "Redistribution and use" in text, path
        edits = programs_loader.import_edits(path)
        for old, new in edits:
            for line in [old, *new]:
                assert re.fullmatch(r"(import|from) [\w.]+( as \w+| import [\w, ]+)?", line), line
            assert "torch" in old and not any(re.search(r"\btorch\b\.", n) for n in new)
        original = programs_loader.upstream(path).encode()
        assert hashlib.sha256(original).hexdigest() == programs_loader.recorded_sha256(path), path
