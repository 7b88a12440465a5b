"""``nn.modules.utils`` (``torch.nn.modules.utils``): ``consume_prefix_in_state_dict_if_present``
(load a DataParallel/DDP checkpoint into the bare model) and the tuple helpers that module code
imports (``_single``, ``_pair``, ``_triple``, ``_quadruple``, ``_ntuple``)."""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """``t`` reversed, each element repeated ``n`` times (conv padding as ``F.pad`` takes it)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strip ``prefix`` from the keys of ``state_dict`` in place, where present
    (``torch.nn.modules.utils.consume_prefix_in_state_dict_if_present``): a checkpoint of a
    ``DistributedDataParallel`` model (keys ``"module.…"``) then loads into the bare model.

    Example::

        >>> consume_prefix_in_state_dict_if_present(state, "module.")
        >>> model.load_state_dict(state)
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix) :]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            # '' is the DDP wrapper's own entry (kept), 'module' the model, 'module.x' the rest
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                metadata[key[len(prefix) :]] = metadata.pop(key)
