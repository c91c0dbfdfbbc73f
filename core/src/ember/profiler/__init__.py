"""A minimal ``torch.profiler``: time every op, backward node and :class:`record_function` block on the host.

Example:
    >>> import ember
    >>> from ember.profiler import profile
    >>> with profile() as prof:
    ...     y = ember.ones(3) * 2 + 1
    >>> sorted(a.key for a in prof.key_averages())
    ['aten::add', 'aten::mul']
"""
import enum
import functools
import os
import socket
import time
import warnings

from . import _events
from ._events import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["profile", "ProfilerActivity", "ProfilerAction", "schedule", "tensorboard_trace_handler",
           "record_function", "supported_activities", "EventList", "FunctionEvent", "FunctionEventAvg"]


class ProfilerActivity(enum.Enum):
    """What to profile: ``CPU`` (host ops, the only activity Ember times) or ``CUDA`` (accepted, no device timeline).

    Example:
        >>> ProfilerActivity.CPU.name
        'CPU'
    """

    CPU = 0
    CUDA = 2


class ProfilerAction(enum.Enum):
    """What a :func:`schedule` asks of the profiler at a step.

    Example:
        >>> ProfilerAction.RECORD_AND_SAVE.value
        3
    """

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """The activities this build can profile.

    Example:
        >>> ProfilerActivity.CPU in supported_activities()
        True
    """
    return {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """torch's step schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle, ``warmup`` and ``active`` steps.

    The last active step of a cycle is ``RECORD_AND_SAVE`` (the trace is handed to ``on_trace_ready``);
    ``repeat=0`` cycles for ever.

    Example:
        >>> s = schedule(wait=1, warmup=1, active=2, repeat=1)
        >>> [s(i).name for i in range(5)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE', 'NONE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    return functools.partial(_scheduled_action, wait, warmup, active, repeat, skip_first, skip_first_wait)


def _scheduled_action(wait, warmup, active, repeat, skip_first, skip_first_wait, step):
    if step < 0:
        raise AssertionError(f"Step must be non-negative. Got {step}.")
    if step < skip_first:
        return ProfilerAction.NONE
    step -= skip_first
    if skip_first_wait:
        step += wait
    cycle = wait + warmup + active
    if repeat > 0 and step // cycle >= repeat:
        return ProfilerAction.NONE
    phase = step % cycle
    if phase < wait:
        return ProfilerAction.NONE
    if phase < wait + warmup:
        return ProfilerAction.WARMUP
    return ProfilerAction.RECORD if phase < cycle - 1 else ProfilerAction.RECORD_AND_SAVE


def _always_record(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` callback writing each trace to ``dir_name/<worker>.<time>.pt.trace.json``.

    Example:
        >>> import ember, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> with profile(on_trace_ready=tensorboard_trace_handler(d)):
        ...     _ = ember.ones(2) + 1
        >>> [f.endswith(".pt.trace.json") for f in os.listdir(d)]
        [True]
    """
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json"
        prof.export_chrome_trace(os.path.join(dir_name, name + (".gz" if use_gzip else "")))
    return handler


class record_function:
    """Label a block (context manager) or every call of a function (decorator) as its own profiler row.

    The ops run inside count in the block's total time.

    Example:
        >>> import ember
        >>> with profile() as prof:
        ...     with record_function("my_block"):
        ...         _ = ember.ones(2) + 1
        >>> [e.name for e in prof.events()]
        ['aten::add', 'my_block']
    """

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._frames = []

    def __enter__(self):
        rec = _events._active
        self._frames.append((rec, rec.begin(self.name, cat="user_annotation") if rec is not None else None))
        return self

    def __exit__(self, *exc):
        rec, frame = self._frames.pop()
        if rec is not None:
            rec.end(frame)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper


class profile:
    """torch's profiler: a context manager that times ops while its schedule says RECORD.

    ``step()`` marks the end of a training step; each step recorded shows as a ``ProfilerStep#N`` row when a
    schedule is given. ``on_trace_ready(prof)`` runs when a recording cycle ends (and on exit without schedule).

    Example:
        >>> import ember
        >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        ...     _ = ember.ones(2, 3) @ ember.ones(3, 4)
        >>> prof.key_averages(group_by_input_shape=True)[0].input_shapes
        [[2, 3], [3, 4]]
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None):
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule or _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.step_num = 0
        self._recorder = None
        self._step_frame = None
        self._events = EventList()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Begin profiling at step 0 (entering the context manager calls it)."""
        self.current_action = self.schedule(self.step_num)
        self._enter(self.current_action)

    def stop(self):
        """End profiling; a recording in progress is finished and handed to ``on_trace_ready``."""
        if self._recorder is not None:
            self._save()

    def step(self):
        """Mark the end of a step and act on the schedule's action for the next one.

        Example:
            >>> import ember
            >>> with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=1)) as prof:
            ...     for _ in range(3):
            ...         _ = ember.ones(2) + 1
            ...         prof.step()
            >>> sorted(e.name for e in prof.events())
            ['ProfilerStep#1', 'aten::add']
        """
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if self._recorder is not None and self._step_frame is not None:
            self._recorder.end(self._step_frame)
            self._step_frame = None
        if previous is ProfilerAction.RECORD_AND_SAVE or (
                self._recorder is not None and self.current_action in (ProfilerAction.NONE, ProfilerAction.WARMUP)):
            self._save()
        self._enter(self.current_action)

    def _enter(self, action):
        recording = action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if recording and self._recorder is None:
            self._recorder = _events.Recorder(self.record_shapes)
            self._recorder.start()
        if recording and self.record_steps:
            self._step_frame = self._recorder.begin(f"ProfilerStep#{self.step_num}", cat="user_annotation")

    def _save(self):
        rec, self._recorder = self._recorder, None
        if self._step_frame is not None:
            rec.end(self._step_frame)
            self._step_frame = None
        rec.stop()
        self._events = EventList(sorted(rec.events, key=lambda e: e.start_ns))
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def events(self):
        """The events of the last finished recording, in order of their end."""
        return EventList(sorted(self._events, key=lambda e: (e.end_ns, -e.start_ns)))

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """Per-key averages of the last recording (see :meth:`EventList.key_averages`).

        Example:
            >>> import ember
            >>> with profile() as prof:
            ...     _ = ember.ones(2) + 1
            >>> prof.key_averages()[0].count
            1
        """
        return self._events.key_averages(group_by_input_shape)

    def export_chrome_trace(self, path):
        """Write the last recording to ``path`` as Chrome trace JSON."""
        self._events.export_chrome_trace(path)
