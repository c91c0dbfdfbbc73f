"""Data-parallel scaling on this machine: DDP step throughput with 1 and N ranks, all-reduce bandwidth 1..64 MB.

Each rank gets one BLAS thread (so N ranks use N cores). Prints markdown tables
(the ones in docs/distributed.md come from this script).

    python benchmarks/distributed.py [--ranks 2] [--steps 30]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

PER_RANK_BATCH = 128
SIZES_MB = (1, 4, 16, 64)


def _median_time(fn, repeat):
    import statistics

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def worker(steps):
    """Inside one rank: time DDP training steps and all-reduces; rank 0 prints one JSON line."""
    import ember
    import ember.distributed as dist
    from ember import nn
    from ember.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    n, rank = dist.get_world_size(), dist.get_rank()
    ember.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    model = DDP(net)
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    x, y = ember.randn(PER_RANK_BATCH, 784), ember.randint(0, 10, (PER_RANK_BATCH,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def local_step():
        with model.no_sync():
            step()

    for _ in range(3):
        step()
    dist.barrier()
    t_step = _median_time(step, steps)
    t_local = _median_time(local_step, steps)
    grads_mb = sum(p.numel() for p in net.parameters()) * 4 / 2**20
    result = {"ranks": n, "step_ms": t_step * 1e3, "local_ms": t_local * 1e3, "samples_per_s": n * PER_RANK_BATCH / t_step,
              "grad_mb": grads_mb, "allreduce": []}
    for mb in SIZES_MB:
        buf = ember.ones(mb * 2**20 // 4)
        dist.all_reduce(buf)
        dist.barrier()
        t = _median_time(lambda b=buf: dist.all_reduce(b), max(3, 64 // mb))
        algbw = mb / 1024 / t  # GB/s of payload
        result["allreduce"].append({"mb": mb, "ms": t * 1e3, "algbw": algbw, "busbw": algbw * 2 * (n - 1) / n})
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def launch(ranks, steps):
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", str(ranks), __file__, "--worker",
           "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(next(ln for ln in out.splitlines() if ln.startswith("RESULT "))[7:])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.steps)
    runs = [launch(n, args.steps) for n in sorted({1, args.ranks})]
    base = runs[0]["samples_per_s"]
    print(f"MLP 784-1024-1024-10 ({runs[0]['grad_mb']:.1f} MB of float32 gradients), batch {PER_RANK_BATCH} per rank, SGD")
    print("\n| ranks | step (ms) | step without gradient sync (ms) | samples/s | speed-up |\n|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['ranks']} | {r['step_ms']:.1f} | {r['local_ms']:.1f} | {r['samples_per_s']:.0f} | "
              f"{r['samples_per_s'] / base:.2f}x |")
    last = runs[-1]
    print(f"\nall_reduce (SUM, float32) with {last['ranks']} ranks\n\n| size | time (ms) | algbw (GB/s) | busbw (GB/s) |"
          "\n|---|---|---|---|")
    for a in last["allreduce"]:
        print(f"| {a['mb']} MB | {a['ms']:.2f} | {a['algbw']:.2f} | {a['busbw']:.2f} |")


if __name__ == "__main__":
    main()
