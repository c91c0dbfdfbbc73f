"""embertext benchmarks: BPE training and encoding throughput, GPT generation with and without the KV cache.

One thread; medians of a few runs. The corpus is 1 MB of this Python's standard-library source text.
The 2-layer GPT training step beside torch is the ``gpt`` entry of ``run.py``.

    python benchmarks/text.py [--quick]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import glob  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import ember  # noqa: E402
from embertext.models import GPT, GPTConfig  # noqa: E402
from embertext.tokenizers import BPETokenizer  # noqa: E402


def stdlib_text(size):
    """``size`` characters of standard-library source files, in a fixed order."""
    parts, total = [], 0
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            parts.append(f.read())
        total += len(parts[-1])
        if total >= size:
            break
    return "".join(parts)[:size]


def median_time(fn, rounds):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    text = stdlib_text(1_000_000)
    lines = text.splitlines(True)
    train_s = median_time(lambda: BPETokenizer.train(lines, vocab_size=8000), rounds)
    tok = BPETokenizer.train(lines, vocab_size=8000)
    print(f"{'BPE training, 1 MB, vocab 8000':42s} {train_s:8.2f} s    target: seconds, not minutes")
    n = len(BPETokenizer(tok.merges).encode(text))
    cold = median_time(lambda: BPETokenizer(tok.merges).encode(text), rounds)
    warm = median_time(lambda: tok.encode(text), rounds)
    print(f"{'BPE encoding, 1 MB (cold word cache)':42s} {n / cold / 1e6:8.2f} M tokens/s")
    print(f"{'BPE encoding, 1 MB (warm word cache)':42s} {n / warm / 1e6:8.2f} M tokens/s")

    ember.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=8000, block_size=256, n_layer=2, n_head=4, n_embd=256)).eval()
    prompt = ember.tensor([tok.encode("def main():\n")[:16]])
    model.generate(prompt, 5)  # warm up
    cached = median_time(lambda: model.generate(prompt, 200, temperature=0), rounds)
    full = median_time(lambda: model.generate(prompt, 200, temperature=0, use_cache=False), rounds)
    print(f"{'GPT (2 layers, d=256) 200 tokens, KV cache':42s} {cached * 1e3:8.1f} ms")
    print(f"{'GPT (2 layers, d=256) 200 tokens, no cache':42s} {full * 1e3:8.1f} ms")
    print(f"{'cache speed-up':42s} {full / cached:8.1f}x    target: >= 5x")


if __name__ == "__main__":
    main()
