"""Mixtures whose components are one batched distribution, weighted by a categorical distribution."""

from __future__ import annotations

import ember

from .._tensor import Size
from . import constraints
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """A mixture of the ``K`` components batched along the last batch dim of ``component_distribution``,
    weighted by ``mixture_distribution`` (a :class:`Categorical` over ``K``).

    Example:
        >>> import ember
        >>> from ember.distributions import Categorical, MixtureSameFamily, Normal
        >>> mix = Categorical(ember.tensor([0.25, 0.75]))
        >>> d = MixtureSameFamily(mix, Normal(ember.tensor([-1.0, 1.0]), ember.tensor([1.0, 0.5])))
        >>> d.log_prob(ember.tensor(1.0)), d.mean, d.variance
        (tensor(-0.4912), tensor(0.5000), tensor(1.1875))
    """

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution need to be an instance of torch.distributions.Distribution")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        mixture_batch = mixture_distribution.batch_shape
        batch = component_distribution.batch_shape[:-1]
        for m, c in zip(reversed(mixture_batch), reversed(batch), strict=False):  # right-aligned, as broadcasting
            if m != 1 and c != 1 and m != c:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape`({batch})")
        k_mix = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k_mix != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k_mix}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._num_component = k_mix
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(tuple(batch_shape))
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new._component_distribution = self._component_distribution.expand(batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component, new._event_ndims = self._num_component, self._event_ndims
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self):
        return self._component_distribution.support

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _weights(self, probs):
        """Mixture weights ``(..., K)`` shaped to broadcast against the components' ``(..., K, *event)``."""
        return probs.reshape(probs.shape + (1,) * self._event_ndims)

    def _over_components(self, x):
        """Sum over the component dim (the one just left of the event dims)."""
        return x.sum(-1 - self._event_ndims)

    @property
    def mean(self):
        probs = self._weights(self._mixture_distribution.probs)
        return self._over_components(probs * self._component_distribution.mean)

    @property
    def variance(self):
        # law of total variance: E[Var(X | k)] + Var(E[X | k])
        probs = self._weights(self._mixture_distribution.probs)
        comp = self._component_distribution
        spread = (comp.mean - self.mean.unsqueeze(-1 - self._event_ndims)).pow(2)
        return self._over_components(probs * comp.variance) + self._over_components(probs * spread)

    def _pad(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self._component_distribution.log_prob(self._pad(x))
        log_weights = self._mixture_distribution.logits.log_softmax(-1)
        return (log_prob_x + log_weights).logsumexp(-1)

    def cdf(self, x):
        cdf_x = self._component_distribution.cdf(self._pad(x))
        return (cdf_x * self._mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            sample_shape = Size(tuple(sample_shape))
            event = self._event_shape
            which = self._mixture_distribution.sample(sample_shape)
            which = which.expand(sample_shape + self._batch_shape)
            which = which.reshape(which.shape + (1,) * (len(event) + 1)).expand(which.shape + (1,) + event)
            draws = self._component_distribution.sample(sample_shape)  # (sample, batch, K, *event)
            dim = len(sample_shape) + len(self._batch_shape)
            return draws.gather(dim, which).squeeze(dim)

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  {self._component_distribution!r})")
