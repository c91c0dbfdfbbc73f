"""``ember.cuda.Stream`` and ``ember.cuda.Event`` with torch's names, over CuPy's."""

from __future__ import annotations

import contextlib

import cupy


class Stream:
    """A CUDA stream; ``with stream:`` makes it current for the ops inside.

    Args:
        device: the device index (None: the current device).
        priority: lower numbers run first (as in CUDA); 0 is the default priority.
    """

    def __init__(self, device=None, priority=0):
        with cupy.cuda.Device(device) if device is not None else contextlib.nullcontext():
            self._s = cupy.cuda.Stream(non_blocking=True, priority=priority)
        self.device_index = self._s.device_id

    @classmethod
    def wrap(cls, cupy_stream):
        """A Stream over an existing CuPy stream (e.g. the current one)."""
        s = cls.__new__(cls)
        s._s, s.device_index = cupy_stream, cupy_stream.device_id
        return s

    def query(self):
        return self._s.done

    def synchronize(self):
        self._s.synchronize()

    def wait_event(self, event):
        self._s.wait_event(event._e)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = event or Event()
        event.record(self)
        return event

    def __enter__(self):
        self._s.__enter__()
        return self

    def __exit__(self, *exc):
        return self._s.__exit__(*exc)


class Event:
    """A CUDA event: ``record`` it on a stream, then ``synchronize``/``query``/``elapsed_time``."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._e = cupy.cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)

    def record(self, stream=None):
        self._e.record(None if stream is None else stream._s)

    def wait(self, stream=None):
        (cupy.cuda.get_current_stream() if stream is None else stream._s).wait_event(self._e)

    def query(self):
        return self._e.done

    def synchronize(self):
        self._e.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and ``end_event`` (both recorded, timing enabled)."""
        return cupy.cuda.get_elapsed_time(self._e, end_event._e)

