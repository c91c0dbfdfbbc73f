"""The von Mises (circular normal) distribution.

Sampling: Best and Fisher's wrapped-Cauchy rejection method (Appl. Statist. 28, 1979), run in
float64 so that tiny concentrations still accept.
"""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["VonMises"]


def _log_i0(k):
    """``log I0(k)`` from the exponentially scaled Bessel function (no overflow)."""
    return ember.special.i0e(k).log() + k


class VonMises(Distribution):
    """The von Mises distribution of angles (radians) around ``loc`` with ``concentration`` kappa:
    density ``exp(kappa cos(x - loc)) / (2 pi I0(kappa))``. ``mean`` and ``variance`` are the circular ones.

    Example:
        >>> import ember
        >>> from ember.distributions import VonMises
        >>> d = VonMises(0.0, 2.0); d.log_prob(ember.tensor([0.0, 3.1416])), d.variance
        (tensor([-0.6619, -4.6619]), tensor(0.3022))
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self.concentration
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - _log_i0(k)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        k = self.concentration
        return 1 - ember.special.i1e(k) / ember.special.i0e(k)

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            shape = self._extended_shape(sample_shape)
            loc = self.loc.to(ember.float64)
            k = self.concentration.to(ember.float64).expand(shape)
            tau = 1 + (1 + 4 * k * k).sqrt()
            rho = (tau - (2 * tau).sqrt()) / (2 * k)
            r = ember.where(k < 1e-5, 1 / k + k, (1 + rho * rho) / (2 * rho))
            x = ember.zeros_like(k)
            done = ember.zeros(shape, dtype=ember.bool, device=k.device)
            while not bool(done.all()):  # a later acceptance replaces an earlier one, as in torch
                u1, u2, u3 = ember.rand((3,) + tuple(shape), dtype=ember.float64, device=k.device).unbind()
                z = (math.pi * u1).cos()
                f = (1 + r * z) / (r + z)
                c = k * (r - f)
                accept = (c * (2 - c) - u2 > 0) | ((c / u2).log() + 1 - c >= 0)
                x = ember.where(accept, (u3 - 0.5).sign() * f.acos(), x)
                done = done | accept
            return ((x + math.pi + loc) % (2 * math.pi) - math.pi).to(self.loc.dtype)
