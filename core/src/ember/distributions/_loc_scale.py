"""Location-scale families ``loc + scale * Z``: each subclass states only the standard variable Z."""

from __future__ import annotations

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class LocScale(Distribution):
    """Base of ``loc + scale * Z`` families (Normal, Laplace, Cauchy).

    Subclasses define, for the standard variable Z: ``_draw(shape, like)``, ``_log_density(z)``,
    ``_cdf(z)``, ``_icdf(p)`` and the float ``_entropy``.

    Example:
        >>> import ember
        >>> from ember.distributions import Laplace
        >>> Laplace(ember.zeros(2), 2.0).scale
        tensor([2., 2.])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def rsample(self, sample_shape=Size()):
        z = self._draw(self._extended_shape(sample_shape), self.loc)
        return self.loc + z * self.scale

    def _standardise(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (value - self.loc) / self.scale

    def log_prob(self, value):
        return self._log_density(self._standardise(value)) - self.scale.log()

    def cdf(self, value):
        return self._cdf(self._standardise(value))

    def icdf(self, value):
        return self.loc + self.scale * self._icdf(value)

    def entropy(self):
        return self.scale.log() + self._entropy
