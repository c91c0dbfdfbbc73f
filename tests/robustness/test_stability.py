"""Resource stability and determinism: flat memory over long training, leak detection, bit-identical reruns.

* 2,000 training steps (``long``; 600 in CI) of an MLP and of a LeNet-like CNN
  keep resident memory flat: growth under 5% after warm-up.
* A loop that accumulates ``loss`` without ``.item()`` grows the autograd graph
  every step; ``ember.autograd.GraphGrowthCheck`` notices and warns.
* The same seed gives bit-identical weights after 200 steps, in two separate
  processes, with DataLoader workers 0 and 2.
* Training killed (SIGKILL) mid-epoch and resumed from its last checkpoint with
  emberlightning ends bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import warnings

import pytest

import ember
import ember.nn as nn
from ember.autograd import GraphGrowthCheck, GraphGrowthWarning
from robustness_kit import LONG, record, rss_bytes


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 84), nn.ReLU(), nn.Linear(84, 10))


MODELS = {"MLP": (mlp, (32, 64)), "LeNet-like CNN": (lenet, (8, 1, 28, 28))}


@pytest.mark.parametrize("name", MODELS)
def test_training_memory_is_flat(name):
    build, shape = MODELS[name]
    steps, warmup = (2000, 200) if LONG else (600, 150)
    ember.manual_seed(0)
    model = build()
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    x, y = ember.randn(*shape), ember.randint(0, 10, (shape[0],))
    total = 0.0
    for step in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        total += loss.item()
        if step == warmup:
            gc.collect()
            base = rss_bytes()
    gc.collect()
    end = rss_bytes()
    growth = (end - base) / base
    record("memory", f"{name}, {steps} steps",
           f"RSS {base / 2**20:.1f} MB at step {warmup}, {end / 2**20:.1f} MB at the end ({100 * growth:+.2f}%)")
    assert growth < 0.05, f"{name}: resident memory grew {100 * growth:.1f}% over {steps - warmup} steps"


def test_graph_growth_check_catches_accumulated_loss():
    model = mlp()
    x, y = ember.randn(8, 64), ember.randint(0, 10, (8,))

    def run(accumulate_tensor):
        check, total = GraphGrowthCheck(patience=4), 0.0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GraphGrowthWarning)
            for _ in range(8):
                model.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward(retain_graph=accumulate_tensor)
                total = total + (loss if accumulate_tensor else loss.item())
                check.step()
        return [w for w in caught if issubclass(w.category, GraphGrowthWarning)]

    leaky, clean = run(True), run(False)
    record("memory", "graph-growth check", "warned on `total += loss`, silent on `loss.item()`"
           if leaky and not clean else "FAILED")
    assert len(leaky) == 1 and "loss.item()" in str(leaky[0].message)
    assert clean == []


TRAIN = """
    import hashlib, sys, ember, ember.nn as nn
    from ember.utils.data import DataLoader, TensorDataset
    workers, steps = int(sys.argv[1]), int(sys.argv[2])
    ember.manual_seed(1234)
    data = TensorDataset(ember.randn(256, 20), ember.randint(0, 3, (256,)))
    model = nn.Sequential(nn.Linear(20, 32), nn.Dropout(0.2), nn.ReLU(), nn.Linear(32, 3))
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(data, batch_size=16, shuffle=True, num_workers=workers)
    done = 0
    while done < steps:
        for x, y in loader:
            opt.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); opt.step()
            done += 1
            if done == steps:
                break
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode()); h.update(v.numpy().tobytes())
    print(h.hexdigest())
"""


def _run(code, *args, timeout=300):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()[-1]


def test_same_seed_same_weights_across_processes_and_workers():
    digests = {w: [_run(TRAIN, w, 200) for _ in range(2)] for w in (0, 2)}
    for w, (a, b) in digests.items():
        record("determinism", f"200 steps, num_workers={w}, two processes", "bit-identical" if a == b else "FAILED")
        assert a == b, f"num_workers={w}: two runs with the same seed differ"
    same = digests[0][0] == digests[2][0]
    record("determinism", "num_workers=0 vs num_workers=2", "bit-identical" if same else "FAILED")
    assert same


LIGHTNING = """
    import hashlib, os, signal, sys, ember, ember.nn as nn, emberlightning as L
    from ember.utils.data import DataLoader, TensorDataset
    from emberlightning.callbacks import ModelCheckpoint
    mode, folder = sys.argv[1], sys.argv[2]
    KILL_AT = 11  # global step, in the middle of epoch 2 (8 batches an epoch)

    class Net(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.3), nn.Tanh(), nn.Linear(16, 1))
        def training_step(self, batch, batch_idx):
            x, y = batch
            return nn.functional.mse_loss(self.net(x), y)
        def configure_optimizers(self):
            opt = ember.optim.Adam(self.parameters(), lr=1e-2)
            return [opt], [ember.optim.lr_scheduler.StepLR(opt, 5)]
        def train_dataloader(self):
            g = ember.Generator().manual_seed(7)
            x = ember.randn(64, 6, generator=g)
            return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8, shuffle=True)

    class Killer(L.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            if mode == "killed" and trainer.global_step == KILL_AT:
                os.kill(os.getpid(), signal.SIGKILL)

    L.seed_everything(0, verbose=False)
    ckpt = ModelCheckpoint(dirpath=folder, every_n_train_steps=1, save_last=True, save_top_k=0)
    trainer = L.Trainer(max_epochs=4, logger=False, enable_progress_bar=False, enable_model_summary=False,
                        callbacks=[ckpt, Killer()], default_root_dir=folder)
    model = Net()
    trainer.fit(model, ckpt_path=os.path.join(folder, "last.ckpt") if mode == "resume" else None)
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode()); h.update(v.numpy().tobytes())
    print(trainer.global_step, h.hexdigest())
"""


def test_lightning_killed_mid_epoch_resumes_bit_identical(tmp_path):
    pytest.importorskip("emberlightning")
    script = textwrap.dedent(LIGHTNING)
    reference = _run(script, "full", tmp_path / "full")
    killed = subprocess.run([sys.executable, "-c", script, "killed", str(tmp_path / "run")], capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-3000:]
    resumed = _run(script, "resume", tmp_path / "run")
    same = resumed == reference
    record("faults", "SIGKILL mid-epoch, resumed with emberlightning", "bit-identical" if same else "FAILED")
    assert same, "the resumed run's weights differ from the uninterrupted run's"
