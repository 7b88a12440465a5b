"""Hook handles shared by tensors and modules: ``RemovableHandle``
(``torch.utils.hooks.RemovableHandle``). Hooks are kept in dicts keyed by the handle's id, in
registration order."""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by every hook registration; ``remove()`` unregisters the hook. Also a context
    manager that removes the hook on exit (``torch.utils.hooks.RemovableHandle``).

    Example::

        handle = model.register_forward_hook(fn)
        ...
        handle.remove()
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregister the hook (``torch.utils.hooks.RemovableHandle.remove``)."""
        self.hooks_dict.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
