"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import math

import ember

from ._loc_scale import LocScale
from .utils import uniform_like

__all__ = ["Laplace"]


class Laplace(LocScale):
    """The Laplace distribution: density ``exp(-|x - loc| / scale) / (2 scale)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Laplace
        >>> Laplace(0.0, 1.0).cdf(ember.tensor([0.0, 1.0]))
        tensor([0.5000, 0.8161])
    """

    _entropy = 1 + math.log(2)

    @staticmethod
    def _draw(shape, like):
        u = uniform_like(shape, like, ember.finfo(like.dtype).eps - 1, 1.0)
        return -u.sign() * (-u.abs()).log1p()

    @staticmethod
    def _log_density(z):
        return -z.abs() - math.log(2)

    @staticmethod
    def _cdf(z):
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    @staticmethod
    def _icdf(p):
        t = p - 0.5
        return -t.sign() * (-2 * t.abs()).log1p()

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale.pow(2)
