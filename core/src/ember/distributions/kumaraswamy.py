"""The Kumaraswamy distribution on the unit interval."""

from __future__ import annotations

import math

import ember

from . import constraints
from ._params_transformed import ParamsTransformed
from .gumbel import EULER_GAMMA
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["Kumaraswamy"]


def _moment(a, b, n):
    """``E[X^n] = b * B(1 + n / a, b)``."""
    s = 1 + n / a
    return b * (s.lgamma() + b.lgamma() - (s + b).lgamma()).exp()


class Kumaraswamy(ParamsTransformed):
    """The Kumaraswamy distribution: density ``a b x^(a-1) (1 - x^a)^(b-1)`` on ``(0, 1)``, with
    ``a = concentration1`` and ``b = concentration0``; samples ``(1 - U^(1/b))^(1/a)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Kumaraswamy
        >>> d = Kumaraswamy(2.0, 3.0); d.log_prob(ember.tensor(0.5)), d.mean
        (tensor(0.5232), tensor(0.4571))
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base = Uniform(ember.zeros_like(self.concentration0), ember.ones_like(self.concentration0),
                       validate_args=validate_args)
        transforms = [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                      PowerTransform(self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    @property
    def mean(self):
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        # ((a - 1) / (a b - 1)) ** (1 / a) for a, b >= 1 (not both 1), in log space; undefined otherwise
        a, b = self.concentration1, self.concentration0
        log_mode = ((a - 1).log() - (a * b - 1).log()) / a
        return ember.where((a < 1) | (b < 1), math.nan, log_mode.exp())

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _moment(a, b, 2) - _moment(a, b, 1).pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = (b + 1).digamma() + EULER_GAMMA
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - a.log() - b.log()
