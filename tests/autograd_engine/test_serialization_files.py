"""Regressions of issue 16's file findings: symlinks and special files (M5), malformed files
give one error type with bounded memory (L7), the umask is honoured (L9), and the temporary
files of a killed save are cleaned up (L10)."""

import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import autograd_engine as ag
from autograd_engine.serialization import CheckpointError, load, save

ROOT = Path(__file__).resolve().parents[2]
V1_FILE = Path(__file__).parent / "data" / "checkpoint_v1.ckpt"
V1_TREE = {"format": "autograd_engine.checkpoint", "version": 1, "obj": {"$t": "ndarray", "i": 0}}


# --- M5: symlinks, FIFOs, devices ------------------------------------------------------------


def test_save_to_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.ckpt"
    save({"v": 1}, target)
    link = tmp_path / "link.ckpt"
    link.symlink_to(target)
    save({"v": 2}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target) == {"v": 2} and load(link) == {"v": 2}
    dangling = tmp_path / "dangling.ckpt"
    dangling.symlink_to(tmp_path / "new.ckpt")
    save({"v": 3}, dangling)
    assert dangling.is_symlink() and load(tmp_path / "new.ckpt") == {"v": 3}


def test_save_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"'.*pipe' is a FIFO; save writes regular files only"):
        save({"v": 1}, fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)
    with pytest.raises(ValueError, match=r"to-pipe' \(-> '.*pipe'\) is a FIFO"):
        save({"v": 1}, link)


def test_save_refuses_a_device_node(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here (needs root)")
    with pytest.raises(ValueError, match="is a device; save writes regular files only"):
        save({"v": 1}, node)
    assert stat.S_ISCHR(os.stat(node).st_mode)


def test_save_refuses_a_folder_and_a_missing_parent(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        save({"v": 1}, tmp_path)
    with pytest.raises(RuntimeError, match=r"Parent directory .*nope does not exist"):
        save({"v": 1}, tmp_path / "nope" / "x.ckpt")


# --- L7: malformed files -> CheckpointError, bounded memory -------------------------------------


def _v1_with(tmp_path, npy: bytes) -> Path:
    """A first-format checkpoint of one array with the given ``.npy`` bytes."""
    path = tmp_path / "v1.ckpt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tree.json", json.dumps(V1_TREE))
        zf.writestr("arrays/0.npy", npy)
    return path


def _patch_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    out = bytearray(data)
    i = out.find(b"PK\x01\x02")
    while i != -1:
        out[i + offset : i + offset + len(value)] = value
        i = out.find(b"PK\x01\x02", i + 4)
    return bytes(out)


def test_malformed_zip_version_gives_checkpoint_error(tmp_path):
    path = tmp_path / "v.ckpt"
    path.write_bytes(_patch_central_directory(V1_FILE.read_bytes(), 6, struct.pack("<H", 99)))
    with pytest.raises(CheckpointError, match="damaged zip archive"):
        load(path)


def test_encrypted_flag_gives_checkpoint_error(tmp_path):
    path = tmp_path / "e.ckpt"
    path.write_bytes(_patch_central_directory(V1_FILE.read_bytes(), 8, struct.pack("<H", 1)))
    with pytest.raises(CheckpointError, match="compressed or encrypted"):
        load(path)


def test_deep_nesting_gives_checkpoint_error(tmp_path):
    text = '{"format": "autograd_engine.checkpoint", "version": 1, "obj": ' + "[" * 50_000
    text += "]" * 50_000 + "}"
    path = tmp_path / "deep.ckpt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tree.json", text)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load(path)
    shallow_enough_for_json = "[" * 300 + "]" * 300
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tree.json", text[: text.index("[")] + shallow_enough_for_json + "}")
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load(path)
    # the same in the safetensors format's document
    document = '{"format": "autograd_engine.checkpoint", "version": 2, "obj": '
    for inner in ("[" * 50_000 + "]" * 50_000, shallow_enough_for_json):
        meta = {"autograd_engine": document + inner + "}"}
        safetensors.numpy.save_file({"x": np.zeros(1)}, tmp_path / "d.st", metadata=meta)
        with pytest.raises(CheckpointError, match="nested too deeply"):
            load(tmp_path / "d.st")


def test_huge_declared_npy_header_gives_checkpoint_error(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)}
    )
    path = _v1_with(tmp_path, npy=header.getvalue() + b"\x00" * 16)
    with pytest.raises(CheckpointError, match=r"declares shape \(1099511627776,\)"):
        load(path)


def test_huge_declared_safetensors_header_gives_checkpoint_error(tmp_path):
    path = tmp_path / "h.st"
    path.write_bytes(struct.pack("<Q", 2**60) + b'{"x": 1}')
    with pytest.raises(CheckpointError, match="damaged safetensors"):
        load(path)
    with open(path, "rb") as f, pytest.raises(CheckpointError, match="damaged safetensors"):
        load(f)
    header = json.dumps({"x": {"dtype": "F32", "shape": [2**20, 2**20], "data_offsets": [0, 4]}})
    path.write_bytes(struct.pack("<Q", len(header)) + header.encode() + b"\x00" * 4)
    with pytest.raises(CheckpointError, match="damaged safetensors"):
        load(path)


def test_wrong_kinds_in_the_document_give_checkpoint_error(tmp_path):
    bad = [
        {"$t": "tensor", "k": "missing"},
        {"$t": "tensor", "k": ["x"]},
        {"$t": "nope"},
        {"$t": "dict", "v": 5},
        {"$t": "scalar", "dtype": "<f4", "v": "x"},
        {"$t": "tensor", "k": "x", "dev": "tpu:0"},
        {"$t": "pickle", "v": "!!!"},
        {"$t": "bytes", "v": "%%%"},
    ]
    for obj in bad:
        text = json.dumps({"format": "autograd_engine.checkpoint", "version": 2, "obj": obj})
        safetensors.numpy.save_file(
            {"x": np.zeros(1)}, tmp_path / "w.st", metadata={"autograd_engine": text}
        )
        with pytest.raises(CheckpointError, match="Cannot load"):
            load(tmp_path / "w.st")


def _peak_rss_mib_of_load(path: Path) -> float:
    code = textwrap.dedent(f"""
        import resource
        import autograd_engine as ag
        import safetensors.numpy
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            ag.load({str(path)!r})
        except ag.serialization.CheckpointError as exc:
            print("CheckpointError", exc)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((peak - base) / 1024)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("CheckpointError"), out.stdout
    return float(lines[-1])


def test_zip_bomb_is_not_inflated(tmp_path):
    declared = 512 * 2**20  # 512 MiB of zeros in about 0.5 MiB
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (declared // 4,)}
    )
    path = tmp_path / "bomb.ckpt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tree.json", json.dumps(V1_TREE))
        info = zipfile.ZipInfo("arrays/0.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            member.write(header.getvalue())
            chunk = bytes(2**20)
            for _ in range(declared // len(chunk)):
                member.write(chunk)
    assert path.stat().st_size < 4 * 2**20
    assert _peak_rss_mib_of_load(path) < 64  # not 512 MiB


# --- L9: the umask -------------------------------------------------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_checkpoint_honours_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        save({"v": 1}, tmp_path / "a.ckpt")
        with open(tmp_path / "b", "wb"):  # what open() (and torch.save) gives
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.ckpt").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == mode


def test_existing_checkpoint_keeps_its_mode(tmp_path):
    path = tmp_path / "a.ckpt"
    save({"v": 1}, path)
    os.chmod(path, 0o640)
    save({"v": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


# --- L10: stale temporary files --------------------------------------------------------------


def test_next_save_cleans_temp_files_of_a_killed_save(tmp_path):
    path = tmp_path / "run.ckpt"
    code = textwrap.dedent(f"""
        import time, autograd_engine as ag
        from autograd_engine import serialization
        serialization.os.replace = lambda a, b: time.sleep(60)  # hang before the rename
        ag.save({{"w": ag.ones(1000)}}, {str(path)!r})
    """)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    stale = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert stale and stale[0].startswith(f".run.ckpt.{child.pid}.")
    save({"w": ag.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["run.ckpt"]
    assert load(path)["w"].tolist() == [0.0, 0.0]


def test_temp_files_of_a_running_save_are_left_alone(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / f".run.ckpt.{child.pid}.abcd1234.tmp"
        busy.write_bytes(b"being written")
        other = tmp_path / ".other.ckpt.1.abcd1234.tmp"  # another target's
        other.write_bytes(b"x")
        save({"v": 1}, tmp_path / "run.ckpt")
        assert busy.exists() and other.exists()
    finally:
        child.kill()
        child.wait(timeout=30)
    save({"v": 2}, tmp_path / "run.ckpt")
    assert not busy.exists() and other.exists()


def test_temp_files_of_the_earlier_naming_are_cleaned_when_old(tmp_path):
    old = tmp_path / ".run.ckpt.k2j4_x9a.tmp"  # how saves named them before the process id
    fresh = tmp_path / ".run.ckpt.q8w7e6r5.tmp"
    for path in (old, fresh):
        path.write_bytes(b"partial")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    save({"v": 1}, tmp_path / "run.ckpt")
    assert not old.exists() and fresh.exists()  # a fresh one may still be being written
