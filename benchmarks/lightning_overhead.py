"""Per-step overhead of emberlightning's Trainer against a hand-written loop (MLP workload of workloads.py).

Both loops run the same model, optimizer and pre-built batches; the Trainer runs without logger,
checkpointing, progress bar and summary, once with a bare ``training_step`` and once also calling
``self.log`` every step. The MLP (784-512-512-10, SGD with momentum, batch 128, as ``workloads.mlp``)
gives the relative overhead; a tiny Linear(4, 1) model, whose step costs almost nothing, measures the
Trainer's fixed cost per step in microseconds (less noisy than a difference of two MLP timings).

Run: python benchmarks/lightning_overhead.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import time

import ember
import ember.nn as nn
import emberlightning as L


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)), 784


def tiny():
    return nn.Sequential(nn.Linear(4, 10)), 4


def make_batches(features, steps):
    ember.manual_seed(1)
    x, y = ember.randn(128, features), ember.randint(0, 10, (128,))
    return [(x, y)] * steps


def hand_loop(make, batches):
    ember.manual_seed(0)
    model = make()[0]
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


class Module(L.LightningModule):
    def __init__(self, make, log_every_step):
        super().__init__()
        ember.manual_seed(0)
        self.net = make()[0]
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


def trainer_loop(make, batches, log_every_step):
    """Time of ``fit`` (its setup included: it is part of what a user pays)."""
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0, accelerator="cpu")
    model = Module(make, log_every_step)
    start = time.perf_counter()
    trainer.fit(model, batches)
    return time.perf_counter() - start


def measure(make, steps, repeats):
    batches = make_batches(make()[1], steps)
    hand_loop(make, batches[:3])  # warm up
    runs = {"hand-written loop": [], "Trainer": [], "Trainer + self.log": []}
    for _ in range(repeats):  # interleaved, so drifts in machine speed hit all three alike
        runs["hand-written loop"].append(hand_loop(make, batches) / steps)
        runs["Trainer"].append(trainer_loop(make, batches, False) / steps)
        runs["Trainer + self.log"].append(trainer_loop(make, batches, True) / steps)
    return {name: min(times) for name, times in runs.items()}  # the least disturbed run of each


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    fixed = measure(tiny, args.steps * 10, args.repeats)
    big = measure(mlp, args.steps, args.repeats)
    base = big["hand-written loop"]
    print(f"MLP step, hand-written loop: {base * 1e3:.2f} ms")
    for name in ("Trainer", "Trainer + self.log"):
        cost = fixed[name] - fixed["hand-written loop"]
        print(f"{name:20s} MLP {big[name] * 1e3:7.2f} ms/step ({(big[name] / base - 1) * 100:+5.1f}%); fixed cost "
              f"{cost * 1e6:6.1f} us/step = {cost / base * 100:.2f}% of an MLP step")


if __name__ == "__main__":
    main()
