"""``save`` and ``load`` (``torch.serialization``): state_dicts and checkpoints in a zip of one
JSON tree plus ``.npy`` arrays -- a format whose loading runs no code -- written atomically."""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "autograd_engine.checkpoint"
VERSION = 1
_TREE = "tree.json"


class CheckpointError(RuntimeError):
    """A file that ``load`` cannot read: truncated, corrupt, or not written by ``save``."""


def _encode(obj, arrays: list):
    """A JSON-able tree for ``obj``; arrays are appended to ``arrays`` and referenced by index."""
    import autograd_engine as ag

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"$t": "float", "v": repr(obj)}
    if isinstance(obj, ag.Tensor):
        arrays.append(obj.numpy())
        return {
            "$t": "tensor",
            "i": len(arrays) - 1,
            "requires_grad": bool(obj.requires_grad),
            "device": str(obj.device),
        }
    if isinstance(obj, np.ndarray) or _is_cupy(obj):
        array = obj if isinstance(obj, np.ndarray) else obj.get()
        if array.dtype.kind in "OV":
            raise TypeError(
                f"save: cannot store a NumPy array of dtype {array.dtype} (object and "
                f"structured arrays are not plain data)"
            )
        arrays.append(array)
        return {"$t": "ndarray", "i": len(arrays) - 1}
    if isinstance(obj, np.generic):
        arrays.append(np.asarray(obj))
        return {"$t": "scalar", "i": len(arrays) - 1}
    if isinstance(obj, np.dtype):
        return {"$t": "dtype", "v": obj.str}
    if isinstance(obj, tuple):
        return {"$t": "tuple", "v": [_encode(x, arrays) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x, arrays) for x in obj]
    if isinstance(obj, dict):
        kind = "odict" if isinstance(obj, OrderedDict) else "dict"
        items = [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]
        return {"$t": kind, "v": items}
    if isinstance(obj, ag.Device):
        return {"$t": "device", "v": str(obj)}
    raise TypeError(
        f"save: cannot store an object of type {type(obj).__name__}; checkpoints hold nested "
        "dicts, lists and tuples of Tensors, NumPy arrays, numbers, strings, bools and None"
    )


def _is_cupy(obj) -> bool:
    return type(obj).__module__.startswith("cupy") and hasattr(obj, "get")


def save(obj, f) -> None:
    """Save ``obj`` (a state_dict or a checkpoint dict) to the path or binary file ``f``.

    Mirrors ``torch.save(obj, f)`` in use; the format is this package's own and runs no code
    when loaded (unlike pickle): a zip archive holding ``tree.json`` (the structure, the
    numbers and the strings) and one ``.npy`` file per array, read back with
    ``allow_pickle=False``. ``obj`` may nest dicts (any keys of these kinds, order kept),
    lists and tuples of Tensors, NumPy arrays and scalars, ints, floats (inf and nan
    included), strings, bools and None. Tensors are stored from the host; ``load`` gives
    them back on the CPU unless told otherwise.

    Saving to a path is atomic: the archive is written to a temporary file in the same
    folder, flushed to disk (``fsync``), then renamed over ``f`` (``os.replace``). A crash
    or an error in the middle leaves any previous file at ``f`` as it was.

    Example::

        >>> save({"model": model.state_dict(), "epoch": 3}, "run.ckpt")
    """
    arrays: list = []
    tree = {"format": FORMAT, "version": VERSION, "obj": _encode(obj, arrays)}
    if hasattr(f, "write"):
        _write(f, tree, arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            _write(out, tree, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _write(out, tree: dict, arrays: list) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(_TREE, json.dumps(tree, allow_nan=False))
        for i, array in enumerate(arrays):
            with zf.open(f"arrays/{i}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


def _fsync_dir(folder: str) -> None:
    # NOTE: makes the rename itself durable; not possible on every OS/filesystem (e.g. Windows).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(f, map_location=None, weights_only: bool = True):
    """Load an object written by ``save`` from a path or binary file.

    Mirrors ``torch.load(f, map_location=None, weights_only=True)``: ``map_location`` (a
    device or string such as ``"cuda"``) puts every Tensor on that device; without it
    Tensors come back where they were saved when that device exists here, else on the CPU.
    ``weights_only`` is accepted for PyTorch's signature; loading never runs code whatever
    its value.

    Raises ``FileNotFoundError`` for a missing path and ``CheckpointError`` (a
    ``RuntimeError``) naming the file when it is truncated, corrupt or not written by
    ``save``.

    Example::

        >>> ckpt = load("run.ckpt")
        >>> model.load_state_dict(ckpt["model"])
    """
    name = repr(os.fspath(f)) if not hasattr(f, "read") else repr(getattr(f, "name", "<file>"))
    if not hasattr(f, "read") and not os.path.exists(f):
        raise FileNotFoundError(f"No such checkpoint file: {name}")
    try:
        zf = zipfile.ZipFile(f, "r")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CheckpointError(
            f"Cannot load {name}: not a readable autograd_engine checkpoint (not a complete "
            f"zip archive: {exc}). The file is truncated or corrupt, or was not written by "
            "autograd_engine.save."
        ) from exc
    with zf:
        try:
            tree = json.loads(zf.read(_TREE))
        except KeyError as exc:
            raise CheckpointError(
                f"Cannot load {name}: it is a zip archive but not an autograd_engine "
                f"checkpoint (no {_TREE}); was it written by autograd_engine.save?"
            ) from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise CheckpointError(f"Cannot load {name}: the file is corrupt ({exc}).") from exc
        if not isinstance(tree, dict) or tree.get("format") != FORMAT:
            raise CheckpointError(
                f"Cannot load {name}: {_TREE} does not describe an autograd_engine checkpoint; "
                "was it written by autograd_engine.save?"
            )
        if tree.get("version") != VERSION:
            raise CheckpointError(
                f"Cannot load {name}: checkpoint format version {tree.get('version')!r} is not "
                f"supported (this autograd_engine reads version {VERSION}); upgrade it."
            )
        decoder = _Decoder(zf, name, map_location)
        try:
            return decoder.decode(tree["obj"])
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise CheckpointError(
                f"Cannot load {name}: the file is corrupt ({type(exc).__name__}: {exc})."
            ) from exc


class _Decoder:
    def __init__(self, zf: zipfile.ZipFile, name: str, map_location):
        import autograd_engine as ag

        self.ag = ag
        self.zf = zf
        self.name = name
        self.map_location = None if map_location is None else ag.device(map_location)

    def array(self, i: int) -> np.ndarray:
        member = f"arrays/{int(i)}.npy"
        try:
            data = self.zf.read(member)
            return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except KeyError as exc:
            raise CheckpointError(f"Cannot load {self.name}: array {member} is missing.") from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise CheckpointError(
                f"Cannot load {self.name}: array {member} is corrupt ({exc})."
            ) from exc

    def device(self, saved: str):
        if self.map_location is not None:
            return self.map_location
        dev = self.ag.device(saved)
        if dev.type == "cuda" and not self.ag.cuda.is_available():
            return self.ag.device("cpu")
        return dev

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(x) for x in node]
        kind = node["$t"]
        if kind == "float":
            return float(node["v"])
        if kind == "tensor":
            array = self.array(node["i"])
            t = self.ag.from_numpy(array)
            dev = self.device(node.get("device", "cpu"))
            if dev.type != "cpu":
                t = t.to(dev)
            if node.get("requires_grad"):
                t.requires_grad_(True)
            return t
        if kind == "ndarray":
            return self.array(node["i"])
        if kind == "scalar":
            return self.array(node["i"])[()]
        if kind == "dtype":
            return np.dtype(node["v"])
        if kind == "tuple":
            return tuple(self.decode(x) for x in node["v"])
        if kind in ("dict", "odict"):
            out = OrderedDict() if kind == "odict" else {}
            for k, v in node["v"]:
                out[_hashable(self.decode(k))] = self.decode(v)
            return out
        if kind == "device":
            return self.ag.device(node["v"])
        raise CheckpointError(f"Cannot load {self.name}: unknown entry kind {kind!r}.")


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    return key
