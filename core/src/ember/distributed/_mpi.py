"""The MPI transport: collectives on contiguous numpy buffers through mpi4py's buffer (upper-case) API.

Blocking calls use MPI's blocking collectives (the tuned algorithms); ``async_op``
calls use the non-blocking ones (``Iallreduce`` ...) and return a request.
mpi4py is imported when the first transport is made (importing it initializes MPI).
Core registers it as the backends ``'mpi'`` and ``'gloo'`` (torch's name for its
CPU backend); it also carries, through a host copy, the tensors of every device
type a group's backends do not claim.
"""

from __future__ import annotations

import numpy as np

from ._backends import _register
from ._group import RedOpType, _mpi, is_mpi_available


class Request:
    """One or more MPI requests, waited for together (``status`` receives the source of a receive)."""

    __slots__ = ("MPI", "reqs", "status")

    def __init__(self, MPI, *reqs):
        self.MPI, self.reqs, self.status = MPI, reqs, MPI.Status()

    def wait(self):
        if len(self.reqs) == 1:
            self.reqs[0].Wait(self.status)
        else:
            self.MPI.Request.Waitall(list(self.reqs))

    def test(self):
        return self.MPI.Request.Testall(list(self.reqs))


def _host_dtype(t):
    # mpi4py maps numpy's built-in dtypes only: bfloat16 travels as float32
    return np.dtype(np.float32) if t.dtype.name == "bfloat16" else np.dtype(t.dtype.name)


class MPITransport:
    """Collectives among the processes of an mpi4py communicator (a registered backend's ``func``).

    Example:
        >>> import ember
        >>> from ember.distributed._mpi import MPITransport
        >>> MPITransport.buffer(ember.arange(3.0)).tolist()
        [0.0, 1.0, 2.0]
    """

    def __init__(self, comm, rank=None, world_size=None, timeout=None):
        self.comm = comm
        self.MPI = MPI = _mpi()
        self.ops = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
                    RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX}
        # MPI reduces C bools only with logical ops: sum/max/avg are "or", product/min are "and" (as torch does)
        self.bool_ops = {RedOpType.SUM: MPI.LOR, RedOpType.AVG: MPI.LOR, RedOpType.PRODUCT: MPI.LAND,
                         RedOpType.MIN: MPI.LAND, RedOpType.MAX: MPI.LOR}

    def _op(self, op, buf):
        return (self.bool_ops if buf.dtype.kind == "b" else self.ops)[op]

    @staticmethod
    def buffer(t):
        """The tensor's own memory when MPI can use it directly (a contiguous built-in numpy array), else None."""
        a = t._data
        if type(a) is np.ndarray and a.flags.c_contiguous and a.dtype.isbuiltin == 1:
            return a
        return None

    @staticmethod
    def staged(t):
        """A contiguous host copy of the tensor's values."""
        return np.array(t._be.to_host(t._data), dtype=_host_dtype(t), order="C", copy=True)

    @staticmethod
    def empty(shape, like):
        return np.empty(shape, _host_dtype(like))

    @staticmethod
    def stack(arrays):
        return np.stack(arrays)

    def _call(self, name, async_op, *args):
        if async_op:
            return Request(self.MPI, getattr(self.comm, "I" + name.lower())(*args))
        getattr(self.comm, name)(*args)
        return None

    def allreduce(self, buf, op, async_op):
        return self._call("Allreduce", async_op, self.MPI.IN_PLACE, buf, self._op(op, buf))

    def broadcast(self, buf, root, async_op):
        return self._call("Bcast", async_op, buf, root)

    def reduce(self, buf, op, root, async_op):
        send = self.MPI.IN_PLACE if self.comm.Get_rank() == root else buf
        return self._call("Reduce", async_op, send, buf, self._op(op, buf), root)

    def allgather(self, send, recv, async_op):
        return self._call("Allgather", async_op, send, recv)

    def gather(self, send, recv, root, async_op):
        return self._call("Gather", async_op, send, recv, root)

    def scatter(self, send, recv, root, async_op):
        return self._call("Scatter", async_op, send, recv, root)

    def reduce_scatter(self, send, recv, op, async_op):
        return self._call("Reduce_scatter_block", async_op, send, recv, self._op(op, send))

    def alltoall(self, send, recv, async_op):
        return self._call("Alltoall", async_op, send, recv)

    def barrier(self, async_op):
        return self._call("Barrier", async_op)

    def send(self, buf, dst, tag):
        return Request(self.MPI, self.comm.Isend(buf, dst, tag))

    def recv(self, buf, src, tag):
        MPI = self.MPI
        return Request(MPI, self.comm.Irecv(buf, MPI.ANY_SOURCE if src is None else src, MPI.ANY_TAG if tag is None else tag))

    @staticmethod
    def source(request):
        return request.status.Get_source()


for _name in ("mpi", "gloo"):
    _register(_name, MPITransport, False, ["cpu"], is_mpi_available, owner="ember")
