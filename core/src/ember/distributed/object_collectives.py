"""Collectives on Python objects, serialized with ember's safe format (``ember.save``/``ember.load``), never pickle.

Objects may be anything ``ember.save`` accepts: tensors, numbers, strings,
None, and lists, tuples and dicts of them. Every call first exchanges the
byte counts, then the bytes, over the group's MPI communicator.
"""

from __future__ import annotations

import io

import numpy as np

from ._group import resolve

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list"]


def _encode(obj):
    from ..serialization import save

    buf = io.BytesIO()
    save(obj, buf)
    return np.frombuffer(buf.getbuffer(), dtype=np.uint8)


def _decode(data):
    from ..serialization import load

    return load(io.BytesIO(data.tobytes()))


def _counts(comm, n, root=None):
    mine = np.array([n], dtype=np.int64)
    counts = np.empty(comm.Get_size(), dtype=np.int64)
    if root is None:
        comm.Allgather(mine, counts)
    else:
        comm.Gather(mine, counts, root)
    return counts


def _split(data, counts):
    ends = np.cumsum(counts)
    return [data[e - c:e] for c, e in zip(counts, ends)]


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace the items of ``object_list`` on every rank by those of global rank ``src`` (0 when not given).

    Example:
        >>> import ember.distributed as dist
        >>> objs = [{"lr": 0.1}, "run-7"] if dist.get_rank() == 0 else [None, None]    # doctest: +SKIP
        >>> dist.broadcast_object_list(objs, src=0)                                     # doctest: +SKIP
    """
    pg = resolve(group, "broadcast_object_list")
    root = group_src if group_src is not None else pg.group_rank(0 if src is None else src, "broadcast_object_list")
    comm = pg.comm
    data = _encode(list(object_list)) if pg.rank() == root else None
    n = np.array([0 if data is None else data.size], dtype=np.int64)
    comm.Bcast(n, root)
    if data is None:
        data = np.empty(int(n[0]), dtype=np.uint8)
    comm.Bcast(data, root)
    if pg.rank() != root:
        object_list[:] = _decode(data)


def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[i]`` with ``obj`` of group rank ``i``, on every rank.

    Example:
        >>> import ember.distributed as dist
        >>> out = [None] * dist.get_world_size()              # doctest: +SKIP
        >>> dist.all_gather_object(out, {"rank": dist.get_rank()})    # doctest: +SKIP
    """
    pg = resolve(group, "all_gather_object")
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: expected a list of {pg.size()} items (one per rank), got {len(object_list)}")
    mine = _encode(obj)
    counts = _counts(pg.comm, mine.size)
    data = np.empty(int(counts.sum()), dtype=np.uint8)
    pg.comm.Allgatherv(mine, [data, counts])
    object_list[:] = [_decode(part) for part in _split(data, counts)]


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Collect ``obj`` of every rank into ``object_gather_list`` on global rank ``dst`` (0 when not given).

    Example:
        >>> import ember.distributed as dist
        >>> out = [None] * dist.get_world_size() if dist.get_rank() == 0 else None    # doctest: +SKIP
        >>> dist.gather_object(dist.get_rank(), out, dst=0)                           # doctest: +SKIP
    """
    pg = resolve(group, "gather_object")
    root = group_dst if group_dst is not None else pg.group_rank(0 if dst is None else dst, "gather_object")
    at_root = pg.rank() == root
    if at_root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(f"gather_object: the destination needs an object_gather_list of {pg.size()} items")
    mine = _encode(obj)
    counts = _counts(pg.comm, mine.size, root)
    data = np.empty(int(counts.sum()) if at_root else 0, dtype=np.uint8)
    pg.comm.Gatherv(mine, [data, counts] if at_root else None, root)
    if at_root:
        object_gather_list[:] = [_decode(part) for part in _split(data, counts)]


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """Give item ``i`` of ``scatter_object_input_list`` on global rank ``src`` to group rank ``i``, as ``output[0]``.

    Example:
        >>> import ember.distributed as dist
        >>> out = [None]                                                              # doctest: +SKIP
        >>> dist.scatter_object_list(out, list(range(dist.get_world_size())), src=0)  # doctest: +SKIP
    """
    pg = resolve(group, "scatter_object_list")
    root = group_src if group_src is not None else pg.group_rank(0 if src is None else src, "scatter_object_list")
    at_root = pg.rank() == root
    parts = [_encode(o) for o in scatter_object_input_list] if at_root else []
    counts = np.array([p.size for p in parts], dtype=np.int64) if at_root else np.empty(pg.size(), dtype=np.int64)
    pg.comm.Bcast(counts, root)
    data = np.empty(int(counts[pg.rank()]), dtype=np.uint8)
    send = [np.concatenate(parts), counts] if at_root else None
    pg.comm.Scatterv(send, data, root)
    scatter_object_output_list[0] = _decode(data)
