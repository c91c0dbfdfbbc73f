"""DataLoader: batches from a dataset, loaded in the main process or in worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing import connection as _mpc

from . import _worker
from ._collate import default_collate, default_convert
from ._worker import ExceptionWrapper, IterableDatasetStopIteration, IterFetcher, MapFetcher, ResumeIteration
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, draw_seed

__all__ = ["DataLoader"]

# How long a clean shutdown waits for workers to exit before terminating them (seconds).
SHUTDOWN_GRACE = 2.0


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: an iterable dataset's "indices" (its workers just take the next samples)."""

    def __iter__(self):
        while True:
            yield None


def _resolve_context(ctx):
    if ctx is None:
        return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                             f"but got multiprocessing_context={ctx!r}")
        return multiprocessing.get_context(ctx)
    if not isinstance(ctx, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={ctx}")
    return ctx


class DataLoader:
    """Iterate over ``dataset`` in batches, optionally shuffled, optionally with worker processes.

    ``batch_size=None`` turns batching off (samples go through ``default_convert``).
    With ``num_workers > 0`` each worker is a process (``fork`` on Linux unless
    ``multiprocessing_context`` says otherwise) seeded with ``base_seed + worker_id``
    (Python's ``random``, numpy's global RNG and ember's default generator), where
    ``base_seed`` is drawn from ``generator`` (or ember's default generator) when
    iteration starts: the same seed gives the same batches for any ``num_workers``.
    A worker exception is re-raised in the main process with the worker's
    traceback; a worker that dies or exceeds ``timeout`` raises ``RuntimeError``.
    ``pin_memory`` is accepted and has no effect.

    Example:
        >>> import ember
        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(ember.arange(5), ember.arange(5) * 10)
        >>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
        [[0, 10], [20, 30], [40]]
        >>> len(DataLoader(ds, batch_size=2, drop_last=True))
        2
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle not in (None, False)), ("sampler", sampler is not None),
                                ("batch_sampler", batch_sampler is not None)):
                if value:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={locals()[name]}")
        elif shuffle not in (None, False) and sampler is not None:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self.__initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            ctx = _resolve_context(ctx)
        self.__multiprocessing_context = ctx

    def __setattr__(self, name, value):
        if self.__initialized and name in self._frozen:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        if not (self.persistent_workers and self.num_workers > 0):
            return self._get_iterator()
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = self._get_iterator()
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._fetcher_cls = IterFetcher if isinstance(loader.dataset, IterableDataset) else MapFetcher
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = draw_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)

    def _new_fetcher(self):
        return self._fetcher_cls(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = self._new_fetcher()

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


def _describe_exit(code):
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-code} ({name})"
    return f"exited with exit code {code}"


class _MultiProcessIter(_BaseIter):
    """Tasks go to workers round-robin, at most ``prefetch_factor`` per worker ahead of the consumer."""

    def __init__(self, loader):
        super().__init__(loader)
        n = self._num_workers = loader.num_workers
        self._max_outstanding = loader.prefetch_factor * n
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._workers, self._task_conns, self._result_conns = [], [], []
        self._running = []  # per worker: not yet told to exit
        self._shutdown = False
        ctx = loader.multiprocessing_context or _resolve_context(None)
        try:
            for wid in range(n):
                self._start_worker(ctx, wid, loader.worker_init_fn)
        except BaseException:
            self._shutdown_workers(force=True)
            raise
        self._reset(loader, first_iter=True)

    def _start_worker(self, ctx, wid, init_fn):
        task_in, task_out = ctx.Pipe(duplex=False)
        result_in, result_out = ctx.Pipe(duplex=False)
        w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
            wid, self._num_workers, self._dataset, self._fetcher_cls, self._auto_collation, self._collate_fn,
            self._drop_last, self._base_seed, init_fn, task_in, result_out, os.getpid()))
        self._task_conns.append(task_out)
        self._result_conns.append(result_in)
        w.start()
        self._workers.append(w)
        self._running.append(True)
        task_in.close()
        result_out.close()

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        n = self._num_workers
        self._next_task = 0
        self._pending = {}  # task id -> worker id: sent, not answered yet
        self._ready = {}  # task id -> data: answered, not yielded yet
        self._active = [True] * n  # workers whose (iterable) stream has not ended
        self._cycle = itertools.cycle(range(n))
        self._sampler_done = False
        if not first_iter:
            # persistent workers: each echoes the resume marker after any stale results of the last epoch
            for conn in self._task_conns:
                conn.send(ResumeIteration())
            waiting = set(range(n))
            while waiting:
                wid, (task_id, _) = self._receive(None)
                if isinstance(task_id, ResumeIteration):
                    waiting.discard(wid)
        for _ in range(self._max_outstanding):
            self._send_task()

    def _send_task(self):
        if self._sampler_done or len(self._pending) + len(self._ready) >= self._max_outstanding:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        try:
            self._task_conns[wid].send((self._next_task, index))
        except OSError:  # BrokenPipeError: the worker died since its last message
            self._fail(self._death_message(wid))
        self._pending[self._next_task] = wid
        self._next_task += 1

    def __next__(self):
        try:
            return super().__next__()
        except KeyboardInterrupt:
            self._shutdown_workers(force=True)
            raise

    def _next_data(self):
        while True:
            if self._in_order:
                if not self._pending and not self._ready:
                    break
                want = min(itertools.chain(self._pending, self._ready))
                if want in self._ready:
                    return self._deliver(self._ready.pop(want))
            else:
                if self._ready:
                    return self._deliver(self._ready.pop(next(iter(self._ready))))
                if not self._pending:
                    break
                want = None
            self._collect(want)
        if not self._persistent:
            self._shutdown_workers()
        raise StopIteration

    def _deliver(self, data):
        self._send_task()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _collect(self, want):
        """Receive one message from a worker into ``self._ready`` (``want``: the task waited for, if any)."""
        wid, (task_id, data) = self._receive(want)
        if isinstance(data, IterableDatasetStopIteration):
            self._active[wid] = False
            for t in [t for t, w in self._pending.items() if w == wid]:
                del self._pending[t]  # that worker skips the tasks it still had
            if not self._persistent:
                self._stop_worker(wid)
            self._send_task()
            return
        if self._pending.pop(task_id, None) is not None:
            self._ready[task_id] = data

    def _receive(self, want):
        """``(worker_id, message)`` of the next message; raises if a worker dies or ``timeout`` passes."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            live = [w for w in range(self._num_workers) if self._running[w]]
            conns = {self._result_conns[w]: w for w in live}
            sentinels = {self._workers[w].sentinel: w for w in live}
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._fail(self._timeout_message(want))
            ready = _mpc.wait([*conns, *sentinels], timeout=remaining)
            for obj in ready:
                wid = conns.get(obj)
                if wid is not None:
                    try:
                        return wid, obj.recv()
                    except EOFError:
                        self._fail(self._death_message(wid))
            for obj in ready:
                wid = sentinels.get(obj)
                if wid is not None and not self._result_conns[wid].poll():
                    self._fail(self._death_message(wid))

    def _death_message(self, wid):
        w = self._workers[wid]
        w.join(SHUTDOWN_GRACE)
        return f"DataLoader worker {wid} (pid {w.pid}) exited unexpectedly: {_describe_exit(w.exitcode)}"

    def _timeout_message(self, want):
        if want is not None:
            where = f"worker {self._pending[want]} has not produced batch {want}"
        else:
            waits = sorted(self._pending.items())
            where = "still waiting on " + ", ".join(f"worker {w} for batch {t}" for t, w in waits)
        return f"DataLoader timed out after {self._timeout} seconds: {where}"

    def _fail(self, message):
        self._shutdown_workers(force=True)
        raise RuntimeError(message)

    def _stop_worker(self, wid):
        if self._running[wid]:
            self._running[wid] = False
            try:
                self._task_conns[wid].send(None)
            except OSError:
                pass

    def _shutdown_workers(self, force=False):
        """Stop every worker: ask them to exit, wait a little (not when ``force``), then terminate."""
        if self._shutdown:
            return
        self._shutdown = True
        for wid in range(len(self._workers)):
            self._stop_worker(wid)
        deadline = time.monotonic() + (0 if force else SHUTDOWN_GRACE)
        for w in self._workers:
            w.join(max(0.0, deadline - time.monotonic()))
            if w.is_alive():
                w.terminate()
                w.join()
        for conn in itertools.chain(self._task_conns, self._result_conns):
            conn.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
