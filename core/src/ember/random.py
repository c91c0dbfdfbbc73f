"""``ember.random``: the generator functions under torch's ``torch.random`` names, and ``fork_rng``.

Example:
    >>> import ember
    >>> with ember.random.fork_rng():
    ...     _ = ember.rand(3)  # draws inside do not move the outer stream
    >>> _ = ember.random.manual_seed(0)
"""

from __future__ import annotations

import contextlib

from ._random import Generator, _defaults, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._random import default_generator as _default

__all__ = ["Generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]


def __getattr__(name):
    if name == "default_generator":  # the CPU generator object, as torch.random.default_generator
        return _default("cpu")
    raise AttributeError(f"module 'ember.random' has no attribute '{name}'")


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, device_type=None):
    """Restore the CPU generator (and the default generators of ``devices``, all used ones if None) on exit.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> with ember.random.fork_rng():
        ...     inside = ember.rand(2)
        >>> bool((ember.rand(2) == inside).all())
        True
    """
    if not enabled:
        yield
        return
    generators = {_default("cpu")}
    if devices is None:
        generators.update(_defaults.values())
    else:  # device indices of ``device_type`` (cuda by default) or device names
        generators.update(_default(f"{device_type or 'cuda'}:{d}" if isinstance(d, int) else d) for d in devices)
    states = [(g, g.get_state()) for g in generators]
    try:
        yield
    finally:
        for g, state in states:
            g.set_state(state)
