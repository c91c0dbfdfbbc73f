"""The legacy ``torch.autograd.profiler`` API on top of :mod:`ember.profiler`.

Example:
    >>> import ember
    >>> with ember.autograd.profiler.profile() as prof:
    ...     _ = ember.ones(2) * 3
    >>> [a.key for a in prof.key_averages()]
    ['aten::mul']
"""
from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function
from ..profiler import profile as _profile

__all__ = ["profile", "record_function", "emit_nvtx", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """Record every op while enabled; ``use_cuda`` is accepted (Ember times host work only).

    Example:
        >>> import ember
        >>> with profile(enabled=False) as prof:
        ...     _ = ember.ones(2) * 3
        >>> len(prof.key_averages())
        0
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory, with_stack=with_stack)
        self.enabled = enabled

    def start(self):
        if self.enabled:
            super().start()

    def table(self, sort_by=None, row_limit=100, header=None, top_level_events_only=False):
        """The key averages as torch's text table."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, header=header)

    @property
    def function_events(self):
        """All recorded events."""
        return self.events()


class emit_nvtx:
    """No-op stand-in for torch's NVTX range emitter (Ember emits no NVTX ranges).

    Example:
        >>> with emit_nvtx():
        ...     pass
    """

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
