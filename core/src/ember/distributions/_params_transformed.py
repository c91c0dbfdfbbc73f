"""A base for transformed distributions that keep their own batch-shaped parameters."""

from __future__ import annotations

from .transformed_distribution import TransformedDistribution


class ParamsTransformed(TransformedDistribution):
    """A :class:`TransformedDistribution` whose parameters (the ``arg_constraints`` names) are
    attributes of its own, expanded along with the base distribution.

    Example:
        >>> from ember.distributions import Gumbel
        >>> Gumbel(0.0, 1.0).expand((2,)).scale
        tensor([1., 1.])
    """

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        for name in self.arg_constraints:
            new.__dict__[name] = self.__dict__[name].expand(batch_shape)
        return new
