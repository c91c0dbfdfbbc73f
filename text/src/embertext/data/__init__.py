"""Tokenizer factory, n-grams and batching helpers (``embertext.data.utils``).

Example:
    >>> from embertext.data import get_tokenizer
    >>> get_tokenizer(None)("a  b")
    ['a', 'b']
"""

from . import utils
from .utils import BucketBatchSampler, get_tokenizer, ngrams_iterator, pad_collate

__all__ = ["utils", "get_tokenizer", "ngrams_iterator", "BucketBatchSampler", "pad_collate"]
