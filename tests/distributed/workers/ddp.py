"""Run under mpiexec: DDP training equals single-process training on the concatenated batches."""

import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
ember.set_default_dtype(ember.float64)
PER_RANK, STEPS, ACCUM = 4, 20, 2


def mlp(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


def batches():
    """The same global batches on every rank: (x, y) of n * PER_RANK rows per step."""
    g = np.random.default_rng(1)
    for _ in range(STEPS):
        yield ember.tensor(g.normal(size=(n * PER_RANK, 5))), ember.tensor(g.normal(size=(n * PER_RANK, 3)))


# every rank starts from different weights: DDP must broadcast rank 0's
model = DDP(mlp(seed=100 + rank), bucket_cap_mb=0.001)  # tiny buckets: several in flight at once
assert len(model._buckets) > 2
assert list(model.state_dict())[0] == "module.0.weight"
opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
ref = mlp(seed=100)
ref_opt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.MSELoss()

for step, (x, y) in enumerate(batches()):
    mine = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    opt.zero_grad()
    if step % 5 == 4:  # gradient accumulation: the first half-batch without communication
        half = PER_RANK // ACCUM
        xs, ys = x[mine], y[mine]
        with model.no_sync():
            (loss_fn(model(xs[:half]), ys[:half]) / ACCUM).backward()
        (loss_fn(model(xs[half:]), ys[half:]) / ACCUM).backward()
    else:
        loss_fn(model(x[mine]), y[mine]).backward()
    opt.step()
    ref_opt.zero_grad()
    loss_fn(ref(x), y).backward()
    ref_opt.step()

for (name, p), q in zip(model.module.named_parameters(), ref.parameters()):
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
# every rank holds the same parameters
for p in model.parameters():
    first = p.detach().clone()
    dist.broadcast(first, src=0)
    assert ember.equal(first, p.detach())

# a parameter unused in the forward still gets a (zero) gradient; buffers follow rank 0


class Partial(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(2, 1), nn.Linear(2, 1)
        self.register_buffer("count", ember.tensor([float(rank)]))

    def forward(self, x):
        return self.used(x)


part = DDP(Partial(), find_unused_parameters=True)
assert part.module.count.item() == 0.0
part(ember.ones(3, 2) * (rank + 1)).sum().backward()
assert part.module.unused.weight.grad.abs().sum().item() == 0.0
np.testing.assert_allclose(part.module.used.weight.grad.numpy(), np.full((1, 2), 3 * (n + 1) / 2))

# two forwards, one backward: both graphs' gradients are averaged
two = DDP(nn.Linear(2, 1), bucket_cap_mb=0)
(two(ember.ones(1, 2) * (rank + 1)).sum() + two(ember.ones(1, 2) * 2 * (rank + 1)).sum()).backward()
np.testing.assert_allclose(two.module.weight.grad.numpy(), np.full((1, 2), 3 * (n + 1) / 2))
np.testing.assert_allclose(two.module.bias.grad.numpy(), [2.0])

# on every other device too (the buckets live on the parameters' device)
for dev in sys.argv[1:]:
    lin = DDP(nn.Linear(2, 1).to(dev))
    lin(ember.ones(3, 2, device=dev) * (rank + 1)).sum().backward()
    assert lin.module.weight.grad.device == ember.device(dev)
    np.testing.assert_allclose(np.asarray(lin.module.weight.grad.cpu().tolist()), np.full((1, 2), 3 * (n + 1) / 2))
    np.testing.assert_allclose(lin.module.bias.grad.cpu().tolist(), [3.0])
dist.destroy_process_group()
print(f"rank {rank}: ddp ok", flush=True)
