"""The binomial distribution; samples are ``ember.binomial``'s (torch's draws on the host)."""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits, broadcast_all, softplus

__all__ = ["Binomial"]


class Binomial(ProbsOrLogits, Distribution):
    """The number of successes in ``total_count`` trials of success probability ``probs`` (or ``logits``).

    Example:
        >>> import ember
        >>> from ember.distributions import Binomial
        >>> d = Binomial(4, ember.tensor(0.5)); d.log_prob(ember.tensor(2.0)), d.mean
        (tensor(-0.9808), tensor(2.))
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        name, value = self._choose(probs, logits)
        total_count, param = broadcast_all(total_count, value)
        self.total_count = total_count.to(param.dtype)
        self.__dict__[name] = param
        super().__init__(param.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_choose = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return log_choose + value * logits - n * softplus(logits)

    def entropy(self):
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        """The counts ``0..total_count`` along a new leading dim (one common total count only).

        Example:
            >>> import ember
            >>> from ember.distributions import Binomial
            >>> Binomial(2, ember.tensor([0.1, 0.9])).enumerate_support().tolist()
            [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
        """
        total = int(self.total_count.max())
        if not self.total_count.min() == total:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        n = self.total_count
        values = ember.arange(1 + total, dtype=n.dtype, device=n.device).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
