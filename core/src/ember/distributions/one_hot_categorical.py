"""One-hot categorical distributions, including the straight-through reparameterised one."""

from __future__ import annotations

from .._tensor import Size
from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A :class:`OneHotCategorical` whose :meth:`rsample` passes gradients to ``probs`` by the
    straight-through estimator (Bengio et al., 2013): the one-hot sample plus ``probs - probs.detach()``.

    Example:
        >>> import ember
        >>> from ember.distributions import OneHotCategoricalStraightThrough
        >>> p = ember.tensor([0.2, 0.8], requires_grad=True)
        >>> x = OneHotCategoricalStraightThrough(p).rsample()
        >>> (x * ember.tensor([1.0, 2.0])).sum().backward(); p.grad
        tensor([-0.8000,  0.2000])
    """

    has_rsample = True

    def rsample(self, sample_shape=Size()):
        probs = self._categorical.probs
        return self.sample(sample_shape) + (probs - probs.detach())
