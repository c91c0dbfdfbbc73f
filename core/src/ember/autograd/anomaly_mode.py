"""Anomaly detection: remember where each node was made, and stop at the first NaN gradient."""

from __future__ import annotations

import functools
import warnings

from . import _state


class detect_anomaly:
    """Context manager and decorator turning anomaly detection on (warns that it is slow, like torch).

    Nodes made inside record the Python stack of their forward call. A backward
    that fails is annotated with that stack, and with ``check_nan`` a backward
    producing NaN raises ``RuntimeError`` naming the node and the forward call.

    Example:
        >>> import warnings, ember
        >>> x = ember.tensor([0.0], requires_grad=True)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with ember.autograd.detect_anomaly():
        ...         y = (x.sqrt() * 0).sum()
        ...         try:
        ...             y.backward()
        ...         except RuntimeError as e:
        ...             print(str(e).splitlines()[0])
        Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.__dict__.setdefault("_stack", []).append((_state.anomaly, _state.anomaly_check_nan))
        _state.anomaly, _state.anomaly_check_nan = True, self.check_nan

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._stack.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once when called, restored when used as a context manager.

    Example:
        >>> import ember
        >>> with ember.autograd.set_detect_anomaly(True):
        ...     ember.autograd.is_anomaly_enabled()
        True
        >>> ember.autograd.is_anomaly_enabled()
        False
    """

    def __init__(self, mode, check_nan=True):
        self._prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly, _state.anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev
        return False


def is_anomaly_enabled():
    """Whether anomaly detection is on.

    Example:
        >>> import ember
        >>> ember.autograd.is_anomaly_enabled()
        False
    """
    return _state.anomaly


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks backward results for NaN.

    Example:
        >>> import ember
        >>> ember.autograd.is_anomaly_check_nan_enabled()
        True
    """
    return _state.anomaly_check_nan
