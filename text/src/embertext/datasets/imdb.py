"""IMDB movie reviews: ``aclImdb/{train,test}/{neg,pos}/*.txt`` files."""

from __future__ import annotations

import os

from ._common import DEFAULT_ROOT, TextDataset, check_split, dataset_root, ensure_file, splits_result

__all__ = ["IMDB"]

_RESOURCE = ("http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
             {"md5": "7c2ac02c03563afcf9b574c7e56c153a"}, "aclImdb_v1.tar.gz")
_LABELS = (("neg", 1), ("pos", 2))


def _reviews(folder):
    def read():
        for name, label in _LABELS:
            sub = os.path.join(folder, name)
            for fname in sorted(f for f in os.listdir(sub) if f.endswith(".txt")):
                with open(os.path.join(sub, fname), encoding="utf-8") as f:
                    yield label, f.read()
    return read


def IMDB(root=DEFAULT_ROOT, split=("train", "test"), download=True):
    """IMDB sentiment reviews, streaming ``(label, text)`` with label 1 (neg) or 2 (pos), negatives first.

    Reads ``root/IMDB/aclImdb/{split}/{neg,pos}/*.txt`` (files in name order), downloading and
    extracting the archive first when missing and ``download`` is True.

    Example:
        >>> import os, tempfile
        >>> from embertext.datasets import IMDB
        >>> root = tempfile.mkdtemp()
        >>> for label in ("neg", "pos"):
        ...     os.makedirs(os.path.join(root, "IMDB", "aclImdb", "test", label))
        ...     with open(os.path.join(root, "IMDB", "aclImdb", "test", label, "0_1.txt"), "w") as f:
        ...         _ = f.write(label + " review")
        >>> list(IMDB(root, split="test"))
        [(1, 'neg review'), (2, 'pos review')]
    """
    splits, single = check_split("IMDB", split, ("train", "test"))
    base = dataset_root(root, "IMDB")
    out = []
    for s in splits:
        folder = os.path.join(base, "aclImdb", s)
        if not os.path.isdir(os.path.join(folder, "pos")):
            ensure_file("IMDB", os.path.join(base, "aclImdb", "README"), _RESOURCE, base, download)
        out.append(TextDataset("IMDB", s, _reviews(folder)))
    return splits_result(out, single)
