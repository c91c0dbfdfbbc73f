"""Run on GPUs (one rank per GPU, or a single process): every collective of an 'nccl' group on cuda tensors.

Checks values against closed forms, that cuda tensors go over the NCCL transport
and cpu tensors of the same group over MPI.
"""

import os

import numpy as np

import ember
import ember.distributed as dist

dist.init_process_group()  # the default: each device type's backend, so cuda tensors over 'nccl'
rank, n = dist.get_rank(), dist.get_world_size()
ember.cuda.set_device(int(os.environ["LOCAL_RANK"]) % ember.cuda.device_count())
assert dist.get_backend() == "cpu:mpi,cuda:nccl", dist.get_backend()
world = dist.group.WORLD
assert type(world.transport("cuda")).__name__ == "NCCLTransport"
assert type(world.transport("cpu")).__name__ == "MPITransport"
ranks = np.arange(n)


def close(t, expected):
    np.testing.assert_allclose(np.asarray(t.cpu().tolist()), np.asarray(expected, dtype=np.float64), rtol=1e-6)


def vec(r, dtype=ember.float32, device="cuda"):
    return ember.tensor([r + 1.0, r + 2.0, r + 3.0], dtype=dtype, device=device)


for op, ref in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod), (dist.ReduceOp.MIN, np.min),
                (dist.ReduceOp.MAX, np.max), (dist.ReduceOp.AVG, np.mean)):
    t = vec(rank)
    dist.all_reduce(t, op=op)
    close(t, [ref(ranks + 1.0 + i) for i in range(3)])
t = vec(rank, ember.int64)
dist.all_reduce(t)
close(t, [np.sum(ranks + 1 + i) for i in range(3)])
b = ember.tensor([rank == 0, False], device="cuda")
dist.all_reduce(b)
assert b.tolist() == [True, False], b
m = ember.zeros(3, 4, device="cuda")
m[:, 1] = float(rank + 1)
v = m[:, 1]  # a strided view: through a staging copy, written back
dist.all_reduce(v)
close(m[:, 1], [n * (n + 1) / 2] * 3)
t = vec(rank)
work = dist.all_reduce(t, async_op=True)
assert work.wait()
close(t, [np.sum(ranks + 1.0 + i) for i in range(3)])
t = vec(rank)
dist.broadcast(t, src=n - 1)
close(t, [n, n + 1.0, n + 2.0])
t = vec(rank)
dist.reduce(t, dst=0)
if rank == 0:
    close(t, [np.sum(ranks + 1.0 + i) for i in range(3)])
out = [ember.zeros(3, device="cuda") for _ in range(n)]
dist.all_gather(out, vec(rank))
for r, o in enumerate(out):
    close(o, [r + 1.0, r + 2.0, r + 3.0])
flat = ember.zeros(3 * n, device="cuda")
dist.all_gather_into_tensor(flat, vec(rank))
close(flat, np.concatenate([[r + 1.0, r + 2.0, r + 3.0] for r in range(n)]))
gathered = [ember.zeros(3, device="cuda") for _ in range(n)] if rank == 0 else None
dist.gather(vec(rank), gathered, dst=0)
if rank == 0:
    for r, o in enumerate(gathered):
        close(o, [r + 1.0, r + 2.0, r + 3.0])
t = ember.zeros(3, device="cuda")
dist.scatter(t, [vec(10 * r) for r in range(n)] if rank == 0 else None, src=0)
close(t, [10 * rank + 1.0, 10 * rank + 2.0, 10 * rank + 3.0])
o = ember.zeros(2, device="cuda")
dist.reduce_scatter_tensor(o, ember.arange(2 * n, dtype=ember.float32, device="cuda"))
close(o, [n * 2.0 * rank, n * (2.0 * rank + 1)])
o = ember.zeros(n, device="cuda")
dist.all_to_all_single(o, ember.full((n,), float(rank), device="cuda"))
close(o, ranks.astype(float))
c = vec(rank, device="cpu")  # the same group's cpu tensors go over MPI
dist.all_reduce(c)
close(c, [np.sum(ranks + 1.0 + i) for i in range(3)])
dist.barrier()
dist.destroy_process_group()
print(f"rank {rank}: nccl ok", flush=True)
