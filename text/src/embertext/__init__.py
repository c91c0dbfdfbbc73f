"""embertext: tokenizers, vocabularies, text data sets and NLP models for Ember (like torchtext).

Example:
    >>> import embertext
    >>> from embertext.data.utils import get_tokenizer
    >>> get_tokenizer("basic_english")("Hello, World!")
    ['hello', ',', 'world', '!']
"""

from . import data, datasets, functional, models, tokenizers, transforms, vocab

__version__ = "0.1.0"
__all__ = ["data", "datasets", "functional", "models", "tokenizers", "transforms", "vocab"]
