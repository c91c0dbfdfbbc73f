"""Shared pieces of the data set readers: split handling, file download, streaming iterable data sets."""

from __future__ import annotations

import os

from ember.utils.data import IterableDataset, get_worker_info
from ember.utils.download import download_and_extract_archive, download_url

DEFAULT_ROOT = ".data"


class TextDataset(IterableDataset):
    """An iterable data set that streams its examples from files on disk (one pass per iteration).

    With a multi-worker ``DataLoader`` each worker yields every ``num_workers``-th example, so the
    workers together give each example once.

    Example:
        >>> from embertext.datasets._common import TextDataset
        >>> ds = TextDataset("Demo", "train", lambda: iter(["a", "b"]))
        >>> list(ds), ds
        (['a', 'b'], Demo(split='train'))
    """

    def __init__(self, name, split, reader, num_lines=None):
        self.name, self.split, self._reader, self._num_lines = name, split, reader, num_lines

    def __iter__(self):
        info = get_worker_info()
        if info is None or info.num_workers <= 1:
            yield from self._reader()
            return
        for i, example in enumerate(self._reader()):
            if i % info.num_workers == info.id:
                yield example

    def __len__(self):
        if self._num_lines is None:
            self._num_lines = sum(1 for _ in self._reader())
        return self._num_lines

    def __repr__(self):
        return f"{self.name}(split={self.split!r})"


def check_split(name, split, allowed):
    """``(splits, single)``: the requested split names and whether a single name (not a tuple) was given."""
    single = isinstance(split, str)
    splits = (split,) if single else tuple(split)
    for s in splits:
        if s not in allowed:
            raise ValueError(f"{name}: unknown split {s!r}; expected one of {tuple(allowed)}")
    return splits, single


def _find(root, basename):
    for folder, _, files in os.walk(root):
        if basename in files:
            return os.path.join(folder, basename)
    return None


def ensure_file(name, path, resource, root, download):
    """The path of a data file, fetching ``resource`` = (url, hashes, is_archive) into ``root`` when missing.

    ``hashes`` is a dict with ``md5`` and/or ``sha256``. After extracting an archive whose layout differs
    from ``path``, the first file named like ``path`` under ``root`` is used.
    """
    if os.path.exists(path):
        return path
    url, hashes, archive = resource
    found = _find(root, os.path.basename(path)) if archive and os.path.isdir(root) else None
    if found is not None:  # extracted earlier, in a layout other than ``path``
        return found
    if not download:
        raise RuntimeError(f"{name}: {path} not found; pass download=True or place the file there (source: {url})")
    if archive:
        filename = archive if isinstance(archive, str) else None
        download_and_extract_archive(url, root, filename=filename, **hashes)
        found = path if os.path.exists(path) else _find(root, os.path.basename(path))
    else:
        found = download_url(url, os.path.dirname(path), os.path.basename(path), **hashes)
    if found is None:
        raise RuntimeError(f"{name}: downloaded {url} but found no {os.path.basename(path)} in {root}")
    return found


def dataset_root(root, name):
    return os.path.join(os.path.expanduser(os.fspath(root)), name)


def splits_result(datasets, single):
    return datasets[0] if single else tuple(datasets)
