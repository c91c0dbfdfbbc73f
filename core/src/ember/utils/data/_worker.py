"""What runs inside a DataLoader worker process, and the messages it exchanges with the main process.

Each worker has two one-way pipes: tasks ``(task_id, indices)`` come in, results
``(task_id, batch)`` go out. Batches travel pickled through the pipe (tensors
reduce to host numpy arrays); a failing task sends an :class:`ExceptionWrapper`.
"""

from __future__ import annotations

import os
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]

# How often an idle worker checks that the main process is still alive (seconds).
PARENT_CHECK_INTERVAL = 1.0

_worker_info = None


class WorkerInfo:
    """Facts about the current DataLoader worker: ``id``, ``num_workers``, ``seed``, ``dataset``.

    Read-only once created.

    Example:
        >>> from ember.utils.data import WorkerInfo
        >>> info = WorkerInfo(id=0, num_workers=2, seed=7, dataset=None)
        >>> info.id, info.num_workers, info.seed
        (0, 2, 7)
    """

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


def get_worker_info():
    """The :class:`WorkerInfo` of the current DataLoader worker, or None in the main process.

    An :class:`IterableDataset` uses it in ``__iter__`` to give each worker its own shard.

    Example:
        >>> from ember.utils.data import get_worker_info
        >>> get_worker_info() is None
        True
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its formatted traceback.

    Example:
        >>> from ember.utils.data import ExceptionWrapper
        >>> try:
        ...     raise ValueError("bad sample")
        ... except ValueError:
        ...     w = ExceptionWrapper(where="in DataLoader worker process 0")
        >>> try:
        ...     w.reraise()
        ... except ValueError as e:
        ...     str(e).splitlines()[0]
        'Caught ValueError in DataLoader worker process 0.'
    """

    def __init__(self, exc_info=None, where="in background"):
        exc_type, exc, tb = exc_info or sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        """Raise an exception of the original type whose message holds the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception type whose constructor wants other arguments
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            del exc  # no frame -> traceback -> frame cycle keeping the DataLoader iterator (and workers) alive


class _KeyErrorMessage(str):
    """KeyError quotes its message with repr(); this keeps the traceback readable."""

    def __repr__(self):
        return self


class IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Start a new epoch (persistent workers); the worker echoes it back once ready."""


class MapFetcher:
    """Fetch samples of a map-style dataset by index (a list of indices when batching)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        many = getattr(self.dataset, "__getitems__", None)
        data = many(index) if many else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class IterFetcher(MapFetcher):
    """Fetch the next sample (or batch of ``len(index)`` samples) of an iterable dataset."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.it = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        data = []
        for _ in index:
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def seed_worker(base_seed, worker_id):
    """Seed worker ``worker_id`` as torch does: Python's ``random`` and ember's default generators with
    ``base_seed + worker_id``, numpy's global RNG with a SeedSequence hash of both (torch's ``_generate_state``).

    Example:
        >>> import random
        >>> _ = seed_worker(10, 2); a = random.random(); _ = seed_worker(10, 2); a == random.random()
        True
    """
    import numpy as np

    from ... import _random

    seed = base_seed + worker_id
    random.seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]).generate_state(4))
    _random.manual_seed(seed)
    return seed


def worker_loop(worker_id, num_workers, dataset, fetcher_cls, auto_collation, collate_fn, drop_last, base_seed,
                init_fn, tasks, results, parent_pid):
    """The body of a worker process: answer tasks from ``tasks`` on ``results`` until told to stop."""
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        failure = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_cls(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            failure = ExceptionWrapper(where=where)
        ended = False
        while True:
            if not tasks.poll(PARENT_CHECK_INTERVAL):
                if os.getppid() != parent_pid:
                    return  # the main process is gone
                continue
            task = tasks.recv()
            if task is None:
                return
            if isinstance(task, ResumeIteration):
                if failure is None:
                    fetcher = fetcher_cls(dataset, auto_collation, collate_fn, drop_last)
                ended = False
                results.send((task, None))
                continue
            if ended:
                continue  # the stream is over: the main process no longer waits for this task
            task_id, index = task
            if failure is not None:
                data, failure = failure, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if fetcher_cls is not IterFetcher:
                        data = ExceptionWrapper(where=where)
                    else:
                        data, ended = IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where=where)
            try:
                results.send((task_id, data))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception:  # the batch could not be pickled: report that instead
                results.send((task_id, ExceptionWrapper(where=where)))
    except (KeyboardInterrupt, EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the main process is shutting down or gone
