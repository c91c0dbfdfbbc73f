"""The logistic-normal distribution on the simplex."""

from __future__ import annotations

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """``StickBreakingTransform()(X)`` for ``X ~ Normal(loc, scale)`` over the last dim: samples are
    ``K + 1``-simplex vectors for ``K`` normal coordinates (a scalar ``loc`` and ``scale`` give ``K = 1``).

    Example:
        >>> import ember
        >>> from ember.distributions import LogisticNormal
        >>> d = LogisticNormal(ember.zeros(2), ember.ones(2))
        >>> d.event_shape, d.log_prob(ember.tensor([0.25, 0.25, 0.5]))
        (ember.Size([3]), tensor(1.3054))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
