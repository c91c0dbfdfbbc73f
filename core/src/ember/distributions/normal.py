"""The normal (Gaussian) distribution."""

from __future__ import annotations

import math

import ember

from ._loc_scale import LocScale
from .exp_family import ExponentialFamily
from .utils import normal_like

__all__ = ["Normal"]

_SQRT2 = math.sqrt(2)


class Normal(LocScale, ExponentialFamily):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``.

    Example:
        >>> import ember
        >>> from ember.distributions import Normal
        >>> Normal(0.0, 1.0).log_prob(ember.tensor([0.0, 1.0]))
        tensor([-0.9189, -1.4189])
    """

    _draw = staticmethod(normal_like)
    _entropy = 0.5 + 0.5 * math.log(2 * math.pi)
    _mean_carrier_measure = 0

    @staticmethod
    def _log_density(z):
        return -0.5 * z * z - 0.5 * math.log(2 * math.pi)

    @staticmethod
    def _cdf(z):
        return 0.5 * (1 + ember.erf(z / _SQRT2))

    @staticmethod
    def _icdf(p):
        return ember.erfinv(2 * p - 1) * _SQRT2

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    @property
    def _natural_params(self):
        precision = self.scale.pow(-2)
        return self.loc * precision, -0.5 * precision

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()
