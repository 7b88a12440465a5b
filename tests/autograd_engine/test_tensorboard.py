"""SummaryWriter: event files read back with TensorBoard's own reader (EventAccumulator), and
the same calls through torch.utils.tensorboard give the same events."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag

pytest.importorskip("tensorboard", reason="the optional tensorboard extra")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402

from autograd_engine.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def read(folder) -> event_accumulator.EventAccumulator:
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"tensors": 0})
    acc.Reload()
    return acc


def log_everything(writer_cls, folder):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(1000).astype(np.float32)
    image = rng.random((3, 8, 10)).astype(np.float32)
    with writer_cls(str(folder)) as w:
        for step in range(3):
            w.add_scalar("loss/train", 1.0 / (step + 1), step, walltime=100.0 + step)
        w.add_scalars("loss", {"train": 0.5, "val": 0.7}, 2, walltime=105.0)
        w.add_histogram("weights", values, 1, walltime=106.0)
        w.add_histogram("weights_auto", values, 1, bins="auto", walltime=106.0)
        w.add_image("picture", image, 0, walltime=107.0)
        w.add_image("grid", rng.random((5, 1, 4, 4)), 0, dataformats="NCHW", walltime=107.0)
        w.add_text("note", "hello **world**", 0, walltime=108.0)
        w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hparam/acc": 0.9}, run_name="hp")
    return values, image


def test_events_read_back_with_tensorboards_reader(tmp_path):
    values, image = log_everything(SummaryWriter, tmp_path)
    acc = read(tmp_path)
    scalars = acc.Scalars("loss/train")
    assert [(e.step, e.value, e.wall_time) for e in scalars] == [
        (0, 1.0, 100.0),
        (1, 0.5, 101.0),
        (2, pytest.approx(1 / 3), 102.0),
    ]
    (hist,) = acc.Histograms("weights")
    assert hist.step == 1 and hist.histogram_value.num == 1000
    assert hist.histogram_value.min == pytest.approx(values.min())
    assert sum(hist.histogram_value.bucket) == 1000
    (img,) = acc.Images("picture")
    assert (img.height, img.width) == (8, 10)
    import io

    from PIL import Image

    decoded = np.asarray(Image.open(io.BytesIO(img.encoded_image_string)))
    expected = (image.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded, expected)
    (grid,) = acc.Images("grid")
    assert (grid.height, grid.width) == (4, 20)
    (text,) = acc.Tensors("note/text_summary")
    assert text.tensor_proto.string_val == [b"hello **world**"]
    # add_scalars: one run folder per series, as torch names them
    for name, value in (("train", 0.5), ("val", 0.7)):
        (event,) = read(tmp_path / f"loss_{name}").Scalars("loss")
        assert event.value == pytest.approx(value) and event.step == 2
    hp = read(tmp_path / "hp")
    assert "_hparams_/experiment" in hp.summary_metadata
    assert hp.Scalars("hparam/acc")[0].value == pytest.approx(0.9)


def test_same_events_as_torch(tmp_path):
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    log_everything(SummaryWriter, tmp_path / "ours")
    log_everything(TorchWriter, tmp_path / "torch")
    ours, theirs = read(tmp_path / "ours"), read(tmp_path / "torch")
    assert ours.Tags()["scalars"] == theirs.Tags()["scalars"]
    assert ours.Scalars("loss/train") == theirs.Scalars("loss/train")
    for tag in ("weights", "weights_auto"):
        a, b = ours.Histograms(tag)[0].histogram_value, theirs.Histograms(tag)[0].histogram_value
        assert a == b
    for tag in ("picture", "grid"):
        assert ours.Images(tag) == theirs.Images(tag)
    assert ours.Tensors("note/text_summary") == theirs.Tensors("note/text_summary")
    assert ours.summary_metadata == theirs.summary_metadata
    folders = [
        {n for n in os.listdir(tmp_path / side) if not n.startswith("events.")}
        for side in ("ours", "torch")
    ]
    assert folders[0] == folders[1] == {"loss_train", "loss_val", "hp"}
    hp_ours, hp_theirs = read(tmp_path / "ours" / "hp"), read(tmp_path / "torch" / "hp")
    assert hp_ours.summary_metadata == hp_theirs.summary_metadata


def test_tensors_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("x", ag.tensor(2.5), 0)
        w.add_histogram("p", ag.randn(10, requires_grad=True), 0)
        log_dir = w.log_dir
    assert w.get_logdir() == log_dir
    parts = Path(log_dir).parts
    assert parts[0] == "runs" and parts[1].endswith("_" + socket.gethostname() + "_lr0.1")
    assert read(log_dir).Scalars("x")[0].value == 2.5


def test_close_then_write_again_and_flush(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_scalar("a", 1, 0)
    w.flush()
    assert read(tmp_path).Scalars("a")[0].value == 1
    w.close()
    w.close()  # a second close is harmless
    w.add_scalar("a", 2, 1)  # reopens a new event file, as torch does
    w.close()
    assert [e.value for e in read(tmp_path).Scalars("a")] == [1, 2]


def test_bad_input_messages(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"add_scalar\('x'\): expected one number.*\(3,\)"):
            w.add_scalar("x", np.ones(3), 0)
        with pytest.raises(ValueError, match="dataformats 'CHW' does not describe.*\\(4, 4\\)"):
            w.add_image("i", np.ones((4, 4)), 0)
        with pytest.raises(ValueError, match="no element"):
            w.add_histogram("h", np.zeros(0), 0)
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([1], {})


def test_missing_tensorboard_names_the_extra():
    code = (
        "import sys; sys.modules['tensorboard'] = None\n"
        "try:\n"
        "    import autograd_engine.utils.tensorboard\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "pip install -e '.[tensorboard]' in the checkout" in out.stdout, out.stderr
