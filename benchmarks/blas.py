"""The BLAS floor: numpy's matrix products beside torch's for the products inside the training benchmarks.

Ember's CPU backend multiplies through numpy (OpenBLAS in numpy's wheels); torch CPU uses MKL
and oneDNN. Timing the same products alone, in the same run and on one thread, shows how much
of a workload's ratio to torch is the BLAS library rather than Ember.

    python benchmarks/blas.py
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

# (workload, product, m, k, n, transposed second operand): the GEMMs each step runs
PRODUCTS = [
    ("MLP", "layer 1 forward x @ W.T", 128, 784, 512, True),
    ("MLP", "layer 2 forward x @ W.T", 128, 512, 512, True),
    ("MLP", "layer 1 weight grad g.T @ x", 512, 128, 784, False),
    ("LSTM", "one time step h @ W_hh.T", 32, 128, 512, False),
    ("LeNet", "conv 2 chunk W @ cols", 64, 288, 1248, False),
    ("Transformer", "in-projection x @ W.T", 1024, 128, 384, True),
]


def median_seconds(fn, repeat=200):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"{'workload':12} {'product':30} {'shape':>16} {'numpy':>9} {'torch':>9} {'ratio':>6}")
    rng = numpy.random.default_rng(0)
    for workload, name, m, k, n, transposed in PRODUCTS:
        a = rng.standard_normal((m, k), dtype=numpy.float32)
        b = rng.standard_normal((n, k) if transposed else (k, n), dtype=numpy.float32)
        rhs = b.T if transposed else b
        t_np = median_seconds(lambda: a @ rhs)
        line = f"{workload:12} {name:30} {f'{m}x{k}x{n}':>16} {t_np * 1e6:7.0f}us"
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            trhs = tb.T if transposed else tb
            t_torch = median_seconds(lambda: ta @ trhs)
            line += f" {t_torch * 1e6:7.0f}us {t_np / t_torch:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
