"""DataLoader: batching options, real worker processes, failures, seeding and shutdown."""

import os
import random
import signal
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler, TensorDataset, get_worker_info,
)


def _lists(batches):
    return [[t.tolist() for t in b] if isinstance(b, (list, tuple)) else b.tolist() for b in batches]


def _dataset(n=20):
    return TensorDataset(ember.arange(n), ember.arange(n) * 0.5)


class Failing(Dataset):
    """Index ``bad`` misbehaves according to ``how``."""

    def __init__(self, how, bad=5, n=10):
        self.how, self.bad, self.n = how, bad, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            if self.how == "raise":
                raise ValueError(f"cannot read sample {i}")
            if self.how == "keyerror":
                raise KeyError("missing")
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "exit":
                os._exit(3)
            if self.how == "hang":
                time.sleep(30)
        return i


class Noisy(Dataset):
    """Samples drawn from every RNG a worker seeds, plus the worker id."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (random.random(), float(np.random.rand()), ember.rand(1).item(), -1 if info is None else info.id)


class Shards(IterableDataset):
    """0 .. n-1, split across workers by worker id."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("num_workers", [0, 2])
def test_batches_and_options(num_workers):
    ds = _dataset(7)
    got = _lists(DataLoader(ds, batch_size=3, num_workers=num_workers))
    assert got == [[[0, 1, 2], [0.0, 0.5, 1.0]], [[3, 4, 5], [1.5, 2.0, 2.5]], [[6], [3.0]]]
    dropped = list(DataLoader(ds, batch_size=3, drop_last=True, num_workers=num_workers))
    assert len(dropped) == 2
    single = list(DataLoader(ds, batch_size=None, num_workers=num_workers))  # no batching: default_convert
    assert len(single) == 7 and single[3][0].tolist() == 3 and single[3][0].shape == ()
    bs = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, False), num_workers=num_workers)
    assert [b[0].tolist() for b in bs] == [[0, 1, 2, 3], [4, 5, 6]] and len(bs) == 2
    custom = DataLoader(list(range(5)), batch_size=2, collate_fn=lambda b: sum(b), num_workers=num_workers)
    assert list(custom) == [1, 5, 4]


def test_len_and_argument_errors():
    ds = _dataset(10)
    assert len(DataLoader(ds, batch_size=3)) == 4 and len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(Shards(10), batch_size=4)) == 3
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(range(10), 2, False))
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Shards(3), shuffle=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process"):
        DataLoader(ds, multiprocessing_context="fork")
    with pytest.raises(ValueError, match="valid start method"):
        DataLoader(ds, num_workers=1, multiprocessing_context="teleport")
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 4


def test_same_seed_same_batches_for_any_num_workers():
    def epoch(num_workers, **kw):
        ember.manual_seed(11)
        return _lists(DataLoader(_dataset(23), batch_size=4, shuffle=True, num_workers=num_workers, **kw))

    ref = epoch(0)
    assert sorted(x for b in ref for x in b[0]) == list(range(23))
    assert epoch(1) == ref and epoch(2) == ref and epoch(2, prefetch_factor=1) == ref
    unordered = epoch(2, in_order=False)
    assert sorted(map(str, unordered)) == sorted(map(str, ref))
    g = ember.Generator().manual_seed(4)
    a = _lists(DataLoader(_dataset(9), batch_size=2, shuffle=True, generator=g))
    g.manual_seed(4)
    assert _lists(DataLoader(_dataset(9), batch_size=2, shuffle=True, generator=g, num_workers=2)) == a


def test_worker_seeding_reproduces_and_differs():
    def epoch(loader):
        return [tuple(map(tuple, _lists(b))) for b in loader]

    ember.manual_seed(0)
    loader = DataLoader(Noisy(), batch_size=2, num_workers=2)
    first, second = epoch(loader), epoch(loader)
    ember.manual_seed(0)
    again = DataLoader(Noisy(), batch_size=2, num_workers=2)
    assert epoch(again) == first  # same seed -> same augmentations
    assert first != second  # a new epoch draws a new base seed
    by_worker = {}
    for batch in first:
        by_worker.setdefault(batch[3][0], []).append(batch[:3])
    assert set(by_worker) == {0, 1} and by_worker[0][0] != by_worker[1][0]  # workers draw different numbers
    for rng_column in range(3):  # every RNG was seeded: worker 0's first sample differs from worker 1's
        assert first[0][rng_column][0] != first[1][rng_column][0]


def test_worker_info_and_init_fn():
    seen = DataLoader(list(range(4)), batch_size=None, num_workers=2,
                      collate_fn=lambda i: (i, get_worker_info().id, get_worker_info().num_workers,
                                            get_worker_info().seed))
    ember.manual_seed(3)
    rows = list(seen)
    assert [r[1] for r in rows] == [0, 1, 0, 1] and {r[2] for r in rows} == {2}
    assert rows[1][3] == rows[0][3] + 1  # seed = base_seed + worker_id
    assert get_worker_info() is None

    def init(worker_id):
        np.random.seed(100 + worker_id)

    vals = list(DataLoader(list(range(2)), batch_size=None, num_workers=2, worker_init_fn=init,
                           collate_fn=lambda i: float(np.random.rand())))
    np.random.seed(100)
    w0 = np.random.rand()
    np.random.seed(101)
    assert vals == [w0, np.random.rand()]


def test_iterable_dataset_sharding():
    for workers in (0, 2, 3):
        items = [x for b in DataLoader(Shards(11), batch_size=2, num_workers=workers) for x in b.tolist()]
        assert sorted(items) == list(range(11))
    out = _lists(DataLoader(Shards(7), batch_size=2, num_workers=2))
    assert out == [[0, 2], [1, 3], [4, 6], [5]]
    assert _lists(DataLoader(Shards(7), batch_size=2, num_workers=2, drop_last=True)) == [[0, 2], [1, 3], [4, 6]]
    assert list(DataLoader(Shards(3), batch_size=None, num_workers=2)) == [0, 1, 2]  # ints stay ints


def test_worker_exception_is_reraised_with_traceback():
    loader = DataLoader(Failing("raise", bad=5), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0." in msg  # batch 2 ([4, 5]) went to worker 0
    assert "Original Traceback (most recent call last)" in msg and "cannot read sample 5" in msg
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        list(DataLoader(Failing("keyerror", bad=3), batch_size=2, num_workers=2))

    def bad_init(worker_id):
        raise OSError(f"init failed in {worker_id}")

    with pytest.raises(OSError, match="init failed in 0"):
        list(DataLoader(list(range(4)), num_workers=1, worker_init_fn=bad_init))


@pytest.mark.parametrize("how, says", [("kill", "killed by signal 9 (SIGKILL)"), ("exit", "exit code 3")])
def test_dead_worker_raises_promptly(how, says):
    loader = DataLoader(Failing(how, bad=7), batch_size=2, num_workers=2)
    it = iter(loader)
    workers = list(it._workers)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker 1 \(pid \d+\) exited unexpectedly") as info:
        list(it)
    assert says in str(info.value) and time.monotonic() - start < 5
    assert not any(w.is_alive() for w in workers)


def test_timeout_names_worker_and_batch():
    it = iter(DataLoader(Failing("hang", bad=4), batch_size=2, num_workers=2, timeout=0.3))
    workers = list(it._workers)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"timed out after 0.3 seconds: worker 0 has not produced batch 2"):
        list(it)
    assert time.monotonic() - start < 5 and not any(w.is_alive() for w in workers)


def test_workers_shut_down():
    it = iter(DataLoader(_dataset(6), batch_size=2, num_workers=2))
    workers = list(it._workers)
    assert len(list(it)) == 3 and not any(w.is_alive() for w in workers)  # exhausted

    it = iter(DataLoader(_dataset(40), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it  # deleted mid-epoch
    assert not any(w.is_alive() for w in workers)

    class Interrupting(SequentialSampler):
        def __iter__(self):
            yield from range(4)
            raise KeyboardInterrupt

    it = iter(DataLoader(_dataset(10), batch_size=1, sampler=Interrupting(range(10)), num_workers=2))
    workers = list(it._workers)
    with pytest.raises(KeyboardInterrupt):
        list(it)
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_survive_epochs():
    loader = DataLoader(_dataset(9), batch_size=2, num_workers=2, persistent_workers=True)
    first = _lists(loader)
    pids = [w.pid for w in loader._iterator._workers]
    it = iter(loader)
    next(it)  # stop mid-epoch: stale prefetched batches must not leak into the next epoch
    assert _lists(loader) == first and [w.pid for w in loader._iterator._workers] == pids
    stream = DataLoader(Shards(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert _lists(stream) == _lists(stream) == [[0, 2], [1, 3], [4]]
    loader._iterator._shutdown_workers()
    assert _lists(loader) == first  # a shut-down iterator is replaced


def test_spawn_context():
    loader = DataLoader(_dataset(5), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert _lists(loader) == _lists(DataLoader(_dataset(5), batch_size=2))


def test_pin_memory_is_accepted():
    assert _lists(DataLoader(_dataset(3), batch_size=3, pin_memory=True)) == [[[0, 1, 2], [0.0, 0.5, 1.0]]]
