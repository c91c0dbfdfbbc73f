"""The continuous Bernoulli distribution on ``[0, 1]`` (Loaiza-Ganem and Cunningham, 2019)."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, broadcast_all, clamp_probs, lazy_property, softplus, uniform_like

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ProbsOrLogits, ExponentialFamily):
    """Density ``C(p) p^x (1 - p)^(1 - x)`` on ``[0, 1]``, with ``C(p) = 2 artanh(1 - 2p) / (1 - 2p)``.

    Near ``p = 1/2`` (inside ``lims``) the normaliser and moments use their Taylor expansions, since
    the closed forms are 0/0 there. ``probs`` are clamped away from 0 and 1.

    Example:
        >>> import ember
        >>> from ember.distributions import ContinuousBernoulli
        >>> d = ContinuousBernoulli(ember.tensor(0.8))
        >>> d.log_prob(ember.tensor(0.5)), d.mean, d.entropy()
        (tensor(-0.0788), tensor(0.6120), tensor(-0.0764))
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        name, value = self._choose(probs, logits)
        (param,) = broadcast_all(value)
        if name == "probs":
            # checked before clamping (only when asked to), since the clamped probs always pass
            if validate_args is not None and not bool(constraints.unit_interval.check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            param = clamp_probs(param)
        self.__dict__[name] = param
        self._lims = lims
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._lims = self._lims
        return new

    @lazy_property
    def probs(self):
        return clamp_probs(self.logits.sigmoid())

    def _stable(self):
        """Where the closed forms are used: ``probs`` outside ``lims``."""
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """``probs`` with the values inside ``lims`` replaced by a safe one (no 0/0 in unused branches)."""
        return ember.where(self._stable(), self.probs, self._lims[0])

    def _log_odds_gap(self, p):
        return (-p).log1p() - p.log()

    def _cont_bern_log_norm(self):
        """``log C(p)``."""
        p = self._cut_probs()
        below = p <= 0.5
        log_abs_1m2p = ember.where(below, (-2 * ember.where(below, p, 0.0)).log1p(),
                                   (2 * ember.where(below, 1.0, p) - 1).log())
        exact = self._log_odds_gap(p).abs().log() - log_abs_1m2p
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ember.where(self._stable(), exact, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        exact = p / (2 * p - 1) + 1 / self._log_odds_gap(p)
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return ember.where(self._stable(), exact, taylor)

    @property
    def variance(self):
        p = self._cut_probs()
        exact = p * (p - 1) / (1 - 2 * p).pow(2) + 1 / self._log_odds_gap(p).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ember.where(self._stable(), exact, taylor)

    def rsample(self, sample_shape=Size()):
        return self.icdf(uniform_like(self._extended_shape(sample_shape), self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return value * logits - softplus(logits) + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        exact = (p.pow(value) * (1 - p).pow(1 - value) + p - 1) / (2 * p - 1)
        inside = ember.where(self._stable(), exact, value)
        return ember.where(value <= 0, 0.0, ember.where(value >= 1, 1.0, inside))

    def icdf(self, value):
        p = self._cut_probs()
        exact = ((-p + value * (2 * p - 1)).log1p() - (-p).log1p()) / -self._log_odds_gap(p)
        return ember.where(self._stable(), exact, value)

    def entropy(self):
        log_q, log_p = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_q - log_p) - self._cont_bern_log_norm() - log_q

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """``log((e^x - 1) / x)`` of the natural parameter ``x`` (the logits); its Taylor expansion
        where ``x`` lies inside ``lims`` shifted by ``-1/2`` (torch's cut, applied to the logits)."""
        stable = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = ember.where(stable, x, self._lims[0] - 0.5)
        exact = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return ember.where(stable, exact, taylor)
