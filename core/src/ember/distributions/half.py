"""Half-normal and half-Cauchy distributions: ``|X|`` for a centred normal or Cauchy ``X``."""

from __future__ import annotations

import math

import ember

from . import constraints
from .cauchy import Cauchy
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfNormal", "HalfCauchy"]

_LOG2 = math.log(2)


class _Half(TransformedDistribution):
    """``|X|`` for ``X ~ base_type(0, scale)``: the density doubled on ``[0, inf)``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    base_type = None

    def __init__(self, scale, validate_args=None):
        base = self.base_type(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return ember.zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + _LOG2
        return ember.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - _LOG2


class HalfNormal(_Half):
    """The half-normal distribution: ``|X|`` for ``X ~ Normal(0, scale)``.

    Example:
        >>> import ember
        >>> from ember.distributions import HalfNormal
        >>> d = HalfNormal(2.0, validate_args=False); d.log_prob(ember.tensor([1.0, -1.0])), d.mean
        (tensor([-1.0439,    -inf]), tensor(1.5958))
    """

    base_type = Normal

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Half):
    """The half-Cauchy distribution: ``|X|`` for ``X ~ Cauchy(0, scale)`` (infinite mean and variance).

    Example:
        >>> import ember
        >>> from ember.distributions import HalfCauchy
        >>> d = HalfCauchy(1.0); d.log_prob(ember.tensor(1.0)), d.cdf(ember.tensor(1.0))
        (tensor(-1.1447), tensor(0.5000))
    """

    base_type = Cauchy

    @property
    def mean(self):
        return ember.full_like(self.scale, math.inf)

    @property
    def variance(self):
        return ember.full_like(self.scale, math.inf)
