"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools

from . import _state


class _Mode:
    """Base of the grad-mode switches: a context manager and a decorator."""

    _enable = True

    def __enter__(self):
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._enable

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev
        return False

    def _clone(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Context manager and decorator that turns gradient recording off.

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _enable = False


class enable_grad(_Mode):
    """Context manager and decorator that turns gradient recording on.

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad(), ember.enable_grad():
        ...     (x * 2).requires_grad
        True
    """

    _enable = True


class set_grad_enabled(_Mode):
    """Turn gradient recording on or off; a function call, context manager or decorator.

    Example:
        >>> import ember
        >>> with ember.set_grad_enabled(False):
        ...     ember.is_grad_enabled()
        False
    """

    def __init__(self, mode):
        self._prev = _state.grad_enabled
        self._enable = bool(mode)
        _state.grad_enabled = self._enable

    def __call__(self, fn):
        _state.grad_enabled = self._prev  # used as a decorator: undo the constructor's effect
        return _Switch(self._enable)(fn)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev
        return False


class _Switch(_Mode):
    def __init__(self, enable):
        self._enable = enable

    def _clone(self):
        return _Switch(self._enable)


class inference_mode(_Mode):
    """Like :class:`no_grad`, for inference (``inference_mode(False)`` does nothing).

    Example:
        >>> import ember
        >>> with ember.inference_mode():
        ...     (ember.ones(2, requires_grad=True) * 2).requires_grad
        False
    """

    def __init__(self, mode=True):
        self._enable = not mode

    def __enter__(self):
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._enable and self._prev

    def _clone(self):
        return inference_mode(not self._enable)


def is_grad_enabled():
    """Whether gradient recording is on.

    Example:
        >>> import ember
        >>> ember.is_grad_enabled()
        True
    """
    return _state.grad_enabled


def is_inference_mode_enabled():
    """Whether an ``inference_mode`` block is active (approximated by grad mode being off).

    Example:
        >>> import ember
        >>> ember.is_inference_mode_enabled()
        False
    """
    return not _state.grad_enabled
