"""``DataParallel``: PyTorch's single-process wrapper, for a module on the CPU or one GPU; on
several GPUs it refuses and points to ``DistributedDataParallel``."""

from __future__ import annotations

import autograd_engine as ag

from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Run ``module`` in this process (``torch.nn.DataParallel``).

    As in PyTorch, with no GPU (or ``device_ids`` naming one GPU) it simply calls the module,
    moving the inputs to that GPU first; ``.module`` is the wrapped model, and
    ``state_dict()`` keys start with ``module.``. Splitting a batch over several GPUs inside
    one process is not implemented: ``device_ids`` with more than one GPU raises and points to
    ``nn.parallel.DistributedDataParallel`` (one process per GPU), which PyTorch recommends
    over ``DataParallel`` too.

    Example::

        model = nn.DataParallel(Net())      # on a CPU machine: the same as Net()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if device_ids is None:
            device_ids = list(range(ag.cuda.device_count()))
        device_ids = [_index(d) for d in device_ids]
        if len(device_ids) > 1:
            raise NotImplementedError(
                f"DataParallel over several GPUs (device_ids={device_ids}) is not implemented: "
                "use nn.parallel.DistributedDataParallel with one process per GPU "
                "(python -m autograd_engine.distributed.run --nproc-per-node "
                f"{len(device_ids)} train.py), or pass device_ids=[0] to use one GPU"
            )
        self.module = module
        self.device_ids = device_ids
        self.output_device = (
            output_device if output_device is not None else (device_ids[0] if device_ids else None)
        )
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        device = ag.device(f"cuda:{self.device_ids[0]}")
        from .distributed import _to_device

        inputs, kwargs = _to_device((inputs, kwargs), device)
        return self.module(*inputs, **kwargs)


def _index(d) -> int:
    if isinstance(d, int):
        return d
    dev = ag.device(d)
    if dev.type != "cuda":
        raise ValueError(f"DataParallel device_ids must be GPUs, got {d!r}")
    return dev.index or 0
