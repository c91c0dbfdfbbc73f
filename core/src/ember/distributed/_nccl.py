"""The NCCL transport: collectives on contiguous CuPy arrays through ``cupy.cuda.nccl``.

The communicator's unique id is made on group rank 0 and broadcast over the
group's MPI communicator. Operations are enqueued on the current CUDA stream
(so later work on that stream sees their results, as in torch); an async
request records an event after them. Gather, scatter and all-to-all have no
NCCL primitive and are built from grouped send/recv.
"""

from __future__ import annotations

from ._group import RedOpType


def _nccl():
    from ._group import is_nccl_available

    if not is_nccl_available():
        raise RuntimeError("the 'nccl' backend needs CuPy with its NCCL library "
                           "(pip install cupy-cuda12x nvidia-nccl-cu12); it is not available here")
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
    """Collectives among the processes of an MPI communicator, over an NCCL communicator on the current GPU."""

    def __init__(self, mpi_comm):
        cupy, nccl = _nccl()
        self.cupy, self.nccl, self.mpi = cupy, nccl, mpi_comm
        self.xp = cupy
        uid = nccl.get_unique_id() if mpi_comm.Get_rank() == 0 else None
        uid = mpi_comm.bcast(uid, root=0)  # a tuple of ints: mpi4py's lower-case bcast of builtins only
        self.comm = nccl.NcclCommunicator(mpi_comm.Get_size(), uid, mpi_comm.Get_rank())
        self.size = mpi_comm.Get_size()
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
        me = self.mpi.Get_rank()
        pairs = [("send", send, root)]
        if me == root:
            pairs += [("recv", recv[r], r) for r in range(self.size)]
        return self._grouped(pairs, async_op)

    def scatter(self, send, recv, root, async_op):
        pairs = [("send", send[r], r) for r in range(self.size)] if self.mpi.Get_rank() == root else []
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
