"""torch's ``spawn``/``start_processes``: run ``fn(i, *args)`` in ``nprocs`` processes and surface failures.

A child that raises writes its traceback to a temporary file and exits with code 1; joining then stops the
other children and raises :class:`ProcessRaisedException` carrying that traceback (or
:class:`ProcessExitedException` for a child that exited with another code or was killed by a signal).

Example:
    >>> import ember.multiprocessing as mp
    >>> issubclass(mp.ProcessRaisedException, mp.ProcessException)
    True
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
import warnings

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException", "SpawnContext",
           "spawn", "start_processes"]


class ProcessException(Exception):
    """A child process of :func:`spawn` failed; ``error_index`` and ``error_pid`` say which.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.ProcessException("boom", 1, 1234).error_index
        1
    """

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child process raised an exception; the message holds its traceback.

    Example:
        >>> import ember.multiprocessing as mp
        >>> str(mp.ProcessRaisedException("trace", 0, 1))
        'trace'
    """


class ProcessExitedException(ProcessException):
    """A child process exited with a non-zero code or was killed by a signal (``exit_code``, ``signal_name``).

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.ProcessExitedException("process 0 terminated with exit code 3", 0, 1, 3).exit_code
        3
    """

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _run(fn, index, args, error_file):
    """The child's entry point: ``fn(index, *args)``, its traceback to ``error_file`` on failure."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # interrupted by the parent stopping the group
    except Exception:
        import traceback

        with open(error_file, "w") as fh:
            fh.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes started by :func:`start_processes`; :meth:`join` waits for them and raises on failure.

    Example:
        >>> import ember.multiprocessing as mp
        >>> ctx = mp.ProcessContext([], []); ctx.join(), ctx.pids()
        (True, [])
    """

    def __init__(self, processes, error_files, error_dir=None):
        self.processes = processes
        self.error_files = error_files
        self.error_dir = error_dir  # a temporary folder holding error_files, removed once all are joined
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        """The process ids of the children.

        Example:
            >>> import ember.multiprocessing as mp
            >>> mp.ProcessContext([], []).pids()
            []
        """
        return [int(process.pid) for process in self.processes]

    def _stop_all(self, grace_period):
        alive = [p for p in self.processes if p.is_alive()]
        for p in alive:
            p.terminate()
        deadline = time.monotonic() + (grace_period or 0)
        for p in alive:
            p.join(max(0.0, deadline - time.monotonic()) if grace_period else None)
            if p.is_alive():
                p.kill()
                p.join()

    def join(self, timeout=None, grace_period=None):
        """Wait up to ``timeout`` seconds; True once every child has exited cleanly, False while some still run.

        When a child fails, the others are terminated (after ``grace_period`` seconds, then killed) and a
        :class:`ProcessRaisedException` or :class:`ProcessExitedException` is raised.

        Example:
            >>> import ember.multiprocessing as mp
            >>> mp.ProcessContext([], []).join(timeout=0)
            True
        """
        if not self.sentinels:
            self._remove_error_files()
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            if not self.sentinels:
                self._remove_error_files()
            return not self.sentinels
        self._stop_all(grace_period)
        self.sentinels.clear()
        process = self.processes[failed]
        trace = self._read_error(failed)
        self._remove_error_files()
        if trace:
            raise ProcessRaisedException(f"\n\n-- Process {failed:d} terminated with the following error:\n{trace}",
                                         failed, process.pid)
        code = process.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed:d} terminated with signal {name}", failed, process.pid,
                                         code, name)
        raise ProcessExitedException(f"process {failed:d} terminated with exit code {code:d}", failed, process.pid,
                                     code)

    def _read_error(self, index):
        try:
            with open(self.error_files[index]) as fh:
                return fh.read()
        except OSError:
            return ""

    def _remove_error_files(self):
        for path in self.error_files:
            if os.path.exists(path):
                os.remove(path)
        if self.error_dir is not None and os.path.isdir(self.error_dir):
            os.rmdir(self.error_dir)


SpawnContext = ProcessContext  # torch's deprecated name


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)`` with ``start_method``; join them unless ``join=False``.

    Returns None after a successful join, else the :class:`ProcessContext`. With ``"spawn"`` or
    ``"forkserver"``, ``fn`` must be importable (defined at module level).

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.start_processes(print, nprocs=0) is None
        True
    """
    ctx = multiprocessing.get_context(start_method)
    directory = tempfile.mkdtemp(prefix="ember_spawn_")
    processes, error_files = [], []
    for index in range(nprocs):
        error_file = os.path.join(directory, f"{index}.err")  # the child creates it only on failure
        process = ctx.Process(target=_run, args=(fn, index, args, error_file), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(error_file)
    context = ProcessContext(processes, error_files, directory)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)`` in fresh ``spawn``-ed processes (torch's API).

    Other ``start_method`` values give a FutureWarning and still use ``spawn``, as in torch; use
    :func:`start_processes` for fork/forkserver.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.spawn(print, nprocs=0) is None
        True
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\nTo use a different "
                      "start_method use:\n\t\t torch.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
