"""``ember.cuda.amp``: torch's older spellings, ``autocast`` and ``GradScaler`` fixed to the cuda device.

Example:
    >>> import ember
    >>> ember.cuda.amp.GradScaler(enabled=False).get_scale()
    1.0
"""

from __future__ import annotations

from .. import _dtype
from . import autocast_mode, grad_scaler

__all__ = ["autocast", "GradScaler"]


class autocast(autocast_mode.autocast):
    """``ember.autocast("cuda", ...)``.

    Example:
        >>> import ember
        >>> with ember.cuda.amp.autocast(enabled=False):
        ...     ember.is_autocast_enabled("cuda")
        False
    """

    def __init__(self, enabled=True, dtype=_dtype.float16, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(grad_scaler.GradScaler):
    """``ember.amp.GradScaler("cuda", ...)``.

    Example:
        >>> import ember
        >>> ember.cuda.amp.GradScaler(enabled=False).is_enabled()
        False
    """

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
