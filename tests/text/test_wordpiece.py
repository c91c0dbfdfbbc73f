"""WordPiece (BERT) tokenization: basic splitting rules and greedy longest-match-first pieces."""

import pytest

from embertext.tokenizers import WordPieceTokenizer
from embertext.transforms import BERTTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "un", "##aff", "##able", "run", "##ning", "##n", "hello",
         ",", "!", "'", "s", "cafe", "中", "文", "a", "##b", "##bc", "ab"]


@pytest.mark.parametrize("text,expected", [
    ("unaffable", ["un", "##aff", "##able"]),
    ("Running, the CAFÉ!", ["run", "##ning", ",", "the", "cafe", "!"]),
    ("hello's", ["hello", "'", "s"]),
    ("中文the", ["中", "文", "the"]),  # CJK characters stand alone
    ("abc", ["[UNK]"]),  # greedy: the longest prefix "ab" wins, then no "##c": the whole word is unknown
    ("ab abb", ["ab", "ab", "##b"]),
    ("xyz hello", ["[UNK]", "hello"]),
    ("hel\x00lo\u200b \t\n", ["hello"]),  # control / format characters dropped
    ("", []),
])
def test_tokenize(text, expected):
    assert WordPieceTokenizer(VOCAB).tokenize(text) == expected


def test_case_accents_and_length():
    cased = WordPieceTokenizer(VOCAB + ["Hello", "é"], do_lower_case=False)
    assert cased.tokenize("Hello hello é") == ["Hello", "hello", "é"]
    assert WordPieceTokenizer(VOCAB, max_input_chars_per_word=4).tokenize("hello the") == ["[UNK]", "the"]
    with pytest.raises(ValueError, match="unk_token"):
        WordPieceTokenizer(["a"])


def test_encode_decode_and_transform(tmp_path):
    tok = WordPieceTokenizer(VOCAB)
    ids = tok.encode("The running unaffable")
    assert ids == [4, 8, 9, 5, 6, 7] and tok.decode(ids) == "the running unaffable"
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    bert = BERTTokenizer(str(tmp_path / "vocab.txt"))
    assert bert("The running") == [4, 8, 9] and bert(["hello", "!"]) == [[11], [13]]
    tokens = BERTTokenizer(str(tmp_path / "vocab.txt"), return_tokens=True)
    assert tokens("Runs running") == ["[UNK]", "run", "##ning"]  # "run" + no "##s": the word is unknown
