"""Bernoulli and geometric distributions (one success probability per element)."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, broadcast_all, softplus, uniform_like

__all__ = ["Bernoulli", "Geometric"]


class _Binary(ProbsOrLogits, Distribution):
    """Distributions parametrised by one success probability (``probs``) or its log-odds (``logits``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, value = self._choose(probs, logits)
        (param,) = broadcast_all(value)
        self.__dict__[name] = param
        super().__init__(param.shape, validate_args=validate_args)

    def _entropy_per_trial(self):
        return softplus(self.logits) - self.probs * self.logits


class Bernoulli(_Binary, ExponentialFamily):
    """1 with probability ``probs`` and 0 otherwise (or give the log-odds ``logits``).

    Example:
        >>> import ember
        >>> from ember.distributions import Bernoulli
        >>> d = Bernoulli(ember.tensor([0.25])); d.log_prob(ember.tensor([1.0])), d.entropy()
        (tensor([-1.3863]), tensor([0.5623]))
    """

    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        return ember.where(p == 0.5, math.nan, (p >= 0.5).to(p.dtype))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            p = self.probs
            return (uniform_like(self._extended_shape(sample_shape), p) < p).to(p.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self):
        return self._entropy_per_trial()

    def enumerate_support(self, expand=True):
        """The values 0 and 1 along a new leading dim (expanded over the batch when ``expand``).

        Example:
            >>> import ember
            >>> from ember.distributions import Bernoulli
            >>> Bernoulli(ember.tensor([0.3, 0.6])).enumerate_support().shape
            ember.Size([2, 2])
        """
        p = self.probs
        values = ember.arange(2, dtype=p.dtype, device=p.device).reshape((2,) + (1,) * len(self._batch_shape))
        return values.expand((2,) + self._batch_shape) if expand else values

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        return softplus(x)


class Geometric(_Binary):
    """The number of failures before the first success, with success probability ``probs``.

    Example:
        >>> import ember
        >>> from ember.distributions import Geometric
        >>> Geometric(0.5).log_prob(ember.tensor([0.0, 2.0]))
        tensor([-0.6931, -2.0794])
    """

    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return 1 / self.probs - 1

    @property
    def mode(self):
        return ember.zeros_like(self.probs)

    @property
    def variance(self):
        return (1 / self.probs - 1) / self.probs

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            p = self.probs
            u = uniform_like(self._extended_shape(sample_shape), p).clamp(min=ember.finfo(p.dtype).tiny)
            return (u.log() / (-p).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self.probs
        failures = ember.where((p == 1) & (value == 0), 0.0, value * (-p).log1p())
        return failures + p.log()

    def entropy(self):
        return self._entropy_per_trial() / self.probs
