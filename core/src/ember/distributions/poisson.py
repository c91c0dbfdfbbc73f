"""The Poisson distribution.

Sampling: inversion by sequential search for rates below 10, Hormann's transformed rejection
with squeeze (PTRS, Insurance: Math. Econ. 12, 1993) above.
"""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, invert_discrete, rejection_sample, uniform_like

__all__ = ["Poisson"]

_INVERSION_BELOW = 10.0


def _ptrs(rate):
    """Poisson samples for rates >= 10 by transformed rejection."""
    slam = rate.sqrt()
    log_rate = rate.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_inv_alpha = (1.1239 + 1.1328 / (b - 3.4)).log()
    v_r = 0.9277 - 3.6224 / (b - 2)

    def propose():
        u = uniform_like(rate.shape, rate) - 0.5
        v = uniform_like(rate.shape, rate)
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + rate + 0.43).floor()
        quick = (us >= 0.07) & (v <= v_r)
        bounded = (k >= 0) & ((us >= 0.013) | (v <= us))
        hat = v.log() + log_inv_alpha - (a / (us * us) + b).log()
        exact = bounded & (hat <= -rate + k * log_rate - (k + 1).lgamma())
        return k, (quick | exact) & k.isfinite()

    return rejection_sample(propose, rate)


def poisson_sample(rate):
    """Poisson samples, one per element of ``rate`` (float, same dtype).

    Example:
        >>> import ember
        >>> from ember.distributions.poisson import poisson_sample
        >>> poisson_sample(ember.tensor([0.0, 0.0]))
        tensor([0., 0.])
    """
    with ember.no_grad():
        small = rate < _INVERSION_BELOW
        out = ember.zeros_like(rate)
        if bool(small.any()):
            lam = ember.where(small, rate, 0.0)
            out = invert_discrete(uniform_like(rate.shape, rate), (-lam).exp(), lambda k: lam / k)
        if not bool(small.all()):
            out = ember.where(small, out, _ptrs(ember.where(small, _INVERSION_BELOW, rate)))
        return out


class Poisson(Distribution):
    """Counts with mean ``rate``: ``P(k) = rate^k e^-rate / k!``.

    Example:
        >>> import ember
        >>> from ember.distributions import Poisson
        >>> Poisson(2.0).log_prob(ember.tensor([0.0, 3.0]))
        tensor([-2.0000, -1.7123])
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        return poisson_sample(self.rate.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ember.xlogy(value, rate) - rate - (value + 1).lgamma()
