"""Datasets, samplers, random_split and DistributedSampler: values and torch's error behaviour."""

import math
from collections import Counter

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler, ChainDataset, ConcatDataset, Dataset, DistributedSampler, IterableDataset, RandomSampler,
    SequentialSampler, StackDataset, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, random_split,
)


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = list(items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_tensor_dataset(device):
    x = ember.tensor(np.arange(12.0).reshape(4, 3), device=device)
    y = ember.tensor([0, 1, 2, 3], device=device)
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    np.testing.assert_array_equal(a.cpu().numpy(), [6.0, 7.0, 8.0])
    assert b.item() == 2 and a.device.type == device
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.zeros(3, device=device))


def test_concat_and_add():
    ds = ConcatDataset([[0, 1], [2, 3, 4]])
    assert len(ds) == 5 and [ds[i] for i in range(5)] == [0, 1, 2, 3, 4]
    assert ds[-1] == 4 and ds[-5] == 0 and ds.cumulative_sizes == [2, 5]
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Stream([1])])

    class D(Dataset):
        def __getitem__(self, i):
            return i

        def __len__(self):
            return 3

    both = D() + D()
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(6)] == [0, 1, 2, 0, 1, 2]
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_chain_dataset():
    ds = Stream([1, 2]) + Stream([3])
    assert isinstance(ds, ChainDataset) and list(ds) == [1, 2, 3] and len(ds) == 3
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Stream([1]), [2]]))


def test_subset_and_stack():
    s = Subset(list("abcdef"), [5, 0, 3])
    assert len(s) == 3 and [s[i] for i in range(3)] == ["f", "a", "d"]
    assert s.__getitems__([2, 0]) == ["d", "f"]
    st = StackDataset([1, 2, 3], "xyz")
    assert st[1] == (2, "y") and len(st) == 3
    assert StackDataset(a=[1, 2], b=[3, 4])[1] == {"a": 2, "b": 4}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1], [1, 2])
    with pytest.raises(ValueError, match="At least one dataset"):
        StackDataset()
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], b=[2])


@pytest.mark.parametrize("n, fractions, expected", [
    (10, [0.5, 0.5], [5, 5]),
    (10, [0.3, 0.3, 0.4], [3, 3, 4]),
    (11, [0.3, 0.3, 0.4], [4, 3, 4]),  # floors 3, 3, 4; the remainder goes round-robin from split 0
    (8, [0.3, 0.3, 0.4], [3, 2, 3]),  # floors 2, 2, 3; the remainder 1 goes to split 0
])
def test_random_split_fraction_lengths(n, fractions, expected):
    parts = random_split(range(n), fractions, generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == expected
    assert sorted(x for p in parts for x in p) == list(range(n))


def test_random_split_matches_torch_lengths():
    torch = pytest.importorskip("torch")
    for n, fr in [(11, [0.3, 0.3, 0.4]), (7, [0.25, 0.25, 0.5]), (13, [0.1, 0.9])]:
        want = [len(p) for p in torch.utils.data.random_split(range(n), fr)]
        assert [len(p) for p in random_split(range(n), fr)] == want


def test_random_split_lengths_and_errors():
    g = ember.Generator().manual_seed(0)
    a, b = random_split(range(10), [3, 7], generator=g)
    assert len(a) == 3 and len(b) == 7 and set(a) | set(b) == set(range(10))
    g.manual_seed(0)
    a2, _ = random_split(range(10), [3, 7], generator=g)
    assert list(a) == list(a2)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1"):
        random_split(range(10), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler("ab")) == 2
    g = ember.Generator().manual_seed(3)
    perm = list(RandomSampler(range(6), generator=g))
    assert sorted(perm) == list(range(6))
    g.manual_seed(3)
    assert list(RandomSampler(range(6), generator=g)) == perm
    long = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    rep = list(RandomSampler(range(3), replacement=True, num_samples=70, generator=g))
    assert len(rep) == 70 and set(rep) == {0, 1, 2}
    ember.manual_seed(5)
    a = list(RandomSampler(range(8)))
    ember.manual_seed(5)
    assert list(RandomSampler(range(8))) == a
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)


def test_subset_and_weighted_samplers():
    assert sorted(SubsetRandomSampler([4, 8, 15])) == [4, 8, 15]
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=ember.Generator().manual_seed(0)))
    counts = Counter(draws)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    no_rep = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(no_rep) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], True)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert list(BatchSampler(range(6), 3, False)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 1, 0)


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (2, 4, False), (9, 3, False)])
def test_distributed_sampler_partition(n, replicas, drop_last):
    shards = [list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
              for r in range(replicas)]
    per = math.ceil((n - replicas) / replicas) if drop_last and n % replicas else math.ceil(n / replicas)
    assert all(len(s) == per for s in shards)
    order = list(range(n))
    total = per * replicas
    order = order[:total] if drop_last else order + (order * math.ceil(total / n))[:total - n]
    assert shards == [order[r::replicas] for r in range(replicas)]


def test_distributed_sampler_shuffle_and_epochs():
    s0 = DistributedSampler(range(10), 2, 0, seed=7)
    s1 = DistributedSampler(range(10), 2, 1, seed=7)
    e0 = list(s0) + list(s1)
    assert sorted(e0) == list(range(10))
    assert list(s0) + list(s1) == e0  # same epoch, same order
    s0.set_epoch(1)
    s1.set_epoch(1)
    assert sorted(list(s0) + list(s1)) == list(range(10)) and list(s0) + list(s1) != e0
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), 2, 2)


def test_distributed_sampler_matches_torch_without_shuffle():
    torch = pytest.importorskip("torch")
    for n, k, dl in [(10, 3, False), (10, 3, True), (2, 4, False)]:
        for r in range(k):
            want = list(torch.utils.data.DistributedSampler(range(n), k, r, shuffle=False, drop_last=dl))
            assert list(DistributedSampler(range(n), k, r, shuffle=False, drop_last=dl)) == want
