"""torch's CPU samplers for one gamma, Poisson or binomial draw, written out in Python.

Each takes ``uniform()`` (a double on ``[0, 1)``, torch's ``uniform_real_distribution<double>``),
``normal()`` (torch's scalar-path standard normal, with the generator's one-value cache),
``number`` (the kernel's ``scalar_t``: ``float`` for float64, ``numpy.float32`` otherwise) and the
element's parameters as ``number`` values. The arithmetic keeps torch's types: the parameters'
own sums and products stay in ``scalar_t`` (float32 roundings for a float32 tensor) and the rest
is double, so the accept/reject decisions, and hence the draws consumed, are torch's.

Example:
    >>> import numpy
    >>> draws = iter([0.9, 0.5, 0.1])
    >>> poisson(lambda: next(draws), None, float, 1.0)  # 0.9 and 0.9 * 0.5 stay above e**-1
    2
"""

from __future__ import annotations

import math

import numpy as _np

_THIRD = float(_np.float32(1) / _np.float32(3))  # torch's float literals, widened to double
_SQUEEZE = float(_np.float32(0.0331))
_TINY = {float: float(_np.finfo(_np.float64).tiny), _np.float32: float(_np.finfo(_np.float32).tiny)}
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287)


def _log(x):
    """``log(x)`` with ``log(0) = -inf``, as in C."""
    return math.log(x) if x > 0 else -math.inf


def gamma(uniform, normal, number, alpha):
    """One ``Gamma(alpha, 1)`` draw: Marsaglia and Tsang's squeeze-rejection method, ``alpha < 1``
    boosted to ``alpha + 1`` by a factor ``(1 - u) ** (1 / alpha)``; at least the smallest normal number.

    Example:
        >>> draws = iter([0.5])
        >>> round(gamma(lambda: next(draws), lambda: 0.0, float, 4.0), 6)  # x = 0 is accepted at once
        3.666667
    """
    sample, scale = 0.0, 1.0
    if alpha != 0:
        if alpha < 1:
            scale = (1.0 - uniform()) ** float(number(1) / alpha)
            alpha = alpha + number(1)
        d = float(alpha - number(_THIRD))
        if not d > 0:  # NaN or below -2/3: torch's loop would never end
            return math.nan
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = normal()
            y = 1.0 + c * x
            while y <= 0:
                x = normal()
                y = 1.0 + c * x
            v = y * y * y
            u = 1.0 - uniform()
            xx = x * x
            if u < 1.0 - _SQUEEZE * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
                sample = float(number(scale * d * v))
                break
    return max(sample, _TINY[number])


def poisson(uniform, normal, number, rate):
    """One Poisson draw: multiplied uniforms for rates below 10, Hormann's transformed rejection
    with squeeze (PTRS) from 10 up. Raises for a negative or NaN rate, as torch does.

    Example:
        >>> poisson(None, None, float, 0.0)
        0
    """
    lam = float(rate)
    if not lam >= 0:
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    if lam >= 10:
        return _ptrs(uniform, lam)
    if lam == 0:
        return 0
    limit, product, k = math.exp(-lam), 1.0, 0
    while True:
        product *= uniform()
        if product <= limit:
            return k
        k += 1


def _ptrs(uniform, lam):
    """Poisson for ``lam >= 10`` by transformed rejection (Hormann 1993)."""
    log_lam = math.log(lam)
    b = 0.931 + 2.53 * math.sqrt(lam)
    a = -0.059 + 0.02483 * b
    log_inv_alpha = math.log(1.1239 + 1.1328 / (b - 3.4))
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        if us == 0:  # k = floor(-inf): rejected
            continue
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if _log(v) + log_inv_alpha - math.log(a / (us * us) + b) <= -lam + k * log_lam - math.lgamma(k + 1.0):
            return k


def binomial(uniform, normal, number, count, prob):
    """One binomial draw of ``count`` trials: 0 for ``count <= 0`` or ``prob <= 0``, ``count`` for
    ``prob >= 1``, NaN for a NaN ``prob``; otherwise, with ``p = min(prob, 1 - prob)``, geometric
    waiting times while ``count * p < 10`` and Hormann's BTRS from there (mirrored for ``prob > 1/2``).

    Example:
        >>> binomial(None, None, float, 7.0, 1.0), binomial(None, None, float, 7.0, 0.0)
        (7.0, 0)
    """
    if count <= 0 or prob <= 0:
        return 0
    if prob >= 1:
        return count
    if not prob > 0.5:
        if prob != prob:
            return math.nan
        return _btrs(uniform, number, count, prob) if count * prob >= 10 else _inversion(uniform, number, count, prob)
    q = number(1.0 - float(prob))
    return count - (_btrs(uniform, number, count, q) if count * q >= 10 else _inversion(uniform, number, count, q))


def _inversion(uniform, number, count, p):
    """Successes before the geometric waiting times (ceil(log u / log(1 - p))) add up past ``count``."""
    log_q = math.log1p(-p) if number is float else float(_np.log1p(-p))
    total, k = 0.0, number(0)
    while True:
        t = _log(uniform()) / log_q
        total += t if t == math.inf else math.ceil(t)
        if total > count:
            return k
        k = k + 1


def _stirling_tail(k):
    """``log k! - (Stirling's approximation)``: a table to 9, the asymptotic series above."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(uniform, number, count, p):
    """Binomial for ``count * p >= 10``, ``p <= 1/2`` by transformed rejection (Hormann 1993, BTRS),
    with the acceptance bound in terms of Stirling tails as torch writes it."""
    spq = float(_np.sqrt(count * p * (1 - p))) if number is not float else math.sqrt(count * p * (1 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * float(p)
    c = float(count * p) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(p / (1 - p))
    alpha = (2.83 + 5.1 / b) * spq
    m = float(math.floor((count + 1) * p))
    n = float(count)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        if us == 0:  # k = floor(-inf): rejected
            continue
        k = number(math.floor((2 * a / us + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        left = k + 1
        rest = count - k + 1
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + float(count + 1) * math.log((n - m + 1) / float(rest))
                 + (float(k) + 0.5) * math.log(r * float(rest) / float(left))
                 + _stirling_tail(m) + _stirling_tail(n - m) - _stirling_tail(float(k)) - _stirling_tail(float(count - k)))
        if _log(v * alpha / (a / (us * us) + b)) <= bound:
            return k
