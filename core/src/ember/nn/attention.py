"""``ember.nn.attention``: torch's switches for ``scaled_dot_product_attention`` backends.

Ember has one attention implementation per device, so ``sdpa_kernel`` checks its arguments and
records the choice (``current_backends``) without changing the computation, whichever backends are
named; the results are those of torch's math backend.

Example:
    >>> import ember
    >>> from ember.nn.attention import SDPBackend, sdpa_kernel
    >>> q = ember.ones(1, 2, 3, 4)
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     ember.nn.functional.scaled_dot_product_attention(q, q, q).shape
    ember.Size([1, 2, 3, 4])
"""

from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The attention backends torch names (``ember.nn.attention.SDPBackend.MATH`` and so on).

    Example:
        >>> int(SDPBackend.FLASH_ATTENTION)
        1
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_ALL = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH, SDPBackend.CUDNN_ATTENTION]
_current = [list(_ALL)]


def current_backends():
    """The backends the innermost :func:`sdpa_kernel` allows (all of them outside any).

    Example:
        >>> SDPBackend.MATH in current_backends()
        True
    """
    return list(_current[-1])


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Allow only ``backends`` (one or a list) inside the block, as torch's context manager.

    Example:
        >>> with sdpa_kernel([SDPBackend.MATH, SDPBackend.EFFICIENT_ATTENTION]):
        ...     len(current_backends())
        2
    """
    chosen = [backends] if isinstance(backends, SDPBackend) else list(backends)
    if not all(isinstance(b, SDPBackend) for b in chosen):
        raise AssertionError("Backend must be an instance of SDPBackend")
    _current.append(chosen)
    try:
        yield {}
    finally:
        _current.pop()
