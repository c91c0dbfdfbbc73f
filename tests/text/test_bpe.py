"""Byte-level BPE: exact round trips over arbitrary Unicode, training, batch encoding, JSON save/load."""

import inspect
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from embertext.tokenizers import BPETokenizer


def _corpus():
    import collections
    import email.message
    import json as json_mod
    text = "".join(inspect.getsource(m) for m in (collections, json_mod.decoder, email.message))
    return text


@pytest.fixture(scope="module")
def trained():
    return BPETokenizer.train(_corpus().splitlines(True), vocab_size=600, special_tokens=["<pad>", "<eos>"])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_any_unicode(trained, text):
    ids = trained.encode(text)
    assert all(0 <= i < trained.vocab_size for i in ids)
    assert trained.decode(ids) == text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=20))
def test_training_on_arbitrary_text_round_trips(texts):
    tok = BPETokenizer.train(texts, vocab_size=300, min_frequency=1)
    for t in texts:
        assert tok.decode(tok.encode(t)) == t


def test_merges_compress_and_are_deterministic(trained):
    text = _corpus()[:20000]
    ids = trained.encode(text)
    assert len(ids) < 0.45 * len(text.encode("utf-8"))  # learned merges shorten the byte sequence
    again = BPETokenizer.train(_corpus().splitlines(True), vocab_size=600, special_tokens=["<pad>", "<eos>"])
    assert again.merges == trained.merges and trained.vocab_size == 600


def test_greedy_merge_order_closed_form():
    # "ab" appears 6 times, "bc" 2 times: the first merge must be (a, b), then (ab, c) beats nothing else
    tok = BPETokenizer.train(["ab ab ab abc abc ab"], vocab_size=258, min_frequency=1)
    assert tok.merges[0] == (ord("a"), ord("b"))
    assert tok.id_to_token(256) == "ab"
    assert BPETokenizer.train(["xyz"], vocab_size=400).vocab_size == 256  # nothing occurs twice


def test_special_tokens(trained):
    ids = trained.encode("end<eos>next<pad>")
    assert ids.count(1) == 1 and ids.count(0) == 1
    assert trained.decode(ids) == "end<eos>next<pad>"
    assert trained.decode(ids, skip_special_tokens=True) == "endnext"
    assert trained.token_to_id("<eos>") == 1
    with pytest.raises(ValueError, match="smaller than"):
        BPETokenizer.train(["a"], vocab_size=100)
    with pytest.raises(ValueError, match="pad_token"):
        BPETokenizer(special_tokens=["<s>"], pad_token="<pad>")


def test_encode_batch(trained):
    texts = ["hello world", "hi", ""]
    rows = [trained.encode(t) for t in texts]
    out = trained.encode_batch(texts)
    width = max(map(len, rows))
    assert out["input_ids"].shape == (3, width) and out["input_ids"].dtype == ember.int64
    for r, ids, mask in zip(rows, out["input_ids"].tolist(), out["attention_mask"].tolist()):
        assert ids[: len(r)] == r and set(ids[len(r):]) <= {0} and mask == [1] * len(r) + [0] * (width - len(r))
    left = trained.encode_batch(texts, padding_side="left")
    assert left["input_ids"][0].tolist()[width - len(rows[0]):] == rows[0]
    fixed = trained.encode_batch(texts, padding="max_length", truncation=True, max_length=2)
    assert fixed["input_ids"].shape == (3, 2) and fixed["input_ids"][0].tolist() == rows[0][:2]
    ragged = trained.encode_batch(texts, padding=False)
    assert ragged["input_ids"] == rows
    assert trained(["hi", "x"]) == [trained.encode("hi"), trained.encode("x")]
    with pytest.raises(ValueError, match="pad_token"):
        BPETokenizer().encode_batch(["a", "bb"])


def test_save_load(trained, tmp_path):
    trained.save(tmp_path / "bpe.json")
    data = json.loads((tmp_path / "bpe.json").read_text())
    assert data["format"] == "embertext.bpe" and len(data["merges"]) == 600 - 258
    loaded = BPETokenizer.load(tmp_path / "bpe.json")
    text = "Loaded tokenizers encode the same: ünïcödé ✓"
    assert loaded.encode(text) == trained.encode(text) and loaded.pad_token == "<pad>"
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="not an embertext BPE"):
        BPETokenizer.load(tmp_path / "x.json")


def test_training_one_megabyte_takes_seconds():
    text = (_corpus() * 20)[:1_000_000]
    t0 = time.perf_counter()
    tok = BPETokenizer.train(text.splitlines(True), vocab_size=2000)
    assert time.perf_counter() - t0 < 20
    assert tok.decode(tok.encode(text[:5000])) == text[:5000]
