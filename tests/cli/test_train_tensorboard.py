"""train --tensorboard: per-epoch curves and histograms, read back with TensorBoard's reader."""

import sys
from pathlib import Path

import pytest

from autograd_engine.cli import build_parser, config_from
from autograd_engine.training import train

pytest.importorskip("tensorboard", reason="the optional tensorboard extra")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402

QUICK = ["--epochs", "2", "--quiet", "--hidden", "32"]


def args_for(*argv):
    return config_from(build_parser().parse_args(["train", *argv])).replace(out=None)


def test_tensorboard_logs_curves_and_histograms(tmp_path):
    folder = tmp_path / "tb"
    log = train(args_for(*QUICK, "--val-split", "0.2", "--tensorboard", str(folder)))
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in ("Loss/train", "Loss/val", "Accuracy/train", "Accuracy/val", "LearningRate"):
        assert [e.step for e in acc.Scalars(tag)] == [1, 2], tag
    history = log["history"]
    assert [e.value for e in acc.Scalars("Loss/train")] == pytest.approx(
        [r["train_loss"] for r in history]
    )
    assert [e.value for e in acc.Scalars("Accuracy/val")] == pytest.approx(
        [r["val_acc"] for r in history]
    )
    assert acc.Scalars("LearningRate")[0].value == pytest.approx(history[0]["lr"])
    weights = [t for t in tags["histograms"] if t.startswith("weights/")]
    grads = [t for t in tags["histograms"] if t.startswith("grads/")]
    assert "weights/1.weight" in weights and "grads/1.weight" in grads
    assert len(weights) == len(grads) == 4  # two Linear layers: weight and bias
    assert [h.step for h in acc.Histograms("weights/1.weight")] == [1, 2]
    assert acc.Histograms("weights/1.weight")[1].histogram_value.num == 64 * 32


def test_bare_option_uses_summarywriters_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = args_for(*QUICK[:2], "--epochs", "1", "--tensorboard")
    assert config.tensorboard == ""
    train(config)
    (run,) = (tmp_path / "runs").iterdir()
    assert any(p.name.startswith("events.out.tfevents") for p in run.iterdir())
    assert args_for().tensorboard is None


def test_missing_tensorboard_is_a_clear_error(tmp_path, monkeypatch):
    from autograd_engine.training._build import RunError

    for name in [m for m in sys.modules if m.startswith("autograd_engine.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    message = r"--tensorboard: .*pip install -e '\.\[tensorboard\]'"
    with pytest.raises(RunError, match=message):
        train(args_for(*QUICK, "--tensorboard", str(tmp_path / "tb")))
    assert not Path(tmp_path / "tb").exists()
