"""GPU benchmarks beside torch: MLP and LeNet-like training steps, 4096x4096 float32 matmul throughput.

    python benchmarks/gpu_bench.py --device cuda --out results.md     # a markdown table (stdout without --out)
    python benchmarks/gpu_bench.py --device cpu --quick               # a dry run of the script itself
    python benchmarks/gpu_bench.py --device cuda --profile prof.txt   # also ember's profiler tables per workload

Each framework runs the same workload code (``benchmarks/workloads.py``) with its default
device set to ``--device``; times are medians over rounds, with the device synchronised.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # noqa: E402


def _sync(m, device):
    if device.startswith("cuda"):
        m.cuda.synchronize()


def _time(m, device, step, rounds, inner):
    step()
    step()  # warm-up: allocations, kernel compilation
    _sync(m, device)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        _sync(m, device)
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def matmul(m, n):
    a, b = m.randn(n, n), m.randn(n, n)
    return lambda: a @ b


def run(m, device, quick):
    """``name -> (seconds per step, extra)`` for one framework."""
    m.set_default_device(device)
    n = 512 if quick else 4096
    rounds, inner = (2, 2) if quick else (5, 10)
    out = {}
    try:
        for name, make in (("MLP train step (784-512-512-10, batch 128)", workloads.mlp),
                           ("LeNet-like CNN train step (batch 64, 28x28)", workloads.lenet)):
            out[name] = (_time(m, device, make(m), rounds, inner), "")
        t = _time(m, device, matmul(m, n), rounds, inner)
        out[f"{n}x{n} float32 matmul"] = (t, f"{2 * n**3 / t / 1e12:.1f} TFLOP/s")
    finally:
        m.set_default_device("cpu")
    return out


def profile_tables(m, device, path):
    """Write ember's profiler table (host time per op, sorted by self time) for each training step."""
    from ember.profiler import profile

    m.set_default_device(device)
    parts = []
    try:
        for name, make in (("mlp", workloads.mlp), ("lenet", workloads.lenet)):
            step = make(m)
            for _ in range(3):
                step()
            _sync(m, device)
            t0 = time.perf_counter()
            with profile() as p:
                for _ in range(10):
                    step()
                _sync(m, device)
            wall = (time.perf_counter() - t0) / 10
            table = p.key_averages().table(sort_by="self_cpu_time_total", row_limit=40)
            parts.append(f"== {name}: {wall * 1e3:.3f} ms per step under the profiler (10 steps)\n{table}")
    finally:
        m.set_default_device("cpu")
    Path(path).write_text("\n\n".join(parts) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default=None)
    p.add_argument("--quick", action="store_true", help="tiny sizes: check the script, not the GPU")
    p.add_argument("--profile", default=None, help="also write ember's profiler tables of the training steps here")
    ns = p.parse_args(argv)
    import ember

    results = {"ember": run(ember, ns.device, ns.quick)}
    if ns.profile:
        profile_tables(ember, ns.device, ns.profile)
    try:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False  # ember's default too: compare like with like
        results["torch"] = run(torch, ns.device, ns.quick)
    except Exception as exc:  # torch missing or without CUDA: report ember alone
        print(f"torch not run: {type(exc).__name__}: {exc}", file=sys.stderr)
    lines = ["| workload | ember | torch | ember / torch |", "| --- | --- | --- | --- |"]
    for name, (t, extra) in results["ember"].items():
        tt = results.get("torch", {}).get(name)
        cell = lambda s, x: f"{s * 1e3:.3f} ms" + (f" ({x})" if x else "")  # noqa: E731
        ratio = f"{t / tt[0]:.2f}x" if tt else "-"
        lines.append(f"| {name} | {cell(t, extra)} | {cell(*tt) if tt else '-'} | {ratio} |")
    table = "\n".join(lines)
    if ns.out:
        Path(ns.out).write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
