"""Regression tests for the command-line findings of the adversarial probe (issue 16: M6, M7,
M8, L8, L11, L12, L13). Each goes through ``main`` as a user would, so it also ran against
the code before the fixes (and failed there)."""

import gzip
import json
import os
import signal
import struct

import pytest

from autograd_engine.cli import main

QUICK = ["--epochs", "1", "--quiet", "--hidden", "32"]


def strict_json(path):
    """``path`` parsed as strict JSON (no NaN or Infinity, which json.dumps writes by default)."""

    def refuse(name):
        raise ValueError(f"{path} holds {name}, which is not JSON")

    return json.loads(open(path).read(), parse_constant=refuse)


# --- M6: --batchnorm and a training batch of one sample -----------------------------------
def test_batchnorm_with_a_last_batch_of_one_sample_does_not_crash(tmp_path, capsys):
    # 1,442 training images, 216 held out: 1,226 = 49 * 25 + 1
    argv = ["train", "--batchnorm", "--val-split", "0.15", "--batch-size", "25", *QUICK]
    assert main([*argv, "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the last training batch of each epoch would hold 1 sample" in out
    log = strict_json(tmp_path / "log.json")
    assert len(log["history"]) == 2 and "test" in log


def test_batchnorm_with_batch_size_one_is_refused_with_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--batchnorm", "--batch-size", "1", *QUICK])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--batchnorm needs at least 2 samples per training batch" in err
    assert "--batch-size 2 or more" in err


def test_batchnorm_cnn_trains_on_one_sample_batches():
    # BatchNorm2d normalizes over N*H*W values, so one image is enough (as in PyTorch)
    from autograd_engine.training import RunConfig, train

    log = train(RunConfig(model="cnn", batchnorm=True, overfit_batch=1, epochs=2, quiet=True))
    assert len(log["history"]) == 2


# --- M7: Ctrl-C during search ---------------------------------------------------------------
SEARCH = ["search", "--param", "lr=loguniform:1e-4:1e-1", "--trials", "3", "--epochs", "1"]


def ctrl_c_at_step(monkeypatch, at: int):
    """Press Ctrl-C (SIGINT to this process) after training step number ``at`` (counted over
    all trials)."""
    from autograd_engine.training import _loop

    real, count = _loop.Trainer.train_step, [0]

    def step(self, x, y):
        out = real(self, x, y)
        count[0] += 1
        if count[0] == at:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(_loop.Trainer, "train_step", step)


def test_ctrl_c_in_search_stops_it_keeps_finished_trials_and_exits_130(
    tmp_path, monkeypatch, capsys
):
    ctrl_c_at_step(monkeypatch, 41 + 5)  # an epoch is 41 steps: trial 1, batch 5
    assert main([*SEARCH, "--out", str(tmp_path)]) == 130
    doc = strict_json(tmp_path / "search.json")
    assert [t["status"] for t in doc["trials"]] == ["complete", "interrupted"]
    assert doc["best_trial"] == 0 and doc["interrupted"] is True
    assert doc["trials"][1]["value"] is None
    captured = capsys.readouterr()
    assert "interrupted: trial 1 was stopped" in captured.err
    assert "best of 1 completed trial" in captured.out


def test_ctrl_c_in_the_first_epoch_of_a_search_exits_130(tmp_path, monkeypatch, capsys):
    ctrl_c_at_step(monkeypatch, 3)
    assert main([*SEARCH, "--out", str(tmp_path)]) == 130
    doc = strict_json(tmp_path / "search.json")
    assert [t["status"] for t in doc["trials"]] == ["interrupted"]
    assert doc["best_trial"] is None
    assert "no trial completed" in capsys.readouterr().out


def test_ctrl_c_outside_a_training_step_still_marks_the_trial(tmp_path, monkeypatch):
    from autograd_engine.training import _loop

    real, calls = _loop.build_data, [0]

    def build_data(config, dev):
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(config, dev)

    monkeypatch.setattr(_loop, "build_data", build_data)
    assert main([*SEARCH, "--out", str(tmp_path), "--quiet"]) == 130
    doc = strict_json(tmp_path / "search.json")
    assert [t["status"] for t in doc["trials"]] == ["complete", "interrupted"]


# --- M8: --out and --checkpoint are checked before the first step --------------------------
def no_training(monkeypatch):
    from autograd_engine.training import _loop

    def fail(*args, **kwargs):
        raise AssertionError("a training step ran before the files were checked")

    monkeypatch.setattr(_loop.Trainer, "train_step", fail)


def test_out_naming_a_file_is_refused_before_training(tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    assert main(["train", *QUICK, "--out", str(taken)]) == 2
    assert f"--out {taken}: is a file, not a folder" in capsys.readouterr().err
    assert taken.read_text() == "not a folder"


def test_checkpoint_in_a_missing_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)
    ckpt = tmp_path / "no" / "such" / "dir" / "x.ckpt"
    argv = ["train", *QUICK, "--checkpoint", str(ckpt), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--checkpoint {ckpt}: the folder {ckpt.parent} does not exist" in err


def test_checkpoint_naming_a_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)
    assert main(["train", *QUICK, "--checkpoint", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err


def test_search_and_lr_find_out_are_checked_before_work(tmp_path, monkeypatch, capsys):
    no_training(monkeypatch)
    taken = tmp_path / "taken"
    taken.write_text("")
    assert main([*SEARCH, "--out", str(taken)]) == 2
    assert main(["lr-find", "--steps", "10", "--out", str(taken)]) == 2
    assert capsys.readouterr().err.count("is a file, not a folder") == 2


# --- L8: IDX files with bad dimensions or a corrupt .gz ------------------------------------
def write_idx(path, header_dims, payload=b"", ndim=None):
    ndim = len(header_dims) if ndim is None else ndim
    header = bytes([0, 0, 0x08, ndim]) + struct.pack(f">{len(header_dims)}I", *header_dims)
    with gzip.open(path, "wb") as f:
        f.write(header + payload)


def mnist_folder(tmp_path, images_dims=None, corrupt=False):
    """The four MNIST files, tiny; the training images get ``images_dims`` in their header or
    a corrupt deflate stream."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in [("train", 20), ("t10k", 5)]:
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", [n], bytes(n))
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", [n, 28, 28], bytes(n * 784))
    bad = folder / "train-images-idx3-ubyte.gz"
    if images_dims is not None:
        write_idx(bad, images_dims, bytes(20 * 784))
    if corrupt:
        raw = bytearray(bad.read_bytes())
        raw[12:40] = bytes(b ^ 0xFF for b in raw[12:40])
        bad.write_bytes(bytes(raw))
    return folder, bad


@pytest.mark.parametrize(
    "dims, problem",
    [
        ([0xFFFFFFFF, 28, 28], "dimension 0 is 4294967295"),  # -1 as a signed int
        ([0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF], "promises shape (2147483647, 2147483647, "),
        ([0x10000, 0x10000, 0x10000, 0x10000], "promises shape (65536, 65536, 65536, 65536)"),
    ],
)
def test_idx_with_impossible_dimensions_names_the_file_and_exits_1(tmp_path, capsys, dims, problem):
    folder, bad = mnist_folder(tmp_path, images_dims=dims)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(folder), *QUICK]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and problem in err
    assert "Traceback" not in err and "--data-dir" in err


def test_idx_with_a_corrupt_gz_names_the_file_and_exits_1(tmp_path, capsys):
    folder, bad = mnist_folder(tmp_path, corrupt=True)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(folder), *QUICK]) == 1
    err = capsys.readouterr().err
    assert f"Cannot read '{bad}'" in err and "corrupt" in err
    assert "download it again" in err


def test_read_idx_refuses_negative_dims_with_runtime_error(tmp_path):
    from autograd_engine.datasets.mnist import read_idx

    path = tmp_path / "x.gz"
    write_idx(path, [0xFFFFFFFF, 2], bytes(8))
    with pytest.raises(RuntimeError, match=r"x.gz' is corrupt: its header's dimension 0"):
        read_idx(str(path))


# --- L11: non-finite hyperparameters; strict JSON ------------------------------------------
@pytest.mark.parametrize(
    "option, value",
    [
        ("--lr", "inf"),
        ("--lr", "1e400"),
        ("--lr", "nan"),
        ("--weight-decay", "inf"),
        ("--l1", "inf"),
        ("--noise", "inf"),
        ("--clip-grad-norm", "inf"),
    ],
)
def test_non_finite_hyperparameters_are_refused_with_exit_2(option, value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *QUICK, option, value])
    assert exc.value.code == 2
    assert f"argument {option}: " in capsys.readouterr().err


def test_log_json_is_strict_json_when_the_loss_diverges(tmp_path):
    argv = ["train", *QUICK, "--optimizer", "sgd", "--lr", "1e30", "--out", str(tmp_path)]
    assert main(argv) == 0
    log = strict_json(tmp_path / "log.json")
    assert log["history"][0]["train_loss"] is None  # NaN is written as null


# --- L12: tracebacks that become usage errors ----------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--seed", "-1"], "argument --seed: must be an integer seed >= 0, got -1"),
        (
            ["train", "--scheduler", "plateau", "--gamma", "1.5"],
            "--gamma 1.5: the plateau scheduler multiplies the rate by gamma, which must be "
            "below 1",
        ),
        (["lr-find", "--steps", "1"], "argument --steps: must be at least 2, got 1"),
        (["search", "--param", "optimizer=foo"], "--param 'optimizer=foo': --optimizer: must be"),
        (["search", "--param", "lr=choice:"], "--param 'lr=choice:': --lr: must be a positive"),
        (["search", "--param", "epochs=0"], "--param 'epochs=0': --epochs: must be a positive"),
        (["search", "--param", "augment=maybe"], "--augment: must be true or false, got 'maybe'"),
        (["search", "--param", "hidden=uniform:16:64"], "takes whole numbers: use randint"),
    ],
)
def test_bad_values_are_usage_errors_not_tracebacks(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--quiet"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_search_accepts_boolean_words(tmp_path):
    argv = [*SEARCH[:3], "--param", "augment=true,false", "--trials", "2", "--epochs", "1"]
    assert main([*argv, "--quiet", "--out", str(tmp_path)]) == 0
    doc = strict_json(tmp_path / "search.json")
    assert {t["params"]["augment"] for t in doc["trials"]} <= {True, False}


# --- L13: --resume with an explicit value equal to the run's own ---------------------------
def test_resume_accepts_explicit_values_equal_to_the_runs_defaults(tmp_path, capsys):
    ckpt = str(tmp_path / "run.ckpt")
    out = str(tmp_path / "out")
    assert main(["train", *QUICK, "--scheduler", "step", "--checkpoint", ckpt, "--out", out]) == 0
    again = ["train", "--quiet", "--hidden", "32", "--epochs", "2", "--scheduler", "step"]
    again += ["--lr", "0.001", "--gamma", "0.1", "--resume", ckpt, "--out", out + "2"]
    assert main(again) == 0, capsys.readouterr().err
    assert len(strict_json(os.path.join(out + "2", "log.json"))["history"]) == 2


def test_resume_still_refuses_a_different_learning_rate(tmp_path, capsys):
    ckpt = str(tmp_path / "run.ckpt")
    assert main(["train", *QUICK, "--checkpoint", ckpt, "--out", str(tmp_path / "a")]) == 0
    argv = ["train", *QUICK, "--lr", "0.002", "--resume", ckpt, "--out", str(tmp_path / "b")]
    assert main(argv) == 2
    assert "--lr 0.001 (this command: 0.002)" in capsys.readouterr().err
