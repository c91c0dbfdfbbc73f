"""The Cauchy (Lorentz) distribution."""

from __future__ import annotations

import math

import ember

from ._loc_scale import LocScale

__all__ = ["Cauchy"]


class Cauchy(LocScale):
    """The Cauchy distribution with median ``loc`` and half-width ``scale`` (no mean or variance).

    Example:
        >>> import ember
        >>> from ember.distributions import Cauchy
        >>> Cauchy(0.0, 1.0).cdf(ember.tensor([0.0, 1.0]))
        tensor([0.5000, 0.7500])
    """

    _entropy = math.log(4 * math.pi)

    @staticmethod
    def _draw(shape, like):
        return ember.empty(shape, dtype=like.dtype, device=like.device).cauchy_()  # torch's draws

    @staticmethod
    def _log_density(z):
        return -math.log(math.pi) - (z * z).log1p()

    @staticmethod
    def _cdf(z):
        return z.atan() / math.pi + 0.5

    @staticmethod
    def _icdf(p):
        return (math.pi * (p - 0.5)).tan()

    @property
    def mean(self):
        return ember.full_like(self.loc, math.nan)

    @property
    def variance(self):
        return ember.full_like(self.loc, math.inf)
