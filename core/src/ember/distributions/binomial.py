"""The binomial distribution.

Sampling: inversion by sequential search where ``n * min(p, 1-p) < 10``, Hormann's transformed
rejection (BTRS, J. Stat. Comput. Simul. 46, 1993) otherwise; ``p > 1/2`` samples ``n - k`` of
the mirrored distribution.
"""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits, broadcast_all, invert_discrete, rejection_sample, softplus, uniform_like

__all__ = ["Binomial"]

_INVERSION_BELOW = 10.0


def _btrs(n, p):
    """Binomial samples for ``n * p >= 10`` and ``p <= 1/2`` by transformed rejection."""
    q = 1 - p
    spq = (n * p * q).sqrt()
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    v_r = 0.92 - 4.2 / b
    m = ((n + 1) * p).floor()
    log_odds = (p / q).log()
    log_h_m = (m + 1).lgamma() + (n - m + 1).lgamma()

    def propose():
        u = uniform_like(n.shape, n) - 0.5
        v = uniform_like(n.shape, n)
        us = 0.5 - u.abs()
        k = ((2 * a / us + b) * u + c).floor()
        inside = (k >= 0) & (k <= n)
        quick = (us >= 0.07) & (v <= v_r)
        log_v = (v * alpha / (a / (us * us) + b)).log()
        exact = log_v <= log_h_m - (k + 1).lgamma() - (n - k + 1).lgamma() + (k - m) * log_odds
        return k, inside & (quick | exact)

    return rejection_sample(propose, n)


def binomial_sample(total_count, probs):
    """Binomial samples, one per element of the (same-shaped) ``total_count`` and ``probs``.

    Example:
        >>> import ember
        >>> from ember.distributions.binomial import binomial_sample
        >>> binomial_sample(ember.tensor([5.0, 5.0]), ember.tensor([0.0, 1.0]))
        tensor([0., 5.])
    """
    with ember.no_grad():
        n = total_count
        flip = probs > 0.5
        p = ember.where(flip, 1 - probs, probs)
        small = n * p < _INVERSION_BELOW
        k = ember.zeros_like(p)
        if bool(small.any()):
            ps = ember.where(small, p, 0.0)
            odds = ps / (1 - ps)
            k = invert_discrete(uniform_like(p.shape, p), (1 - ps) ** n, lambda j: (n - j + 1) / j * odds, limit=n)
        if not bool(small.all()):
            big = ember.where(small, 20.0, n), ember.where(small, 0.5, p)
            k = ember.where(small, k, _btrs(*big))
        return ember.where(flip, n - k, k)


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
        return binomial_sample(self.total_count.expand(shape), self.probs.detach().expand(shape))

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
