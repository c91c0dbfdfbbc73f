"""Data loaders for the loops: where they come from, how many batches to take, and a reproducible order.

A loader whose shuffling (and worker seeding) would draw from Ember's global generator instead gets,
for the duration of one pass, a generator seeded from (the run's data seed, the stage, the epoch): the
order of epoch ``e`` depends on nothing else, so an interrupted run resumes with the same batches, and
data loading never consumes the global random stream the model uses.
"""

from __future__ import annotations

import contextlib
import math
import os

from .utilities import MisconfigurationException

_STAGE_SALT = {"train": 0, "val": 1, "test": 2, "predict": 3, "sanity": 4}


def as_list(loaders):
    """``None`` -> ``[]``, one loader -> ``[loader]``, a list/tuple -> list, a dict -> its values."""
    if loaders is None:
        return []
    if isinstance(loaders, dict):
        return list(loaders.values())
    if isinstance(loaders, (list, tuple)):
        return list(loaders)
    return [loaders]


def source(trainer, hook, given):
    """Loaders passed to fit/validate/..., else the datamodule's, else the LightningModule's hook."""
    if given is not None:
        return given
    for owner in (trainer.datamodule, trainer.lightning_module):
        fn = getattr(owner, hook, None)
        if fn is None:
            continue
        if owner is trainer.lightning_module:
            return trainer._call_module(hook)
        return fn()
    return None


def num_batches(loader, limit, name):
    """How many batches of ``loader`` one pass takes under ``limit`` (int count or float fraction)."""
    try:
        available = len(loader)
    except TypeError:
        available = math.inf
    if isinstance(limit, int) and not isinstance(limit, bool):
        return min(available, limit)
    if limit == 1.0 or available == math.inf:
        if available == math.inf and limit not in (0.0, 1.0):
            raise MisconfigurationException(f"Only `int` values are supported for `{name}` with a dataloader that "
                                            f"has no length; got {name}={limit}")
        return available if limit else 0
    count = int(available * limit)
    if count == 0 and limit > 0.0 and available > 0:
        raise MisconfigurationException(
            f"You requested to check {limit} of the `{name.replace('limit_', '').replace('_batches', '')}_dataloader` "
            f"but {limit} * {available} < 1. Please increase the `{name}` argument. Try at least "
            f"`{name}={1.0 / available}`")
    return count


def _epoch_generator(data_seed, stage, epoch):
    import ember

    return ember.Generator().manual_seed((data_seed * 1_000_003 + _STAGE_SALT[stage] * 65_537 + epoch) % (1 << 63))


@contextlib.contextmanager
def seeded_pass(loader, data_seed, stage, epoch):
    """Within the block, ``loader`` (and its RandomSampler) without a generator use one for (seed, stage, epoch)."""
    sampler = getattr(loader, "sampler", None)
    batch_sampler = getattr(loader, "batch_sampler", None)
    for s in (sampler, getattr(batch_sampler, "sampler", None)):
        if s is not None and hasattr(s, "set_epoch"):
            s.set_epoch(epoch)
    patched = []
    if hasattr(loader, "generator") and loader.generator is None:
        gen = _epoch_generator(data_seed, stage, epoch)
        patched.append(loader)
        for s in (sampler, getattr(batch_sampler, "sampler", None)):
            if s is not None and getattr(s, "generator", False) is None:
                patched.append(s)
        for obj in patched:
            obj.generator = gen
    try:
        yield loader
    finally:
        for obj in patched:
            obj.generator = None


def install_worker_init(loader):
    """With ``seed_everything(workers=True)``, seed worker processes per (seed, worker, rank)."""
    if os.environ.get("PL_SEED_WORKERS") == "1" and getattr(loader, "num_workers", 0) > 0 \
            and getattr(loader, "worker_init_fn", 0) is None:
        from .seed import pl_worker_init_function

        loader.worker_init_fn = pl_worker_init_function


def _with_sampler(loader, make_sampler):
    """A copy of a DataLoader drawing its indices from ``make_sampler(dataset)`` (other loaders: unchanged)."""
    from ember.utils.data import DataLoader, IterableDataset

    if not isinstance(loader, DataLoader) or loader.batch_size is None or \
            isinstance(loader.dataset, IterableDataset):
        return loader
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=make_sampler(loader.dataset),
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn, drop_last=loader.drop_last,
                      timeout=loader.timeout, worker_init_fn=loader.worker_init_fn, generator=loader.generator,
                      prefetch_factor=loader.prefetch_factor, persistent_workers=loader.persistent_workers)


def sequential_copy(loader):
    """A copy of a DataLoader that visits its data set in order (for ``overfit_batches``)."""
    from ember.utils.data import SequentialSampler

    return _with_sampler(loader, SequentialSampler)


def distributed_copy(loader, shuffle, seed, num_replicas, rank):
    """A copy of a DataLoader that reads replica ``rank``'s share (a ``DistributedSampler``), as Lightning does.

    A loader that already has a DistributedSampler, or a custom batch sampler, stays as it is.

    Example:
        >>> import ember
        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> loader = DataLoader(TensorDataset(ember.arange(6)), batch_size=2)
        >>> [b[0].tolist() for b in distributed_copy(loader, False, 0, num_replicas=2, rank=1)]
        [[1, 3], [5]]
    """
    from ember.utils.data import BatchSampler, DistributedSampler

    if isinstance(getattr(loader, "sampler", None), DistributedSampler) or \
            type(getattr(loader, "batch_sampler", None)) not in (BatchSampler, type(None)):
        return loader
    return _with_sampler(loader, lambda data: DistributedSampler(data, num_replicas=num_replicas, rank=rank,
                                                                 shuffle=shuffle, seed=seed))


def is_shuffled(loader):
    from ember.utils.data import RandomSampler

    return isinstance(getattr(loader, "sampler", None), RandomSampler)
