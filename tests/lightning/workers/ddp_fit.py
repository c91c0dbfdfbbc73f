"""A DDP fit with emberlightning: run under mpiexec (joins the job) or plainly (the Trainer launches the job).

``python ddp_fit.py DEVICES ROOT``: trains a small MLP with ``Trainer(strategy="ddp", devices=DEVICES)``
and checks, on every rank, that the weights equal single-process SGD on the global batches, that each
rank saw its own shard, that ``sync_dist`` metrics are the cross-rank reductions and that only rank 0
wrote checkpoints and logs. Prints ``rank R: ddp fit ok``.
"""

import os
import sys

import numpy as np

import ember
import ember.distributed as dist  # the Trainer initializes the process group
import emberlightning as L
from ember import nn
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset
from emberlightning.callbacks import ModelCheckpoint
from emberlightning.loggers import CSVLogger
from emberlightning.utilities import rank_zero_only

DEVICES, ROOT = int(sys.argv[1]), sys.argv[2]
N_TRAIN, N_VAL, BATCH, EPOCHS, LR = 16, 10, 4, 2, 0.1
ember.set_default_dtype(ember.float64)

g = np.random.default_rng(0)
X, Y = ember.tensor(g.normal(size=(N_TRAIN, 3))), ember.tensor(g.normal(size=(N_TRAIN, 2)))
XV, YV = ember.tensor(g.normal(size=(N_VAL, 3))), ember.tensor(g.normal(size=(N_VAL, 2)))


def mlp(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


class Model(L.LightningModule):
    def __init__(self, seed):
        super().__init__()
        self.net = mlp(seed)
        self.seen, self.val_seen = [], []

    def training_step(self, batch, batch_idx):
        x, y, idx = batch
        self.seen += idx.tolist()
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("rank_mean", float(self.global_rank), sync_dist=True)
        self.log("rank_local", float(self.global_rank))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y, idx = batch
        self.val_seen += idx.tolist()
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y), sync_dist=True)
        self.log("val_rank_max", float(self.global_rank), reduce_fx="max", sync_dist=True)

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=LR, momentum=0.9)


saved, logged = [], []
real_save = ember.save
ember.save = lambda obj, path, *a, **k: (saved.append(path), real_save(obj, path, *a, **k))
real_log = CSVLogger.log_metrics
CSVLogger.log_metrics = lambda self, metrics, step=None: (logged.append(step), real_log(self, metrics, step))

trainer = L.Trainer(strategy="ddp", accelerator="cpu", devices=DEVICES, max_epochs=EPOCHS, default_root_dir=ROOT,
                    logger=CSVLogger(ROOT), log_every_n_steps=1, num_sanity_val_steps=0, enable_progress_bar=False,
                    enable_model_summary=False, callbacks=[ModelCheckpoint(save_top_k=-1)])
rank, n = trainer.global_rank, trainer.world_size
model = Model(seed=100 + rank)  # different weights on every rank: DDP starts from rank 0's
train = DataLoader(TensorDataset(X, Y, ember.arange(N_TRAIN)), batch_size=BATCH, shuffle=True)
val = DataLoader(TensorDataset(XV, YV, ember.arange(N_VAL)), batch_size=N_VAL // n)
trainer.fit(model, train, val)

assert dist.is_initialized() and dist.get_world_size() == n == DEVICES and dist.get_rank() == rank
assert trainer.is_global_zero == (rank == 0) and trainer.local_rank == rank and trainer.num_devices == DEVICES

# the same weights everywhere, equal to one process doing SGD on the global batches
def reference(accumulate):
    """One process doing SGD on the global batches (every rank's batch, ``accumulate`` of them per step)."""
    ref = mlp(seed=100)
    opt = ember.optim.SGD(ref.parameters(), lr=LR, momentum=0.9)
    shards = [DistributedSampler(range(N_TRAIN), num_replicas=n, rank=r, shuffle=True, seed=0) for r in range(n)]
    for epoch in range(EPOCHS):
        orders = []
        for s in shards:
            s.set_epoch(epoch)
            orders.append(list(s))
        step = BATCH * accumulate
        for k in range(0, N_TRAIN // n, step):
            opt.zero_grad()
            batches = [o[j:j + BATCH] for o in orders for j in range(k, k + step, BATCH)]
            loss = sum(nn.functional.mse_loss(ref(X[b]), Y[b]) for b in batches) / len(batches)
            loss.backward()
            opt.step()
    return ref


def check_weights(model, ref):
    for a, b in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


ref = reference(accumulate=1)
check_weights(model, ref)
mine = [p.detach().numpy() for p in model.parameters()]
everyone = [None] * n
dist.all_gather_object(everyone, mine)
for theirs in everyone:
    for a, b in zip(mine, theirs):
        np.testing.assert_array_equal(a, b)

# sharded data: this rank's DistributedSampler share, each epoch a new order
per_epoch = N_TRAIN // n
assert len(model.seen) == EPOCHS * per_epoch, model.seen
shard = DistributedSampler(range(N_TRAIN), num_replicas=n, rank=rank, shuffle=True, seed=0)
for epoch in range(EPOCHS):
    shard.set_epoch(epoch)
    assert model.seen[epoch * per_epoch:(epoch + 1) * per_epoch] == list(shard)
assert model.val_seen[:N_VAL // n] == list(range(rank, N_VAL, n))  # validation: not shuffled
seen = [None] * n
dist.all_gather_object(seen, sorted(model.seen[:per_epoch]))
assert sorted(sum(seen, [])) == list(range(N_TRAIN))

# sync_dist: the cross-rank reductions; without it, this rank's own value
m = trainer.callback_metrics
assert abs(m["rank_mean"].item() - (n - 1) / 2) < 1e-12 and m["rank_local"].item() == rank, m
assert m["val_rank_max"].item() == n - 1, m
ref_val = nn.functional.mse_loss(ref(XV), YV).item()
assert abs(m["val_loss"].item() - ref_val) < 1e-10, (m["val_loss"], ref_val)

# checkpoints and logs from rank 0 only; every rank knows the same paths
cb = trainer.checkpoint_callback
files = sorted(os.path.join(cb.dirpath, f) for f in os.listdir(cb.dirpath))
paths = [None] * n
dist.all_gather_object(paths, (cb.dirpath, cb.best_model_path, files))
assert all(p == paths[0] for p in paths), paths
assert len(files) == EPOCHS, files
if rank == 0:
    assert sorted(saved) == files and logged, (saved, logged)
else:
    assert saved == [] and logged == [], (saved, logged)
state = ember.load(files[-1], weights_only=False)["state_dict"]
for a, b in zip(mine, state.values()):
    np.testing.assert_allclose(a, b.numpy())
# after fit: validate on the shards, gather from every rank, rank-zero-only helpers
result = trainer.validate(model, val, verbose=False)[0]
assert abs(result["val_loss"] - ref_val) < 1e-10 and result["val_rank_max"] == n - 1, result
gathered = model.all_gather({"r": ember.tensor([float(rank), 1.0])})["r"]
assert gathered.tolist() == [[float(r), 1.0] for r in range(n)], gathered  # DDP: stacked, even for one
assert rank_zero_only(lambda: "zero", default="other")() == ("zero" if rank == 0 else "other")
# a second fit in the same job, accumulating gradients over two batches (synchronised on the second only)
again = L.Trainer(strategy="ddp", accelerator="cpu", devices=DEVICES, max_epochs=EPOCHS, accumulate_grad_batches=2,
                  logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
model = Model(seed=100)
again.fit(model, train)
check_weights(model, reference(accumulate=2))
print(f"rank {rank}: ddp fit ok", flush=True)
