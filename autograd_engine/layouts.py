"""Memory formats and layouts with PyTorch's names: ``contiguous_format``, ``channels_last``
(NHWC strides for a 4-D tensor), ``channels_last_3d``, ``preserve_format``; ``strided``, the
one layout tensors have here."""

from __future__ import annotations

from . import array_backend

__all__ = [
    "memory_format", "layout", "contiguous_format", "channels_last", "channels_last_3d",
    "preserve_format", "strided", "sparse_coo", "jagged", "to_memory_format",
    "is_in_memory_format",
]  # fmt: skip


class memory_format:  # noqa: N801  (torch.memory_format)
    """How a tensor's elements are laid out in memory (``torch.memory_format``)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"autograd_engine.{self.name}"

    def __reduce__(self):
        return getattr, (__import__("autograd_engine"), self.name)


class layout:  # noqa: N801  (torch.layout)
    """The kind of storage of a tensor (``torch.layout``): ``strided`` here."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"autograd_engine.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")
sparse_coo = layout("sparse_coo")
jagged = layout("jagged")  # the layout of PyTorch's nested tensors, which do not exist here

_ORDERS = {"channels_last": (4, (0, 2, 3, 1)), "channels_last_3d": (5, (0, 2, 3, 4, 1))}


def _check(fmt) -> None:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be an autograd_engine.memory_format, got {fmt!r}")


def to_memory_format(a, fmt):
    """``a`` (an array) with the same values laid out in ``fmt`` (itself if it already is)."""
    _check(fmt)
    if fmt is preserve_format:
        return a
    xp = array_backend.get_array_module(a)
    if fmt is contiguous_format:
        return a if a.flags.c_contiguous else xp.ascontiguousarray(a)
    rank, order = _ORDERS[fmt.name]
    if a.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    if is_in_memory_format(a, fmt):
        return a
    inverse = [order.index(i) for i in range(rank)]
    return xp.ascontiguousarray(a.transpose(order)).transpose(inverse)


def is_in_memory_format(a, fmt) -> bool:
    """Whether array ``a``'s strides are those of ``fmt`` (size-1 dims are ignored)."""
    _check(fmt)
    if fmt in (contiguous_format, preserve_format):
        return bool(a.flags.c_contiguous)
    rank, order = _ORDERS[fmt.name]
    if a.ndim != rank:
        return False
    return bool(a.transpose(order).flags.c_contiguous)
