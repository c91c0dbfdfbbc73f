"""``ember.cpu``: torch.cpu's device-module API for the host, so device-agnostic code
(``getattr(ember, device.type).synchronize()``, ``ember.cpu.amp.autocast()``) runs.

The CPU is always available and is one device; streams and events are no-op stand-ins (work runs in order).

Example:
    >>> import ember
    >>> ember.cpu.is_available(), ember.cpu.device_count(), ember.cpu.current_device()
    (True, 1, 'cpu')
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
import warnings

from . import _dtype

__all__ = [
    "is_available", "is_initialized", "device_count", "current_device", "set_device", "synchronize", "current_stream",
    "stream", "Stream", "Event", "StreamContext", "amp", "get_capabilities",
]


def is_available():
    """True: the CPU is always there.

    Example:
        >>> import ember
        >>> ember.cpu.is_available()
        True
    """
    return True


def is_initialized():
    """True: nothing needs initializing for the CPU.

    Example:
        >>> import ember
        >>> ember.cpu.is_initialized()
        True
    """
    return True


def device_count():
    """1: the host counts as one device, whatever its number of cores.

    Example:
        >>> import ember
        >>> ember.cpu.device_count()
        1
    """
    return 1


def current_device():
    """``'cpu'``.

    Example:
        >>> import ember
        >>> ember.cpu.current_device()
        'cpu'
    """
    return "cpu"


def set_device(device):
    """Accepted and ignored (there is only one CPU device).

    Example:
        >>> import ember
        >>> ember.cpu.set_device("cpu")
    """


def synchronize(device=None):
    """Return at once: CPU ops have finished when they return.

    Example:
        >>> import ember
        >>> ember.cpu.synchronize()
    """


class Stream:
    """A no-op stream so device-agnostic stream code runs on the CPU.

    Example:
        >>> import ember
        >>> s = ember.cpu.Stream(); s.wait_stream(ember.cpu.current_stream())
    """

    def __init__(self, priority=-1):
        pass

    def wait_stream(self, stream):
        """Nothing to wait for."""

    def record_event(self):
        """Nothing to record."""

    def wait_event(self, event):
        """Nothing to wait for."""


class Event:
    """A no-op event: always complete.

    Example:
        >>> import ember
        >>> e = ember.cpu.Event(); e.record(); e.query()
        True
    """

    def query(self):
        """True: CPU work is done when it returns."""
        return True

    def record(self, stream=None):
        """Nothing to record."""

    def synchronize(self):
        """Nothing to wait for."""

    def wait(self, stream=None):
        """Nothing to wait for."""


_current_stream = [Stream()]


def current_stream(device=None):
    """The stream made current by :func:`stream` (a default :class:`Stream` outside one).

    Example:
        >>> import ember
        >>> isinstance(ember.cpu.current_stream(), ember.cpu.Stream)
        True
    """
    return _current_stream[0]


class StreamContext(contextlib.AbstractContextManager):
    """Context manager that makes ``stream`` the one :func:`current_stream` returns inside the block.

    Example:
        >>> import ember
        >>> s = ember.cpu.Stream()
        >>> with ember.cpu.StreamContext(s):
        ...     ember.cpu.current_stream() is s
        True
    """

    def __init__(self, stream):
        self.stream = stream
        self._previous = None

    def __enter__(self):
        if self.stream is not None:
            self._previous = _current_stream[0]
            _current_stream[0] = self.stream
        return self

    def __exit__(self, *exc):
        if self.stream is not None:
            _current_stream[0] = self._previous
        return False


def stream(stream):
    """``StreamContext(stream)``: make ``stream`` current inside a ``with`` block.

    Example:
        >>> import ember
        >>> with ember.cpu.stream(ember.cpu.Stream()):
        ...     pass
    """
    return StreamContext(stream)


def get_capabilities():
    """A dict describing the host CPU: ``architecture``, ``num_logical_cores`` (what Ember can tell portably).

    Example:
        >>> import ember
        >>> ember.cpu.get_capabilities()["num_logical_cores"] >= 1
        True
    """
    import platform

    return {"architecture": platform.machine(), "num_logical_cores": os.cpu_count() or 1}


# --- ember.cpu.amp: torch's deprecated spellings of ember.amp.autocast("cpu") / GradScaler("cpu") ----------------
def _deprecated(kind):
    warnings.warn(f"`torch.cpu.amp.{kind}(args...)` is deprecated. Please use `torch.amp.{kind}('cpu', args...)` "
                  "instead.", FutureWarning, stacklevel=3)


def _make_amp():
    from .amp import autocast_mode, grad_scaler

    class autocast(autocast_mode.autocast):
        """``ember.amp.autocast("cpu", ...)`` (deprecated spelling: FutureWarning, as in torch).

        Example:
            >>> import ember, warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     with ember.cpu.amp.autocast():
            ...         (ember.ones(2, 2) @ ember.ones(2, 2)).dtype
            ember.bfloat16
        """

        def __init__(self, enabled=True, dtype=_dtype.bfloat16, cache_enabled=True):
            _deprecated("autocast")
            super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class GradScaler(grad_scaler.GradScaler):
        """``ember.amp.GradScaler("cpu", ...)`` (deprecated spelling: FutureWarning, as in torch).

        Example:
            >>> import ember, warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     ember.cpu.amp.GradScaler().get_scale()
            65536.0
        """

        def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            _deprecated("GradScaler")
            super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    for cls in (autocast, GradScaler):
        cls.__module__ = __name__ + ".amp"
        cls.__qualname__ = cls.__name__
    module = types.ModuleType(__name__ + ".amp", "``ember.cpu.amp``: ``autocast`` and ``GradScaler`` for the CPU.")
    module.autocast, module.GradScaler, module.__all__ = autocast, GradScaler, ["autocast", "GradScaler"]
    sys.modules[module.__name__] = module
    return module


def __getattr__(name):
    if name == "amp":
        globals()["amp"] = module = _make_amp()
        return module
    raise AttributeError(f"module 'ember.cpu' has no attribute '{name}'")
