"""Each data set reader on small files written in the real on-disk layout; downloads via file:// URLs."""

import hashlib
import os

import pytest

from ember.utils.data import DataLoader, IterableDataset
from embertext import datasets
from embertext.datasets import language_modeling


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


@pytest.mark.parametrize("name,folder", [("AG_NEWS", ""), ("DBpedia", "dbpedia_csv"),
                                         ("YelpReviewPolarity", "yelp_review_polarity_csv")])
def test_csv_classification(tmp_path, name, folder):
    base = tmp_path / name / folder
    write(base / "train.csv", '"3","Wall St. Bears","Short-sellers, ""quoted"" text"\n"1","T","B\nnext line"\n')
    write(base / "test.csv", '"2","x","y"\n')
    train, test = getattr(datasets, name)(root=tmp_path)
    assert isinstance(train, IterableDataset)
    assert list(train) == [(3, 'Wall St. Bears Short-sellers, "quoted" text'), (1, "T B\nnext line")]
    assert list(test) == [(2, "x y")] and len(train) == 2
    assert list(train) == list(train)  # re-iterable
    only = getattr(datasets, name)(root=tmp_path, split="test")
    assert list(only) == [(2, "x y")]


def test_imdb_layout(tmp_path):
    for split in ("train", "test"):
        for label, texts in (("pos", ["great", "fine<br />film"]), ("neg", ["bad"])):
            for i, t in enumerate(texts):
                write(tmp_path / "IMDB" / "aclImdb" / split / label / f"{i}_7.txt", t)
    write(tmp_path / "IMDB" / "aclImdb" / "train" / "pos" / "notes.md", "ignored")
    train = datasets.IMDB(root=tmp_path, split="train")
    assert list(train) == [(1, "bad"), (2, "great"), (2, "fine<br />film")]


def test_wikitext_layout(tmp_path):
    for name, folder in (("WikiText2", "wikitext-2"), ("WikiText103", "wikitext-103")):
        for split in ("train", "valid", "test"):
            write(tmp_path / name / folder / f"wiki.{split}.tokens", f" = {split} = \n\n a @-@ b <unk> \n")
        train, valid, test = getattr(datasets, name)(root=tmp_path)
        assert list(valid) == [" = valid = \n", "\n", " a @-@ b <unk> \n"]
        assert next(iter(test)) == " = test = \n"


def test_penn_treebank_layout(tmp_path):
    write(tmp_path / "PennTreebank" / "ptb.train.txt", " aer banknote <unk> \n the n years \n")
    assert list(datasets.PennTreebank(root=tmp_path, split="train")) == ["aer banknote <unk>", "the n years"]


def test_multi30k_layout(tmp_path):
    write(tmp_path / "Multi30k" / "train.de", "Zwei Hunde.\nEin Mann.\n")
    write(tmp_path / "Multi30k" / "train.en", "Two dogs.\nA man.\n")
    assert list(datasets.Multi30k(root=tmp_path, split="train")) == [("Zwei Hunde.", "Two dogs."), ("Ein Mann.", "A man.")]
    swapped = datasets.Multi30k(root=tmp_path, split="train", language_pair=("en", "de"))
    assert next(iter(swapped)) == ("Two dogs.", "Zwei Hunde.")
    with pytest.raises(ValueError, match="language_pair"):
        datasets.Multi30k(root=tmp_path, language_pair=("en", "xx"))


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        datasets.AG_NEWS(root=tmp_path, split="dev")
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.PennTreebank(root=tmp_path, split="valid", download=False)


def test_download_through_shared_utility(tmp_path, monkeypatch):
    source = tmp_path / "server" / "ptb.valid.txt"
    write(source, " a b \n")
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    monkeypatch.setattr(language_modeling, "_PTB", source.parent.as_uri() + "/")
    monkeypatch.setitem(language_modeling._PTB_MD5, "valid", md5)
    ds = datasets.PennTreebank(root=tmp_path / "data", split="valid")
    assert list(ds) == ["a b"] and (tmp_path / "data" / "PennTreebank" / "ptb.valid.txt").exists()
    monkeypatch.setitem(language_modeling._PTB_MD5, "test", "0" * 32)
    write(tmp_path / "server" / "ptb.test.txt", "x\n")
    with pytest.raises(RuntimeError, match="checksum"):
        datasets.PennTreebank(root=tmp_path / "data", split="test")


def test_streams_through_dataloader(tmp_path):
    write(tmp_path / "PennTreebank" / "ptb.test.txt", "".join(f"line {i}\n" for i in range(10)))
    ds = datasets.PennTreebank(root=tmp_path, split="test")
    batches = list(DataLoader(ds, batch_size=4, collate_fn=list))
    assert [len(b) for b in batches] == [4, 4, 2] and batches[0][0] == "line 0"


def test_archive_download_and_extract(tmp_path, monkeypatch):
    import tarfile

    from embertext.datasets import translation

    server = tmp_path / "server"
    write(server / "data" / "train.de", "Hallo Welt\n")
    write(server / "data" / "train.en", "Hello world\n")
    archive = server / "training.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(server / "data", arcname="data")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(translation, "_MIRROR", server.as_uri() + "/")
    monkeypatch.setitem(translation._RESOURCES, "train", ("training.tar.gz", sha))
    root = tmp_path / "data"
    assert list(datasets.Multi30k(root=root, split="train")) == [("Hallo Welt", "Hello world")]
    assert (root / "Multi30k" / "data" / "train.en").exists()
    archive.unlink()  # a second call finds the extracted files without downloading
    assert list(datasets.Multi30k(root=root, split="train", language_pair=("en", "de"))) == [("Hello world", "Hallo Welt")]
