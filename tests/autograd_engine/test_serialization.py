"""save/load: round trips, atomic writes, and clear errors for bad files."""

import io
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import serialization
from autograd_engine.serialization import CheckpointError, load, save


def checkpoint():
    return {
        "model": OrderedDict(
            [("0.weight", ag.randn(3, 2)), ("0.bias", ag.zeros(3)), ("steps", ag.tensor(7))]
        ),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": ag.ones(3, 2)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "epoch": 4,
        "best": float("inf"),
        "nan": float("nan"),
        "name": "run",
        "flag": None,
        "array": np.arange(5, dtype=np.int16),
        "scalar": np.float32(1.5),
        "rng": ag.array_backend.generator_state(ag.device("cpu")),
    }


def test_round_trip_keeps_values_types_and_order(tmp_path):
    obj = checkpoint()
    path = tmp_path / "run.ckpt"
    save(obj, path)
    back = load(path)
    assert isinstance(back["model"], OrderedDict)
    assert list(back["model"]) == ["0.weight", "0.bias", "steps"]
    for k, v in obj["model"].items():
        assert isinstance(back["model"][k], ag.Tensor)
        assert back["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["optimizer"]["state"][0]["step"] == 3  # integer keys survive
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples too
    assert back["best"] == float("inf") and np.isnan(back["nan"])
    assert back["name"] == "run" and back["flag"] is None and back["epoch"] == 4
    assert back["array"].dtype == np.int16 and back["scalar"] == np.float32(1.5)
    assert isinstance(back["scalar"], np.float32)
    assert back["rng"] == obj["rng"]  # 128-bit integers of the PCG64 state


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    save({"w": ag.ones(2)}, buf)
    buf.seek(0)
    assert load(buf)["w"].numpy().tolist() == [1.0, 1.0]


def test_requires_grad_is_kept(tmp_path):
    save({"p": ag.ones(2, requires_grad=True)}, tmp_path / "p.ckpt")
    assert load(tmp_path / "p.ckpt")["p"].requires_grad


def test_format_has_no_pickle(tmp_path):
    save(checkpoint(), tmp_path / "c.ckpt")
    with zipfile.ZipFile(tmp_path / "c.ckpt") as zf:
        names = zf.namelist()
        assert names[0] == "tree.json" and all(n.endswith(".npy") for n in names[1:])
        for n in names[1:]:
            header = zf.read(n)[:128]
            assert b"'descr': '|O'" not in header


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store an object of type set"):
        save({"s": {1, 2}}, tmp_path / "x.ckpt")
    with pytest.raises(TypeError, match="dtype object"):
        save({"a": np.array([object()])}, tmp_path / "x.ckpt")
    assert not os.path.exists(tmp_path / "x.ckpt")


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    save({"epoch": 1, "w": ag.ones(100)}, path)
    good = path.read_bytes()

    real = np.lib.format.write_array
    calls = []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # e.g. Ctrl-C, or the process killed, mid-write
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", dying)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": ag.zeros(100), "v": ag.zeros(100)}, path)
    assert path.read_bytes() == good
    assert load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["run.ckpt"]  # the temporary file was removed


def test_write_is_fsynced_then_renamed(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        serialization.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd)
    )
    monkeypatch.setattr(
        serialization.os, "replace", lambda a, b: events.append("replace") or real_replace(a, b)
    )
    save({"x": 1}, tmp_path / "a.ckpt")
    assert events[:2] == ["fsync", "replace"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such checkpoint file: '.*nope.ckpt'"):
        load(tmp_path / "nope.ckpt")


def test_truncated_file_message(tmp_path):
    path = tmp_path / "run.ckpt"
    save(checkpoint(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"Cannot load '.*run.ckpt'.*truncated or corrupt"):
        load(path)


def test_corrupt_array_message(tmp_path):
    path = tmp_path / "run.ckpt"
    save({"w": ag.ones(1000)}, path)
    data = bytearray(path.read_bytes())
    i = data.find(b"\x00\x00\x80\x3f" * 4)  # inside the float32 ones
    data[i : i + 4] = b"\x00\x00\x80\x40"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"run.ckpt'.*arrays/0.npy is corrupt"):
        load(path)


def test_foreign_files_messages(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes.txt'.*not a complete zip archive"):
        load(text)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("data.pkl", b"x")
    with pytest.raises(CheckpointError, match=r"other.zip'.*no tree.json"):
        load(other)
    wrong = tmp_path / "wrong.zip"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("tree.json", '{"format": "something-else"}')
    with pytest.raises(CheckpointError, match="does not describe an autograd_engine checkpoint"):
        load(wrong)


def test_torch_checkpoint_is_refused_not_run(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="no tree.json"):
        load(path)


def test_map_location(tmp_path):
    save({"w": ag.ones(2)}, tmp_path / "w.ckpt")
    assert load(tmp_path / "w.ckpt", map_location="cpu")["w"].device == ag.device("cpu")
