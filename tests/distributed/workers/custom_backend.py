"""Run under mpiexec: a backend registered by the script itself carries the cpu tensors of its groups.

The backend wraps the MPI transport and counts the collectives it runs; the
checks are on values (closed forms), on what its factory was given, and on
which tensors it carried (cpu ones only: other device types stay on MPI).
"""

import collections
from datetime import timedelta

import numpy as np

import ember
import ember.distributed as dist
from ember.distributed._mpi import MPITransport

COLLECTIVES = {"allreduce", "broadcast", "reduce", "allgather", "gather", "scatter", "reduce_scatter", "alltoall",
               "barrier", "send", "recv"}
CALLS = collections.Counter()
MADE = []


class Counting:
    """The MPI transport, counting every collective it runs."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name not in COLLECTIVES:
            return attr

        def counted(*args):
            CALLS[name] += 1
            return attr(*args)

        return counted


def make(store, rank, world_size, timeout):
    MADE.append(("plain", rank, world_size, timeout))
    return Counting(MPITransport(store, rank, world_size, timeout))


def make_extended(options, pg_options):
    MADE.append(("extended", options, pg_options))
    return Counting(MPITransport(options.store))


dist.Backend.register_backend("counting", make, devices=["cpu"])
dist.Backend.register_backend("counting_ext", make_extended, extended_api=True, devices="cpu")
assert dist.is_backend_available("counting") and dist.Backend.COUNTING == "counting"

dist.init_process_group("counting", timeout=timedelta(seconds=77))
rank, n = dist.get_rank(), dist.get_world_size()
assert dist.get_backend() == "counting" and MADE == []  # the transport is made on first use


def close(t, expected):
    np.testing.assert_allclose(np.asarray(t.cpu().tolist()), np.asarray(expected, dtype=np.float64))


t = ember.tensor([rank + 1.0, 2.0])
dist.all_reduce(t)
close(t, [n * (n + 1) / 2, 2.0 * n])
t = ember.full((3,), float(rank))
dist.broadcast(t, src=n - 1)
close(t, [n - 1.0] * 3)
out = [ember.zeros(2) for _ in range(n)]
dist.all_gather(out, ember.full((2,), float(rank)))
for r, o in enumerate(out):
    close(o, [r, r])
dist.barrier()
assert MADE == [("plain", rank, n, timedelta(seconds=77))], MADE
assert CALLS == {"allreduce": 1, "broadcast": 1, "allgather": 1, "barrier": 1}, CALLS

# a device type the group's backend does not claim travels over MPI, uncounted
if "strict" in ember.plugins.host().device_types():
    s = ember.ones(2, device="strict")
    dist.all_reduce(s)
    close(s, [n, n])
    assert CALLS["allreduce"] == 1, CALLS

# an extended_api backend on a sub-group gets the group's description and its pg_options
members = [0, n - 1]
g = dist.new_group(members, backend="counting_ext", pg_options={"k": 1})
if rank in members:
    t = ember.full((2,), rank + 1.0)
    dist.all_reduce(t, group=g)
    close(t, [n + 1.0, n + 1.0])
    kind, options, pg_options = MADE[-1]
    assert kind == "extended" and pg_options == {"k": 1}, MADE
    assert (options.group_rank, options.group_size, options.global_ranks_in_group) == (g.rank(), 2, members)
    assert options.timeout == timedelta(seconds=77) and isinstance(options.group_id, str)
    assert options.store is g.comm and CALLS["allreduce"] == 2
else:
    assert g == dist.GroupMember.NON_GROUP_MEMBER

# the 'device:backend' form routes cpu tensors to the named backend
h = dist.new_group(backend="cpu:counting")
t = ember.ones(2)
dist.all_reduce(t, group=h)
close(t, [n, n])
assert dist.get_backend(h) == "cpu:counting" and MADE[-1][0] == "plain"
assert CALLS["allreduce"] == 2 + (rank in members), CALLS

dist.destroy_process_group()
print(f"rank {rank}: custom backend ok", flush=True)
