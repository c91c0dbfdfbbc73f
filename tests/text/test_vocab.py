"""Vocab semantics: lookups, default index, insert/append, builders, JSON save/load."""

from collections import OrderedDict

import pytest

from embertext.vocab import Vocab, build_vocab_from_iterator, load_vocab, vocab


def test_lookups_and_default_index():
    v = Vocab(["<unk>", "a", "b"])
    assert (v["a"], len(v), "b" in v, "c" in v) == (1, 3, True, False)
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError, match="Token c not found and default index is not set"):
        v["c"]
    with pytest.raises(RuntimeError, match="not found"):
        v.lookup_indices(["a", "c"])
    v.set_default_index(0)
    assert v["c"] == 0 and v(["b", "zz", "a"]) == [2, 0, 1] == v.forward(["b", "zz", "a"])
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["c"]
    assert v.lookup_tokens([2, 0]) == ["b", "<unk>"] and v.lookup_token(1) == "a"
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(3)
    assert v.get_stoi() == {"<unk>": 0, "a": 1, "b": 2} and v.get_itos() == ["<unk>", "a", "b"]
    v.get_itos().append("x")  # copies
    assert len(v) == 3 and list(v) == ["<unk>", "a", "b"]


def test_insert_and_append():
    v = Vocab(["a", "b", "c"])
    v.insert_token("<pad>", 1)
    assert v.get_itos() == ["a", "<pad>", "b", "c"] and v["c"] == 3 and v["<pad>"] == 1
    v.append_token("d")
    assert v["d"] == 4
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("a")
    with pytest.raises(RuntimeError, match="already exists"):
        v.insert_token("b", 0)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("z", 9)
    v.insert_token("end", len(v))
    assert v.lookup_token(len(v) - 1) == "end"


def test_vocab_factory_min_freq_and_specials():
    counts = OrderedDict([("z", 5), ("a", 3), ("<unk>", 9), ("m", 1)])
    assert vocab(counts).get_itos() == ["z", "a", "<unk>", "m"]
    assert vocab(counts, min_freq=2, specials=["<unk>", "<pad>"]).get_itos() == ["<unk>", "<pad>", "z", "a"]
    assert vocab(counts, min_freq=3, specials=["<unk>"], special_first=False).get_itos() == ["z", "a", "<unk>"]


def test_build_vocab_from_iterator_ordering_and_max_tokens():
    data = [["b", "a", "c"], ["a", "b", "d"], ["a", "e"]]
    # frequency descending, ties lexicographic
    assert build_vocab_from_iterator(data).get_itos() == ["a", "b", "c", "d", "e"]
    assert build_vocab_from_iterator(data, min_freq=2, specials=["<unk>"]).get_itos() == ["<unk>", "a", "b"]
    assert build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=3).get_itos() == ["<unk>", "a", "b"]
    assert build_vocab_from_iterator(iter(data), specials=["a"], max_tokens=2).get_itos() == ["a", "b"]
    with pytest.raises(ValueError, match="max_tokens"):
        build_vocab_from_iterator(data, specials=["<unk>", "<pad>"], max_tokens=2)


def test_save_load_json(tmp_path):
    v = build_vocab_from_iterator([["é", "日本", "a"]], specials=["<unk>"])
    v.set_default_index(0)
    v.save(tmp_path / "v.json")
    assert (tmp_path / "v.json").read_bytes()[:1] == b"{"  # JSON, not pickle
    w = load_vocab(tmp_path / "v.json")
    assert w.get_itos() == v.get_itos() and w.get_default_index() == 0 and w["nope"] == 0
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not an embertext vocab"):
        load_vocab(tmp_path / "bad.json")
