"""A small GPT language model trained on a real offline text, compared with a unigram baseline, then sampled.

Text: the docstrings of six standard-library packages of this Python (asyncio, email, importlib,
logging, unittest, xml; about 300 KB), read from their source files; the last 10% is held out for
validation. Tokens are characters (``--tokenizer char``) or a byte-level BPE trained on the
training part (``--tokenizer bpe``). The unigram baseline is the validation cross-entropy of
predicting every token from its training-set frequency alone. Samples are generated with the
key/value cache.

    python examples/text/gpt_stdlib_lm.py [--steps 600] [--tokenizer char|bpe] [--block 64] [--batch 32]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from embertext.models import GPT, GPTConfig  # noqa: E402
from embertext.tokenizers import BPETokenizer  # noqa: E402
from embertext.vocab import build_vocab_from_iterator  # noqa: E402
from stdlib_docs import PACKAGES, corpus_text  # noqa: E402


class CharCodec:
    """Characters <-> ids through an embertext vocabulary."""

    def __init__(self, text):
        self.vocab = build_vocab_from_iterator([text], specials=["<unk>"])
        self.vocab.set_default_index(0)

    def encode(self, text):
        return self.vocab(list(text))

    def decode(self, ids):
        return "".join(self.vocab.lookup_tokens(ids))

    @property
    def vocab_size(self):
        return len(self.vocab)


def unigram_cross_entropy(train_ids, val_ids, vocab_size):
    """Validation cross-entropy (nats/token) of the add-one-smoothed training unigram distribution."""
    counts = Counter(train_ids)
    total = len(train_ids) + vocab_size
    return -sum(math.log((counts[i] + 1) / total) for i in val_ids) / len(val_ids)


def batches(data, block, batch, generator):
    starts = ember.randint(0, len(data) - block - 1, (batch,), generator=generator)
    rows = ember.stack([data[s:s + block + 1] for s in starts.tolist()])
    return rows[:, :-1], rows[:, 1:]


def run(steps=600, tokenizer="char", block=64, batch=32, lr=3e-3, log=print):
    """Train; returns ``(validation loss, unigram baseline, sample text)``."""
    ember.manual_seed(0)
    text = corpus_text()
    cut = int(len(text) * 0.9)
    train_text, val_text = text[:cut], text[cut:]
    codec = CharCodec(train_text) if tokenizer == "char" else BPETokenizer.train(
        train_text.split("\n\n"), vocab_size=512)
    train_ids, val_ids = codec.encode(train_text), codec.encode(val_text)
    baseline = unigram_cross_entropy(train_ids, val_ids, codec.vocab_size)
    log(f"text: docstrings of the Python {sys.version.split()[0]} standard library packages {', '.join(PACKAGES)} "
        f"({len(text) / 1e3:.0f} KB); {tokenizer} tokens: {len(train_ids)} train / {len(val_ids)} validation, "
        f"vocabulary {codec.vocab_size}")
    log(f"unigram baseline: {baseline:.3f} nats/token")
    train_data, val_data = ember.tensor(train_ids), ember.tensor(val_ids)
    model = GPT(GPTConfig(vocab_size=codec.vocab_size, block_size=block, n_layer=2, n_head=4, n_embd=128))
    opt = ember.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = ember.Generator().manual_seed(1)
    val_batches = [batches(val_data, block, batch, ember.Generator().manual_seed(i)) for i in range(4)]

    def validate():
        model.eval()
        with ember.no_grad():
            losses = [float(F.cross_entropy(model(x).reshape(-1, codec.vocab_size), y.reshape(-1)))
                      for x, y in val_batches]
        model.train()
        return sum(losses) / len(losses)

    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = batches(train_data, block, batch, g)
        loss = F.cross_entropy(model(x).reshape(-1, codec.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        ember.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % max(steps // 6, 1) == 0 or step == steps:
            log(f"step {step}/{steps}: train loss {float(loss):.3f}, validation loss {validate():.3f} "
                f"({time.perf_counter() - t0:.0f} s)")
    val = validate()
    log(f"validation loss {val:.3f} nats/token vs unigram baseline {baseline:.3f} ({val / baseline:.0%} of it)")
    model.eval()
    prompt = ember.tensor([codec.encode("Return the ")])
    out = model.generate(prompt, 200, temperature=0.8, top_k=20, generator=ember.Generator().manual_seed(2))
    sample = codec.decode(out[0].tolist())
    log("sample:\n" + sample)
    return val, baseline, sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--tokenizer", choices=("char", "bpe"), default="char")
    parser.add_argument("--block", type=int, default=64, help="context length")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    run(args.steps, args.tokenizer, args.block, args.batch)


if __name__ == "__main__":
    main()
