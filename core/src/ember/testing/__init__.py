"""Testing helpers: :func:`assert_close`, and the backend conformance suite (``ember.testing.conformance``).

Example:
    >>> import ember
    >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
"""

from __future__ import annotations

import numpy as _np

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_device=True, check_dtype=True,
                 msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` agree within dtype-based tolerances.

    Example:
        >>> import ember
        >>> ember.testing.assert_close(ember.ones(2), ember.ones(2))
    """
    import ember

    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)):
        for a, e in zip(actual, expected, strict=True):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, ember.Tensor) and isinstance(expected, ember.Tensor):
        if check_device and actual.device != expected.device:
            raise AssertionError(msg or f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.")
        if check_dtype and actual.dtype is not expected.dtype:
            raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.")
        if actual.shape != expected.shape:
            raise AssertionError(msg or f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.")
        dtype = actual.dtype.name
    else:
        dtype = "float64" if isinstance(actual, float) else "int64"
    if rtol is None:
        rtol, atol = _TOLERANCES.get(dtype, (0.0, 0.0))
    a, e = _host(actual), _host(expected)
    close = _np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not _np.all(close):
        bad = int(_np.size(close) - _np.count_nonzero(close))
        err = _np.max(_np.abs(a.astype(_np.float64) - e.astype(_np.float64))) if a.size else 0.0
        raise AssertionError(msg or f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {_np.size(close)}\n"
                                    f"Greatest absolute difference: {err} (up to {atol} allowed)")


def _host(x):
    import ember

    if isinstance(x, ember.Tensor):
        x = x.detach().cpu()._host()
        return _np.asarray(x, dtype=_np.float32) if x.dtype.name == "bfloat16" else _np.asarray(x)
    return _np.asarray(x)


__all__ = ["assert_close"]
