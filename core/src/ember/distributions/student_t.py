"""Student's t distribution."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .utils import broadcast_all, normal_like

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` and scaled by ``scale``.

    Samples are ``loc + scale * Z / sqrt(V / df)`` with ``V ~ Chi2(df)``, so they are reparameterised.

    Example:
        >>> import ember
        >>> from ember.distributions import StudentT
        >>> StudentT(3.0).log_prob(ember.tensor([0.0, 1.0]))
        tensor([-1.0009, -1.5763])
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        return ember.where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        return ember.where(df > 2, finite, ember.where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        z = normal_like(shape, self.df)  # drawn before the gammas, as torch does
        chi2 = Chi2(self.df).rsample(sample_shape)
        return self.loc + self.scale * (z * (chi2 / self.df).rsqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                + (0.5 * df).lgamma() - (0.5 * (df + 1)).lgamma())
        return -0.5 * (df + 1) * (y * y / df).log1p() - norm

    def entropy(self):
        df = self.df
        log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
                + 0.5 * df.log() + log_beta)
