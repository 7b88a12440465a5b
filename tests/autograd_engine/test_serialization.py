"""save/load: safetensors checkpoints, round trips, atomic writes, map_location, mmap,
weights_only with pickled objects and safe globals, and the first (zip) format still read."""

import argparse
import dataclasses
import io
import json
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from safetensors.numpy import load_file

import autograd_engine as ag
import nn
from autograd_engine import serialization
from autograd_engine.serialization import CheckpointError, load, save

V1_FILE = Path(__file__).parent / "data" / "checkpoint_v1.ckpt"


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
        "extras": {"tags": {"a", "b"}, "frozen": frozenset({1}), "z": 1 + 2j, "raw": b"\x00\xff"},
        "dtype": np.dtype("float32"),
        "device": ag.device("cpu"),
    }


@dataclasses.dataclass
class Config:
    lr: float
    layers: tuple


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
    assert back["extras"] == obj["extras"] and type(back["extras"]["frozen"]) is frozenset
    assert back["dtype"] == np.float32 and back["device"] == ag.device("cpu")


def test_file_is_safetensors_with_state_dict_keys(tmp_path):
    path = tmp_path / "run.ckpt"
    save(checkpoint(), path)
    arrays = load_file(path)  # the safetensors package's own reader
    assert {"model.0.weight", "model.0.bias", "model.steps", "array"} <= set(arrays)
    assert "optimizer.state.0.exp_avg" in arrays
    with safetensors.safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    document = json.loads(meta["autograd_engine"])
    assert document["format"] == "autograd_engine.checkpoint" and document["version"] == 2
    assert meta["format"] == "pt"  # what Hugging Face's loaders look for
    # a bare state_dict keeps its own keys: what safetensors.torch.save_file would write
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    save(model.state_dict(), tmp_path / "model.safetensors")
    assert sorted(load_file(tmp_path / "model.safetensors")) == sorted(model.state_dict())


def test_colliding_flat_names_stay_apart(tmp_path):
    obj = {"a.b": ag.ones(1), "a": {"b": ag.zeros(1)}}
    save(obj, tmp_path / "c.ckpt")
    back = load(tmp_path / "c.ckpt")
    assert back["a.b"].item() == 1 and back["a"]["b"].item() == 0
    assert sorted(load_file(tmp_path / "c.ckpt")) == ["a.b", "a.b#1"]


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    save({"w": ag.ones(2)}, buf)
    buf.seek(0)
    assert load(buf)["w"].numpy().tolist() == [1.0, 1.0]


def test_requires_grad_and_parameters_are_kept(tmp_path):
    save({"p": ag.ones(2, requires_grad=True), "q": nn.Parameter(ag.ones(1))}, tmp_path / "p")
    back = load(tmp_path / "p")
    assert back["p"].requires_grad and not isinstance(back["p"], nn.Parameter)
    assert isinstance(back["q"], nn.Parameter) and back["q"].requires_grad


def test_dtypes_and_shapes_round_trip(tmp_path):
    obj = {
        str(dt): ag.tensor(np.arange(6).reshape(2, 3).astype(dt))
        for dt in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"]
    }
    obj["bool"] = ag.tensor([True, False])
    obj["empty"] = ag.zeros(0, 3)
    obj["scalar"] = ag.tensor(2.5)
    obj["noncontig"] = ag.tensor(np.arange(12.0).reshape(3, 4).T)
    obj["bigendian"] = np.arange(3, dtype=">f4")
    save(obj, tmp_path / "d")
    back = load(tmp_path / "d")
    for k, v in obj.items():
        want = v if isinstance(v, np.ndarray) else v.numpy()
        got = back[k] if isinstance(back[k], np.ndarray) else back[k].numpy()
        assert got.dtype == want.dtype.newbyteorder("=") and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want)


def test_lone_tensor_and_list(tmp_path):
    save(ag.arange(3), tmp_path / "t")
    assert load(tmp_path / "t").tolist() == [0, 1, 2]
    save([ag.ones(1), 2], tmp_path / "l")
    back = load(tmp_path / "l")
    assert back[0].tolist() == [1.0] and back[1] == 2


def test_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store tensor 'a' of dtype complex128"):
        save({"a": ag.tensor(np.zeros(2, np.complex128))}, tmp_path / "x")
    assert not os.path.exists(tmp_path / "x")


def test_other_numpy_arrays_are_pickled(tmp_path):
    save({"a": np.zeros(2, np.complex128)}, tmp_path / "x")
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL numpy"):
        load(tmp_path / "x")
    assert load(tmp_path / "x", weights_only=False)["a"].dtype == np.complex128


def test_too_deep_objects_are_refused_on_save(tmp_path):
    deep: list = []
    for _ in range(serialization.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match=r"nests containers more than 100 deep"):
        save(deep, tmp_path / "x")


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    save({"epoch": 1, "w": ag.ones(100)}, path)
    good = path.read_bytes()

    def dying(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C, or the process killed, mid-write

    monkeypatch.setattr(safetensors.numpy, "save_file", dying)
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
    with pytest.raises(CheckpointError, match=r"Cannot load '.*run.ckpt'.*damaged safetensors"):
        load(path)


def test_flipped_bit_in_a_tensor_is_caught(tmp_path):
    path = tmp_path / "run.ckpt"
    save({"w": ag.ones(1000)}, path)
    data = bytearray(path.read_bytes())
    i = data.find(b"\x00\x00\x80\x3f" * 4)  # inside the float32 ones
    data[i : i + 4] = b"\x00\x00\x80\x40"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"run.ckpt'.*tensor 'w' is corrupt.*CRC-32"):
        load(path)


def test_foreign_files_messages(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello world, not a checkpoint")
    with pytest.raises(CheckpointError, match=r"notes.txt'.*not a checkpoint"):
        load(text)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty'.*the file is empty"):
        load(tmp_path / "empty")
    import zipfile

    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", b"x")
    with pytest.raises(CheckpointError, match=r"other.zip'.*no tree.json"):
        load(other)
    wrong = tmp_path / "wrong.zip"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("tree.json", '{"format": "something-else"}')
    with pytest.raises(CheckpointError, match="does not describe an autograd_engine checkpoint"):
        load(wrong)


def test_first_format_checkpoints_still_load():
    # written by save() before checkpoints became safetensors files (a zip of JSON and .npy)
    back = load(V1_FILE)
    assert list(back["model"]) == ["0.weight", "0.bias", "steps"]
    assert back["model"]["0.weight"].numpy().tolist() == [[0, 1], [2, 3], [4, 5]]
    assert back["model"]["steps"].item() == 7 and back["model"]["steps"].dtype == ag.int64
    assert back["optimizer"]["state"][0]["exp_avg"].numpy().tolist() == [[1, 1]] * 3
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["best"] == float("inf") and np.isnan(back["nan"])
    assert back["array"].tolist() == [0, 1, 2, 3, 4] and back["array"].dtype == np.int16
    assert back["scalar"] == np.float32(1.5) and back["p"].requires_grad
    with open(V1_FILE, "rb") as f:
        assert load(f)["epoch"] == 4
    with pytest.raises(RuntimeError, match=r"first format \(a zip\).*save it again"):
        load(V1_FILE, mmap=True)


def test_resave_of_a_first_format_checkpoint_is_safetensors(tmp_path):
    save(load(V1_FILE), tmp_path / "new.ckpt")
    assert "model.0.weight" in load_file(tmp_path / "new.ckpt")
    assert load(tmp_path / "new.ckpt")["epoch"] == 4


# --- map_location --------------------------------------------------------------------------


def test_map_location_forms(tmp_path):
    save({"w": ag.ones(2)}, tmp_path / "w.ckpt")
    cpu = ag.device("cpu")
    assert load(tmp_path / "w.ckpt", map_location="cpu")["w"].device == cpu
    assert load(tmp_path / "w.ckpt", map_location=cpu)["w"].device == cpu
    assert load(tmp_path / "w.ckpt", map_location={"cuda:1": "cpu"})["w"].device == cpu
    seen = []

    def fn(t, location):
        seen.append(location)
        return t * 2

    assert load(tmp_path / "w.ckpt", map_location=fn)["w"].tolist() == [2.0, 2.0]
    assert seen == ["cpu"]
    assert load(tmp_path / "w.ckpt", map_location=lambda t, loc: None)["w"].tolist() == [1, 1]
    with pytest.raises(TypeError, match="map_location must be a device"):
        load(tmp_path / "w.ckpt", map_location=3)


def test_cuda_tensors_need_a_gpu_or_a_map_location(tmp_path):
    if ag.cuda.is_available():
        pytest.skip("this machine has a GPU")
    save({"w": ag.ones(2)}, tmp_path / "w.ckpt")
    # as if saved on a GPU: rewrite the recorded device in the document
    path = tmp_path / "w.ckpt"
    with safetensors.safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    meta["autograd_engine"] = meta["autograd_engine"].replace('"dev":"cpu"', '"dev":"cuda:0"')
    safetensors.numpy.save_file(load_file(path), path, metadata=meta)
    with pytest.raises(RuntimeError, match=r"CUDA device but autograd_engine.cuda.is_available"):
        load(path)
    assert load(path, map_location="cpu")["w"].device == ag.device("cpu")
    assert load(path, map_location={"cuda:0": "cpu"})["w"].device == ag.device("cpu")
    assert load(path, map_location=lambda t, loc: t)["w"].device == ag.device("cpu")


# --- mmap ------------------------------------------------------------------------------------


def test_mmap_maps_the_file_and_writes_stay_private(tmp_path):
    path = tmp_path / "m.ckpt"
    save({"w": ag.arange(6.0), "e": ag.zeros(0), "n": 3}, path)
    back = load(path, mmap=True)
    assert back["w"].tolist() == [0, 1, 2, 3, 4, 5] and back["n"] == 3
    base = back["w"].array
    while base.base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    back["w"].add_(1)  # copy-on-write: the file keeps its values
    assert load(path)["w"].tolist() == [0, 1, 2, 3, 4, 5]
    with open(path, "rb") as f, pytest.raises(ValueError, match="must be a file path"):
        load(f, mmap=True)


# --- weights_only, pickled objects and safe globals --------------------------------------------


def test_whole_module_needs_weights_only_false(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    save(model, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError) as info:
        load(tmp_path / "m.pt")
    message = str(info.value)
    assert "Weights only load failed" in message and "weights_only=False" in message
    assert "Unsupported global: GLOBAL nn.modules.container.Sequential" in message
    assert "autograd_engine.serialization.add_safe_globals([nn.modules.container.Sequential])" in (
        message
    )
    back = load(tmp_path / "m.pt", weights_only=False)
    assert isinstance(back, nn.Sequential) and isinstance(back[0].weight, nn.Parameter)
    x = ag.randn(4, 2)
    np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())
    # its tensors are tensors of the file, not bytes inside the pickle
    assert any(k.startswith("pickled") for k in load_file(tmp_path / "m.pt"))


def test_safe_globals_allow_listed_classes(tmp_path):
    cfg = Config(lr=0.1, layers=(2, 3))
    save({"config": cfg, "w": ag.ones(1)}, tmp_path / "c")
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL .*test_serialization.Config"):
        load(tmp_path / "c")
    with serialization.safe_globals([Config]):
        assert serialization.get_safe_globals() == [Config]
        assert load(tmp_path / "c")["config"] == cfg
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([Config])
    try:
        assert load(tmp_path / "c")["config"] == cfg
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    name = f"{Config.__module__}.{Config.__qualname__}"
    with serialization.safe_globals([(Config, name)]):
        assert load(tmp_path / "c")["config"] == cfg


def test_whole_module_loads_under_safe_globals_as_pytorchs(tmp_path):
    # word_language_model/main.py: torch.save(model) then torch.load inside safe_globals
    # listing the model's classes. Protocol 2 names Python 2's modules (a Module's sets
    # pickle as __builtin__.set); they map to Python 3's, as in torch.load.
    torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")
    for lib, library_nn, path in ((ag, nn, tmp_path / "ours"), (torch, torch.nn, tmp_path / "t")):
        model = library_nn.Sequential(library_nn.Linear(2, 3), library_nn.Dropout(0.0))
        lib.save(model, path)
        with lib.serialization.safe_globals([library_nn.Sequential, library_nn.Linear,
                                             library_nn.Dropout]):  # fmt: skip
            back = lib.load(path)
        assert isinstance(back, library_nn.Sequential) and isinstance(back[1], library_nn.Dropout)
    # A builtin not allowed is named as code spells it (range, not __builtin__.xrange).
    for lib in (ag, torch):
        lib.save({"r": range(2)}, tmp_path / "r")
        with pytest.raises(pickle.UnpicklingError) as info:
            lib.load(tmp_path / "r")
        assert "GLOBAL range was not an allowed global" in str(info.value)
        assert "add_safe_globals([range])" in str(info.value)


def test_namespace_and_unpicklable(tmp_path):
    save({"args": argparse.Namespace(lr=0.1)}, tmp_path / "a")
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace"):
        load(tmp_path / "a")
    assert load(tmp_path / "a", weights_only=False)["args"].lr == 0.1
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save({"f": lambda: 1}, tmp_path / "b")


def test_pickle_module_and_weights_only_conflict(tmp_path):
    save({"w": 1}, tmp_path / "w")
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle"):
        load(tmp_path / "w", pickle_module=pickle, weights_only=True)
    assert load(tmp_path / "w", pickle_module=pickle) == {"w": 1}  # implies weights_only=False


def test_plain_checkpoints_load_with_either_weights_only(tmp_path):
    save(checkpoint(), tmp_path / "c")
    for flag in (True, False):
        assert load(tmp_path / "c", weights_only=flag)["epoch"] == 4
