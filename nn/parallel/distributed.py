"""``DistributedDataParallel``: one model replica per process; gradients averaged across the
ranks in buckets whose all-reduce starts from backward hooks as soon as a bucket is ready."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

import autograd_engine as ag
import autograd_engine.distributed as dist
from autograd_engine import array_backend
from autograd_engine.distributed import process_group as _c10d

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_CAP_MB = 25


class _Bucket:
    """Consecutive parameters (in reverse registration order) of one dtype and device whose
    gradients travel together in one flat buffer."""

    __slots__ = ("indices", "offsets", "buffer", "pending", "work")

    def __init__(self, indices: list[int], params: list, xp):
        self.indices = indices
        self.offsets = []
        total = 0
        for i in indices:
            self.offsets.append(total)
            total += params[i].array.size
        self.buffer = xp.zeros(total, dtype=params[indices[0]].array.dtype)
        self.pending = len(indices)
        self.work = None


def _assign_buckets(params: list, caps: list[int]) -> list[list[int]]:
    """PyTorch's greedy assignment: walk the parameters in reverse order, one open bucket per
    (dtype, device); close a bucket once it holds ``caps[k]`` bytes (the first cap for the
    first bucket, the last cap after that)."""
    open_buckets: dict = {}
    limits: dict = {}
    done: list[list[int]] = []
    for i in reversed(range(len(params))):
        a = params[i].array
        key = (str(a.dtype), str(array_backend.device_of(a)))
        bucket = open_buckets.setdefault(key, [[], 0])
        bucket[0].append(i)
        bucket[1] += a.nbytes
        level = limits.setdefault(key, 0)
        if bucket[1] >= caps[min(level, len(caps) - 1)]:
            done.append(bucket[0])
            open_buckets[key] = [[], 0]
            limits[key] = level + 1
    done.extend(b[0] for b in open_buckets.values() if b[0])
    return done


class DistributedDataParallel(Module):
    """Data parallelism across processes (``torch.nn.parallel.DistributedDataParallel``).

    Each process holds a replica of ``module`` and feeds it its own part of the batch. At
    construction the parameters and buffers are broadcast from rank 0, so every replica starts
    equal. During ``backward()`` each gradient, as soon as it is accumulated, is copied
    (divided by the world size) into its bucket's flat buffer; a full bucket is all-reduced
    with a non-blocking call while backward goes on, in bucket order on every rank. Before
    ``backward()`` returns, every ``.grad`` holds the average over the ranks, so an ordinary
    optimizer step keeps the replicas identical.

    Args:
        module: the model to replicate (already on its device).
        device_ids: ``None`` for a CPU module; ``[i]`` (one GPU) for a CUDA module.
        output_device: accepted (the output stays where the module puts it).
        broadcast_buffers / forward_sync_buffers: broadcast the buffers (e.g. BatchNorm's
            running statistics) from rank 0 at each forward (default True).
        process_group: the group to average over (default: the world).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket holds 1 MiB).
        find_unused_parameters: look for parameters that the forward's output does not depend
            on and mark them ready at once, so backward does not wait for them.
        gradient_as_bucket_view: leave each ``.grad`` as a view into its bucket (saves a copy).
        static_graph: accepted; handled as ``find_unused_parameters=True``.

    ``no_sync()`` turns the averaging off (gradients accumulate locally) for the backward
    passes inside it; the first backward after it averages the accumulated gradients.
    ``.module`` is the wrapped model. Launch with ``mpiexec -n N`` after
    ``dist.init_process_group()``.

    Example::

        dist.init_process_group("mpi")
        model = DistributedDataParallel(Net())
        opt = optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:               # a DistributedSampler gives each rank its share
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()   # .grad is the average over the ranks
            opt.step()
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers=None,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        delay_all_reduce_named_params=None,
        param_to_hook_all_reduce=None,
        mixed_precision=None,
        device_mesh=None,
        skip_all_reduce_unused_params: bool = False,
        bucket_cap_mb_list=None,
        batched_grad_copy: bool = False,
        forward_sync_buffers=None,
    ):
        super().__init__()
        for name, value in (
            ("mixed_precision", mixed_precision),
            ("device_mesh", device_mesh),
            ("delay_all_reduce_named_params", delay_all_reduce_named_params),
            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
        ):
            if value is not None:
                raise NotImplementedError(
                    f"DistributedDataParallel({name}=...) is not supported by autograd_engine; "
                    "leave it at None"
                )
        pg = _c10d._group(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not in process_group")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        devices = {str(p.device) for p in params}
        if len(devices) > 1:
            raise ValueError(
                f"DistributedDataParallel's module has parameters on several devices "
                f"({sorted(devices)}); put the whole module on one device"
            )
        on_cpu = devices == {"cpu"}
        if on_cpu and (device_ids is not None or output_device is not None):
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                f"single-device GPU modules, but got device_ids {device_ids}, output_device "
                f"{output_device}, and module parameters {sorted(devices)}: pass "
                "device_ids=None for a CPU module"
            )
        if device_ids is not None and len(device_ids) != 1:
            raise ValueError(
                f"device_ids can only be None or contain a single element, got {device_ids}: "
                "run one process per GPU"
            )
        if forward_sync_buffers is None:
            forward_sync_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.module = module
        self.device_ids = None if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim
        self.process_group = pg
        self.forward_sync_buffers = forward_sync_buffers
        self.find_unused_parameters = bool(find_unused_parameters or static_graph)
        self.static_graph = bool(static_graph)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.world_size = pg.size()

        caps_mb = [bucket_cap_mb if bucket_cap_mb is not None else _DEFAULT_BUCKET_CAP_MB]
        cap = int(caps_mb[0] * 1024 * 1024)
        caps = [_DEFAULT_FIRST_BUCKET_BYTES, cap] if bucket_cap_mb is None else [cap]
        if bucket_cap_mb_list is not None:
            caps = [int(mb * 1024 * 1024) for mb in bucket_cap_mb_list]
        self.bucket_bytes_cap = caps[-1]
        object.__setattr__(self, "_params", params)  # not registered twice as submodule state
        xp = array_backend.get_array_module(params[0].array)
        self._buckets = [_Bucket(ix, params, xp) for ix in _assign_buckets(params, caps)]
        self._where = {}  # param index -> (bucket, position in bucket)
        for b in self._buckets:
            for pos, i in enumerate(b.indices):
                self._where[i] = (b, pos)
        self._reset_state()
        if init_sync:
            self._verify_shapes()
            self._sync_module_states()
        self._handles = [
            p.register_post_accumulate_grad_hook(self._make_hook(i)) for i, p in enumerate(params)
        ]

    # --- construction -------------------------------------------------------------------------
    def _verify_shapes(self) -> None:
        """Every rank must hold the same parameters: compare names, shapes and dtypes."""
        pg = self.process_group
        if pg.size() == 1:
            return
        mine = [
            (name, tuple(p.shape), str(p.dtype))
            for name, p in self.module.named_parameters()
            if p.requires_grad
        ]
        everyone = [None] * pg.size()
        dist.all_gather_object(everyone, mine, group=pg)
        for r, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            detail = f"{len(everyone[0])} vs {len(theirs)} parameters"
            for a, b in zip(everyone[0], theirs):
                if a != b:
                    detail = f"{a[0]} {a[1]} {a[2]} on rank {pg.ranks[0]} vs {b[0]} {b[1]} {b[2]}"
                    break
            raise RuntimeError(
                f"DistributedDataParallel: rank {pg.ranks[r]} has a different model from rank "
                f"{pg.ranks[0]} ({detail}); every rank must build the same model"
            )

    def _sync_module_states(self) -> None:
        """Broadcast every parameter and buffer from rank 0 (coalesced per dtype)."""
        tensors = [p for p in self.module.parameters()] + list(self.module.buffers())
        self._broadcast_coalesced(tensors)

    def _broadcast_coalesced(self, tensors: list) -> None:
        pg = self.process_group
        if pg.size() == 1 or not tensors:
            return
        groups: dict = {}
        for t in tensors:
            groups.setdefault((str(t.dtype), str(t.device)), []).append(t)
        for members in groups.values():
            xp = array_backend.get_array_module(members[0].array)
            flat = xp.concatenate([t.array.reshape(-1) for t in members])
            pg.impl(flat).broadcast(flat, 0).wait()
            offset = 0
            for t in members:
                n = t.array.size
                t.array[...] = flat[offset : offset + n].reshape(t.array.shape)
                offset += n

    # --- the reduction ------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._expect_reduction = False  # a forward asked for this backward to be averaged
        self._started = False  # a gradient hook has fired since
        self._ready = [False] * len(self._params)
        self._next_bucket = 0
        self._used_work = None
        self._used = None
        for b in self._buckets:
            b.pending = len(b.indices)
            b.work = None

    def _make_hook(self, index: int):
        def hook(param):
            self._mark_ready(index)

        return hook

    def _mark_ready(self, index: int) -> None:
        if not self._expect_reduction:
            return  # no_sync(), or no forward with grad enabled since the last reduction
        if self._ready[index]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by a "
                "parameter receiving its gradient twice in one iteration (two backward passes "
                "through one forward, or a module reused through several DDP instances). "
                f"Parameter index {index} ({self._param_name(index)})."
            )
        self._started = True
        self._ready[index] = True
        bucket, pos = self._where[index]
        p = self._params[index]
        start = bucket.offsets[pos]
        view = bucket.buffer[start : start + p.array.size]
        if p.grad is None:
            view[...] = 0
        else:
            # NOTE: divide while copying, as PyTorch's reducer does (exact for 2**k ranks).
            np_or_cp = array_backend.get_array_module(view)
            np_or_cp.multiply(p.grad.array.reshape(-1), 1.0 / self.world_size, out=view)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()
        elif self._next_bucket:
            # NOTE: MPI moves a non-blocking transfer only inside MPI calls: testing the
            # newest launched bucket here keeps the transfers going during backward.
            work = self._buckets[self._next_bucket - 1].work
            if work is not None:
                work.is_completed()

    def _launch_ready_buckets(self) -> None:
        """Start the all-reduce of each ready bucket, in bucket order (every rank must post
        the same collectives in the same order); finish once the last one is started."""
        pg = self.process_group
        while self._next_bucket < len(self._buckets):
            b = self._buckets[self._next_bucket]
            if b.pending:
                return
            b.work = pg.impl(b.buffer).allreduce(b.buffer, dist.ReduceOp.SUM)
            self._next_bucket += 1
        self._finalize()

    def _finalize(self) -> None:
        """Wait for every bucket and write the averages into ``.grad``."""
        globally_used = None
        if self._used_work is not None:
            self._used_work.wait()
            globally_used = self._used
        for b in self._buckets:
            b.work.wait()
            for pos, i in enumerate(b.indices):
                if globally_used is not None and not globally_used[i]:
                    continue  # unused on every rank: .grad stays as it was (PyTorch's rule)
                p = self._params[i]
                start = b.offsets[pos]
                view = b.buffer[start : start + p.array.size].reshape(p.array.shape)
                if not self.gradient_as_bucket_view:
                    view = view.copy()
                p.grad = ag.as_tensor(view)
        self._reset_state()

    def _mark_unused(self, output) -> None:
        """find_unused_parameters: parameters the output does not depend on are ready now."""
        reached = _reachable_leaves(output)
        used = np.array([id(p) in reached for p in self._params], dtype=np.int32)
        self._used = used.copy()
        self._used_work = self.process_group.mpi.allreduce(self._used, dist.ReduceOp.MAX)
        for i in np.flatnonzero(used == 0):
            self._mark_ready(int(i))

    def _param_name(self, index: int) -> str:
        target = self._params[index]
        for name, p in self.module.named_parameters():
            if p is target:
                return name
        return "?"

    # --- the call -----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._started:
            missing = [self._param_name(i) for i, r in enumerate(self._ready) if not r]
            self._reset_state()
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss. Parameters which did not "
                f"receive grad on rank {dist.get_rank()}: {', '.join(missing)}"
            )
        if ag.is_grad_enabled() and self.require_backward_grad_sync:
            self._reset_state()
            self._expect_reduction = True
        else:
            self._expect_reduction = False
        if self.forward_sync_buffers:
            self._broadcast_coalesced(list(self.module.buffers()))
        if self.device_ids is not None:
            inputs, kwargs = _to_device((inputs, kwargs), self._params[0].device)
        out = self.module(*inputs, **kwargs)
        if self._expect_reduction and self.find_unused_parameters:
            self._mark_unused(out)
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this context the backward passes do not average the gradients: they
        accumulate locally, and the first backward after the context averages the sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"


def _reachable_leaves(output) -> set[int]:
    """ids of the leaf tensors that the tensors in ``output`` (nested) were computed from."""
    from autograd_engine.node import Node

    roots, stack = [], [output]
    while stack:
        x = stack.pop()
        if isinstance(x, ag.Tensor):
            roots.append(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
    found: set[int] = set()
    seen: set[int] = set()
    nodes = []
    for t in roots:
        if t.grad_fn is None:
            found.add(id(t))
        else:
            nodes.append(t.grad_fn)
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for nxt in node.next_edges:
            if nxt is None:
                continue
            if isinstance(nxt, Node):
                nodes.append(nxt)
            else:
                found.add(id(nxt))
    return found


def _to_device(obj, device):
    if isinstance(obj, ag.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj
