"""Tokenizers by name, n-grams, a bucket-by-length batch sampler and a padding collate function.

Example:
    >>> from embertext.data.utils import get_tokenizer, ngrams_iterator
    >>> list(ngrams_iterator(get_tokenizer("basic_english")("Here we are"), 2))
    ['here', 'we', 'are', 'here we', 'we are']
"""

from __future__ import annotations

import re
from collections import namedtuple

import ember
from ember.utils.data import Sampler

__all__ = ["get_tokenizer", "ngrams_iterator", "BucketBatchSampler", "Batch", "pad_collate"]

# torchtext's basic_english rules, applied in order after lower-casing; the result is split on whitespace.
_BASIC_ENGLISH_RULES = [(re.compile(pattern), repl) for pattern, repl in [
    (r"'", " '  "), (r'"', ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "), (r"\(", " ( "),
    (r"\)", " ) "), (r"!", " ! "), (r"\?", " ? "), (r";", " "), (r":", " "), (r"\s+", " "),
]]


def _basic_english(line):
    line = line.lower()
    for pattern, repl in _BASIC_ENGLISH_RULES:
        line = pattern.sub(repl, line)
    return line.split()


def _split(line):
    return line.split()


def _chars(line):
    return list(line)


_NAMED = {"basic_english": _basic_english, "char": _chars}


def get_tokenizer(tokenizer, language="en"):
    """A function turning a string into a list of tokens.

    ``None`` splits on whitespace; ``"basic_english"`` lower-cases, puts spaces around
    ``' . , ( ) ! ?``, drops ``" ; :`` and ``<br />`` and splits (torchtext's rules); ``"char"`` gives
    the characters; a callable is returned unchanged.

    Example:
        >>> from embertext.data.utils import get_tokenizer
        >>> get_tokenizer("basic_english")('You can now install TorchText using pip!')
        ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
        >>> get_tokenizer("char")("ab c")
        ['a', 'b', ' ', 'c']
    """
    if tokenizer is None:
        return _split
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "basic_english" and language != "en":
        raise ValueError(f"get_tokenizer: basic_english normalization is only available for English ('en'), "
                         f"got language={language!r}")
    if tokenizer in _NAMED:
        return _NAMED[tokenizer]
    raise ValueError(f"get_tokenizer: unknown tokenizer {tokenizer!r}; use None, 'basic_english', 'char', "
                     f"a callable, or an embertext.tokenizers.BPETokenizer")


def ngrams_iterator(token_list, ngrams):
    """Yield the tokens, then every n-gram for n = 2..``ngrams`` joined by spaces.

    Example:
        >>> from embertext.data.utils import ngrams_iterator
        >>> list(ngrams_iterator(["a", "b", "c"], 3))
        ['a', 'b', 'c', 'a b', 'b c', 'a b c']
    """
    yield from token_list
    for n in range(2, ngrams + 1):
        for gram in zip(*(token_list[i:] for i in range(n))):
            yield " ".join(gram)


class BucketBatchSampler(Sampler):
    """Batches of indices whose sequences have similar lengths, so little padding is needed.

    Indices are shuffled (when ``shuffle``), cut into buckets of ``batch_size * bucket_factor``,
    sorted by length inside each bucket and cut into batches; the batch order is shuffled again.

    Args:
        lengths: the length of every example.
        batch_size: examples per batch.
        shuffle: randomise buckets and batch order (with ``generator``).
        drop_last: drop a final batch smaller than ``batch_size`` (per bucket).
        bucket_factor: how many batches each sorted bucket holds.

    Example:
        >>> from embertext.data.utils import BucketBatchSampler
        >>> list(BucketBatchSampler([5, 1, 4, 2], batch_size=2, shuffle=False))
        [[1, 3], [2, 0]]
    """

    def __init__(self, lengths, batch_size, shuffle=True, drop_last=False, bucket_factor=100, generator=None):
        if batch_size <= 0:
            raise ValueError(f"BucketBatchSampler: batch_size should be a positive integer, got {batch_size}")
        self.lengths = list(lengths)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.bucket_factor, self.generator = bucket_factor, generator

    def _order(self, n):
        return ember.randperm(n, generator=self.generator).tolist() if self.shuffle else list(range(n))

    def __iter__(self):
        order = self._order(len(self.lengths))
        bucket = self.batch_size * self.bucket_factor
        batches = []
        for start in range(0, len(order), bucket):
            chunk = sorted(order[start:start + bucket], key=self.lengths.__getitem__)
            for b in range(0, len(chunk), self.batch_size):
                batch = chunk[b:b + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        for i in self._order(len(batches)):
            yield batches[i]

    def __len__(self):
        bucket = self.batch_size * self.bucket_factor
        n, count = len(self.lengths), 0
        for start in range(0, n, bucket):
            size = min(bucket, n - start)
            count += size // self.batch_size if self.drop_last else -(-size // self.batch_size)
        return count


Batch = namedtuple("Batch", ["tokens", "lengths", "mask", "labels"])
Batch.__doc__ = """A padded batch: ``tokens`` (N, L) int64, ``lengths`` (N,), ``mask`` (N, L) bool (True at real
tokens; pass ``~mask`` as a ``key_padding_mask``), ``labels`` (N,) or None.

Example:
    >>> from embertext.data.utils import pad_collate
    >>> pad_collate([[1, 2], [3]]).lengths
    tensor([2, 1])
"""


def _is_labelled(item):
    return isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], (int, float))


def pad_collate(batch, padding_value=0, batch_first=True):
    """Collate token sequences (or ``(label, tokens)`` pairs) into a padded :class:`Batch`.

    Sequences may be lists of ints or 1-D tensors. ``batch_first=False`` gives (L, N) tokens and mask.
    ``lengths`` works with :func:`ember.nn.utils.rnn.pack_padded_sequence`.

    Example:
        >>> from embertext.data.utils import pad_collate
        >>> b = pad_collate([(1, [4, 5, 6]), (0, [7])])
        >>> b.tokens.tolist(), b.lengths.tolist(), b.mask.tolist(), b.labels.tolist()
        ([[4, 5, 6], [7, 0, 0]], [3, 1], [[True, True, True], [True, False, False]], [1, 0])
    """
    labels = None
    if batch and _is_labelled(batch[0]):
        labels = ember.tensor([label for label, _ in batch])
        batch = [seq for _, seq in batch]
    seqs = [s.tolist() if isinstance(s, ember.Tensor) else list(s) for s in batch]
    lengths = [len(s) for s in seqs]
    width = max(lengths, default=0)
    rows = [s + [padding_value] * (width - len(s)) for s in seqs]
    tokens = ember.tensor(rows, dtype=ember.int64).reshape(len(seqs), width)
    lengths_t = ember.tensor(lengths, dtype=ember.int64)
    mask = ember.arange(width).unsqueeze(0) < lengths_t.unsqueeze(1)
    if not batch_first:
        tokens, mask = tokens.t(), mask.t()
    return Batch(tokens, lengths_t, mask, labels)
