"""functional + transforms, the padding collate, the bucket sampler and packing with ember.nn.utils.rnn."""

import numpy as np
import pytest

import ember
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ember.utils.data import DataLoader
from embertext import functional as F
from embertext import transforms as T
from embertext.data.utils import BucketBatchSampler, pad_collate
from embertext.vocab import Vocab


def test_functional():
    assert F.truncate([1, 2, 3], 2) == [1, 2] and F.truncate([[1, 2, 3], [4]], 2) == [[1, 2], [4]]
    assert F.add_token([1], 0) == [0, 1] and F.add_token([[1], []], "x", begin=False) == [[1, "x"], ["x"]]
    assert F.to_tensor([1, 2]).tolist() == [1, 2] and F.to_tensor([1, 2]).dtype == ember.int64
    assert F.to_tensor([[1, 2], [3]], padding_value=-1).tolist() == [[1, 2], [3, -1]]
    assert F.to_tensor([[1, 2], [3, 4]], dtype=ember.int32).dtype == ember.int32


def test_pipeline_of_transforms():
    v = Vocab(["<pad>", "<s>", "</s>", "<unk>", "hello", "world", "!"], default_index=3)
    pipe = T.Sequential(T.Tokenizer("basic_english"), T.VocabTransform(v), T.Truncate(3), T.AddToken(1),
                        T.AddToken(2, begin=False), T.ToTensor(padding_value=0), T.PadTransform(7, 0))
    assert pipe(["Hello world!", "Hello, bye"]).tolist() == [[1, 4, 5, 6, 2, 0, 0], [1, 4, 3, 3, 2, 0, 0]]
    assert pipe("Hello").tolist() == [1, 4, 2, 0, 0, 0, 0]
    assert T.PadTransform(2, 9)(ember.tensor([1, 2, 3])).tolist() == [1, 2, 3]


def test_label_to_index(tmp_path):
    assert T.LabelToIndex(["b", "a"], sort_names=True)(["b", "a"]) == [1, 0]
    (tmp_path / "labels.txt").write_text("neg\npos\n")
    assert T.LabelToIndex(label_path=tmp_path / "labels.txt")("pos") == 1
    with pytest.raises(RuntimeError, match="unknown label"):
        T.LabelToIndex(["a"])("b")
    with pytest.raises(ValueError):
        T.LabelToIndex()


def test_pad_collate_and_packing(device):
    batch = pad_collate([(0, [5, 6, 7]), (1, ember.tensor([8])), (1, [9, 10])], padding_value=0)
    assert batch.tokens.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert batch.lengths.tolist() == [3, 1, 2] and batch.labels.tolist() == [0, 1, 1]
    np.testing.assert_array_equal(batch.mask.numpy(), np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], bool))
    seq_first = pad_collate([[1, 2], [3]], batch_first=False)
    assert seq_first.tokens.tolist() == [[1, 3], [2, 0]] and seq_first.labels is None
    x = batch.tokens.to(device).float().unsqueeze(-1)
    packed = pack_padded_sequence(x, batch.lengths, batch_first=True, enforce_sorted=False)
    back, lengths = pad_packed_sequence(packed, batch_first=True)
    assert back.squeeze(-1).tolist() == batch.tokens.float().tolist() and lengths.tolist() == [3, 1, 2]


def test_bucket_batch_sampler():
    lengths = [int(x) for x in np.random.RandomState(0).randint(1, 50, size=103)]
    sampler = BucketBatchSampler(lengths, batch_size=8, bucket_factor=13, generator=ember.Generator().manual_seed(1))
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(103))
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 8  # sorted buckets: batches hold similar lengths (random batches would spread ~40)
    dropped = BucketBatchSampler(lengths, 8, drop_last=True, shuffle=False)
    assert all(len(b) == 8 for b in dropped) and len(list(dropped)) == len(dropped) == 12
    loader = DataLoader([[0] * n for n in lengths], batch_sampler=sampler, collate_fn=pad_collate)
    for b in loader:
        assert b.tokens.shape[1] == int(b.lengths.max())
