"""``ember.signal.windows``: torch's (scipy-style) window functions.

Every window ``w(n)`` is evaluated for ``n = 0 .. M - 1`` on the grid of ``N`` points, ``N = M`` when ``sym``
(symmetric, for filter design) and ``N = M + 1`` otherwise (periodic, for spectral analysis). Values are
computed on the host in float64 and cast once to ``dtype`` (float32 or float64; default: the default dtype).

Example:
    >>> import ember
    >>> ember.signal.windows.hann(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
"""

from __future__ import annotations

import math

import numpy as _np

from .. import _dtype

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _window(name, M, sym, dtype, layout, device, requires_grad, values):
    """A window tensor from ``values(n, N)`` (float64 numpy arrays in, float64 array out), checked like torch."""
    from .._creation import tensor

    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout not in (None, "strided"):
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dtype = dtype or _dtype.get_default_dtype()
    if dtype not in (_dtype.float32, _dtype.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    n = _np.arange(M, dtype=_np.float64)
    w = _np.ones(M) if M == 1 else values(n, M if sym else M + 1)
    return tensor(w, dtype=dtype, device=device, requires_grad=requires_grad)


def _phase(n, N):
    """The symmetric grid position ``2 n / (N - 1) - 1`` in [-1, 1]."""
    return 2 * n / (N - 1) - 1


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The generalized cosine window ``sum_k (-1)^k a[k] cos(2 pi k n / (N - 1))``.

    Example:
        >>> import ember
        >>> ember.signal.windows.general_cosine(5, a=[0.5, 0.5])
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")

    def values(n, N):
        angle = math.pi * (_phase(n, N) + 1)
        return sum((-1) ** k * c * _np.cos(k * angle) for k, c in enumerate(a))

    return _window("general_cosine", M, sym, dtype, layout, device, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The generalized Hamming window ``alpha - (1 - alpha) cos(2 pi n / (N - 1))``.

    Example:
        >>> import ember
        >>> ember.signal.windows.general_hamming(4, alpha=0.6)
        tensor([0.2000, 0.8000, 0.8000, 0.2000])
    """
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def _cosine_sum(name, coefficients, summary):
    def window(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
        return general_cosine(M, a=list(coefficients), sym=sym, dtype=dtype, layout=layout, device=device,
                              requires_grad=requires_grad)

    window.__name__ = window.__qualname__ = name
    window.__module__ = __name__
    window.__doc__ = f"""The {summary} window: :func:`general_cosine` with ``a = {list(coefficients)}``.

    Example:
        >>> import ember
        >>> ember.signal.windows.{name}(5).tolist()[2]
        1.0
    """
    return window


hann = _cosine_sum("hann", (0.5, 0.5), "Hann")
hamming = _cosine_sum("hamming", (0.54, 0.46), "Hamming")
blackman = _cosine_sum("blackman", (0.42, 0.5, 0.08), "Blackman")
nuttall = _cosine_sum("nuttall", (0.3635819, 0.4891775, 0.1365995, 0.0106411), "minimum 4-term Blackman-Harris (Nuttall)")


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular Bartlett window ``1 - |2 n / (N - 1) - 1|``.

    Example:
        >>> import ember
        >>> ember.signal.windows.bartlett(5)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window("bartlett", M, sym, dtype, layout, device, requires_grad, lambda n, N: 1 - _np.abs(_phase(n, N)))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The cosine (sine) window ``sin(pi (n + 0.5) / N)``.

    Example:
        >>> import ember
        >>> ember.signal.windows.cosine(4)
        tensor([0.3827, 0.9239, 0.9239, 0.3827])
    """
    return _window("cosine", M, sym, dtype, layout, device, requires_grad,
                   lambda n, N: _np.sin(math.pi * (n + 0.5) / N))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The exponential (Poisson) window ``exp(-|n - center| / tau)``; ``center`` defaults to ``(N - 1) / 2``.

    ``center`` may only be given for a periodic window (``sym=False``), as in torch.

    Example:
        >>> import ember
        >>> ember.signal.windows.exponential(3, tau=1.0)
        tensor([0.3679, 1.0000, 0.3679])
    """
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")

    def values(n, N):
        middle = (N - 1) / 2 if center is None else center
        return _np.exp(-_np.abs(n - middle) / tau)

    return _window("exponential", M, sym, dtype, layout, device, requires_grad, values)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Gaussian window ``exp(-(n - (N - 1) / 2)^2 / (2 std^2))``.

    Example:
        >>> import ember
        >>> ember.signal.windows.gaussian(3, std=1.0)
        tensor([0.6065, 1.0000, 0.6065])
    """
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, layout, device, requires_grad,
                   lambda n, N: _np.exp(-((n - (N - 1) / 2) ** 2) / (2 * std * std)))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (N - 1) - 1)^2)) / I0(beta)``.

    Example:
        >>> import ember
        >>> ember.signal.windows.kaiser(3, beta=0.0)
        tensor([1., 1., 1.])
    """
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values(n, N):
        r = _phase(n, N)
        return _np.i0(beta * _np.sqrt(_np.clip(1 - r * r, 0, None))) / _np.i0(beta)

    return _window("kaiser", M, sym, dtype, layout, device, requires_grad, values)
