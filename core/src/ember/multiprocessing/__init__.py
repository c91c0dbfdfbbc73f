"""``ember.multiprocessing``: Python's :mod:`multiprocessing` plus torch's ``spawn``/``start_processes``.

Everything in :mod:`multiprocessing` is re-exported (``Process``, ``Queue``, ``get_context``,
``set_start_method``, ``cpu_count`` ...). Tensors sent to another process are pickled (copied): Ember has no
shared-memory tensor storage, so the sharing-strategy calls only record the choice.

Example:
    >>> import ember.multiprocessing as mp
    >>> mp.cpu_count() >= 1, mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    (True, True)
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from .spawn import (
    ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, SpawnContext, spawn,
    start_processes,
)

__all__ = [*multiprocessing.__all__, "ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "SpawnContext", "spawn", "start_processes", "get_sharing_strategy",
           "set_sharing_strategy", "get_all_sharing_strategies"]

_STRATEGIES = {"file_descriptor", "file_system"} if sys.platform.startswith("linux") else {"file_system"}
_strategy = ["file_descriptor" if "file_descriptor" in _STRATEGIES else "file_system"]


def get_all_sharing_strategies():
    """The sharing strategies this platform supports (torch's names).

    Example:
        >>> import ember.multiprocessing as mp
        >>> "file_system" in mp.get_all_sharing_strategies()
        True
    """
    return set(_STRATEGIES)


def get_sharing_strategy():
    """The sharing strategy recorded by :func:`set_sharing_strategy` (torch's default for the platform).

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.get_sharing_strategy() in ("file_descriptor", "file_system")
        True
    """
    return _strategy[0]


def set_sharing_strategy(new_strategy):
    """Record a sharing strategy from :func:`get_all_sharing_strategies` (tensors are pickled either way).

    Example:
        >>> import ember.multiprocessing as mp
        >>> old = mp.get_sharing_strategy(); mp.set_sharing_strategy("file_system"); mp.get_sharing_strategy()
        'file_system'
        >>> mp.set_sharing_strategy(old)
    """
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}: expected one of {sorted(_STRATEGIES)}")
    _strategy[0] = new_strategy
