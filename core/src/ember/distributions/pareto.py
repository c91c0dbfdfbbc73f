"""The Pareto (type I) distribution."""

from __future__ import annotations

from . import constraints
from ._params_transformed import ParamsTransformed
from .exponential import Exponential
from .transforms import AffineTransform, ExpTransform
from .utils import broadcast_all

__all__ = ["Pareto"]


class Pareto(ParamsTransformed):
    """The Pareto distribution on ``[scale, inf)`` with tail index ``alpha``: ``scale * exp(E)``, ``E ~ Exponential(alpha)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Pareto
        >>> d = Pareto(1.0, 3.0); d.log_prob(ember.tensor(2.0)), d.mean, d.variance
        (tensor(-1.6740), tensor(1.5000), tensor(0.7500))
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, [ExpTransform(), AffineTransform(0, self.scale)], validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)  # infinite for alpha <= 2
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
