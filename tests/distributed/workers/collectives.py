"""Run under mpiexec: every collective's result against closed forms, on every device (staging) and layout."""

import os
import sys

import numpy as np

import ember
import ember.distributed as dist

try:
    dist.init_process_group("gloo", world_size=1000)
except ValueError as exc:
    assert "world_size=1000" in str(exc) and "mpiexec" in str(exc), exc
else:
    raise AssertionError("a world size MPI did not start must be refused")
dist.init_process_group("gloo")
rank, n = dist.get_rank(), dist.get_world_size()
assert (os.environ["RANK"], os.environ["WORLD_SIZE"]) == (str(rank), str(n)) and "LOCAL_RANK" in os.environ
assert dist.is_initialized() and dist.get_backend() == "gloo"
assert int(os.environ.get("EXPECT_WORLD", n)) == n
devices = sys.argv[1].split(",")


def close(t, expected):
    np.testing.assert_allclose(np.asarray(t.cpu().tolist()), np.asarray(expected, dtype=np.float64), rtol=1e-6)


def vec(r, device, dtype=ember.float32, k=3):
    """Rank r's test vector: r + 1 + [0, 1, 2, ...]."""
    return ember.tensor([r + 1.0 + i for i in range(k)], dtype=dtype, device=device)


ranks = np.arange(n)
for dev in devices:
    # all_reduce with every op; float and int; a non-contiguous view
    for op, ref in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod), (dist.ReduceOp.MIN, np.min),
                    (dist.ReduceOp.MAX, np.max), (dist.ReduceOp.AVG, np.mean)):
        t = vec(rank, dev)
        dist.all_reduce(t, op=op)
        close(t, [ref(ranks + 1.0 + i) for i in range(3)])
    t = vec(rank, dev, ember.int64)
    dist.all_reduce(t)
    close(t, [np.sum(ranks + 1 + i) for i in range(3)])
    b = ember.tensor([rank == 0, False], device=dev)
    dist.all_reduce(b)
    assert b.tolist() == [True, False], b
    m = ember.zeros(3, 4, device=dev)
    m[:, 1] = float(rank + 1)
    v = m[:, 1]  # a strided view: reduced through a staging copy and written back
    dist.all_reduce(v)
    close(m[:, 1], [n * (n + 1) / 2] * 3)
    close(m[:, 0], [0.0] * 3)
    # async: a Work handle
    t = vec(rank, dev)
    w = dist.all_reduce(t, async_op=True)
    w.wait()
    assert w.is_completed()
    close(t, [np.sum(ranks + 1.0 + i) for i in range(3)])
    # broadcast from the last rank
    t = vec(rank, dev)
    dist.broadcast(t, src=n - 1)
    close(t, vec(n - 1, "cpu").tolist())
    # reduce to rank 1 (only there)
    t = vec(rank, dev)
    dst = min(1, n - 1)
    dist.reduce(t, dst=dst, op=dist.ReduceOp.SUM)
    close(t, [np.sum(ranks + 1.0 + i) for i in range(3)] if rank == dst else vec(rank, "cpu").tolist())
    # all_gather (list) and all_gather_into_tensor (concat and stack)
    out = [ember.zeros(3, device=dev) for _ in range(n)]
    dist.all_gather(out, vec(rank, dev))
    for r in range(n):
        close(out[r], vec(r, "cpu").tolist())
    flat = ember.zeros(3 * n, device=dev)
    dist.all_gather_into_tensor(flat, vec(rank, dev))
    close(flat, sum((vec(r, "cpu").tolist() for r in range(n)), []))
    stacked = ember.zeros(n, 3, device=dev)
    dist.all_gather_into_tensor(stacked, vec(rank, dev), async_op=True).wait()
    close(stacked, [vec(r, "cpu").tolist() for r in range(n)])
    # gather to 0, scatter from 0
    lst = [ember.zeros(3, device=dev) for _ in range(n)] if rank == 0 else None
    dist.gather(vec(rank, dev), lst, dst=0)
    if rank == 0:
        for r in range(n):
            close(lst[r], vec(r, "cpu").tolist())
    t = ember.zeros(3, device=dev)
    dist.scatter(t, [vec(10 * r, dev) for r in range(n)] if rank == 0 else None, src=0)
    close(t, vec(10 * rank, "cpu").tolist())
    # reduce_scatter (list) and reduce_scatter_tensor: rank r gets sum over ranks of chunk r
    out = ember.zeros(3, device=dev)
    dist.reduce_scatter(out, [vec(rank + 10 * c, dev) for c in range(n)])
    close(out, [sum(q + 10 * rank + 1.0 + i for q in range(n)) for i in range(3)])
    out = ember.zeros(2, device=dev)
    big = ember.tensor([float(rank * 100 + j) for j in range(2 * n)], device=dev)
    dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.AVG)
    close(out, [np.mean([q * 100 + 2 * rank + j for q in ranks]) for j in range(2)])
    # all_to_all: rank r sends r*10+c to rank c
    outs = [ember.zeros(1, device=dev) for _ in range(n)]
    dist.all_to_all(outs, [ember.tensor([rank * 10.0 + c], device=dev) for c in range(n)])
    close(ember.cat(outs), [c * 10.0 + rank for c in range(n)])
    single = ember.zeros(n, device=dev)
    dist.all_to_all_single(single, ember.tensor([rank * 10.0 + c for c in range(n)], device=dev))
    close(single, [c * 10.0 + rank for c in range(n)])
    # point to point: a ring, blocking and non-blocking
    t = ember.zeros(2, device=dev)
    nxt, prv = (rank + 1) % n, (rank - 1) % n
    req = dist.isend(vec(rank, dev, k=2), dst=nxt)
    assert dist.recv(t, src=prv) == prv
    req.wait()
    close(t, vec(prv, "cpu", k=2).tolist())
    if rank == 0:
        dist.send(ember.tensor([7.0], device=dev), dst=n - 1, tag=3)
    if rank == n - 1:
        got = ember.zeros(1, device=dev)
        dist.irecv(got, src=0, tag=3).wait()
        close(got, [7.0])
    dist.barrier()

# half precision: float16 goes straight to MPI, bfloat16 through a float32 staging copy
for half in (ember.float16, ember.bfloat16):
    t = ember.full((3,), float(rank + 1), dtype=half)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert t.dtype == half
    close(t.float(), [(n + 1) / 2] * 3)

# a sub-group of the even ranks: group ranks, global src, non-members
evens = dist.new_group([r for r in range(n) if r % 2 == 0])
if rank % 2 == 0:
    assert dist.get_world_size(evens) == len(range(0, n, 2)) and dist.get_rank(evens) == rank // 2
    t = ember.tensor([float(rank)])
    dist.all_reduce(t, group=evens)
    close(t, [sum(range(0, n, 2))])
    t = ember.tensor([float(rank)])
    dist.broadcast(t, src=0, group=evens)
    close(t, [0.0])
else:
    assert evens == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(evens) == -1
try:
    dist.broadcast(ember.zeros(1), src=n, group=None)
except ValueError as exc:
    assert "out of range" in str(exc)
else:
    raise AssertionError("broadcast from a missing rank must fail")

# object collectives (ember's safe format)
objs = [{"lr": 0.5, "name": "run"}, [1, 2, (3, "x")], ember.arange(3)] if rank == 0 else [None, None, None]
dist.broadcast_object_list(objs, src=0)
assert objs[0] == {"lr": 0.5, "name": "run"} and objs[1] == [1, 2, (3, "x")] and objs[2].tolist() == [0, 1, 2]
everyone = [None] * n
dist.all_gather_object(everyone, {"rank": rank, "pad": "x" * rank})
assert everyone == [{"rank": r, "pad": "x" * r} for r in range(n)]
got = [None] * n if rank == n - 1 else None
dist.gather_object(("r", rank), got, dst=n - 1)
if rank == n - 1:
    assert got == [("r", r) for r in range(n)]
one = [None]
dist.scatter_object_list(one, [{"i": r} for r in range(n)] if rank == 0 else None, src=0)
assert one == [{"i": rank}]

dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank}: collectives ok", flush=True)
