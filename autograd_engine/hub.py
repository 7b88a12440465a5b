"""``autograd_engine.hub`` (``torch.hub``): the names exist so that code using them fails at
once with a clear message. Downloading models or weights from the network is not done by this
engine: download the file yourself and load it with ``autograd_engine.load`` (PyTorch
checkpoints: see docs/serialization.md)."""

from __future__ import annotations

import os

__all__ = ["load", "list", "help", "load_state_dict_from_url", "download_url_to_file",
           "get_dir", "set_dir"]  # fmt: skip

_dir = [os.path.join(os.path.expanduser("~"), ".cache", "autograd_engine", "hub")]


def _no_network(name: str):
    raise RuntimeError(
        f"hub.{name}: autograd_engine does not download models or weights (no network access "
        "from the library, and hub models are PyTorch code). Download the checkpoint yourself "
        "and load it with autograd_engine.load(path) (see docs/serialization.md for PyTorch "
        "files)."
    )


def load(repo_or_dir, model, *args, **kwargs):
    """Raises: hub models are PyTorch code fetched from the network (see the module doc)."""
    _no_network("load")


def list(github, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    """Raises: listing hub entry points needs the network (see the module doc)."""
    _no_network("list")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    """Raises: reading hub docs needs the network (see the module doc)."""
    _no_network("help")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):  # fmt: skip
    """Raises: downloading weights needs the network (see the module doc)."""
    _no_network("load_state_dict_from_url")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Raises: downloading needs the network (see the module doc)."""
    _no_network("download_url_to_file")


def get_dir() -> str:
    """The directory hub would cache downloads in (``torch.hub.get_dir``)."""
    return _dir[0]


def set_dir(d) -> None:
    """Set the directory returned by :func:`get_dir` (``torch.hub.set_dir``)."""
    _dir[0] = os.fspath(d)
