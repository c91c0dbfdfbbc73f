"""Per-step overhead of emberlightning's Trainer against a hand-written loop, on the MLP workload.

Both run the same model, optimizer and pre-built batches (MLP 784-512-512-10, SGD with momentum,
batch 128, as ``workloads.mlp``); the Trainer runs without logger, checkpointing, progress bar and
summary, once with a bare ``training_step`` and once also calling ``self.log`` every step.

Run: python benchmarks/lightning_overhead.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import statistics
import time

import ember
import ember.nn as nn
import emberlightning as L


def make_model():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def make_batches(steps):
    ember.manual_seed(1)
    x, y = ember.randn(128, 784), ember.randint(0, 10, (128,))
    return [(x, y)] * steps


def hand_loop(batches):
    model = make_model()
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


class MLPModule(L.LightningModule):
    def __init__(self, log_every_step):
        super().__init__()
        self.net = make_model()
        self.loss_fn = nn.CrossEntropyLoss()
        self.log_every_step = log_every_step

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self.net(x), y)
        if self.log_every_step:
            self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)


def trainer_loop(batches, log_every_step):
    model = MLPModule(log_every_step)
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0, accelerator="cpu")
    start = time.perf_counter()
    trainer.fit(model, batches)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batches = make_batches(args.steps)
    hand_loop(batches[:3])  # warm up
    runs = {"hand-written loop": [], "Trainer": [], "Trainer + self.log": []}
    for _ in range(args.repeats):  # interleaved, so drifts in machine speed hit all three alike
        runs["hand-written loop"].append(hand_loop(batches))
        runs["Trainer"].append(trainer_loop(batches, False))
        runs["Trainer + self.log"].append(trainer_loop(batches, True))
    base = statistics.median(runs["hand-written loop"]) / args.steps
    for name, times in runs.items():
        per_step = statistics.median(times) / args.steps
        print(f"{name:20s} {per_step * 1e3:8.3f} ms/step  ({(per_step / base - 1) * 100:+5.1f}% vs hand-written)")


if __name__ == "__main__":
    main()
