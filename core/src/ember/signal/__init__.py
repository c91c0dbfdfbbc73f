"""``ember.signal``: signal-processing helpers; :mod:`ember.signal.windows` holds scipy-style window functions.

Example:
    >>> import ember
    >>> ember.signal.windows.hann(3)
    tensor([0., 1., 0.])
"""

from . import windows

__all__ = ["windows"]
