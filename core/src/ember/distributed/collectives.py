"""Collectives on tensors, in place, like ``torch.distributed``: all_reduce, broadcast, gather, ...

Each call finds the group's transport for the tensor's device type (the
backend registered for it: MPI for CPU tensors, a plugin's backend for its
devices, MPI through a host copy otherwise), hands it the tensor's own
memory when that is a contiguous buffer the transport can use, and otherwise a
contiguous staging copy that is written back when the operation completes.
``async_op=True`` returns a :class:`~ember.distributed.Work`; the outputs are
valid after its ``wait()``. ``src``/``dst`` are global ranks, as in torch.
"""

from __future__ import annotations

from ._group import ReduceOp, Work, resolve

__all__ = [
    "all_gather", "all_gather_into_tensor", "all_reduce", "all_to_all", "all_to_all_single", "barrier", "broadcast",
    "gather", "irecv", "isend", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter", "send",
]


def _setup(group, tensor, op):
    pg = resolve(group, op)
    return pg, pg.transport(tensor._device.type)


def _write(t, array):
    """Write ``array`` (a transport buffer of ``t``'s shape) into tensor ``t`` in place."""
    be = t._be
    be.assign(t._data, be.from_host(array, t._device.index))
    t._version[0] += 1


def _inout(tr, t):
    """A buffer holding ``t``'s values that collectives may overwrite, and how to bring results back into ``t``."""
    buf = tr.buffer(t)
    if buf is not None:
        return buf, lambda: _touch(t)
    buf = tr.staged(t)
    return buf, lambda: _write(t, buf)


def _touch(t):
    t._version[0] += 1


def _input(tr, t):
    buf = tr.buffer(t)
    return tr.staged(t) if buf is None else buf


def _average(tr, buf, n):
    if buf.dtype.kind == "f" or buf.dtype.kind == "c":
        buf /= n
    elif buf.dtype.kind in "iu":
        buf //= n


def _run(request, async_op, finish, outputs):
    work = Work(request, finish, outputs)
    if async_op:
        return work
    work.wait()
    return None


def _check_list(op, tensors, size, tensor):
    if len(tensors) != size:
        raise ValueError(f"{op}: expected a list of {size} tensors (one per rank), got {len(tensors)}")
    for t in tensors:
        if t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"{op}: every tensor must have shape {tuple(tensor.shape)} and dtype {tensor.dtype}, "
                             f"got {tuple(t.shape)} and {t.dtype}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across all processes of ``group`` with ``op``; every process gets the result in place.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.tensor([1.0, 2.0])
        >>> dist.all_reduce(t)    # doctest: +SKIP
        >>> t                     # doctest: +SKIP
        tensor([2., 4.])
    """
    pg, tr = _setup(group, tensor, "all_reduce")
    buf, back = _inout(tr, tensor)
    n = pg.size()

    def finish():
        if op == ReduceOp.AVG:
            _average(tr, buf, n)
        back()

    return _run(tr.allreduce(buf, op, async_op), async_op, finish, (tensor,))


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from global rank ``src`` into ``tensor`` on every process of ``group``.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.zeros(2)
        >>> dist.broadcast(t, src=0)    # doctest: +SKIP
    """
    pg, tr = _setup(group, tensor, "broadcast")
    root = _root(pg, src, group_src, "broadcast")
    buf, back = _inout(tr, tensor)
    return _run(tr.broadcast(buf, root, async_op), async_op, back, (tensor,))


def _root(pg, rank, group_rank, op):
    if group_rank is not None:
        return group_rank
    if rank is None:
        raise ValueError(f"{op}: the source/destination rank must be given")
    return pg.group_rank(rank, op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across ``group`` with ``op`` into ``tensor`` on global rank ``dst`` only.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.ones(2)
        >>> dist.reduce(t, dst=0)    # doctest: +SKIP
    """
    pg, tr = _setup(group, tensor, "reduce")
    root = _root(pg, dst, group_dst, "reduce")
    buf, back = _inout(tr, tensor)
    at_root = pg.rank() == root
    n = pg.size()

    def finish():
        if at_root:
            if op == ReduceOp.AVG:
                _average(tr, buf, n)
            back()

    return _run(tr.reduce(buf, op, root, async_op), async_op, finish, (tensor,))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` with ``tensor`` of group rank ``i``, on every process.

    Example:
        >>> import ember, ember.distributed as dist
        >>> out = [ember.zeros(2) for _ in range(dist.get_world_size())]    # doctest: +SKIP
        >>> dist.all_gather(out, ember.ones(2))                              # doctest: +SKIP
    """
    pg, tr = _setup(group, tensor, "all_gather")
    _check_list("all_gather", tensor_list, pg.size(), tensor)
    recv = tr.empty((pg.size(), *tensor.shape), tensor)

    def finish():
        for t, row in zip(tensor_list, recv):
            _write(t, row)

    return _run(tr.allgather(_input(tr, tensor), recv, async_op), async_op, finish, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Concatenate (along dim 0) or stack every rank's ``input_tensor`` into ``output_tensor``.

    ``output_tensor`` holds ``world_size`` times as many elements as ``input_tensor``.

    Example:
        >>> import ember, ember.distributed as dist
        >>> out = ember.zeros(2 * dist.get_world_size())                 # doctest: +SKIP
        >>> dist.all_gather_into_tensor(out, ember.ones(2))              # doctest: +SKIP
    """
    pg, tr = _setup(group, input_tensor, "all_gather_into_tensor")
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise ValueError(f"all_gather_into_tensor: output of shape {tuple(output_tensor.shape)} must hold world_size "
                         f"({pg.size()}) times the {input_tensor.numel()} elements of the input")
    buf, back = _inout(tr, output_tensor)
    return _run(tr.allgather(_input(tr, input_tensor), buf, async_op), async_op, back, (output_tensor,))


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Collect every rank's ``tensor`` into ``gather_list`` on global rank ``dst`` (0 when not given).

    Example:
        >>> import ember, ember.distributed as dist
        >>> dist.gather(ember.ones(2), dst=0)    # doctest: +SKIP
    """
    pg, tr = _setup(group, tensor, "gather")
    root = _root(pg, 0 if dst is None and group_dst is None else dst, group_dst, "gather")
    at_root = pg.rank() == root
    recv = None
    if at_root:
        _check_list("gather", gather_list or [], pg.size(), tensor)
        recv = tr.empty((pg.size(), *tensor.shape), tensor)
    elif gather_list:
        raise ValueError("gather: Argument ``gather_list`` must NOT be specified on non-destination ranks.")

    def finish():
        if at_root:
            for t, row in zip(gather_list, recv):
                _write(t, row)

    return _run(tr.gather(_input(tr, tensor), recv, root, async_op), async_op, finish, gather_list or ())


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Give ``scatter_list[i]`` of global rank ``src`` (0 when not given) to group rank ``i``, in ``tensor``.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.zeros(2)
        >>> dist.scatter(t, [ember.ones(2)] * dist.get_world_size(), src=0)    # doctest: +SKIP
    """
    pg, tr = _setup(group, tensor, "scatter")
    root = _root(pg, 0 if src is None and group_src is None else src, group_src, "scatter")
    send = None
    if pg.rank() == root:
        _check_list("scatter", scatter_list or [], pg.size(), tensor)
        send = tr.stack([_input(tr, t) for t in scatter_list])
    elif scatter_list:
        raise ValueError("scatter: Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    buf, back = _inout(tr, tensor)
    return _run(tr.scatter(send, buf, root, async_op), async_op, back, (tensor,))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` across ranks with ``op`` into ``output`` of group rank ``i``.

    Example:
        >>> import ember, ember.distributed as dist
        >>> out = ember.zeros(2)
        >>> dist.reduce_scatter(out, [ember.ones(2)] * dist.get_world_size())    # doctest: +SKIP
    """
    pg, tr = _setup(group, output, "reduce_scatter")
    _check_list("reduce_scatter", input_list, pg.size(), output)
    return _reduce_scatter(pg, tr, output, tr.stack([_input(tr, t) for t in input_list]), op, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` across ranks with ``op``; group rank ``i`` gets the ``i``-th of ``world_size`` equal chunks.

    Example:
        >>> import ember, ember.distributed as dist
        >>> out = ember.zeros(2)
        >>> dist.reduce_scatter_tensor(out, ember.ones(2 * dist.get_world_size()))    # doctest: +SKIP
    """
    pg, tr = _setup(group, output, "reduce_scatter_tensor")
    if input.numel() != pg.size() * output.numel():
        raise ValueError(f"reduce_scatter_tensor: input of shape {tuple(input.shape)} must hold world_size "
                         f"({pg.size()}) times the {output.numel()} elements of the output")
    return _reduce_scatter(pg, tr, output, _input(tr, input), op, async_op)


def _reduce_scatter(pg, tr, output, send, op, async_op):
    buf, back = _inout(tr, output)
    n = pg.size()

    def finish():
        if op == ReduceOp.AVG:
            _average(tr, buf, n)
        back()

    return _run(tr.reduce_scatter(send, buf, op, async_op), async_op, finish, (output,))


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Send ``input_tensor_list[i]`` to group rank ``i``; receive rank ``i``'s into ``output_tensor_list[i]``.

    All tensors must have the same shape (uneven splits are not supported).

    Example:
        >>> import ember, ember.distributed as dist
        >>> n = dist.get_world_size()                                                     # doctest: +SKIP
        >>> dist.all_to_all([ember.zeros(1) for _ in range(n)], [ember.ones(1)] * n)     # doctest: +SKIP
    """
    first = input_tensor_list[0]
    pg, tr = _setup(group, first, "all_to_all")
    _check_list("all_to_all", input_tensor_list, pg.size(), first)
    _check_list("all_to_all", output_tensor_list, pg.size(), first)
    send = tr.stack([_input(tr, t) for t in input_tensor_list])
    recv = tr.empty(send.shape, first)

    def finish():
        for t, row in zip(output_tensor_list, recv):
            _write(t, row)

    return _run(tr.alltoall(send, recv, async_op), async_op, finish, output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    """Split ``input`` into ``world_size`` equal chunks along dim 0, send chunk ``i`` to rank ``i``, concatenate into ``output``.

    Example:
        >>> import ember, ember.distributed as dist
        >>> out = ember.zeros(dist.get_world_size())                          # doctest: +SKIP
        >>> dist.all_to_all_single(out, ember.ones(dist.get_world_size()))    # doctest: +SKIP
    """
    if output_split_sizes is not None or input_split_sizes is not None:
        raise NotImplementedError("all_to_all_single: uneven split sizes are not supported")
    pg, tr = _setup(group, input, "all_to_all_single")
    buf, back = _inout(tr, output)
    return _run(tr.alltoall(_input(tr, input), buf, async_op), async_op, back, (output,))


def barrier(group=None, async_op=False, device_ids=None):
    """Block until every process of ``group`` has reached this call.

    Example:
        >>> import ember.distributed as dist
        >>> dist.barrier()    # doctest: +SKIP
    """
    pg = resolve(group, "barrier")
    return _run(pg.transport("cpu").barrier(async_op), async_op, None, ())


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to global rank ``dst``; returns a :class:`Work`.

    Example:
        >>> import ember, ember.distributed as dist
        >>> dist.isend(ember.ones(2), dst=1).wait()    # doctest: +SKIP
        True
    """
    pg, tr = _setup(group, tensor, "isend")
    peer = _root(pg, dst, group_dst, "isend")
    buf = _input(tr, tensor)
    return Work(tr.send(buf, peer, tag), None, (tensor,))


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from global rank ``src`` (any rank when None); returns a :class:`Work`.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.zeros(2)
        >>> dist.irecv(t, src=0).wait()    # doctest: +SKIP
        True
    """
    return _irecv(tensor, src, group, tag, group_src, "irecv")[0]


def _irecv(tensor, src, group, tag, group_src, op):
    pg, tr = _setup(group, tensor, op)
    peer = None if src is None and group_src is None else _root(pg, src, group_src, op)
    buf, back = _inout(tr, tensor)
    request = tr.recv(buf, peer, tag)
    return Work(request, back, (tensor,)), pg, tr, request


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to global rank ``dst`` and wait until the buffer may be reused.

    Example:
        >>> import ember, ember.distributed as dist
        >>> dist.send(ember.ones(2), dst=1)    # doctest: +SKIP
    """
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from global rank ``src`` (any rank when None); returns the sender's global rank.

    Example:
        >>> import ember, ember.distributed as dist
        >>> t = ember.zeros(2)
        >>> dist.recv(t, src=0)    # doctest: +SKIP
        0
    """
    work, pg, tr, request = _irecv(tensor, src, group, tag, group_src, "recv")
    work.wait()
    sender = tr.source(request)
    return sender if pg.ranks is None else pg.ranks[sender]
