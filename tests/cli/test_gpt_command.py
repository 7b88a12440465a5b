"""The char-level GPT job of the training command (``train --dataset shakespeare-char --model
gpt``) on a tiny model for a few steps: options and their errors, progress output, outputs,
checkpoints and exact resume (also after Ctrl-C), lr-find, and the ``generate`` command."""

from __future__ import annotations

import json
import os
import signal

import pytest

from autograd_engine.cli import build_parser, config_from, main
from autograd_engine.training import RunConfig, load, train

TINY = ["--dataset", "shakespeare-char", "--model", "gpt", "--n-layer", "1", "--n-head", "2",
        "--n-embd", "16", "--block-size", "16", "--batch-size", "4", "--quiet"]  # fmt: skip


def args_for(*argv, out=None):
    config = config_from(build_parser().parse_args(["train", *argv]))
    return config.replace(out=None if out is None else str(out))


def history(log):
    return [(r["step"], r["train_loss"], r["val_loss"], r["val_acc"]) for r in log["history"]]


def test_the_gpt_options_and_their_defaults():
    config = args_for("--dataset", "shakespeare-char", "--model", "gpt")
    assert config == RunConfig(dataset="shakespeare-char", model="gpt")
    assert config_from(build_parser().parse_args(["train", "--dataset", "shakespeare-char",
                                                   "--model", "gpt"])).out == (
        "runs/shakespeare-char-gpt"
    )  # fmt: skip
    resolved = config.resolved()
    assert (resolved.steps, resolved.eval_interval, resolved.epochs) == (1000, 200, 5)
    assert (resolved.block_size, resolved.n_layer, resolved.n_head, resolved.n_embd) == (
        64, 4, 4, 128,
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "shakespeare-char"], "is text: train it with --model gpt"),
        (["--model", "gpt"], "--model gpt is a language model: train it on a text dataset"),
        ([*TINY, "--steps", "10", "--eval-interval", "4"], "--steps 10 must be a multiple of"),
        ([*TINY, "--epochs", "3"], "use --steps instead of --epochs"),
        ([*TINY, "--batchnorm"], "--batchnorm applies to the image datasets"),
        ([*TINY, "--n-embd", "15"], "--n-embd 15 must be a multiple of --n-head 2"),
        (["--steps", "5"], "--steps applies to the text datasets"),
    ],
)
def test_option_errors(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_training_prints_steps_and_writes_log_curves_and_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "gpt.ckpt"
    argv = [*TINY, "--steps", "4", "--eval-interval", "2", "--out", str(tmp_path / "run"),
            "--checkpoint", str(ckpt)]  # fmt: skip
    assert main(["train", *[a for a in argv if a != "--quiet"]]) == 0
    out = capsys.readouterr().out
    assert "shakespeare-char gpt, adam: 955,712 training characters, 106,190 validation, " in out
    assert "117,990 test (69 distinct); context 16" in out
    assert "step 2/4  train loss" in out and "step 4/4  train loss" in out
    assert "test loss" in out and "nats/character, next-character accuracy" in out
    log = json.loads((tmp_path / "run" / "log.json").read_text())
    assert [r["step"] for r in log["history"]] == [2, 4]
    assert 3.0 < log["history"][-1]["val_loss"] < 4.5  # near ln(69) = 4.23 after four steps
    assert log["test"]["total"] == (117_990 - 17) // 16 * 16 + 16
    assert (tmp_path / "run" / "curves.png").stat().st_size > 1000
    saved = load(str(ckpt))
    assert saved["vocab"] == log["vocab"] if "vocab" in log else len(saved["vocab"]) == 69
    assert saved["epoch"] == 2 and saved["config"]["model"] == "gpt"


def test_resume_continues_the_same_run(tmp_path):
    straight = train(args_for(*TINY, "--steps", "6", "--eval-interval", "2"))
    ckpt = str(tmp_path / "run.ckpt")
    train(args_for(*TINY, "--steps", "2", "--eval-interval", "2", "--checkpoint", ckpt))
    resumed = train(args_for(*TINY, "--steps", "6", "--eval-interval", "2", "--resume", ckpt))
    assert history(resumed) == history(straight)  # exactly
    assert resumed["test"] == straight["test"]


def test_ctrl_c_mid_round_and_resume_is_exact(tmp_path):
    straight = train(args_for(*TINY, "--steps", "8", "--eval-interval", "4"))
    ckpt = str(tmp_path / "run.ckpt")

    def press_ctrl_c(epoch, batch):
        if epoch == 1 and batch == 2:
            os.kill(os.getpid(), signal.SIGINT)

    config = args_for(*TINY, "--steps", "8", "--eval-interval", "4", "--checkpoint", ckpt)
    log = train(config, on_batch=press_ctrl_c)
    assert log["interrupted"] and len(log["history"]) == 1
    saved = load(ckpt)
    assert (saved["epoch"], saved["batch"]) == (1, 2)
    resumed = train(args_for(*TINY, "--steps", "8", "--eval-interval", "4", "--resume", ckpt))
    assert history(resumed) == history(straight)


def test_lr_find_runs_on_text(tmp_path, capsys):
    code = main(["lr-find", *TINY, "--steps", "3", "--out", str(tmp_path)])
    assert code == 0
    assert "lr-find: " in capsys.readouterr().out
    assert (tmp_path / "lr_find.json").exists()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpt") / "gpt.ckpt"
    train(args_for(*TINY, "--steps", "2", "--eval-interval", "2", "--checkpoint", str(path)))
    return str(path)


def test_generate_continues_the_prompt_reproducibly(checkpoint, capsys):
    argv = ["generate", "--checkpoint", checkpoint, "--prompt", "ROMEO:", "--max-new-tokens",
            "40", "--temperature", "0.9", "--top-k", "20", "--seed", "3"]  # fmt: skip
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert first.startswith("ROMEO:") and len(first) == len("ROMEO:") + 40 + 1
    assert main(argv) == 0
    assert capsys.readouterr().out == first
    assert main([*argv[:-1], "4"]) == 0
    assert capsys.readouterr().out != first


def test_generate_several_samples(checkpoint, capsys):
    assert main(["generate", "--checkpoint", checkpoint, "--max-new-tokens", "10",
                 "--num-samples", "2"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.count("-" * 40) == 1


def test_generate_errors(checkpoint, tmp_path, capsys):
    assert main(["generate", "--checkpoint", checkpoint, "--prompt", "héllo"]) == 2
    assert "--prompt: characters 'é' are not in the vocabulary" in capsys.readouterr().err
    assert main(["generate", "--checkpoint", str(tmp_path / "none.ckpt")]) == 1
    assert "No such checkpoint file" in capsys.readouterr().err
    mlp = str(tmp_path / "mlp.ckpt")
    train(args_for("--epochs", "1", "--hidden", "8", "--quiet", "--checkpoint", mlp))
    assert main(["generate", "--checkpoint", mlp]) == 1
    assert "generate needs a --model gpt checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate"])
    assert "--checkpoint" in capsys.readouterr().err


def test_load_checkpoint_gives_the_model_and_vocabulary(checkpoint):
    import autograd_engine as ag
    from autograd_engine.training.gpt import GPT, load_checkpoint

    model, vocab = load_checkpoint(checkpoint)
    assert isinstance(model, GPT) and not model.training and len(vocab) == 69
    assert tuple(model(ag.zeros(1, 16, dtype=ag.int64)).shape) == (1, 16, 69)


def test_search_refuses_text_with_a_way_forward(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["search", *TINY, "--param", "lr=0.001,0.002", "--out", str(tmp_path)])
    assert "search runs the image datasets; for --dataset shakespeare-char" in (
        capsys.readouterr().err
    )
