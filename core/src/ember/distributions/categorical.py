"""Categorical distributions over ``K`` classes: as class indices and as one-hot vectors."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits

__all__ = ["Categorical", "OneHotCategorical"]


class Categorical(ProbsOrLogits, Distribution):
    """Class indices ``0..K-1`` drawn with (unnormalised) ``probs`` or ``logits`` along the last dim.

    Example:
        >>> import ember
        >>> from ember.distributions import Categorical
        >>> d = Categorical(ember.tensor([1.0, 3.0]))
        >>> d.probs, d.log_prob(ember.tensor(1)), d.entropy()
        (tensor([0.2500, 0.7500]), tensor(-0.2877), tensor(0.5623))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _binary = False

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, param = self._choose(probs, logits)
        if param.dim() < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if name == "probs":
            param = param / param.sum(-1, keepdim=True)
        else:
            param = param - param.logsumexp(-1, keepdim=True)
        self.__dict__[name] = param
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def _nan(self):
        p = self.param_like
        return ember.full(self._batch_shape, math.nan, dtype=p.dtype, device=p.device)

    @property
    def param_like(self):
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.logits

    @property
    def mean(self):
        return self._nan()

    @property
    def variance(self):
        return self._nan()

    @property
    def mode(self):
        return self.param_like.argmax(-1)

    def sample(self, sample_shape=Size()):
        with ember.no_grad():  # torch's draws: one multinomial over the flattened batch
            probs = self.probs.reshape(-1, self._num_events)
            draws = ember.multinomial(probs, max(1, math.prod(Size(sample_shape))), True).t()
            return draws[:math.prod(Size(sample_shape))].reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = ember.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=ember.finfo(self.logits.dtype).min)
        return -(self.probs * logits).sum(-1)

    def enumerate_support(self, expand=True):
        """The class indices ``0..K-1`` along a new leading dim.

        Example:
            >>> import ember
            >>> from ember.distributions import Categorical
            >>> Categorical(ember.ones(2, 3)).enumerate_support().tolist()
            [[0, 0], [1, 1], [2, 2]]
        """
        k = self._num_events
        values = ember.arange(k, device=self.param_like.device).reshape((k,) + (1,) * len(self._batch_shape))
        return values.expand((k,) + self._batch_shape) if expand else values


class OneHotCategorical(Distribution):
    """One-hot vectors of length ``K`` whose hot index is :class:`Categorical`.

    Example:
        >>> import ember
        >>> from ember.distributions import OneHotCategorical
        >>> d = OneHotCategorical(ember.tensor([0.2, 0.8]))
        >>> d.log_prob(ember.tensor([0.0, 1.0])), d.sample().shape
        (tensor(-0.2231), ember.Size([2]))
    """

    arg_constraints = Categorical.arg_constraints
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, new._categorical.batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def _one_hot(self, index):
        k = self._event_shape[0]
        return (index.unsqueeze(-1) == ember.arange(k, device=index.device)).to(self.probs.dtype)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return self._one_hot(self._categorical.mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        return self._one_hot(self._categorical.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        """The ``K`` one-hot vectors along a new leading dim.

        Example:
            >>> import ember
            >>> from ember.distributions import OneHotCategorical
            >>> OneHotCategorical(ember.ones(2)).enumerate_support().tolist()
            [[1.0, 0.0], [0.0, 1.0]]
        """
        k = self._event_shape[0]
        values = self._one_hot(ember.arange(k, device=self.probs.device))
        values = values.reshape((k,) + (1,) * len(self._batch_shape) + (k,))
        return values.expand((k,) + self._batch_shape + (k,)) if expand else values
