"""Ember beside torch CPU in the same run: per-op overhead, training steps, import time.

One thread for both (set before numpy/torch load); medians of interleaved runs.
Prints a table of milliseconds (microseconds for per-op rows) and the ratio ember/torch.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import workloads  # noqa: E402

import ember  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the table then shows ember alone
    torch = None


def timed(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def compare(make, rounds, inner):
    """Median seconds per call for ember and torch, measured in alternation."""
    runners = {"ember": make(ember)}
    if torch is not None:
        try:
            runners["torch"] = make(torch)
        except Exception as exc:  # e.g. no working torchvision beside torch: report ember alone
            print(f"  (torch side unavailable: {type(exc).__name__}: {str(exc)[:60]})", flush=True)
    for fn in runners.values():
        fn()  # warm up
    samples = {k: [] for k in runners}
    for _ in range(rounds):
        for k, fn in runners.items():
            samples[k].append(timed(fn, inner))
    return {k: statistics.median(v) for k, v in samples.items()}


def import_time(module):
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code]).decode()) for _ in range(5)]
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--only", default="", help="comma-separated keys: " + ",".join(w[0] for w in workloads.WORKLOADS) + ",import")
    args = parser.parse_args()
    rounds = 5 if args.quick else 11
    only = set(filter(None, args.only.split(",")))
    print(f"ember {ember.__version__}; torch {torch.__version__ if torch else 'not installed'}; one thread; "
          f"median of {rounds} interleaved rounds\n")
    print(f"{'benchmark':34s} {'ember':>12s} {'torch':>12s} {'ratio':>7s}  target")
    for key, name, unit, make, inner, target in workloads.WORKLOADS:
        if only and key not in only:
            continue
        try:
            res = compare(make, rounds, inner)
        except Exception as exc:  # a workload whose layers are missing reports, the rest run
            print(f"{name:34s} {'error: ' + type(exc).__name__ + ': ' + str(exc)[:60]}")
            continue
        scale = 1e6 if unit == "us" else 1e3
        e = res["ember"] * scale
        t = res.get("torch")
        ratio = f"{res['ember'] / t:6.2f}x" if t else "    -  "
        tstr = f"{t * scale:9.2f} {unit}" if t else "        -   "
        print(f"{name:34s} {e:9.2f} {unit} {tstr} {ratio}  {target}", flush=True)
    if not only or "import" in only:
        e = import_time("ember")
        t = import_time("torch") if torch else None
        print(f"{'import time':34s} {e * 1e3:9.1f} ms {(t or 0) * 1e3:9.1f} ms {'':7s}  <= 250 ms")


if __name__ == "__main__":
    main()
