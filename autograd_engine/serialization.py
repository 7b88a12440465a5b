"""``save`` and ``load`` (``torch.save``/``torch.load``): checkpoints are safetensors files --
tensors under their state_dict keys, everything else in a versioned JSON document in the
file's metadata -- written atomically; objects that are not plain data are pickled inside
and loaded only with ``weights_only=False`` or an allowlist (``add_safe_globals``)."""

from __future__ import annotations

import _compat_pickle
import base64
import io
import json
import math
import os
import pickle
import struct
import zlib
from collections import OrderedDict

import numpy as np

from autograd_engine import _zip_checkpoint
from autograd_engine._atomic_write import write_atomically

__all__ = [
    "CheckpointError",
    "DEFAULT_PROTOCOL",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "safe_globals",
    "save",
]

DEFAULT_PROTOCOL = 2  # torch.serialization.DEFAULT_PROTOCOL
FORMAT = "autograd_engine.checkpoint"
VERSION = 2
META_KEY = "autograd_engine"  # the metadata entry that holds the JSON document
MAX_DEPTH = 100  # containers inside containers, in a saved object
MAX_DOCUMENT_BYTES = 16 * 2**20  # the JSON document (everything that is not an array)
MAX_HEADER_BYTES = 100_000_000  # the safetensors reader's own limit on a header
_ST_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
    "U8": "uint8", "BOOL": "bool", "C64": "complex64",
}  # fmt: skip
_STORABLE = frozenset(_ST_DTYPES.values())


class CheckpointError(RuntimeError):
    """A file that ``load`` cannot read: truncated, corrupt, over a size or depth limit, or not
    a checkpoint at all. Every malformed file gives this error (a ``RuntimeError``)."""


# --- the allowlist for weights_only (torch.serialization's safe globals) ---------------------

_user_safe_globals: set = set()


def add_safe_globals(safe_globals: list) -> None:
    """Mark classes/functions as safe for ``load(..., weights_only=True)``
    (``torch.serialization.add_safe_globals``).

    Each item is a class or function, or a ``(obj, "module.qualname")`` pair when the name in
    the file differs from ``obj.__module__ + "." + obj.__qualname__``.

    Example::

        >>> add_safe_globals([MyConfig])
        >>> load("run.ckpt")["config"]   # a pickled MyConfig, now allowed
    """
    global _user_safe_globals
    _user_safe_globals = _user_safe_globals | set(safe_globals)


def get_safe_globals() -> list:
    """The user-added globals that are safe for ``weights_only`` load."""
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    """Forget every global added by :func:`add_safe_globals`."""
    global _user_safe_globals
    _user_safe_globals = set()


class safe_globals:
    """Context manager that allows ``safe_globals`` for ``weights_only`` load inside its block
    (``torch.serialization.safe_globals``).

    Example::

        >>> with safe_globals([MyConfig]):
        ...     ckpt = load("run.ckpt")
    """

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc) -> None:
        global _user_safe_globals
        _user_safe_globals = _user_safe_globals - set(self.safe_globals)


def _allowed_globals() -> dict:
    import collections

    allowed = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.bytearray": bytearray,
        "builtins.complex": complex,
        "builtins.slice": slice,
        "_codecs.encode": __import__("codecs").encode,  # how protocol 2 pickles bytes
    }
    for item in _user_safe_globals:
        obj, name = item if isinstance(item, tuple) else (item, None)
        allowed[name or f"{obj.__module__}.{obj.__qualname__}"] = obj
    return allowed


UNSAFE_MESSAGE = (
    "The default value of `weights_only` in `autograd_engine.load` is `True` (as in PyTorch "
    "2.6 and later). Re-running `autograd_engine.load` with `weights_only=False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file "
    "from a trusted source."
)


class _WeightsOnlyError(pickle.UnpicklingError):
    pass


def _weights_only_failure(full_path: str) -> _WeightsOnlyError:
    return _WeightsOnlyError(
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint.\n\t(1) "
        f"{UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
        "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. Please "
        f"use `autograd_engine.serialization.add_safe_globals([{full_path}])` or the "
        f"`autograd_engine.serialization.safe_globals([{full_path}])` context manager to "
        "allowlist this global if you trust this class/function."
    )


# --- save ------------------------------------------------------------------------------------


def save(obj, f, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL) -> None:
    """Save ``obj`` to the path or binary file ``f`` (``torch.save``) as a safetensors file.

    Every Tensor and NumPy array in ``obj`` becomes a tensor of the file, named by its path:
    ``save(model.state_dict(), f)`` stores ``"0.weight"``, ``"0.bias"``... exactly as
    PyTorch's ``safetensors.torch.save_file(model.state_dict(), f)`` would, so PyTorch reads
    it with ``safetensors.torch.load_file`` (and ``torch.load``); a checkpoint dict
    ``{"model": sd, "optimizer": ...}`` stores ``"model.0.weight"``, ``"optimizer.state.0.
    exp_avg"``... Everything else -- the structure, numbers, strings, dtypes, devices, the
    order of keys -- goes into the file's metadata as a versioned JSON document, so plain data
    (nested dicts, lists, tuples, sets of Tensors, arrays, NumPy scalars, numbers, strings,
    bytes, bools, None) loads back without running any code.

    Any other object (a whole ``nn.Module``, a dataclass, an ``argparse.Namespace``) is
    pickled with ``pickle_module`` into the document, its Tensors still stored as tensors of
    the file; ``load`` then refuses it unless called with ``weights_only=False`` or the
    classes are allowed by :func:`add_safe_globals`, as ``torch.load`` does.

    Saving to a path is atomic: a temporary file in the same folder is written, flushed to
    disk and renamed over ``f``, so a crash leaves any previous file at ``f`` as it was; the
    temporary files of a killed save are removed by the next save to the same path. A
    symlink is followed (its target is written); anything that is not a regular file or a
    new path (a folder, a FIFO, a device) is refused. A new file gets the permissions
    ``open()`` would give (0644 under the usual umask 022), an existing one keeps its own.

    Example::

        >>> save(model.state_dict(), "model.safetensors")
        >>> save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3},
        ...      "run.ckpt")
    """
    encoder = _Encoder(pickle_module, pickle_protocol)
    document = {"format": FORMAT, "version": VERSION, "obj": encoder.encode(obj, (), 0)}
    document["crc32"] = {key: _crc32(array) for key, array in encoder.arrays.items()}
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ValueError(
            f"save: the non-tensor part of the object takes {len(text)} bytes of JSON, over the "
            f"limit of {MAX_DOCUMENT_BYTES}; store large data as Tensors or NumPy arrays."
        )
    # NOTE: "format": "pt" tells Hugging Face's loaders the tensors are in PyTorch's layout.
    metadata = {"format": "pt", META_KEY: text}
    import safetensors.numpy

    if hasattr(f, "write"):
        f.write(safetensors.numpy.save(encoder.arrays, metadata=metadata))
        return

    def write(tmp: str) -> None:
        safetensors.numpy.save_file(encoder.arrays, tmp, metadata=metadata)

    write_atomically(os.fspath(f), write)


class _Encoder:
    """Turns an object into a JSON-able tree, collecting its arrays under path names."""

    def __init__(self, pickle_module, protocol: int):
        import autograd_engine as ag

        self.ag = ag
        self.arrays: dict[str, np.ndarray] = {}
        self.pickle_module, self.protocol = pickle_module, protocol

    def add(self, array: np.ndarray, path: tuple, what: str) -> str:
        array = np.asarray(array)
        if array.dtype.name not in _STORABLE:
            raise TypeError(
                f"save: cannot store {what} {'.'.join(path)!r} of dtype {array.dtype}; "
                f"safetensors holds {', '.join(sorted(_STORABLE))}"
            )
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        name, n = ".".join(path), 1
        while name in self.arrays:  # {"a.b": x, "a": {"b": y}} flatten to the same name
            name, n = f"{'.'.join(path)}#{n}", n + 1
        self.arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
        return name

    def encode(self, obj, path: tuple, depth: int):
        ag, kind = self.ag, type(obj)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"$t": "float", "v": repr(obj)}
        if depth > MAX_DEPTH:
            raise ValueError(
                f"save: the object nests containers more than {MAX_DEPTH} deep (at "
                f"{'.'.join(path)!r}); checkpoints are limited to that depth."
            )
        if isinstance(obj, ag.Tensor) and kind in (ag.Tensor, _parameter_class()):
            node = {"$t": "tensor", "k": self.add(obj.numpy(), path, "tensor")}
            node.update(rg=bool(obj.requires_grad), dev=str(obj.device))
            if kind is not ag.Tensor:
                node["param"] = True
            return node
        if _is_array(obj) and _host(obj).dtype.name in _STORABLE:
            return {"$t": "ndarray", "k": self.add(_host(obj), path, "array")}
        if isinstance(obj, np.generic) and type(obj.item()) in (bool, int, float, complex):
            return {"$t": "scalar", "dtype": obj.dtype.str, "v": self.encode(obj.item(), path, 0)}
        if kind is complex:
            return {
                "$t": "complex",
                "v": [self.encode(obj.real, path, 0), self.encode(obj.imag, path, 0)],
            }
        if kind is bytes:
            return {"$t": "bytes", "v": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, np.dtype):
            return {"$t": "dtype", "v": obj.str}
        if kind is self.ag.dtype:  # the engine's dtype objects (``t.dtype``), as PyTorch's
            return {"$t": "dtype", "v": obj.dtype.str, "torch": True}
        if kind is self.ag.Size:
            return {"$t": "Size", "v": [int(s) for s in obj]}
        if kind is ag.Device:
            return {"$t": "device", "v": str(obj)}
        step = depth + 1
        if kind in (list, tuple, set, frozenset):
            items = sorted(obj, key=repr) if kind in (set, frozenset) else obj
            v = [self.encode(x, (*path, str(i)), step) for i, x in enumerate(items)]
            return v if kind is list else {"$t": kind.__name__, "v": v}
        if kind in (dict, OrderedDict):
            v = [[self.encode(k, path, step), self.encode(x, (*path, str(k)), step)]
                 for k, x in obj.items()]  # fmt: skip
            return {"$t": "odict" if kind is OrderedDict else "dict", "v": v}
        return self.pickle(obj, path)

    def pickle(self, obj, path: tuple) -> dict:
        """A pickle of ``obj`` whose Tensors and arrays are stored as tensors of the file."""
        encoder = self

        class Pickler(self.pickle_module.Pickler):
            def persistent_id(self, x):
                ag = encoder.ag
                if isinstance(x, ag.Tensor) and type(x) in (ag.Tensor, _parameter_class()):
                    name = encoder.add(x.numpy(), (*path, "pickled", str(len(names))), "tensor")
                    names.append(name)
                    param = type(x) is not ag.Tensor
                    return ("tensor", name, bool(x.requires_grad), str(x.device), param)
                if _is_array(x) and _host(x).dtype.name in _STORABLE:
                    name = encoder.add(_host(x), (*path, "pickled", str(len(names))), "array")
                    names.append(name)
                    return ("array", name, str(encoder.ag.array_backend.device_of(x)))
                return None

        names: list[str] = []
        buffer = io.BytesIO()
        Pickler(buffer, protocol=self.protocol).dump(obj)
        return {"$t": "pickle", "v": base64.b64encode(buffer.getvalue()).decode("ascii")}


def _parameter_class():
    # NOTE: the core does not import nn; a Parameter only exists once nn is imported.
    import sys

    module = sys.modules.get("nn.parameter")
    return module.Parameter if module is not None else None


def _is_array(obj) -> bool:
    return isinstance(obj, np.ndarray) or (
        type(obj).__module__.startswith("cupy") and hasattr(obj, "get")
    )


def _host(array) -> np.ndarray:
    return array if isinstance(array, np.ndarray) else array.get()


# --- load ------------------------------------------------------------------------------------


def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args,
):
    """Load an object written by :func:`save` from a path or binary file (``torch.load``).

    Reads this package's checkpoints (safetensors files, and the zip files that ``save``
    wrote before) and any safetensors file -- one written by PyTorch's
    ``safetensors.torch.save_file`` or downloaded from Hugging Face loads as a dict of
    Tensors, ready for ``load_state_dict``.

    Args:
        f: a path or a binary file object.
        map_location: where Tensors go, as in ``torch.load``: ``None`` (where they were
            saved; a CUDA tensor needs a GPU here), a device or device string (all of them
            there), a dict remapping saved locations (``{"cuda:1": "cuda:0"}``), or a
            callable ``fn(tensor, location)`` given each Tensor on the CPU and its saved
            location, returning a Tensor or ``None`` for the default.
        pickle_module: the module that unpickles pickled objects; only with
            ``weights_only=False``.
        weights_only: ``True`` (the default, as in PyTorch 2.6+) loads only plain data:
            a pickled object in the file is refused with ``pickle.UnpicklingError`` unless
            its classes were allowed with :func:`add_safe_globals`; ``False`` unpickles it
            (only for files you trust: a pickle can run any code). A PyTorch ``.pt``/``.bin``
            pickle is read (through PyTorch) only with ``weights_only=False``.
        mmap: map the file's tensors from disk instead of reading them (a path to a
            safetensors file only); pages are read when used, writes stay private.
        pickle_load_args: passed to the unpickler with ``weights_only=False``
            (``encoding="utf-8"`` by default).

    Raises ``FileNotFoundError`` for a missing path and :class:`CheckpointError` (a
    ``RuntimeError``) naming the file when it is truncated, corrupt, over the limits, or not a
    checkpoint; memory stays bounded by the sizes the file really holds.

    Example::

        >>> ckpt = load("run.ckpt", map_location="cpu")
        >>> model.load_state_dict(ckpt["model"])
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if not weights_only:
        pickle_load_args.setdefault("encoding", "utf-8")
    is_path = not hasattr(f, "read")
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    name = repr(os.fspath(f)) if is_path else repr(getattr(f, "name", "<file>"))
    if is_path and not os.path.exists(f):
        raise FileNotFoundError(f"No such checkpoint file: {name}")
    placer = _Placer(map_location)
    unpickling = (weights_only, pickle_module, pickle_load_args)
    if not is_path:
        data = f.read()
        kind = _sniff(io.BytesIO(data), name)
        if kind != "safetensors":
            return _load_other(kind, io.BytesIO(data), len(data), name, placer, mmap, unpickling)
        return _load_safetensors(_BytesStore(data, name), name, placer, unpickling)
    with open(f, "rb") as fileobj:
        size = os.fstat(fileobj.fileno()).st_size
        kind = _sniff(fileobj, name)
        if kind != "safetensors":
            return _load_other(kind, fileobj, size, name, placer, mmap, unpickling)
        with _PathStore(os.fspath(f), fileobj, size, name, mmap) as store:
            return _load_safetensors(store, name, placer, unpickling)


def _load_safetensors(store, name: str, placer, unpickling):
    document = _document(store.metadata, name)
    if document is None:  # a safetensors file from elsewhere: a flat dict of tensors
        return {key: placer.tensor(store.array(key), "cpu") for key in store.keys()}
    crcs = document.get("crc32") if getattr(store, "header", None) is None else None

    def array(key):
        array = store.array(key)
        # NOTE: safetensors has no checksum; the document's CRC-32s catch flipped bits
        # (not checked under mmap=True, where nothing is read until used).
        if isinstance(crcs, dict) and key in crcs and _crc32(array) != crcs[key]:
            raise CheckpointError(
                f"Cannot load {name}: tensor {key!r} is corrupt (its CRC-32 does not match)."
            )
        return array

    return _Decoder(array, name, placer, *unpickling).decode(document["obj"], 0)


def _crc32(array: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(array).view(np.uint8))


def _sniff(fileobj, name: str) -> str:
    """What the file is, from its first bytes (the file position is put back)."""
    start = fileobj.tell()
    head = fileobj.read(16)
    fileobj.seek(start)
    # NOTE: safetensors first: its header length (8 bytes, little-endian) may start with 0x80
    if len(head) >= 9 and head[8:9] == b"{":
        return "safetensors"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and 1 <= head[1] <= 5:
        return "pickle"
    if not head:
        raise CheckpointError(f"Cannot load {name}: the file is empty.")
    raise CheckpointError(
        f"Cannot load {name}: not a checkpoint (neither a safetensors file nor a checkpoint "
        "zip); the file is truncated or corrupt, or was not written by autograd_engine.save."
    )


def _load_other(kind: str, fileobj, size: int, name: str, placer, mmap, unpickling):
    """A first-format zip checkpoint, or a PyTorch pickle (``torch.save``)."""
    if kind == "zip":
        zf = _zip_checkpoint.open_zip(fileobj, name, CheckpointError)
        with zf:
            names = zf.namelist()
            if _zip_checkpoint.TREE not in names and any(n.endswith("data.pkl") for n in names):
                return _load_torch_pickle(fileobj, name, placer, *unpickling)
            if mmap:
                raise RuntimeError(
                    f"load(mmap=True): {name} is a checkpoint in the first format (a zip), "
                    "which cannot be mapped; load it without mmap and save it again to get a "
                    "safetensors file."
                )
            tree = _zip_checkpoint.read_tree(zf, name, size, CheckpointError)

            def array(index):
                return _zip_checkpoint.read_array(zf, index, name, size, CheckpointError)

            return _Decoder(array, name, placer, True, None, {}).decode(tree["obj"], 0)
    return _load_torch_pickle(fileobj, name, placer, *unpickling)


def _load_torch_pickle(f, name: str, placer, weights_only: bool, pickle_module, args: dict):
    if weights_only:
        path = name.strip("'\"")
        raise pickle.UnpicklingError(
            f"Weights only load failed: {name} is a pickle file written by PyTorch's "
            "torch.save, and loading a pickle can run arbitrary code. Convert it once to "
            "safetensors, in PyTorch:\n"
            f'    python -c "import torch; from safetensors.torch import save_file; '
            f"save_file(torch.load('{path}', map_location='cpu'), 'model.safetensors')\"\n"
            "and load 'model.safetensors' here (if the file holds a checkpoint dict, save its "
            "state_dict entry). Or, only if you trust its source, load it with "
            "weights_only=False (PyTorch must be installed)."
        )
    try:
        import torch
    except ImportError as exc:
        raise RuntimeError(
            f"Cannot load {name}: it is a PyTorch pickle (torch.save), which only PyTorch can "
            "read; install torch, or convert the file to safetensors where PyTorch is."
        ) from exc
    f.seek(0)
    extra = {"pickle_module": pickle_module} if pickle_module is not None else {}
    obj = torch.load(f, map_location="cpu", weights_only=False, **extra, **args)
    return _from_torch(obj, torch, placer)


def _from_torch(obj, torch, placer):
    if isinstance(obj, torch.Tensor):
        return placer.tensor(obj.detach().cpu().numpy(), "cpu", obj.requires_grad)
    if type(obj) in (dict, OrderedDict):
        return type(obj)((k, _from_torch(v, torch, placer)) for k, v in obj.items())
    if type(obj) in (list, tuple):
        return type(obj)(_from_torch(v, torch, placer) for v in obj)
    return obj


class _Placer:
    """Puts loaded arrays where ``map_location`` says, as ``torch.load`` does."""

    def __init__(self, map_location):
        import autograd_engine as ag

        self.ag = ag
        self.fixed = self.mapping = self.fn = None
        if map_location is None:
            pass
        elif isinstance(map_location, (str, ag.Device)):
            self.fixed = ag.device(map_location)
        elif isinstance(map_location, dict):
            self.mapping = {str(k): str(ag.device(v)) for k, v in map_location.items()}
        elif callable(map_location):
            self.fn = map_location
        else:
            raise TypeError(
                "load: map_location must be a device, a device string, a dict or a callable, "
                f"got {type(map_location).__name__}"
            )

    def device(self, saved: str):
        ag = self.ag
        if self.fixed is not None:
            return self.fixed
        location = self.mapping.get(saved, saved) if self.mapping else saved
        try:
            dev = ag.device(location)
        except (RuntimeError, TypeError) as exc:
            raise CheckpointError(
                f"Cannot load: a tensor's saved device {saved!r} is invalid."
            ) from exc
        if dev.type == "cuda":
            if not ag.cuda.is_available():
                raise RuntimeError(
                    "Attempting to deserialize object on a CUDA device but "
                    "autograd_engine.cuda.is_available() is False. If you are running on a "
                    "CPU-only machine, please use autograd_engine.load with "
                    "map_location='cpu' to map your tensors to the CPU."
                )
            if dev.index >= ag.cuda.device_count():
                raise RuntimeError(
                    f"Attempting to deserialize object on CUDA device {dev.index} but "
                    f"autograd_engine.cuda.device_count() is {ag.cuda.device_count()}. Please "
                    "use autograd_engine.load with map_location to map your tensors to an "
                    "existing device."
                )
        return dev

    def tensor(self, array: np.ndarray, saved: str, requires_grad: bool = False):
        t = self.ag.from_numpy(array)
        mapped = None if self.fn is None else self.fn(t, saved)
        if mapped is not None:
            t = mapped
        else:
            dev = self.device(saved)
            if dev.type != "cpu":
                t = t.to(dev)
        return t.requires_grad_(True) if requires_grad else t

    def array(self, array: np.ndarray, saved: str):
        if self.fn is not None:
            return array
        return self.ag.array_backend.to_device(array, self.device(saved))


class _PathStore:
    """The tensors of a safetensors file on disk, checked by the safetensors reader."""

    def __init__(self, path: str, fileobj, size: int, name: str, mmap: bool | None):
        import safetensors

        self.path, self.name = path, name
        try:
            self.handle = safetensors.safe_open(path, framework="numpy")
            self.metadata = self.handle.metadata() or {}
            self._keys = list(self.handle.keys())
        except Exception as exc:  # SafetensorError, and OSError-likes for a bad header
            raise CheckpointError(
                f"Cannot load {name}: a damaged safetensors file ({exc})."
            ) from exc
        self.header = _read_header(fileobj, size, name) if mmap else None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.__exit__(None, None, None)

    def keys(self) -> list[str]:
        return self._keys

    def array(self, key: str) -> np.ndarray:
        if type(key) is not str or key not in self._keys:
            raise CheckpointError(f"Cannot load {self.name}: tensor {key!r} is missing.")
        if self.header is not None:
            return _mapped(self.path, self.header, key, self.name)
        try:
            array = self.handle.get_tensor(key)
        except (KeyError, TypeError) as exc:  # a dtype NumPy lacks (bfloat16, float8)
            raise _dtype_error(self.name, key, exc) from exc
        if array.dtype.kind == "V":
            # NOTE: with ml_dtypes imported (onnx imports it) safetensors hands back bfloat16
            # and float8 arrays, whose dtypes the engine has no tensors for: refuse them too.
            raise _dtype_error(self.name, key, array.dtype.name)
        return array if array.flags.writeable else array.copy()


class _BytesStore:
    """The tensors of a safetensors file read from a file object."""

    def __init__(self, data: bytes, name: str):
        import safetensors

        self.name = name
        try:
            self.views = dict(safetensors.deserialize(data))
        except Exception as exc:
            raise CheckpointError(
                f"Cannot load {name}: a damaged safetensors file ({exc})."
            ) from exc
        header = _read_header(io.BytesIO(data), len(data), name)
        self.metadata = header.get("__metadata__") or {}

    def keys(self) -> list[str]:
        return sorted(self.views)

    def array(self, key: str) -> np.ndarray:
        view = self.views.get(key) if type(key) is str else None
        if view is None:
            raise CheckpointError(f"Cannot load {self.name}: tensor {key!r} is missing.")
        if view["dtype"] not in _ST_DTYPES:
            raise _dtype_error(self.name, key, view["dtype"])
        dtype = np.dtype(_ST_DTYPES[view["dtype"]])
        return np.frombuffer(view["data"], dtype=dtype).reshape(view["shape"]).copy()


def _dtype_error(name: str, key: str, detail) -> CheckpointError:
    return CheckpointError(
        f"Cannot load {name}: tensor {key!r} has a dtype NumPy cannot hold ({detail}; bfloat16 "
        "and float8 have no NumPy dtype). Convert it in PyTorch first, e.g. "
        "save_file({k: v.float() for k, v in sd.items()}, path)."
    )


def _read_header(fileobj, size: int, name: str) -> dict:
    fileobj.seek(0)
    raw = fileobj.read(8)
    length = struct.unpack("<Q", raw)[0] if len(raw) == 8 else -1
    if not 0 < length <= min(MAX_HEADER_BYTES, size - 8):
        raise CheckpointError(f"Cannot load {name}: the safetensors header size is invalid.")
    try:
        header = json.loads(fileobj.read(length))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"Cannot load {name}: the safetensors header is corrupt.") from exc
    if not isinstance(header, dict):
        raise CheckpointError(f"Cannot load {name}: the safetensors header is corrupt.")
    header["__data_start__"] = 8 + length
    return header


def _mapped(path: str, header: dict, key: str, name: str) -> np.ndarray:
    entry = header[key]
    if entry["dtype"] not in _ST_DTYPES:
        raise _dtype_error(name, key, entry["dtype"])
    dtype, shape = np.dtype(_ST_DTYPES[entry["dtype"]]), tuple(entry["shape"])
    begin, end = entry["data_offsets"]
    if begin == end:
        return np.zeros(shape, dtype)
    # NOTE: mode "c" is copy-on-write, torch.load(mmap=True)'s MAP_PRIVATE: writes stay here.
    offset = header["__data_start__"] + begin
    return np.asarray(np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=shape))


def _document(metadata: dict, name: str):
    text = metadata.get(META_KEY)
    if text is None:
        return None
    if len(text) > MAX_DOCUMENT_BYTES:
        raise CheckpointError(
            f"Cannot load {name}: its document takes {len(text)} bytes, over the limit of "
            f"{MAX_DOCUMENT_BYTES}; the file is corrupt."
        )
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise CheckpointError(f"Cannot load {name}: its document is nested too deeply.") from exc
    except ValueError as exc:
        raise CheckpointError(f"Cannot load {name}: its document is not JSON ({exc}).") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(
            f"Cannot load {name}: its {META_KEY!r} metadata is not an autograd_engine checkpoint."
        )
    if document.get("version") != VERSION or "obj" not in document:
        raise CheckpointError(
            f"Cannot load {name}: checkpoint format version {document.get('version')!r} is not "
            f"supported (this autograd_engine reads version {VERSION}); upgrade it."
        )
    return document


class _Decoder:
    """Rebuilds an object from its tree; ``array(ref)`` gives the array a node refers to."""

    def __init__(self, array, name, placer, weights_only, pickle_module, pickle_load_args):
        import autograd_engine as ag

        self.ag, self.array, self.name, self.placer = ag, array, name, placer
        self.weights_only = weights_only
        self.pickle_module = pickle_module or pickle
        self.pickle_load_args = pickle_load_args

    def decode(self, node, depth: int):
        try:
            return self._decode(node, depth)
        except (KeyError, ValueError, IndexError, AttributeError, OverflowError, TypeError) as exc:
            raise CheckpointError(
                f"Cannot load {self.name}: the file is corrupt ({type(exc).__name__}: {exc})."
            ) from exc

    def _decode(self, node, depth: int):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if depth > MAX_DEPTH + 1:
            raise CheckpointError(f"Cannot load {self.name}: the object is nested too deeply.")
        step = depth + 1
        if isinstance(node, list):
            return [self._decode(x, step) for x in node]
        kind = node["$t"]
        if kind == "float":
            return float(node["v"])
        if kind == "tensor":
            array = self.array(node["k"] if "k" in node else node["i"])
            saved = node.get("dev", node.get("device", "cpu"))
            t = self.placer.tensor(array, saved, bool(node.get("rg", node.get("requires_grad"))))
            if node.get("param"):
                parameter = _parameter_class() or __import__("nn").Parameter
                t = parameter(t, requires_grad=t.requires_grad)
            return t
        if kind == "ndarray":
            return self.array(node["k"] if "k" in node else node["i"])
        if kind == "scalar":
            if "dtype" not in node:  # the first format kept scalars as 0-d arrays
                return self.array(node["i"])[()]
            return np.dtype(node["dtype"]).type(self._decode(node["v"], step))
        if kind == "complex":
            return complex(self._decode(node["v"][0], step), self._decode(node["v"][1], step))
        if kind == "bytes":
            return base64.b64decode(node["v"], validate=True)
        if kind == "dtype":
            if node.get("torch"):
                return self.ag.dtypes.torch_dtype(np.dtype(node["v"]))
            return np.dtype(node["v"])
        if kind == "Size":
            return self.ag.Size(node["v"])
        if kind in ("tuple", "set", "frozenset"):
            items = [self._decode(x, step) for x in node["v"]]
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](items)
        if kind in ("dict", "odict"):
            out = OrderedDict() if kind == "odict" else {}
            for k, v in node["v"]:
                out[_hashable(self._decode(k, step))] = self._decode(v, step)
            return out
        if kind == "device":
            return self.ag.device(node["v"])
        if kind == "pickle":
            return self.unpickle(base64.b64decode(node["v"], validate=True))
        raise CheckpointError(f"Cannot load {self.name}: unknown entry kind {kind!r}.")

    def unpickle(self, data: bytes):
        decoder, allowed = self, _allowed_globals() if self.weights_only else None
        base = pickle.Unpickler if self.weights_only else self.pickle_module.Unpickler
        args = {} if self.weights_only else self.pickle_load_args

        class Unpickler(base):
            def find_class(self, module, name):
                if allowed is None:
                    return super().find_class(module, name)
                # Protocol 2 (the default) names Python 2's modules (``__builtin__.set``);
                # map them to Python 3's as pickle and torch.load's weights-only unpickler do.
                if (module, name) in _compat_pickle.NAME_MAPPING:
                    module, name = _compat_pickle.NAME_MAPPING[(module, name)]
                elif module in _compat_pickle.IMPORT_MAPPING:
                    module = _compat_pickle.IMPORT_MAPPING[module]
                full_path = f"{module}.{name}"
                if full_path not in allowed:  # a builtin is named as code names it, as torch's
                    raise _weights_only_failure(name if module == "builtins" else full_path)
                return allowed[full_path]

            def persistent_load(self, pid):
                return decoder.persistent(pid)

        try:
            return Unpickler(io.BytesIO(data), **args).load()
        except _WeightsOnlyError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError,
                struct.error, RecursionError) as exc:  # fmt: skip
            raise CheckpointError(
                f"Cannot load {self.name}: a pickled object in it is corrupt "
                f"({type(exc).__name__}: {exc})."
            ) from exc

    def persistent(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] not in ("tensor", "array"):
            raise CheckpointError(f"Cannot load {self.name}: unknown pickled reference {pid!r}.")
        if pid[0] == "array":
            _, key, saved = pid
            return self.placer.array(self.array(key), saved)
        _, key, requires_grad, saved, param = pid
        t = self.placer.tensor(self.array(key), saved, bool(requires_grad))
        if param:
            t = (_parameter_class() or __import__("nn").Parameter)(t, requires_grad=requires_grad)
        return t


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    return key
