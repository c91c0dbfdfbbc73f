"""Peak memory of each training workload, ember beside torch CPU.

Each (workload, framework) pair runs in a fresh subprocess: build the model and data, note the
peak resident set size, run three training steps, and report how far the peak grew. That growth
is the memory the training step itself needs (activations, gradients, optimizer state).

    python benchmarks/memory.py [--only KEY[,KEY]]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = """
import os, resource, sys, json
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
sys.path.insert(0, {here!r})
import workloads
m = __import__({framework!r})
make = dict((w[0], w[3]) for w in workloads.WORKLOADS)[{key!r}]
step = make(m)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(3):
    step()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps((after - before) / 1024))
"""


def peak_growth_mb(key, framework):
    code = CHILD.format(here=HERE, framework=framework, key=key)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    sys.path.insert(0, HERE)
    import workloads

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="mlp,lenet,lstm,transformer,resnet")
    args = parser.parse_args()
    keys = args.only.split(",")
    print(f"{'workload':34s} {'ember MB':>9s} {'torch MB':>9s} {'ratio':>7s}  target <= 1.5x")
    for key, name, *_ in workloads.WORKLOADS:
        if key not in keys:
            continue
        try:
            e = peak_growth_mb(key, "ember")
        except RuntimeError as exc:
            print(f"{name:34s} error: {exc}")
            continue
        try:
            t = peak_growth_mb(key, "torch")
        except RuntimeError:
            t = None
        ratio = f"{e / t:6.2f}x" if t else "   -   "
        print(f"{name:34s} {e:9.1f} {t if t is not None else float('nan'):9.1f} {ratio}", flush=True)


if __name__ == "__main__":
    main()
