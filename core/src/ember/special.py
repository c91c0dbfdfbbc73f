"""Special functions under torch's ``torch.special`` names.

Example:
    >>> import ember
    >>> ember.special.expit(ember.tensor([0.0])), ember.special.gammaln(ember.tensor([3.0]))
    (tensor([0.5000]), tensor([0.6931]))
"""

from __future__ import annotations

import math

from .ops import elementwise as _E
from .ops.elementwise import exp2, expm1, log1p, logit, round, sinc, xlogy  # noqa: F401
from .ops.special import digamma, erf, erfc, erfinv, i0, i0e, i1, i1e, polygamma  # noqa: F401
from .ops.special import lgamma as gammaln  # noqa: F401
from .ops.special import mvlgamma as _mvlgamma

expit = _E.sigmoid
psi = digamma

# defined by other op families; looked up when first used
_ELSEWHERE = ("logsumexp", "softmax", "log_softmax")


def __getattr__(name):
    if name in _ELSEWHERE:
        import ember

        return getattr(ember, name)
    raise AttributeError(f"module 'ember.special' has no attribute '{name}'")


def multigammaln(input, p):
    """The multivariate log-gamma function of dimension ``p`` (``ember.mvlgamma``).

    Example:
        >>> import ember
        >>> ember.special.multigammaln(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    return _mvlgamma(input, p)


def xlog1py(input, other):
    """``input * log1p(other)``, taken as 0 where ``input == 0`` (unless ``other`` is nan).

    Example:
        >>> import ember
        >>> ember.special.xlog1py(ember.tensor([0.0, 2.0]), ember.tensor([-1.0, 1.0]))
        tensor([0.0000, 1.3863])
    """
    x, y = _E._float_pair("xlog1py", input, other)
    return x * _E.where((x == 0) & (y == y), 0.0, y).log1p()


def entr(input):
    """The elementwise entropy term ``-x log x`` (0 at 0, -inf for negative x).

    Example:
        >>> import ember
        >>> ember.special.entr(ember.tensor([0.0, 0.5, -1.0]))
        tensor([0.0000, 0.3466,   -inf])
    """
    x = _E._floating(input)
    positive = x > 0
    inner = -x * _E.where(positive, x, 1.0).log()
    return _E.where(positive, inner, _E.where(x == 0, 0.0, -math.inf))


def ndtr(input):
    """The standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``, accurate in the left tail.

    Example:
        >>> import ember
        >>> ember.special.ndtr(ember.tensor([0.0, 1.0]))
        tensor([0.5000, 0.8413])
    """
    return erfc(_E._floating(input) * -math.sqrt(0.5)) * 0.5


def ndtri(input):
    """The inverse of :func:`ndtr`: the standard normal quantile of ``p``.

    Example:
        >>> import ember
        >>> ember.special.ndtri(ember.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return erfinv(_E._floating(input) * 2 - 1) * math.sqrt(2)


__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
           "i0", "i0e", "i1", "i1e", "xlogy", "xlog1py", "log1p", "expm1", "exp2", "sinc", "entr", "round",
           "ndtr", "ndtri", *_ELSEWHERE]
