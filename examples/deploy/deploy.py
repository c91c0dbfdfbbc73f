"""Deploy a digits classifier: train, trace, optimise, save, reload in a fresh process, export to ONNX.

Trains a small CNN (with batch norm) on the handwritten digits that ship with
embervision, then compares four ways of running it on the held-out digits:
ember eager mode, the traced graph, the graph after ``optimize_for_inference``
(batch norm folded into the convolutions, bias and ReLU fused), and onnxruntime
on the exported ONNX file. The saved graph is also loaded in a fresh Python
process that never imports this file. Prints one table of outputs and timings.

Run: python examples/deploy/deploy.py [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from embervision import datasets


class DigitsCNN(nn.Module):
    """Conv-BN-ReLU twice, max pooling, and a linear classifier, for 1x8x8 digits."""

    def __init__(self, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2))
        self.classifier = nn.Linear(2 * width * 4 * 4, 10)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


def load_digits(train):
    ds = datasets.Digits(train=train)
    x = ds.data.float().unsqueeze(1) / 255.0
    return (x - 0.3) / 0.35, ds.targets


def train(model, x, y, epochs, batch=64, log=print):
    opt = ember.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(1, epochs + 1):
        model.train()
        perm = ember.randperm(x.shape[0])
        total = 0.0
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * idx.shape[0]
        log(f"epoch {epoch}/{epochs}  loss {total / x.shape[0]:.4f}")
    return model.eval()


def best_time(fn, repeat=5):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def load_in_fresh_process(path, x):
    """Outputs of the saved graph computed by a new interpreter that never imports the model's class."""
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        code = textwrap.dedent(f"""
            import numpy as np, ember
            m = ember.jit.load({path!r})
            with ember.no_grad():
                y = m(ember.tensor(np.load({os.path.join(tmp, 'x.npy')!r})))
            np.save({os.path.join(tmp, 'y.npy')!r}, y.numpy())
        """)
        subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
        return np.load(os.path.join(tmp, "y.npy"))


def run(epochs=3, out="out", log=print):
    """Train, deploy and compare; returns ``{runtime: (max abs difference to eager, ms batch 1, ms full batch)}``."""
    os.makedirs(out, exist_ok=True)
    ember.manual_seed(0)
    x_train, y_train = load_digits(True)
    x_test, y_test = load_digits(False)
    model = train(DigitsCNN(), x_train, y_train, epochs, log=log)
    one = x_test[:1]

    traced = ember.jit.trace(model, one)  # batch 1 here; the batch size stays symbolic
    fast = ember.jit.optimize_for_inference(traced)
    path = os.path.join(out, "digits_cnn.pt")
    fast.save(path)
    fresh = load_in_fresh_process(path, x_test)

    with ember.no_grad():
        want = model(x_test).numpy()
        runners = {"ember eager": model, "traced graph": traced, "optimised graph": fast}
        results = {name: (np.abs(m(x_test).numpy() - want).max(), best_time(lambda m=m: m(one)),
                          best_time(lambda m=m: m(x_test))) for name, m in runners.items()}
    results["fresh process (loaded)"] = (np.abs(fresh - want).max(), float("nan"), float("nan"))
    try:
        import onnxruntime as ort
    except ImportError:
        log("onnxruntime is not installed: skipping the ONNX comparison (pip install 'ember[onnx]')")
    else:
        onnx_path = os.path.join(out, "digits_cnn.onnx")
        ember.onnx.export(model, (one,), onnx_path, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        xs, x1 = x_test.numpy(), one.numpy()
        got = sess.run(None, {"image": xs})[0]
        results["onnxruntime"] = (np.abs(got - want).max(), best_time(lambda: sess.run(None, {"image": x1})),
                                  best_time(lambda: sess.run(None, {"image": xs})))

    accuracy = float((ember.tensor(want).argmax(1) == y_test).float().mean())
    log(f"held-out accuracy: {accuracy:.2%} on {len(y_test)} digits; graph nodes: traced {len(traced.graph.nodes)}, "
        f"optimised {len(fast.graph.nodes)}")
    log(f"{'runtime':<24}{'max |diff| vs eager':>20}{'batch 1 (ms)':>14}{f'batch {len(y_test)} (ms)':>16}")
    for name, (diff, t1, tn) in results.items():
        log(f"{name:<24}{diff:>20.2e}{t1:>14.3f}{tn:>16.3f}")
    return results, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    run(args.epochs, args.out)


if __name__ == "__main__":
    main()
