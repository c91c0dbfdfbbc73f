"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each switch is a context manager and a decorator (with or without parentheses:
``@ember.no_grad`` and ``@ember.no_grad()`` both work); decorated generator
functions run every step under the switch, as in torch.
"""

from __future__ import annotations

import functools
import inspect

from . import _state


class _Mode:
    """Base of the grad-mode switches: a context manager and a decorator.

    Subclasses define ``_enter()`` returning what ``_exit`` needs to restore.
    """

    def __new__(cls, *args, **kwargs):
        if cls._bare_decorator and len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])  # used as @no_grad without parentheses
        return super().__new__(cls)

    _bare_decorator = True

    def _enter(self):
        prev = _state.grad_enabled
        _state.grad_enabled = self._enable
        return prev

    def _exit(self, prev):
        _state.grad_enabled = prev

    def __enter__(self):
        self.__dict__.setdefault("_stack", []).append(self._enter())

    def __exit__(self, *exc):
        self._exit(self._stack.pop())
        return False

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:  # thrown in by the caller: forward it
                        with self.clone():
                            value = gen.throw(exc)
                    else:
                        with self.clone():
                            value = gen.send(sent)
            except StopIteration as stop:
                return stop.value

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
    """Turn gradient recording on or off: effective at once when called, undone when used as a context.

    Example:
        >>> import ember
        >>> with ember.set_grad_enabled(False):
        ...     ember.is_grad_enabled()
        False
        >>> ember.is_grad_enabled()
        True
    """

    _bare_decorator = False

    def __init__(self, mode):
        self._enable = bool(mode)
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._enable

    def __call__(self, fn):
        _state.grad_enabled = self._prev  # used as a decorator: undo the constructor's effect
        return super().__call__(fn)

    def clone(self):
        return _Switch(self._enable)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev
        return False


class _Switch(_Mode):
    """set_grad_enabled's decorator form: sets the mode on entry only."""

    _bare_decorator = False

    def __init__(self, enable):
        self._enable = enable

    def clone(self):
        return _Switch(self._enable)


class inference_mode(_Mode):
    """Like :class:`no_grad`, for inference; ``inference_mode(False)`` does nothing.

    Example:
        >>> import ember
        >>> with ember.inference_mode():
        ...     (ember.ones(2, requires_grad=True) * 2).requires_grad, ember.is_inference_mode_enabled()
        (False, True)
    """

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def _enter(self):
        prev = (_state.grad_enabled, _state.inference)
        if self.mode:
            _state.grad_enabled, _state.inference = False, True
        return prev

    def _exit(self, prev):
        _state.grad_enabled, _state.inference = prev

    def clone(self):
        return inference_mode(self.mode)


def is_grad_enabled():
    """Whether gradient recording is on.

    Example:
        >>> import ember
        >>> ember.is_grad_enabled()
        True
    """
    return _state.grad_enabled


def is_inference_mode_enabled():
    """Whether an ``inference_mode`` block is active (``no_grad`` alone does not count).

    Example:
        >>> import ember
        >>> with ember.no_grad():
        ...     ember.is_inference_mode_enabled()
        False
    """
    return _state.inference
