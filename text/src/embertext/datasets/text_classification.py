"""CSV text classification corpora: ``label,title,text`` rows (AG_NEWS, DBpedia, YelpReviewPolarity)."""

from __future__ import annotations

import csv
import os

from ._common import DEFAULT_ROOT, TextDataset, check_split, dataset_root, ensure_file, splits_result

__all__ = ["AG_NEWS", "DBpedia", "YelpReviewPolarity"]

_AG_URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"
_DRIVE = "https://drive.google.com/uc?export=download&id="

# name -> (folder inside the data set root, {split: (url, hashes, archive file name or False)})
_LAYOUTS = {
    "AG_NEWS": ("", {
        "train": (_AG_URL + "train.csv", {"md5": "b1a00f826fdfbd249f79597b59e1dc12"}, False),
        "test": (_AG_URL + "test.csv", {"md5": "d52ea96a97a2d943681189a97654912d"}, False),
    }),
    "DBpedia": ("dbpedia_csv", dict.fromkeys(("train", "test"), (
        _DRIVE + "0Bz8a_Dbh9QhbQ2Vic1kxMmZZQ1k", {"md5": "dca7b1ae12b1091090db52aa7ec5ca64"},
        "dbpedia_csv.tar.gz"))),
    "YelpReviewPolarity": ("yelp_review_polarity_csv", dict.fromkeys(("train", "test"), (
        _DRIVE + "0Bz8a_Dbh9QhbNUpYQ2N3SGlFaDg", {"md5": "620c8ae4bd5a150b730f1ba9a7c6a4d3"},
        "yelp_review_polarity_csv.tar.gz"))),
}


def _rows(path):
    def read():
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                if row:
                    yield int(row[0]), " ".join(row[1:])
    return read


def _csv_dataset(name, root, split, download):
    folder, resources = _LAYOUTS[name]
    splits, single = check_split(name, split, ("train", "test"))
    base = dataset_root(root, name)
    out = []
    for s in splits:
        path = ensure_file(name, os.path.join(base, folder, f"{s}.csv"), resources[s], base, download)
        out.append(TextDataset(name, s, _rows(path)))
    return splits_result(out, single)


def _make(name, classes, layout):
    def dataset(root=DEFAULT_ROOT, split=("train", "test"), download=True):
        return _csv_dataset(name, root, split, download)

    dataset.__name__ = dataset.__qualname__ = name
    dataset.__doc__ = f"""{name}: {classes}-class text classification, streaming ``(label, text)`` pairs.

    Reads ``root/{name}/{layout}{{train,test}}.csv`` (rows ``label,title,text``; label 1..{classes}; the
    text fields are joined with a space), downloading it first when missing and ``download`` is True.

    Args:
        root: the data folder (default ``.data``).
        split: ``"train"``, ``"test"`` or a tuple of them (then a tuple of data sets is returned).
        download: fetch missing files through :mod:`ember.utils.download` (checksums verified).

    Example:
        >>> import os, tempfile
        >>> from embertext.datasets import {name}
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "{name}", "{layout}"), exist_ok=True)
        >>> with open(os.path.join(root, "{name}", "{layout}train.csv"), "w") as f: _ = f.write('"3","Title","Body, text"\\n')
        >>> list({name}(root, split="train"))
        [(3, 'Title Body, text')]
    """
    return dataset


AG_NEWS = _make("AG_NEWS", 4, "")
DBpedia = _make("DBpedia", 14, "dbpedia_csv/")
YelpReviewPolarity = _make("YelpReviewPolarity", 2, "yelp_review_polarity_csv/")
