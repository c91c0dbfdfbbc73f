"""Text classification on a real offline corpus: which standard-library package wrote this docstring?

Corpus: the docstrings of six packages of this Python's standard library (asyncio, email, importlib,
logging, unittest, xml), read from their source files. The examples are written to disk in the
AG_NEWS CSV layout and streamed back with ``embertext.datasets.AG_NEWS``, tokenized with
``basic_english`` + bigrams, mapped through a vocabulary and classified by a
``TextClassificationModel`` (EmbeddingBag + Linear), as in torchtext's tutorial.

    python examples/text/classify_stdlib_docs.py [--epochs 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
from ember.utils.data import DataLoader  # noqa: E402
from embertext.data.utils import get_tokenizer, ngrams_iterator  # noqa: E402
from embertext.datasets import AG_NEWS  # noqa: E402
from embertext.models import TextClassificationModel  # noqa: E402
from embertext.vocab import build_vocab_from_iterator  # noqa: E402
from stdlib_docs import PACKAGES, docstrings  # noqa: E402

NGRAMS = 2


def write_corpus(root):
    """Write ``root/AG_NEWS/{train,test}.csv`` (label 1..6, package name as title, docstring); ~20% test."""
    folder = os.path.join(root, "AG_NEWS")
    os.makedirs(folder, exist_ok=True)
    files = {s: open(os.path.join(folder, f"{s}.csv"), "w", newline="", encoding="utf-8") for s in ("train", "test")}
    writers = {s: csv.writer(f, quoting=csv.QUOTE_ALL) for s, f in files.items()}
    counts = {"train": 0, "test": 0}
    for label, package in enumerate(PACKAGES, start=1):
        for doc in docstrings(package):
            split = "test" if zlib.crc32(doc.encode()) % 5 == 0 else "train"
            writers[split].writerow([label, "", doc])  # empty title: the package name would give it away
            counts[split] += 1
    for f in files.values():
        f.close()
    return counts


def run(epochs=5, root=None, log=print):
    """Train and evaluate; returns the test accuracy."""
    ember.manual_seed(0)
    root = root or tempfile.mkdtemp()
    counts = write_corpus(root)
    train_ds, test_ds = AG_NEWS(root=root, split=("train", "test"), download=False)
    tokenizer = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator((ngrams_iterator(tokenizer(text), NGRAMS) for _, text in train_ds),
                                      min_freq=2, specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    log(f"corpus: docstrings of the Python {sys.version.split()[0]} standard library packages {', '.join(PACKAGES)}")
    log(f"{counts['train']} training / {counts['test']} test docstrings, vocabulary of {len(vocab)} uni+bigrams")

    def collate(batch):
        labels, ids, offsets = [], [], [0]
        for label, text in batch:
            tokens = vocab(list(ngrams_iterator(tokenizer(text), NGRAMS)))
            labels.append(label - 1)
            ids.extend(tokens)
            offsets.append(offsets[-1] + len(tokens))
        return ember.tensor(labels), ember.tensor(ids, dtype=ember.int64), ember.tensor(offsets[:-1])

    train_items, test_items = list(train_ds), list(test_ds)
    model = TextClassificationModel(len(vocab), 64, len(PACKAGES))
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train_items, batch_size=16, shuffle=True, collate_fn=collate)

    def accuracy(items):
        model.eval()
        labels, ids, offsets = collate(items)
        with ember.no_grad():
            return float((model(ids, offsets).argmax(1) == labels).float().mean())

    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for labels, ids, offsets in loader:
            opt.zero_grad()
            loss = loss_fn(model(ids, offsets), labels)
            loss.backward()
            opt.step()
            total += float(loss) * len(labels)
        log(f"epoch {epoch}/{epochs}: train loss {total / len(train_items):.3f}, test accuracy {accuracy(test_items):.1%}")
    acc = accuracy(test_items)
    log(f"test accuracy: {acc:.1%} (chance: {1 / len(PACKAGES):.1%})")
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default=None, help="folder for the CSV files (default: a temporary folder)")
    args = parser.parse_args()
    run(args.epochs, args.out)


if __name__ == "__main__":
    main()
