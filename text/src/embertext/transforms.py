"""Composable text transforms (``embertext.transforms``), modules like torchtext's.

Example:
    >>> from embertext import transforms as T
    >>> from embertext.vocab import Vocab
    >>> pipeline = T.Sequential(T.Tokenizer("basic_english"), T.VocabTransform(Vocab(["<s>", "hi", "!"])),
    ...                         T.AddToken(0), T.ToTensor())
    >>> pipeline("Hi!")
    tensor([0, 1, 2])
"""

from __future__ import annotations

import ember
import ember.nn as nn

from . import functional as F
from .data.utils import get_tokenizer
from .tokenizers import WordPieceTokenizer

__all__ = ["Sequential", "Tokenizer", "BERTTokenizer", "VocabTransform", "Truncate", "AddToken", "PadTransform", "ToTensor",
           "LabelToIndex"]


class Sequential(nn.Sequential):
    """Apply transforms one after another.

    Example:
        >>> from embertext import transforms as T
        >>> T.Sequential(T.Truncate(2), T.AddToken(7, begin=False))([1, 2, 3])
        [1, 2, 7]
    """


class Tokenizer(nn.Module):
    """A string (or list of strings) -> tokens transform from any :func:`get_tokenizer` name or callable.

    Example:
        >>> from embertext.transforms import Tokenizer
        >>> Tokenizer("basic_english")(["A b.", "C"])
        [['a', 'b', '.'], ['c']]
    """

    def __init__(self, tokenizer=None):
        super().__init__()
        self.tokenize = get_tokenizer(tokenizer)

    def forward(self, input):
        if isinstance(input, str):
            return self.tokenize(input)
        return [self.tokenize(text) for text in input]


class BERTTokenizer(nn.Module):
    """BERT's WordPiece tokenizer from a ``vocab.txt`` file: string (or list of strings) -> ids (or tokens).

    Unlike torchtext, ids are returned as ints (torchtext gave them as strings).

    Example:
        >>> import os, tempfile
        >>> from embertext.transforms import BERTTokenizer
        >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
        >>> with open(path, "w") as f: _ = f.write("[UNK]\\nhello\\n##s\\n")
        >>> BERTTokenizer(path)(["Hellos", "bye"]), BERTTokenizer(path, return_tokens=True)("Hellos")
        ([[1, 2], [0]], ['hello', '##s'])
    """

    def __init__(self, vocab_path, do_lower_case=True, strip_accents=None, return_tokens=False):
        super().__init__()
        self.wordpiece = WordPieceTokenizer.from_vocab_file(vocab_path, do_lower_case=do_lower_case,
                                                            strip_accents=strip_accents)
        self.return_tokens = return_tokens

    def forward(self, input):
        run = self.wordpiece.tokenize if self.return_tokens else self.wordpiece.encode
        if isinstance(input, str):
            return run(input)
        return [run(text) for text in input]


class VocabTransform(nn.Module):
    """Tokens (or a batch of token lists) -> ids through a :class:`~embertext.vocab.Vocab`.

    Example:
        >>> from embertext.transforms import VocabTransform
        >>> from embertext.vocab import Vocab
        >>> VocabTransform(Vocab(["a", "b"]))([["b"], ["a", "b"]])
        [[1], [0, 1]]
    """

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab

    def forward(self, input):
        if input and isinstance(input[0], (list, tuple)):
            return [self.vocab.lookup_indices(row) for row in input]
        return self.vocab.lookup_indices(input)


class Truncate(nn.Module):
    """Keep the first ``max_seq_len`` items (:func:`embertext.functional.truncate`).

    Example:
        >>> from embertext.transforms import Truncate
        >>> Truncate(1)([[1, 2], [3]])
        [[1], [3]]
    """

    def __init__(self, max_seq_len):
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input):
        return F.truncate(input, self.max_seq_len)


class AddToken(nn.Module):
    """Add ``token`` at the beginning (``begin=True``) or end of each sequence.

    Example:
        >>> from embertext.transforms import AddToken
        >>> AddToken("<eos>", begin=False)(["a"])
        ['a', '<eos>']
    """

    def __init__(self, token, begin=True):
        super().__init__()
        self.token, self.begin = token, begin

    def forward(self, input):
        return F.add_token(input, self.token, self.begin)


class PadTransform(nn.Module):
    """Pad the last dimension of a tensor with ``pad_value`` up to ``max_length`` (longer ones are left alone).

    Example:
        >>> import ember
        >>> from embertext.transforms import PadTransform
        >>> PadTransform(4, 0)(ember.tensor([[1, 2], [3, 4]]))
        tensor([[1, 2, 0, 0],
                [3, 4, 0, 0]])
    """

    def __init__(self, max_length, pad_value):
        super().__init__()
        self.max_length, self.pad_value = max_length, pad_value

    def forward(self, x):
        missing = self.max_length - x.shape[-1]
        if missing <= 0:
            return x
        return nn.functional.pad(x, (0, missing), value=self.pad_value)


class ToTensor(nn.Module):
    """A list of ids -> 1-D tensor; a batch -> a 2-D tensor padded with ``padding_value``.

    Example:
        >>> from embertext.transforms import ToTensor
        >>> ToTensor(padding_value=0)([[1], [2, 3]])
        tensor([[1, 0],
                [2, 3]])
    """

    def __init__(self, padding_value=None, dtype=ember.long):
        super().__init__()
        self.padding_value, self.dtype = padding_value, dtype

    def forward(self, input):
        return F.to_tensor(input, self.padding_value, self.dtype)


class LabelToIndex(nn.Module):
    """Map label names (or a batch of them) to indices, from a list or a file with one label per line.

    Example:
        >>> from embertext.transforms import LabelToIndex
        >>> LabelToIndex(["neg", "pos"])(["pos", "neg"])
        [1, 0]
    """

    def __init__(self, label_names=None, label_path=None, sort_names=False):
        super().__init__()
        if (label_names is None) == (label_path is None):
            raise ValueError("LabelToIndex: give exactly one of label_names and label_path")
        if label_path is not None:
            with open(label_path, encoding="utf-8") as f:
                label_names = [line.strip() for line in f if line.strip()]
        names = sorted(set(label_names)) if sort_names else list(label_names)
        if len(set(names)) != len(names):
            raise ValueError("LabelToIndex: label names must be unique")
        self.label_names = names
        self._index = {name: i for i, name in enumerate(names)}

    def _one(self, label):
        if label not in self._index:
            raise RuntimeError(f"LabelToIndex: unknown label {label!r}; known labels: {self.label_names}")
        return self._index[label]

    def forward(self, input):
        if isinstance(input, str):
            return self._one(input)
        return [self._one(label) for label in input]
