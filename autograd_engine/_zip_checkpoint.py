"""The reader of the first checkpoint format (a zip of ``tree.json`` and ``.npy`` arrays, written
by ``save`` before checkpoints became safetensors files): bounded memory, one error type."""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
import zlib

import numpy as np

FORMAT = "autograd_engine.checkpoint"
VERSION = 1
TREE = "tree.json"
MAX_TREE_BYTES = 16 * 2**20
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    NotImplementedError,  # an unknown zip version or compression method
    RuntimeError,  # an encrypted member
    struct.error,
)


def open_zip(fileobj, name: str, error):
    try:
        return zipfile.ZipFile(fileobj, "r")
    except _ZIP_ERRORS as exc:
        raise error(
            f"Cannot load {name}: not a readable checkpoint (a damaged zip archive: {exc}). The "
            "file is truncated or corrupt, or was not written by autograd_engine.save."
        ) from exc


def read_tree(zf: zipfile.ZipFile, name: str, size: int, error) -> dict:
    """The checked ``tree.json`` of a first-format checkpoint (``size`` is the file's size)."""
    info = _member(zf, TREE, name, size, error)
    if info.file_size > MAX_TREE_BYTES:
        raise error(
            f"Cannot load {name}: {TREE} declares {info.file_size} bytes (at most "
            f"{MAX_TREE_BYTES}); the file is corrupt."
        )
    try:
        tree = json.loads(zf.read(info))
    except RecursionError as exc:
        raise error(
            f"Cannot load {name}: {TREE} is nested too deeply; the file is corrupt."
        ) from exc
    except _ZIP_ERRORS as exc:
        raise error(f"Cannot load {name}: the file is corrupt ({exc}).") from exc
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise error(
            f"Cannot load {name}: {TREE} does not describe an autograd_engine checkpoint; "
            "was it written by autograd_engine.save?"
        )
    if tree.get("version") != VERSION:
        raise error(
            f"Cannot load {name}: checkpoint format version {tree.get('version')!r} is not "
            f"supported (this autograd_engine reads version {VERSION}); upgrade it."
        )
    return tree


def read_array(zf: zipfile.ZipFile, index, name: str, size: int, error) -> np.ndarray:
    """Array ``index`` of a first-format checkpoint, its declared shape checked against the
    bytes actually stored before anything is allocated."""
    if type(index) is not int or index < 0:
        raise error(f"Cannot load {name}: array reference {index!r} is not an index.")
    member = f"arrays/{index}.npy"
    info = _member(zf, member, name, size, error)
    try:
        data = zf.read(info)
        stream = io.BytesIO(data)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except _ZIP_ERRORS as exc:
        raise error(f"Cannot load {name}: array {member} is corrupt ({exc}).") from exc
    if dtype.hasobject or dtype.kind == "V":
        raise error(f"Cannot load {name}: array {member} has dtype {dtype} (not plain data).")
    count = math.prod(shape)
    if len(data) - stream.tell() != count * dtype.itemsize:
        raise error(
            f"Cannot load {name}: array {member} declares shape {shape} of {dtype} "
            f"({count * dtype.itemsize} bytes) but stores {len(data) - stream.tell()}; "
            "the file is corrupt."
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return array.reshape(shape, order="F" if fortran else "C").copy()


def _member(zf: zipfile.ZipFile, member: str, name: str, size: int, error) -> zipfile.ZipInfo:
    try:
        info = zf.getinfo(member)
    except KeyError as exc:
        if member == TREE:
            raise error(
                f"Cannot load {name}: it is a zip archive but not an autograd_engine "
                f"checkpoint (no {TREE}); was it written by autograd_engine.save?"
            ) from exc
        raise error(f"Cannot load {name}: array {member} is missing.") from exc
    # NOTE: ``save`` stored every member uncompressed, so a member's data lies in the file
    # itself: refusing compressed members bounds memory by the file's size (no zip bomb).
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        raise error(
            f"Cannot load {name}: {member} is compressed or encrypted, which "
            "autograd_engine.save never writes; the file is corrupt or was not written by it."
        )
    if info.file_size != info.compress_size or info.file_size > size:
        raise error(
            f"Cannot load {name}: {member} declares {info.file_size} bytes in a file of {size}; "
            "the file is corrupt."
        )
    return info
