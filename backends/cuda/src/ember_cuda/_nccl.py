"""The ``'nccl'`` process-group backend: collectives on contiguous CuPy arrays through ``cupy.cuda.nccl``.

The plugin registers it for ``cuda`` tensors (``ember_register_distributed_backends``);
``ember.distributed`` makes an :class:`NCCLTransport` for a group the first time
the group moves a ``cuda`` tensor. The communicator's unique id is made on group rank 0 and broadcast over the
group's MPI communicator. Operations are enqueued on the current CUDA stream
(so later work on that stream sees their results, as in torch); an async
request records an event after them. Gather, scatter and all-to-all have no
NCCL primitive and are built from grouped send/recv.
"""

from __future__ import annotations

import warnings

from ember.distributed import ReduceOp

RedOpType = ReduceOp.RedOpType
NO_NCCL = ("the 'nccl' backend needs CuPy with its NCCL library (pip install cupy-cuda12x nvidia-nccl-cu12); "
           "it is not available here")


def is_available():
    """Whether CuPy and its NCCL bindings import and find the NCCL library (the backend's availability check).

    Example:
        >>> from ember_cuda import _nccl
        >>> isinstance(_nccl.is_available(), bool)
        True
    """
    with warnings.catch_warnings():  # CuPy warns when it finds no libnccl: that is the answer, not a problem
        warnings.simplefilter("ignore")
        try:
            from cupy.cuda import nccl
        except Exception:
            return False
    return bool(getattr(nccl, "available", True))


def _nccl():
    if not is_available():
        raise RuntimeError(NO_NCCL)
    import cupy
    from cupy.cuda import nccl

    return cupy, nccl


class _Event:
    """An event recorded after enqueued NCCL work: ``wait`` blocks the host until it has run."""

    __slots__ = ("event",)

    def __init__(self, cupy):
        self.event = cupy.cuda.Event(disable_timing=True)
        self.event.record()

    def wait(self):
        self.event.synchronize()

    def test(self):
        return self.event.done


class NCCLTransport:
    """Collectives among the ranks of a group, over an NCCL communicator on the current GPU (the backend's ``func``).

    ``store`` is the group's mpi4py communicator: rank 0 makes the NCCL unique id and broadcasts it over MPI.

    Example:
        >>> from ember_cuda._nccl import NCCLTransport, is_available
        >>> if not is_available():
        ...     try:
        ...         NCCLTransport(None, 0, 1, None)
        ...     except RuntimeError as exc:
        ...         print(str(exc).startswith("the 'nccl' backend needs CuPy"))
        ... else:
        ...     print(True)
        True
    """

    def __init__(self, store, rank, world_size, timeout):
        cupy, nccl = _nccl()
        self.cupy, self.nccl, self.mpi = cupy, nccl, store
        uid = nccl.get_unique_id() if rank == 0 else None
        uid = store.bcast(uid, root=0)  # a tuple of ints: mpi4py's lower-case bcast of builtins only
        self.comm = nccl.NcclCommunicator(world_size, uid, rank)
        self.rank, self.size = rank, world_size
        self.ops = {RedOpType.SUM: nccl.NCCL_SUM, RedOpType.AVG: nccl.NCCL_SUM, RedOpType.PRODUCT: nccl.NCCL_PROD,
                    RedOpType.MIN: nccl.NCCL_MIN, RedOpType.MAX: nccl.NCCL_MAX}
        self.types = {"int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8, "bool": nccl.NCCL_UINT8,
                      "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64, "float16": nccl.NCCL_FLOAT16,
                      "float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64}

    # --- buffers ------------------------------------------------------------------------
    def buffer(self, t):
        a = t._data
        if isinstance(a, self.cupy.ndarray) and a.flags.c_contiguous and a.dtype.name in self.types:
            return a
        return None

    def staged(self, t):
        a = self.cupy.ascontiguousarray(t._data)
        if a.dtype.name not in self.types:
            raise TypeError(f"the nccl backend does not support tensors of dtype {t.dtype}")
        return a.copy() if a is t._data else a

    def empty(self, shape, like):
        return self.cupy.empty(shape, like._data.dtype)

    def stack(self, arrays):
        return self.cupy.stack(arrays)

    # --- plumbing -----------------------------------------------------------------------
    def _args(self, a, op=None):
        kind = self.types[a.dtype.name]
        if a.dtype.name == "bool" and op is not None:
            op = RedOpType.MAX if op in (RedOpType.SUM, RedOpType.AVG) else RedOpType.MIN if op == RedOpType.PRODUCT else op
        return a.data.ptr, a.size, kind, (None if op is None else self.ops[op])

    def _done(self, async_op):
        return _Event(self.cupy) if async_op else None

    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def _grouped(self, pairs, async_op):
        """Run the send/recv ``pairs`` ((kind, array, peer), ...) as one NCCL group."""
        nccl, s = self.nccl, self._stream()
        nccl.groupStart()
        try:
            for kind, a, peer in pairs:
                ptr, n, dt, _ = self._args(a)
                (self.comm.send if kind == "send" else self.comm.recv)(ptr, n, dt, peer, s)
        finally:
            nccl.groupEnd()
        return self._done(async_op)

    # --- collectives --------------------------------------------------------------------
    def allreduce(self, buf, op, async_op):
        ptr, n, dt, rop = self._args(buf, op)
        self.comm.allReduce(ptr, ptr, n, dt, rop, self._stream())
        return self._done(async_op)

    def broadcast(self, buf, root, async_op):
        ptr, n, dt, _ = self._args(buf)
        self.comm.bcast(ptr, n, dt, root, self._stream())
        return self._done(async_op)

    def reduce(self, buf, op, root, async_op):
        ptr, n, dt, rop = self._args(buf, op)
        self.comm.reduce(ptr, ptr, n, dt, rop, root, self._stream())
        return self._done(async_op)

    def allgather(self, send, recv, async_op):
        ptr, n, dt, _ = self._args(send)
        self.comm.allGather(ptr, recv.data.ptr, n, dt, self._stream())
        return self._done(async_op)

    def reduce_scatter(self, send, recv, op, async_op):
        ptr, n, dt, rop = self._args(recv, op)
        self.comm.reduceScatter(send.data.ptr, ptr, n, dt, rop, self._stream())
        return self._done(async_op)

    def gather(self, send, recv, root, async_op):
        pairs = [("send", send, root)]
        if self.rank == root:
            pairs += [("recv", recv[r], r) for r in range(self.size)]
        return self._grouped(pairs, async_op)

    def scatter(self, send, recv, root, async_op):
        pairs = [("send", send[r], r) for r in range(self.size)] if self.rank == root else []
        return self._grouped(pairs + [("recv", recv, root)], async_op)

    def alltoall(self, send, recv, async_op):
        send, recv = send.reshape(self.size, -1), recv.reshape(self.size, -1)
        pairs = [p for r in range(self.size) for p in (("send", send[r], r), ("recv", recv[r], r))]
        return self._grouped(pairs, async_op)

    def barrier(self, async_op):
        self.cupy.cuda.get_current_stream().synchronize()
        self.mpi.Barrier()
        return None

    def send(self, buf, dst, tag):
        return self._grouped([("send", buf, dst)], True)

    def recv(self, buf, src, tag):
        if src is None:
            raise ValueError("recv: the nccl backend needs an explicit source rank")
        self.peer = src
        return self._grouped([("recv", buf, src)], True)

    def source(self, request):
        return self.peer
