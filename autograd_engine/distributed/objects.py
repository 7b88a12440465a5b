"""The object collectives: picklable Python objects between ranks, over MPI
(``torch.distributed``'s ``broadcast_object_list``, ``all_gather_object``, ...). Only unpickle
data you trust."""

from __future__ import annotations

import pickle

from .process_group import _group, _group_rank


def _dumps(obj) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None) -> None:
    """Replace ``object_list``'s entries on every rank with rank ``src``'s (picklable objects;
    ``torch.distributed.broadcast_object_list``). Only unpickle data you trust."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "broadcast_object_list", src, group_src, "src")
    payload = _dumps(list(object_list)) if pg.rank() == root else None
    data = pg.mpi.broadcast_bytes(payload, root)
    if pg.rank() != root:
        received = pickle.loads(data)
        if len(received) != len(object_list):
            raise ValueError(
                f"broadcast_object_list: rank {pg.ranks[root]} sent {len(received)} objects but "
                f"this rank's list has {len(object_list)} entries; make the lists the same length"
            )
        object_list[:] = received


def all_gather_object(object_list, obj, group=None) -> None:
    """``object_list[r]`` becomes rank ``r``'s ``obj`` on every rank (picklable objects;
    ``torch.distributed.all_gather_object``)."""
    pg = _group(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(
            f"all_gather_object: object_list must have world_size ({pg.size()}) entries, "
            f"got {len(object_list)}"
        )
    for i, data in enumerate(pg.mpi.allgather_bytes(_dumps(obj))):
        object_list[i] = pickle.loads(data)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """Rank ``dst`` receives every rank's ``obj`` in ``object_gather_list``
    (``torch.distributed.gather_object``)."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "gather_object", dst, group_dst, "dst")
    if pg.rank() == root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(
            f"gather_object: the destination rank needs object_gather_list with world_size "
            f"({pg.size()}) entries"
        )
    gathered = pg.mpi.allgather_bytes(_dumps(obj))
    if pg.rank() == root:
        for i, data in enumerate(gathered):
            object_gather_list[i] = pickle.loads(data)


def scatter_object_list(
    scatter_object_output_list, scatter_object_input_list=None, src=None, group=None, group_src=None
) -> None:
    """Rank ``r`` receives rank ``src``'s ``scatter_object_input_list[r]`` in
    ``scatter_object_output_list[0]`` (``torch.distributed.scatter_object_list``)."""
    pg = _group(group)
    if pg is None:
        return
    root = _group_rank(pg, "scatter_object_list", src, group_src, "src")
    payload = None
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(
                f"scatter_object_list: the source rank needs scatter_object_input_list with "
                f"world_size ({pg.size()}) entries"
            )
        payload = _dumps(list(scatter_object_input_list))
    objects = pickle.loads(pg.mpi.broadcast_bytes(payload, root))
    scatter_object_output_list[0] = objects[pg.rank()]
