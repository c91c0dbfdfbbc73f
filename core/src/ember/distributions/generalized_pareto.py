"""The generalised Pareto distribution (peaks over a threshold), after TensorFlow Probability's."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, uniform_like

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Survival ``(1 + c z)^(-1/c)`` of ``z = (x - loc) / scale`` for concentration ``c`` (``exp(-z)`` at ``c = 0``).

    Special cases: exponential (``loc = c = 0``), Pareto (``c > 0``, ``loc = scale / c``) and uniform
    (``c = -1``). Concentrations within :func:`ember.isclose` of zero take the exponential limit.
    Samples invert the CDF at uniform draws, so they are reparameterised.

    Example:
        >>> import ember
        >>> from ember.distributions import GeneralizedPareto
        >>> d = GeneralizedPareto(ember.tensor(0.0), ember.tensor(2.0), ember.tensor(0.25))
        >>> d.log_prob(ember.tensor(1.0)), d.cdf(ember.tensor(1.0)), d.mean
        (tensor(-1.2821), tensor(0.3757), tensor(2.6667))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        c = self.concentration
        return constraints.interval(self.loc, ember.where(c < 0, self.loc - self.scale / c, math.inf))

    def _safe_concentration(self):
        """``(c == 0 up to isclose, c with those replaced by 1)``."""
        c = self.concentration
        at_zero = ember.isclose(c, ember.zeros_like(c))
        return at_zero, ember.where(at_zero, 1.0, c)

    def _z(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (value - self.loc) / self.scale

    def rsample(self, sample_shape=Size()):
        return self.icdf(uniform_like(self._extended_shape(sample_shape), self.loc))

    def log_prob(self, value):
        z = self._z(value)
        at_zero, c = self._safe_concentration()
        power = 1 / c + 1
        general = ember.where(power == 0, power, power * (c * z).log1p())
        return -self.scale.log() - ember.where(at_zero, z, general)

    def log_survival_function(self, value):
        """``log P(X > value)``.

        Example:
            >>> import ember
            >>> from ember.distributions import GeneralizedPareto
            >>> GeneralizedPareto(0.0, 1.0, 0.0).log_survival_function(ember.tensor(2.0))
            tensor(-2.)
        """
        z = self._z(value)
        at_zero, c = self._safe_concentration()
        return ember.where(at_zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value):
        """``log P(X <= value)``.

        Example:
            >>> import ember
            >>> from ember.distributions import GeneralizedPareto
            >>> GeneralizedPareto(0.0, 1.0, 0.0).log_cdf(ember.tensor(2.0))
            tensor(-0.1454)
        """
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        at_zero, c = self._safe_concentration()
        log_u = (-value).log1p()
        return ember.where(at_zero, self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self):
        c = self.concentration
        valid = c < 1
        return ember.where(valid, self.loc + self.scale / (1 - ember.where(valid, c, 0.5)), math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        c = self.concentration
        valid = c < 0.5
        safe = ember.where(valid, c, 0.25)
        return ember.where(valid, self.scale.pow(2) / ((1 - safe).pow(2) * (1 - 2 * safe)), math.nan)

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).broadcast_to(self._batch_shape)
