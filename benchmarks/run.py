"""Ember beside torch CPU in the same run: per-op overhead, training steps, import time.

One thread for both (set before numpy/torch load); medians of interleaved runs.
Prints a table of milliseconds (microseconds for per-op rows) and the ratio ember/torch.

Each framework runs in a process of its own, as its users run it, and the parent alternates
between them round by round. In one process each would change the other's speed: the CPU
backend tunes glibc's allocator for the whole process (``ember_cpu/_malloc.py``), which spares
torch thousands of page faults per LeNet step, and ember's steps run slower with torch loaded
(docs/performance.md). ``--same-process`` measures both in this process instead.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--same-process]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.metadata  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import workloads  # noqa: E402

LIBS = ("ember", "torch")


def load(lib):
    """The framework ``lib`` with one thread, or None when it is not installed (the table then shows ember alone)."""
    try:
        m = importlib.import_module(lib)
    except ImportError:
        return None
    if lib == "torch":
        m.set_num_threads(1)
    return m


def timed(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def serve(lib, key):
    """A worker process: build workload ``key`` on ``lib``, say ``ready``, then time one round per line of input."""
    make, inner = next((w[3], w[4]) for w in workloads.WORKLOADS if w[0] == key)
    try:
        fn = make(load(lib))
        fn()  # warm up
    except Exception as exc:  # e.g. no working torchvision beside torch
        print(f"unavailable: {type(exc).__name__}: {str(exc)[:60]}", flush=True)
        return
    print("ready", flush=True)
    for _ in sys.stdin:
        print(timed(fn, inner), flush=True)


def compare_apart(key, rounds):
    """Median seconds per call for each framework, each in a worker process, measured in alternation."""
    workers = {}
    for lib in LIBS:
        if lib == "ember" or importlib.util.find_spec(lib) is not None:
            workers[lib] = subprocess.Popen([sys.executable, __file__, "--serve", lib, key],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for lib, w in list(workers.items()):
        status = w.stdout.readline().strip()
        if status != "ready":
            w.wait()
            del workers[lib]
            if lib == "ember":
                raise RuntimeError(status)
            print(f"  ({lib} side {status})", flush=True)
    samples = {lib: [] for lib in workers}
    for _ in range(rounds):
        for lib, w in workers.items():
            w.stdin.write("\n")
            w.stdin.flush()
            samples[lib].append(float(w.stdout.readline()))
    for w in workers.values():
        w.stdin.close()
        w.wait()
    return {lib: statistics.median(v) for lib, v in samples.items()}


def compare_together(make, rounds, inner, libs):
    """Median seconds per call for each framework, all in this process, measured in alternation."""
    runners = {"ember": make(libs["ember"])}
    if libs["torch"] is not None:
        try:
            runners["torch"] = make(libs["torch"])
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


def version(lib):
    try:
        return importlib.metadata.version(lib)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--only", default="", help="comma-separated keys: " + ",".join(w[0] for w in workloads.WORKLOADS) + ",import")
    parser.add_argument("--same-process", action="store_true", help="run both frameworks in this process")
    parser.add_argument("--serve", nargs=2, metavar=("LIB", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(*args.serve)
    rounds = 5 if args.quick else 11
    only = set(filter(None, args.only.split(",")))
    libs = {lib: load(lib) for lib in LIBS} if args.same_process else None
    where = "one process" if args.same_process else "a process each"
    print(f"ember {version('ember')}; torch {version('torch')}; one thread; {where}; "
          f"median of {rounds} interleaved rounds\n")
    print(f"{'benchmark':34s} {'ember':>12s} {'torch':>12s} {'ratio':>7s}  target")
    for key, name, unit, make, inner, target in workloads.WORKLOADS:
        if only and key not in only:
            continue
        try:
            res = compare_together(make, rounds, inner, libs) if libs else compare_apart(key, rounds)
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
        t = import_time("torch") if version("torch") != "not installed" else None
        print(f"{'import time':34s} {e * 1e3:9.1f} ms {(t or 0) * 1e3:9.1f} ms {'':7s}  <= 250 ms")


if __name__ == "__main__":
    main()
