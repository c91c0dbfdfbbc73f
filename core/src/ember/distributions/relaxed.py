"""Relaxed (concrete / Gumbel-softmax) Bernoulli and one-hot categorical distributions, with
reparameterised samples: their logit / log-space versions and the transformed ones."""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform
from .utils import ProbsOrLogits, broadcast_all, clamp_probs, uniform_like

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    """The logit of a :class:`RelaxedBernoulli` sample: ``(logits + logistic noise) / temperature``.

    Example:
        >>> import ember
        >>> from ember.distributions.relaxed import LogitRelaxedBernoulli
        >>> LogitRelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor(0.3)).log_prob(ember.tensor(0.0))
        tensor(-2.2538)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        name, value = self._choose(probs, logits)
        (param,) = broadcast_all(value)
        self.__dict__[name] = param
        super().__init__(param.shape, validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        probs = clamp_probs(self.probs.expand(self._extended_shape(sample_shape)))
        u = clamp_probs(uniform_like(probs.shape, probs))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class _Relaxed(TransformedDistribution):
    """A relaxed distribution: ``transform`` of a ``base_type(temperature, probs, logits)`` sample."""

    has_rsample = True
    base_type = transform = None

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = self.base_type(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, self.transform(), validate_args=validate_args)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_Relaxed):
    """A continuous relaxation of :class:`Bernoulli` on ``(0, 1)``: the sigmoid of a
    :class:`LogitRelaxedBernoulli` sample; lower ``temperature`` is closer to the discrete one.

    Example:
        >>> import ember
        >>> from ember.distributions import RelaxedBernoulli
        >>> d = RelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor(0.3))
        >>> d.log_prob(ember.tensor(0.5)), d.rsample((2,)).shape
        (tensor(-0.8675), ember.Size([2]))
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    base_type, transform = LogitRelaxedBernoulli, SigmoidTransform


class ExpRelaxedCategorical(Distribution):
    """The log of a :class:`RelaxedOneHotCategorical` sample: ``log_softmax((logits + Gumbel noise) / temperature)``.

    Example:
        >>> import ember
        >>> from ember.distributions.relaxed import ExpRelaxedCategorical
        >>> d = ExpRelaxedCategorical(ember.tensor(1.0), probs=ember.tensor([0.5, 0.5]))
        >>> d.log_prob(ember.tensor([0.5, 0.5]).log())
        tensor(-1.3863)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=Size()):
        logits = self.logits
        u = clamp_probs(uniform_like(self._extended_shape(sample_shape), logits))
        gumbels = -((-u.log()).log())
        scores = (logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        t = self.temperature
        # log Gamma(K) + (K - 1) log t + sum_i (score_i - logsumexp(score)), score = logits - t * value
        log_scale = ember.full_like(t, float(k)).lgamma() + (k - 1) * t.log()
        logits, value = ember.broadcast_tensors(self.logits, value)
        score = logits - value * t
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """A continuous relaxation of :class:`OneHotCategorical` on the simplex (the Gumbel-softmax /
    concrete distribution): ``exp`` of an :class:`ExpRelaxedCategorical` sample.

    Example:
        >>> import ember
        >>> from ember.distributions import RelaxedOneHotCategorical
        >>> d = RelaxedOneHotCategorical(ember.tensor(1.0), probs=ember.tensor([0.5, 0.5]))
        >>> x = d.rsample((3,)); d.log_prob(ember.tensor([0.5, 0.5])), x.shape, bool(x.sum(-1).allclose(ember.ones(3)))
        (tensor(0.), ember.Size([3, 2]), True)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    base_type, transform = ExpRelaxedCategorical, ExpTransform
