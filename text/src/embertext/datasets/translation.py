"""Parallel corpora for translation: ``Multi30k`` (``{train,val,test}.{de,en}`` line-aligned files)."""

from __future__ import annotations

import os

from ._common import DEFAULT_ROOT, TextDataset, check_split, dataset_root, ensure_file, splits_result

__all__ = ["Multi30k"]

_MIRROR = "https://raw.githubusercontent.com/neychev/small_DL_repo/master/datasets/Multi30k/"
_RESOURCES = {
    "train": ("training.tar.gz", "20140d013d05dd9a72dfde46478663ba05737ce983f478f960c1123c6671be5e"),
    "valid": ("validation.tar.gz", "a7aa20e9ebd5ba5adce7909498b94410996040857154dab029851af3a866da8c"),
    "test": ("mmt16_task1_test.tar.gz", "6d1ca1dba99e2c5dd54cae1226ff11c2551e6ce63527ebb072a1f70f72a5cd36"),
}
_PREFIX = {"train": "train", "valid": "val", "test": "test"}
_LANGUAGES = ("de", "en", "fr", "cs")


def _pairs(src_path, tgt_path):
    def read():
        with open(src_path, encoding="utf-8") as src, open(tgt_path, encoding="utf-8") as tgt:
            for a, b in zip(src, tgt, strict=True):
                yield a.rstrip("\n"), b.rstrip("\n")
    return read


def Multi30k(root=DEFAULT_ROOT, split=("train", "valid", "test"), language_pair=("de", "en"), download=True):
    """Multi30k image-caption translation pairs, streaming ``(source, target)`` sentences.

    Reads ``root/Multi30k/{train,val,test}.{lang}`` (one sentence per line, files line-aligned),
    downloading and extracting the split's archive first when missing and ``download`` is True.

    Example:
        >>> import os, tempfile
        >>> from embertext.datasets import Multi30k
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "Multi30k"))
        >>> for lang, text in (("de", "Ein Hund.\\n"), ("en", "A dog.\\n")):
        ...     with open(os.path.join(root, "Multi30k", "val." + lang), "w") as f: _ = f.write(text)
        >>> list(Multi30k(root, split="valid"))
        [('Ein Hund.', 'A dog.')]
    """
    if len(language_pair) != 2 or any(lang not in _LANGUAGES for lang in language_pair):
        raise ValueError(f"Multi30k: language_pair must be two of {_LANGUAGES}, got {language_pair!r}")
    splits, single = check_split("Multi30k", split, tuple(_RESOURCES))
    base = dataset_root(root, "Multi30k")
    out = []
    for s in splits:
        archive, sha256 = _RESOURCES[s]
        resource = (_MIRROR + archive, {"sha256": sha256}, archive)
        paths = [ensure_file("Multi30k", os.path.join(base, f"{_PREFIX[s]}.{lang}"), resource, base, download)
                 for lang in language_pair]
        out.append(TextDataset("Multi30k", s, _pairs(*paths)))
    return splits_result(out, single)
