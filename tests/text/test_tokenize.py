"""get_tokenizer rules (fixed expectations from torchtext's documented basic_english behaviour) and ngrams."""

import pytest

from embertext.data.utils import get_tokenizer, ngrams_iterator

BASIC_ENGLISH = [
    ("You can now install TorchText using pip!", ["you", "can", "now", "install", "torchtext", "using", "pip", "!"]),
    ("Don't stop", ["don", "'", "t", "stop"]),
    ('He said "hi". Then: left; (quickly), right?',
     ["he", "said", "hi", ".", "then", "left", "(", "quickly", ")", ",", "right", "?"]),
    ("line one<br />line two", ["line", "one", "line", "two"]),
    ("3.14 is\tpi\n", ["3", ".", "14", "is", "pi"]),
    ("ÉCOLE Ünïcode", ["école", "ünïcode"]),
    ("", []),
]


@pytest.mark.parametrize("text,expected", BASIC_ENGLISH)
def test_basic_english(text, expected):
    assert get_tokenizer("basic_english")(text) == expected


def test_basic_english_only_english():
    with pytest.raises(ValueError, match="basic_english"):
        get_tokenizer("basic_english", language="de")


def test_split_char_and_callable():
    assert get_tokenizer(None)(" a\tb\n c ") == ["a", "b", "c"]
    assert get_tokenizer("char")("hé!") == ["h", "é", "!"]
    fn = str.split
    assert get_tokenizer(fn) is fn
    with pytest.raises(ValueError, match="unknown tokenizer 'spacy'"):
        get_tokenizer("spacy")


def test_ngrams_iterator():
    tokens = ["here", "we", "are", "now"]
    assert list(ngrams_iterator(tokens, 1)) == tokens
    assert list(ngrams_iterator(tokens, 3)) == tokens + ["here we", "we are", "are now", "here we are", "we are now"]
    assert list(ngrams_iterator(["a"], 3)) == ["a"]
