"""``python -m autograd_engine train --compile``: the model's forward is compiled and the run's
numbers are the uncompiled run's, bit for bit."""

from __future__ import annotations

import json

import pytest

from autograd_engine.training import RunConfig, train


@pytest.mark.parametrize(
    "options",
    [
        {"model": "mlp", "optimizer": "sgd"},
        {"model": "mlp", "dropout": 0.2, "batchnorm": True, "optimizer": "adam", "l1": 1e-4},
        {"model": "cnn", "optimizer": "sgd", "clip_grad_norm": 1.0},
    ],
    ids=["mlp", "mlp-dropout-batchnorm", "cnn-clip"],
)
def test_compiled_training_run_matches_eager(options):
    base = {"epochs": 2, "quiet": True, "silent": True, "threads": 1, **options}
    if options["model"] == "cnn":
        base["hidden"] = [16]
    eager = train(RunConfig(**base))
    compiled = train(RunConfig(**base, compile=True))
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in eager["history"]]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in compiled["history"]]


def test_compile_option_on_the_command_line(tmp_path, capsys):
    from autograd_engine.cli import main

    assert main(["train", "--epochs", "1", "--compile", "--out", str(tmp_path)]) == 0
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["config"]["compile"] is True
