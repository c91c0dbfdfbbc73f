"""The negative binomial distribution."""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import ProbsOrLogits, broadcast_all, softplus

__all__ = ["NegativeBinomial"]


class NegativeBinomial(ProbsOrLogits, Distribution):
    """The number of successes before ``total_count`` failures, each trial succeeding with ``probs``.

    ``P(k) = C(k + r - 1, k) p^k (1 - p)^r`` with ``r = total_count``; sampled as a gamma-Poisson mixture.

    Example:
        >>> import ember
        >>> from ember.distributions import NegativeBinomial
        >>> d = NegativeBinomial(3.0, ember.tensor(0.4)); d.log_prob(ember.tensor(2.0)), d.mean
        (tensor(-1.5733), tensor(2.))
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        name, value = self._choose(probs, logits)
        total_count, param = broadcast_all(total_count, value)
        self.total_count = total_count.to(param.dtype)
        self.__dict__[name] = param
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            rate = Gamma(self.total_count, (-self.logits).exp(), validate_args=False).sample(sample_shape)
            return ember.poisson(rate)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r, logits = self.total_count, self.logits
        log_unnormalized = -r * softplus(logits) - value * softplus(-logits)
        log_normalization = (r + value).lgamma() - (1 + value).lgamma() - r.lgamma()
        log_normalization = ember.where(r + value == 0, 0.0, log_normalization)
        return log_unnormalized + log_normalization
