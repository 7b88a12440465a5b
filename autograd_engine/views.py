"""Views and version counters: a view shares its base's memory and version counter; when an
in-place op rebases one of them, the other gets a matching history (PyTorch's ``CopySlices``
and view regeneration). The core (``node.py``, ``engine.py``) calls ``refresh_view``; the
in-place ops in ``ops/inplace.py`` call ``copy_slices``."""

from __future__ import annotations

from . import array_backend
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["standin", "move_retain", "copy_slices", "refresh_view", "view_index"]


def standin(t: Tensor) -> Tensor:
    """A tensor with ``t``'s array and history: the value ``t`` had before the write."""
    old = Tensor._make(t.array)
    old.requires_grad = t.requires_grad
    old.grad_fn = t.grad_fn
    return old


def move_retain(t: Tensor, node) -> None:
    """``retain_grad()`` follows the tensor to its new history (PyTorch's rule)."""
    keeper = t._retains_grad
    if keeper:
        prev = t.grad_fn
        if prev is not None and prev._retain is keeper:
            prev._retain = None
        node._retain = keeper


def copy_slices(root: Tensor, view: Tensor) -> None:
    """After an in-place op recorded on ``view``, give its base the history
    ``root = root_old with root_old[view's positions] = view`` (PyTorch's CopySlices)."""
    index = view_index(root.array, view.array)
    if index is None:  # ``.data`` was replaced: the two no longer share memory
        view._base = None
        return
    from .ops.inplace import IndexPut  # NOTE: an ordinary op; imported here, used rarely

    out = IndexPut(index, inplace=True)(standin(root), view)
    move_retain(root, out.grad_fn)
    root.grad_fn = out.grad_fn
    root.requires_grad = True
    view._view_fn = root.grad_fn


def refresh_view(t: Tensor) -> None:
    """Give a view whose base was rebased since the view was made the history
    ``t = root[t's positions]``, so gradients see the base's new history."""
    root = t._base
    t._view_fn = root.grad_fn
    if not root.requires_grad:
        return
    index = view_index(root.array, t.array)
    if index is None:  # ``.data`` was replaced: the two no longer share memory
        t._base = None
        return
    from .ops.shape import GetItem  # NOTE: an ordinary op; imported here, used rarely

    with enable_grad():
        out = GetItem(index)(root)
    move_retain(t, out.grad_fn)
    t.grad_fn = out.grad_fn
    t.requires_grad = True


def _address(a) -> int:
    interface = getattr(a, "__cuda_array_interface__", None) or a.__array_interface__
    return interface["data"][0]


def _extent(a) -> tuple[int, int]:
    """The lowest and highest byte address of ``a``'s elements."""
    start = _address(a)
    low = start + sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s < 0 and n)
    high = start + sum((n - 1) * s for n, s in zip(a.shape, a.strides) if s > 0 and n)
    return low, high


def view_index(root, view) -> tuple | None:
    """The positions of ``view``'s elements in ``root`` (whose memory it shares), as a tuple of
    integer arrays of ``view``'s shape, for ``root[index]``; None if ``view`` does not lie in
    ``root``'s memory (a ``.data`` was replaced since the view was made).

    NOTE: found from the memory layout: each memory slot of ``root`` is labelled with its
    C-order position, then read back through ``view``'s offset and strides.
    """
    xp = array_backend.get_array_module(root)
    if array_backend.device_of(root) != array_backend.device_of(view) or root.dtype != view.dtype:
        return None
    if root.size == 0 or view.size == 0:
        empty = xp.zeros(view.shape, dtype=xp.int64)
        return (empty,) * root.ndim
    size = root.itemsize
    if any(s % size for s in root.strides + view.strides):
        return None
    low, high = _extent(root)
    view_low, view_high = _extent(view)
    if view_low < low or view_high > high or (view_low - low) % size:
        return None
    slots = xp.full((high - low) // size + 1, -1, dtype=xp.int64)
    as_strided = xp.lib.stride_tricks.as_strided

    def through(a):
        offset = (_address(a) - low) // size
        strides = tuple(s // size * slots.itemsize for s in a.strides)
        return as_strided(slots[offset:], a.shape, strides)

    through(root)[...] = xp.arange(root.size, dtype=xp.int64).reshape(root.shape)
    flat = through(view).copy()
    if bool((flat < 0).any()):  # a slot between root's elements: not a view of root
        return None
    return xp.unravel_index(flat, root.shape)
