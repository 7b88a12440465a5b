"""``autograd.graph`` (``torch.autograd.graph``): the graph's node type and saved-tensor hooks,
which decide how the tensors that operations save for backward are stored (``save_on_cpu``
keeps them in host memory until backward needs them)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from ..node import Node, _saved_hooks
from ..tensor import Tensor

__all__ = [
    "Node",
    "saved_tensors_hooks",
    "save_on_cpu",
    "disable_saved_tensors_hooks",
    "increment_version",
]

_disabled = contextvars.ContextVar("autograd_engine.saved_tensors_hooks_disabled", default=None)


class saved_tensors_hooks:
    """Context manager setting a pair of pack/unpack hooks for saved tensors
    (``torch.autograd.graph.saved_tensors_hooks``).

    While it is active, every tensor an operation saves for backward (the inputs and outputs
    that nodes keep, and what ``autograd.Function`` gives ``ctx.save_for_backward``) is passed
    to ``pack_hook``, and its result is stored instead; when backward reads the tensor,
    ``unpack_hook`` turns the stored object back into a Tensor of the same values. The unpacked
    tensor takes the saved one's place in the graph, so higher-order gradients still work.
    With hooks, the in-place check on saved tensors does not apply (PyTorch's rule): the pack
    hook decides whether a copy is kept. Hooks are per thread; nested hooks replace the outer
    ones inside them.

    NOTE: internal arrays that a few nodes keep besides tensors (masks, indices, a layer's
    per-step cache) are not tensors and do not go through the hooks.

    Args:
        pack_hook: ``pack_hook(tensor) -> Any``; it must not modify the tensor in place.
        unpack_hook: ``unpack_hook(packed) -> Tensor``.

    Example::

        def pack(t):
            return t.detach().clone()     # keep a private copy
        def unpack(t):
            return t
        with ag.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (x * x).sum()
        y.backward()
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._prev: list[tuple] = []

    def __enter__(self) -> saved_tensors_hooks:
        message = _disabled.get()
        if message is not None:
            raise RuntimeError(message)
        stack = _saved_hooks.get()
        self._prev.append(stack)
        _saved_hooks.set(stack + ((self.pack_hook, self.unpack_hook),))
        return self

    def __exit__(self, *exc) -> bool:
        _saved_hooks.set(self._prev.pop())
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors in host memory and move them back to their device in backward
    (``torch.autograd.graph.save_on_cpu``): trades GPU memory for transfers.

    Args:
        pin_memory: accepted for PyTorch compatibility. NOTE: the host copies are ordinary
            NumPy arrays here (no page-locked memory), so this changes nothing but speed.
        device_type: accepted for PyTorch compatibility ("cuda" is the only GPU type).

    Example::

        with ag.autograd.graph.save_on_cpu():
            loss = model(x).sum()     # what backward needs waits in host memory
        loss.backward()
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack_to_cpu(t: Tensor):
            return (t.device, t.detach().cpu())

        def unpack_from_cpu(packed) -> Tensor:
            device, t = packed
            return t.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """Context manager (and decorator) under which setting saved-tensor hooks raises
    ``RuntimeError(error_message)`` (``torch.autograd.graph.disable_saved_tensors_hooks``)."""

    def __init__(self, error_message: str):
        self.error_message = error_message
        self._prev: list = []

    def __enter__(self) -> None:
        self._prev.append(_disabled.get())
        _disabled.set(self.error_message)

    def __exit__(self, *exc) -> bool:
        _disabled.set(self._prev.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


def increment_version(tensor: Tensor | list | tuple) -> None:
    """Bump the version counter of a tensor (or of each tensor in a sequence), as an in-place
    write does: saved copies of it then fail the in-place check in backward
    (``torch.autograd.graph.increment_version``). Use it after changing a tensor's memory by
    means autograd cannot see (``.numpy()`` writes)."""
    tensors = (tensor,) if isinstance(tensor, Tensor) else tuple(tensor)
    for t in tensors:
        t._counter()[0] += 1
