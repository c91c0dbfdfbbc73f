"""The MPI transport: collectives on contiguous numpy buffers through mpi4py's buffer (upper-case) API.

Blocking calls use MPI's blocking collectives (the tuned algorithms); ``async_op``
calls use the non-blocking ones (``Iallreduce`` ...) and return a request.
"""

from __future__ import annotations

from mpi4py import MPI

from ._group import RedOpType

_OPS = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
        RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX}
# MPI reduces C bools only with logical ops: sum/max/avg are "or", product/min are "and" (as torch does)
_BOOL_OPS = {RedOpType.SUM: MPI.LOR, RedOpType.AVG: MPI.LOR, RedOpType.PRODUCT: MPI.LAND,
             RedOpType.MIN: MPI.LAND, RedOpType.MAX: MPI.LOR}


class Request:
    """One or more MPI requests, waited for together (``status`` receives the source of a receive)."""

    __slots__ = ("reqs", "status")

    def __init__(self, *reqs):
        self.reqs, self.status = reqs, MPI.Status()

    def wait(self):
        if len(self.reqs) == 1:
            self.reqs[0].Wait(self.status)
        else:
            MPI.Request.Waitall(list(self.reqs))

    def test(self):
        return MPI.Request.Testall(list(self.reqs))


def _op(op, buf):
    return (_BOOL_OPS if buf.dtype.kind == "b" else _OPS)[op]


class MPITransport:
    """Collectives among the processes of an mpi4py communicator."""

    def __init__(self, comm):
        self.comm = comm

    def _call(self, name, async_op, *args):
        if async_op:
            return Request(getattr(self.comm, "I" + name.lower())(*args))
        getattr(self.comm, name)(*args)
        return None

    def allreduce(self, buf, op, async_op):
        return self._call("Allreduce", async_op, MPI.IN_PLACE, buf, _op(op, buf))

    def broadcast(self, buf, root, async_op):
        return self._call("Bcast", async_op, buf, root)

    def reduce(self, buf, op, root, async_op):
        send = MPI.IN_PLACE if self.comm.Get_rank() == root else buf
        return self._call("Reduce", async_op, send, buf, _op(op, buf), root)

    def allgather(self, send, recv, async_op):
        return self._call("Allgather", async_op, send, recv)

    def gather(self, send, recv, root, async_op):
        return self._call("Gather", async_op, send, recv, root)

    def scatter(self, send, recv, root, async_op):
        return self._call("Scatter", async_op, send, recv, root)

    def reduce_scatter(self, send, recv, op, async_op):
        return self._call("Reduce_scatter_block", async_op, send, recv, _op(op, send))

    def alltoall(self, send, recv, async_op):
        return self._call("Alltoall", async_op, send, recv)

    def barrier(self, async_op):
        return self._call("Barrier", async_op)

    def send(self, buf, dst, tag):
        return Request(self.comm.Isend(buf, dst, tag))

    def recv(self, buf, src, tag):
        return Request(self.comm.Irecv(buf, MPI.ANY_SOURCE if src is None else src, MPI.ANY_TAG if tag is None else tag))

    @staticmethod
    def source(request):
        return request.status.Get_source()
