"""The two-parameter Weibull distribution."""

from __future__ import annotations

import ember

from . import constraints
from ._params_transformed import ParamsTransformed
from .exponential import Exponential
from .gumbel import EULER_GAMMA
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all

__all__ = ["Weibull"]


class Weibull(ParamsTransformed):
    """The Weibull distribution: ``scale * E ** (1 / concentration)`` for ``E ~ Exponential(1)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Weibull
        >>> d = Weibull(1.0, 2.0); d.log_prob(ember.tensor(1.0)), d.mean
        (tensor(-0.3069), tensor(0.8862))
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        base = Exponential(ember.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(self.concentration.reciprocal()), AffineTransform(0, self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * (1 + self.concentration.reciprocal()).lgamma().exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        inv = self.concentration.reciprocal()
        return self.scale.pow(2) * ((1 + 2 * inv).lgamma().exp() - (2 * (1 + inv).lgamma()).exp())

    def entropy(self):
        inv = self.concentration.reciprocal()
        return EULER_GAMMA * (1 - inv) + (self.scale * inv).log() + 1
