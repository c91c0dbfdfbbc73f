"""The multinomial distribution: category counts of ``total_count`` categorical draws."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Counts per category of ``total_count`` independent draws from ``Categorical(probs or logits)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Multinomial
        >>> d = Multinomial(4, ember.tensor([0.25, 0.75]))
        >>> d.log_prob(ember.tensor([1.0, 3.0])), d.mean, d.sample((5,)).sum(-1)
        (tensor(-0.8630), tensor([1., 3.]), tensor([4., 4., 4., 4., 4.]))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = self._binomial.expand(tuple(batch_shape) + tuple(self._event_shape))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            draws = self._categorical.sample(Size((self.total_count,)) + Size(tuple(sample_shape)))
            draws = draws.movedim(0, -1)  # (sample, batch, total_count)
            counts = ember.zeros(self._extended_shape(sample_shape), dtype=self.probs.dtype, device=draws.device)
            return counts.scatter_add(-1, draws, ember.ones_like(draws, dtype=counts.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = ember.broadcast_tensors(self.logits, value)
        logits = ember.where((value == 0) & (logits == -math.inf), 0.0, logits)  # 0 * log(0) counts as 0
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        # H = n H(categorical) - log n! + sum_i E[log x_i!], with x_i ~ Binomial(n, p_i)
        n = self.total_count
        counts = self._binomial.enumerate_support(expand=False)[1:]
        weights = self._binomial.log_prob(counts).exp() * (counts + 1).lgamma()
        return n * self._categorical.entropy() - math.lgamma(n + 1) + weights.sum((0, -1))
