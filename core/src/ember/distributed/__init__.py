"""Distributed training on many processes: process groups and collectives, like ``torch.distributed``.

CPU tensors travel over MPI (mpi4py; ``'gloo'`` is an alias of ``'mpi'``); other
process-group backends come from plugins (ember-cuda registers ``'nccl'``) or
``Backend.register_backend``, and carry the device types they register for.
Start the processes with
``python -m ember.distributed.run --nproc-per-node N script.py`` or plain
``mpiexec -n N python script.py``; ``init_process_group`` takes rank and world
size from MPI. See ``docs/distributed.md``.

Example:
    >>> import ember.distributed as dist
    >>> dist.is_available(), dist.is_initialized()
    (True, False)
"""

from __future__ import annotations

from . import _mpi  # noqa: F401  (registers the 'mpi' and 'gloo' backends)
from ._backends import DistributedBackendOptions, is_backend_available
from ._group import (
    Backend, GroupMember, ProcessGroup, ReduceOp, Work, default_pg_timeout, destroy_process_group, get_backend,
    get_rank, get_world_size, group, init_process_group, is_initialized, is_mpi_available, is_nccl_available,
    new_group,
)
from .collectives import (
    all_gather, all_gather_into_tensor, all_reduce, all_to_all, all_to_all_single, barrier, broadcast, gather,
    irecv, isend, recv, reduce, reduce_scatter, reduce_scatter_tensor, scatter, send,
)
from .object_collectives import all_gather_object, broadcast_object_list, gather_object, scatter_object_list


def is_available():
    """Whether ``ember.distributed`` is usable: always True (the transports are imported when a group starts).

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_available()
        True
    """
    return True


def is_gloo_available():
    """Whether the ``'gloo'`` backend (run on MPI here) can be used: True when mpi4py imports.

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_gloo_available() == dist.is_mpi_available()
        True
    """
    return is_mpi_available()


def is_torchelastic_launched():
    """False: ember jobs are started by MPI (``ember.distributed.run`` wraps ``mpiexec``), never torchelastic.

    Example:
        >>> import ember.distributed as dist
        >>> dist.is_torchelastic_launched()
        False
    """
    return False


__all__ = [
    "Backend", "DistributedBackendOptions", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
    "all_gather_object", "all_reduce", "all_to_all", "all_to_all_single", "barrier", "broadcast",
    "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_rank", "get_world_size", "group", "init_process_group", "irecv", "is_available", "is_backend_available", "is_gloo_available",
    "is_initialized", "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "isend", "new_group",
    "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]
