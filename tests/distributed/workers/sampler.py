"""Run under the launcher: DistributedSampler covers the data set exactly once per epoch across ranks."""

import os

import ember
import ember.distributed as dist
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
# the launcher sets torch's environment variables
assert (int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])) == (rank, n), dict(os.environ)
locals_ = [None] * n
dist.all_gather_object(locals_, int(os.environ["LOCAL_RANK"]))
assert sorted(locals_) == list(range(n)) and int(os.environ["LOCAL_WORLD_SIZE"]) == n
size = 6 * n  # divisible: exactly once, no padding
data = TensorDataset(ember.arange(size))
sampler = DistributedSampler(data, shuffle=True, seed=3)
assert sampler.num_replicas == n and sampler.rank == rank
orders = []
for epoch in range(2):
    sampler.set_epoch(epoch)
    mine = ember.cat([b for (b,) in DataLoader(data, batch_size=4, sampler=sampler)])
    everyone = [ember.zeros(6, dtype=ember.int64) for _ in range(n)]
    dist.all_gather(everyone, mine)
    seen = sorted(ember.cat(everyone).tolist())
    assert seen == list(range(size)), seen
    orders.append(ember.cat(everyone).tolist())
assert orders[0] != orders[1]  # set_epoch reshuffles
dist.destroy_process_group()
print(f"rank {rank}: sampler ok", flush=True)
