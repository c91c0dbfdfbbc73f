"""Vocabularies: token <-> index maps with an optional default index (``embertext.vocab``).

Example:
    >>> from embertext.vocab import build_vocab_from_iterator
    >>> v = build_vocab_from_iterator([["a", "b", "a"]], specials=["<unk>"])
    >>> v.set_default_index(v["<unk>"])
    >>> v(["a", "b", "zzz"])
    [1, 2, 0]
"""

from __future__ import annotations

import json
import os
from collections import Counter, OrderedDict

__all__ = ["Vocab", "vocab", "build_vocab_from_iterator", "load_vocab"]


class Vocab:
    """A list of unique tokens with a token -> index map and an optional default index for unknown tokens.

    Calling a vocab on a list of tokens gives their indices (:meth:`lookup_indices`), so it works as a
    transform.

    Example:
        >>> from embertext.vocab import Vocab
        >>> v = Vocab(["<unk>", "hello", "world"])
        >>> v["world"], "hello" in v, len(v), v.lookup_tokens([2, 1])
        (2, True, 3, ['world', 'hello'])
    """

    def __init__(self, tokens=(), default_index=None):
        self._itos = []
        self._stoi = {}
        for token in tokens:
            self.append_token(token)
        self._default = default_index

    # --- lookups ------------------------------------------------------------------------------------
    def __getitem__(self, token):
        """The index of ``token`` (the default index for an unknown one, an error when none is set)."""
        index = self._stoi.get(token, self._default)
        if index is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return index

    def __contains__(self, token):
        return token in self._stoi

    def __len__(self):
        return len(self._itos)

    def __iter__(self):
        return iter(self._itos)

    def __call__(self, tokens):
        return self.lookup_indices(tokens)

    def forward(self, tokens):
        """Same as :meth:`lookup_indices` (the transform interface).

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).forward(["b"])
            [1]
        """
        return self.lookup_indices(tokens)

    def lookup_indices(self, tokens):
        """Indices of a list of tokens.

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).lookup_indices(["b", "a", "b"])
            [1, 0, 1]
        """
        stoi, default = self._stoi, self._default
        if default is None:
            return [self[t] for t in tokens]
        return [stoi.get(t, default) for t in tokens]

    def lookup_token(self, index):
        """The token at ``index``.

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).lookup_token(1)
            'b'
        """
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds of the size of itos dictionary: "
                               f"{len(self._itos)}.")
        return self._itos[index]

    def lookup_tokens(self, indices):
        """Tokens at a list of indices.

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).lookup_tokens([1, 1, 0])
            ['b', 'b', 'a']
        """
        return [self.lookup_token(int(i)) for i in indices]

    def get_stoi(self):
        """A dict token -> index (a copy).

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).get_stoi()
            {'a': 0, 'b': 1}
        """
        return dict(self._stoi)

    def get_itos(self):
        """The list of tokens in index order (a copy).

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a", "b"]).get_itos()
            ['a', 'b']
        """
        return list(self._itos)

    # --- default index and edits ---------------------------------------------------------------------
    def set_default_index(self, index):
        """Return ``index`` for unknown tokens (``None``: raise ``RuntimeError`` for them).

        Example:
            >>> from embertext.vocab import Vocab
            >>> v = Vocab(["<unk>", "a"]); v.set_default_index(0)
            >>> v["never seen"], v.get_default_index()
            (0, 0)
        """
        self._default = None if index is None else int(index)

    def get_default_index(self):
        """The default index, or ``None`` when unset.

        Example:
            >>> from embertext.vocab import Vocab
            >>> Vocab(["a"]).get_default_index() is None
            True
        """
        return self._default

    def insert_token(self, token, index):
        """Insert a new ``token`` at ``index`` (0 <= index <= len), shifting later tokens up by one.

        Example:
            >>> from embertext.vocab import Vocab
            >>> v = Vocab(["a", "b"]); v.insert_token("<pad>", 0)
            >>> v.get_itos(), v["b"]
            (['<pad>', 'a', 'b'], 2)
        """
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: {self._stoi[token]}")
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds of the size of stoi dictionary: "
                               f"{len(self._itos)}.")
        self._itos.insert(index, token)
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    def append_token(self, token):
        """Add a new ``token`` at the end.

        Example:
            >>> from embertext.vocab import Vocab
            >>> v = Vocab(["a"]); v.append_token("b"); v["b"]
            1
        """
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: {self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    # --- files -----------------------------------------------------------------------------------------
    def save(self, path):
        """Write the vocab as JSON (tokens in order and the default index); no pickle.

        Example:
            >>> import os, tempfile
            >>> from embertext.vocab import Vocab, load_vocab
            >>> path = os.path.join(tempfile.mkdtemp(), "vocab.json")
            >>> Vocab(["a", "b"], default_index=0).save(path)
            >>> v = load_vocab(path); v.get_itos(), v.get_default_index()
            (['a', 'b'], 0)
        """
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"format": "embertext.vocab", "itos": self._itos, "default_index": self._default}, f,
                      ensure_ascii=False)

    def __repr__(self):
        return f"Vocab(size={len(self)}, default_index={self._default})"


def load_vocab(path):
    """Read a vocab written by :meth:`Vocab.save`.

    Example:
        >>> import os, tempfile
        >>> from embertext.vocab import Vocab, load_vocab
        >>> path = os.path.join(tempfile.mkdtemp(), "v.json"); Vocab(["x"]).save(path)
        >>> len(load_vocab(path))
        1
    """
    data = read_json(path, "load_vocab")
    if not isinstance(data, dict) or data.get("format") != "embertext.vocab":
        raise ValueError(f"load_vocab: {path} is not an embertext vocab file")
    itos, default = data.get("itos"), data.get("default_index")
    if (not isinstance(itos, list) or not all(isinstance(t, str) for t in itos) or len(set(itos)) != len(itos)
            or not (default is None or type(default) is int)):
        raise ValueError(f"load_vocab: {path} is malformed (itos must be a list of unique strings, "
                         "default_index an integer or null)")
    return Vocab(itos, default)


def read_json(path, op):
    """The parsed JSON of a UTF-8 file; undecodable or invalid JSON raises ValueError naming ``op`` and the file.

    Example:
        >>> import os, tempfile
        >>> from embertext.vocab import read_json
        >>> from pathlib import Path
        >>> path = os.path.join(tempfile.mkdtemp(), "x.json"); _ = Path(path).write_text('{"a": [1]}')
        >>> read_json(path, "demo")
        {'a': [1]}
    """
    try:
        with open(os.fspath(path), encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{op}: {path} is not valid UTF-8 JSON ({type(exc).__name__}: {exc})") from None


def vocab(ordered_dict, min_freq=1, specials=None, special_first=True):
    """A :class:`Vocab` from an ordered token -> frequency map, keeping tokens seen ``min_freq`` times.

    The order of ``ordered_dict`` is kept; ``specials`` go first (or last) and are removed from it.

    Example:
        >>> from collections import OrderedDict
        >>> from embertext.vocab import vocab
        >>> vocab(OrderedDict([("b", 3), ("a", 2), ("c", 1)]), min_freq=2, specials=["<unk>"]).get_itos()
        ['<unk>', 'b', 'a']
    """
    specials = list(specials or [])
    special_set = set(specials)
    tokens = [t for t, freq in ordered_dict.items() if freq >= min_freq and t not in special_set]
    return Vocab(specials + tokens if special_first else tokens + specials)


def build_vocab_from_iterator(iterator, min_freq=1, specials=None, special_first=True, max_tokens=None):
    """Count tokens over an iterator of token lists and build a :class:`Vocab`.

    Tokens are ordered by descending frequency, ties broken lexicographically; ``max_tokens`` caps the
    size including the specials.

    Example:
        >>> from embertext.vocab import build_vocab_from_iterator
        >>> build_vocab_from_iterator([["b", "a"], ["a", "c", "b", "a"]], specials=["<pad>"]).get_itos()
        ['<pad>', 'a', 'b', 'c']
    """
    counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    if max_tokens is not None:
        if len(specials) >= max_tokens:
            raise ValueError(f"build_vocab_from_iterator: len(specials) = {len(specials)} >= max_tokens = "
                             f"{max_tokens}, so the vocab would be entirely special tokens")
        special_set = set(specials)
        ranked = [item for item in ranked if item[0] not in special_set][: max_tokens - len(specials)]
    return vocab(OrderedDict(ranked), min_freq, specials, special_first)
