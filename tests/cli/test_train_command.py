"""The training command: options and errors, outputs, exact resume, Ctrl-C, overfit-batch,
lr-find and search, and (slow) the accuracy of the default jobs."""

import gzip
import json
import os
import signal
import struct
import subprocess
import sys

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.cli import build_parser, config_from, main
from autograd_engine.training import RunConfig, load, train

QUICK = ["--epochs", "2", "--quiet", "--hidden", "32"]


def args_for(*argv, out=None):
    """The RunConfig the parser builds from train options; no files are written unless
    ``out`` is given."""
    config = config_from(build_parser().parse_args(["train", *argv]))
    return config.replace(out=None if out is None else str(out))


def test_the_parser_builds_the_config_tests_build_directly():
    parsed = args_for("--lr", "0.01", "--hidden", "64", "32", "--batchnorm", "--seed", "3")
    assert parsed == RunConfig(lr=0.01, hidden=[64, 32], batchnorm=True, seed=3)
    assert args_for() == RunConfig()
    default = config_from(build_parser().parse_args(["train"]))
    assert default.out == "runs/digits-mlp"


def test_run_config_checks_values_like_the_command_line():
    with pytest.raises(ValueError, match=r"--epochs: must be a positive integer, got 0"):
        RunConfig(epochs=0)
    with pytest.raises(ValueError, match=r"--optimizer: must be one of adam, sgd"):
        RunConfig(optimizer="lbfgs")
    with pytest.raises(ValueError, match=r"--overfit-batch cannot be combined with --resume"):
        RunConfig(overfit_batch=8, resume="x.ckpt")
    assert RunConfig(hidden=64).hidden == [64]
    resolved = RunConfig(model="cnn", optimizer="sgd", scheduler="step").resolved()
    assert (resolved.hidden, resolved.lr, resolved.gamma, resolved.epochs) == ([128], 0.1, 0.1, 30)


def test_trainer_refuses_a_namespace():
    from autograd_engine.training import Trainer

    with pytest.raises(TypeError, match="Trainer takes a RunConfig, got Namespace"):
        Trainer(build_parser().parse_args(["train"]))


def losses(history):
    return [(r["train_loss"], r["train_acc"], r["val_loss"], r["val_acc"]) for r in history]


def test_outputs_log_and_curves(tmp_path, capsys):
    assert main(["train", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/2  train loss" in out and "val loss" in out and "lr 1.00e-03" in out
    assert "test accuracy:" in out
    log = json.loads((tmp_path / "log.json").read_text())
    assert [r["epoch"] for r in log["history"]] == [1, 2]
    assert log["test"]["total"] == 355 and 0 < log["test"]["accuracy"] <= 1
    assert log["config"]["optimizer"] == "adam" and log["config"]["seed"] == 0
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_run(tmp_path):
    a = train(args_for(*QUICK, "--dropout", "0.2"))
    b = train(args_for(*QUICK, "--dropout", "0.2"))
    assert losses(a["history"]) == losses(b["history"])
    c = train(args_for(*QUICK, "--seed", "1"))
    assert losses(a["history"]) != losses(c["history"])


RESUME = [
    "--dropout",
    "0.2",
    "--quiet",
    "--scheduler",
    "exponential",
    "--augment",
    "--hidden",
    "32",
]


def test_resume_continues_the_same_run(tmp_path):
    straight = train(args_for("--epochs", "4", *RESUME))
    ckpt = str(tmp_path / "run.ckpt")
    first = train(args_for("--epochs", "2", *RESUME, "--checkpoint", ckpt))
    assert load(ckpt)["epoch"] == 2
    resumed = train(
        args_for(
            "--epochs",
            "4",
            *RESUME,
            "--resume",
            ckpt,
            "--checkpoint",
            ckpt,
        )
    )
    assert losses(first["history"]) == losses(straight["history"])[:2]
    assert losses(resumed["history"]) == losses(straight["history"])  # exactly, not approximately
    assert [r["lr"] for r in resumed["history"]] == [r["lr"] for r in straight["history"]]
    assert resumed["test"] == straight["test"]


def test_ctrl_c_saves_a_checkpoint_and_resume_is_exact(tmp_path, capsys):
    straight = train(args_for("--epochs", "3", *RESUME))
    ckpt = str(tmp_path / "run.ckpt")

    def press_ctrl_c(epoch, batch):
        if epoch == 1 and batch == 10:
            os.kill(os.getpid(), signal.SIGINT)

    log = train(
        args_for("--epochs", "3", *RESUME, "--checkpoint", ckpt),
        on_batch=press_ctrl_c,
    )
    assert log["interrupted"] and len(log["history"]) == 1 and "test" not in log
    saved = load(ckpt)
    assert (saved["epoch"], saved["batch"]) == (1, 10)
    resumed = train(args_for("--epochs", "3", *RESUME, "--resume", ckpt))
    assert losses(resumed["history"]) == losses(straight["history"])
    assert resumed["test"] == straight["test"]


def test_ctrl_c_without_checkpoint_exits_130(tmp_path, monkeypatch, capsys):
    from autograd_engine.training import _loop

    real = _loop.Trainer.train_step

    def step_then_ctrl_c(self, x, y):
        out = real(self, x, y)
        os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(_loop.Trainer, "train_step", step_then_ctrl_c)
    assert main(["train", *QUICK, "--epochs", "3", "--out", str(tmp_path)]) == 130
    assert "interrupted (no --checkpoint given" in capsys.readouterr().out


def test_resume_with_other_options_is_refused(tmp_path, capsys):
    ckpt = str(tmp_path / "run.ckpt")
    train(args_for(*QUICK, "--checkpoint", ckpt))
    code = main(["train", *QUICK, "--hidden", "64", "--resume", ckpt, "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "other options: --hidden [32] (this command: [64])" in err


def test_resume_from_a_corrupt_checkpoint_names_the_file(tmp_path, capsys):
    bad = tmp_path / "run.ckpt"
    bad.write_bytes(b"PK\x03\x04garbage")
    assert main(["train", *QUICK, "--resume", str(bad), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"--resume: Cannot load '{bad}'" in err and "truncated or corrupt" in err


def test_early_stopping_stops_and_restores(tmp_path, capsys):
    log = train(
        args_for("--epochs", "60", "--lr", "0.02", "--hidden", "32", "--early-stopping", "2")
    )
    assert len(log["history"]) < 60
    out = capsys.readouterr().out
    assert "early stopping: no better validation loss for 2 epochs" in out


def test_overfit_batch_drives_the_loss_to_zero(tmp_path, capsys):
    log = train(
        args_for("--overfit-batch", "32", "--epochs", "100", "--lr", "0.01", "--hidden", "64")
    )
    assert log["overfit"]["total"] == 32
    assert log["overfit"]["loss"] < 0.01 and log["overfit"]["accuracy"] == 1.0
    assert "overfit-batch: loss" in capsys.readouterr().out


def test_plot_grads_and_regularization_options(tmp_path, capsys):
    argv = [
        *QUICK,
        "--plot-grads",
        "--l1",
        "1e-5",
        "--weight-decay",
        "1e-4",
        "--clip-grad-norm",
        "1.0",
        "--clip-grad-value",
        "0.5",
        "--optimizer",
        "nesterov",
        "--scheduler",
        "onecycle",
    ]
    log = train(args_for(*argv, out=tmp_path))
    assert (tmp_path / "grads.png").exists()
    stats = log["grad_stats"]
    assert set(stats["grad"]) == {"1.weight (32, 64)", "3.weight (10, 32)"}
    assert all(v > 0 for v in stats["grad"]["1.weight (32, 64)"])


@pytest.mark.parametrize(
    "optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adamw", "nadam", "adamax"]
)
def test_every_optimizer_trains(tmp_path, optimizer):
    log = train(args_for("--epochs", "1", "--quiet", "--optimizer", optimizer))
    assert log["history"][0]["train_loss"] < 2.3


@pytest.mark.parametrize("scheduler", ["step", "exponential", "power", "plateau", "cosine"])
def test_every_scheduler_runs(tmp_path, scheduler):
    log = train(args_for(*QUICK, "--epochs", "3", "--scheduler", scheduler))
    lrs = [r["lr"] for r in log["history"]]
    assert lrs[0] == 1e-3 and (scheduler == "plateau" or lrs[2] < lrs[0])


def test_weight_decay_skips_biases(tmp_path):
    from autograd_engine.training._build import build_model, build_optimizer

    args = args_for("--weight-decay", "0.1", "--batchnorm")
    model = build_model(args, (1, 8, 8), 10)
    groups = build_optimizer(args, model).param_groups
    assert groups[0]["weight_decay"] == 0.1 and all(p.ndim > 1 for p in groups[0]["params"])
    assert groups[1]["weight_decay"] == 0.0 and all(p.ndim == 1 for p in groups[1]["params"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
        (["train", "--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["train", "--val-split", "1.5"], "must be a fraction in [0, 1), got 1.5"),
        (["train", "--device", "tpu"], "argument --device: must be cpu, cuda or cuda:N"),
        (["train", "--overfit-batch", "8", "--early-stopping", "3"], "no --early-stopping"),
        (["lr-find", "--start-lr", "1", "--end-lr", "0.1"], "--start-lr 1.0 must be below"),
        (["search", "--param", "lr"], "expected NAME=SPEC"),
        (["search", "--param", "colour=red,blue"], "'colour' is not a training option"),
        (["search", "--param", "lr=loguniform:1e-3"], "expected LOW:HIGH or LOW:HIGH:N"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_options_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cuda_without_a_gpu_says_so(capsys):
    if ag.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert main(["train", "--device", "cuda", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--device cuda was requested but no CUDA GPU is available" in err


def test_dataset_without_data_dir(capsys):
    assert main(["train", "--dataset", "mnist", "--quiet"]) == 2
    assert "--dataset mnist needs --data-dir" in capsys.readouterr().err


def test_missing_dataset_files_name_the_file(tmp_path, capsys):
    assert main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "'data_batch_1' not found" in err and "cifar-10-python.tar.gz" in err


def write_mnist(folder, n_train, n_test):
    """Tiny MNIST-format files (gzipped IDX) with random images and labels."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array in [("images-idx3", images), ("labels-idx1", labels)]:
            header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            with gzip.open(folder / f"{prefix}-{kind}-ubyte.gz", "wb") as f:
                f.write(header + array.tobytes())


def test_mnist_from_generated_files(tmp_path):
    write_mnist(tmp_path / "data", n_train=40, n_test=10)
    argv = ["--dataset", "mnist", "--data-dir", str(tmp_path / "data"), "--model", "cnn"]
    log = train(args_for(*argv, "--batchnorm", "--augment", *QUICK))
    assert log["test"]["total"] == 10 and len(log["history"]) == 2


def test_lr_find_command(tmp_path, capsys):
    assert main(["lr-find", "--steps", "60", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "lr_find.json").read_text())
    assert 1e-7 <= doc["suggested_lr"] <= 10
    assert (tmp_path / "lr_find.png").exists()
    assert "suggested lr" in capsys.readouterr().out


def test_search_command(tmp_path, capsys):
    argv = [
        "search",
        "--param",
        "lr=loguniform:1e-4:1e-1",
        "--param",
        "hidden=32,64",
        "--trials",
        "3",
        "--epochs",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    doc = json.loads((tmp_path / "search.json").read_text())
    assert len(doc["trials"]) == 3 and doc["best_params"]["hidden"] in (32, 64)
    assert (tmp_path / "search.csv").read_text().startswith("trial,seed,hidden,lr")
    assert "best of 3 completed trials" in capsys.readouterr().out


def test_module_entry_point_runs(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "autograd_engine",
        "train",
        "--epochs",
        "1",
        "--hidden",
        "32",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "test accuracy:" in done.stdout


@pytest.mark.slow
def test_default_job_reaches_97_percent(tmp_path):
    log = train(args_for("--quiet"))
    assert log["test"]["accuracy"] >= 0.97


@pytest.mark.slow
def test_cnn_reaches_98_percent(tmp_path):
    log = train(args_for("--model", "cnn", "--quiet"))
    assert log["test"]["accuracy"] >= 0.98
