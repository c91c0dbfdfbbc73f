"""The gamma distribution (and chi-squared), with reparameterised samples.

Sampling: torch's kernel through the generator's engine (Marsaglia and Tsang's squeeze-rejection
method, ACM TOMS 26, 2000, boosted by ``x_a = x_{a+1} * u**(1/a)`` for shapes ``a < 1``; see
``ember/backends/_samplers.py``), so the host draws are torch's. Gradients of samples: the implicit
reparameterisation ``dx/da = -(dF/da) / (dF/dx)`` of the CDF ``F(x; a) = P(a, x)`` held fixed
(Figurnov et al., 2018), with ``dP/da`` computed exactly from the series of ``P`` (``x < a+1``)
or the differentiated continued fraction of ``Q = 1 - P`` (``x >= a+1``). These gradients are
first-order only: the sample's derivative is treated as a constant in double backward.
"""

from __future__ import annotations

import ember

from .._tensor import Size, _make, apply
from ..autograd.node import Op
from ..ops.special import lgamma_kernel, polygamma_kernel
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_value

__all__ = ["Gamma", "Chi2"]

_CHECK_EVERY = 8
_MAX_TERMS = 20000


def _converged(xp, step_size):
    return not bool(xp.any(step_size))


def _series(xp, a, x, tol):
    """``S = sum_n prod_{k<=n} x/(a+k)`` with ``P(a, x) = x^a e^-x S / Gamma(a+1)``, and ``dS/da``."""
    c = xp.ones_like(x)
    s, ds, h = c, xp.zeros_like(x), xp.zeros_like(x)
    for n in range(1, _MAX_TERMS):
        h = h + 1 / (a + n)
        c = c * x / (a + n)
        s = s + c
        ds = ds - c * h
        if n % _CHECK_EVERY == 0 and _converged(xp, c > tol * s):
            break
    return s, ds


def _continued_fraction(xp, a, x, tol):
    """``K`` with ``Q(a, x) = x^a e^-x / (K Gamma(a))`` (Legendre's fraction, modified Lentz),
    and ``d log K / da`` carried along the recurrence. Valid for ``x >= a + 1``."""
    b = x + 1 - a
    k, c, c_da = b, b, -xp.ones_like(x)
    d, d_da = xp.zeros_like(x), xp.zeros_like(x)
    dlog = -1 / b  # d log(b) / da with db/da = -1
    for i in range(1, _MAX_TERMS):
        an = i * (a - i)  # d an / da = i
        b = b + 2
        dn = b + an * d
        dn_da = -1 + i * d + an * d_da
        d = 1 / dn
        d_da = -dn_da * d * d
        cn = b + an / c
        c_da = -1 + i / c - an * c_da / (c * c)
        c = cn
        delta = c * d
        k = k * delta
        dlog = dlog + c_da / c + d_da / d
        if i % _CHECK_EVERY == 0 and _converged(xp, xp.abs(delta - 1) > tol):
            break
    return k, dlog


def regularized_gamma(xp, a, x):
    """``(P(a, x), dx/da at fixed P)``: the regularised lower incomplete gamma and its implicit derivative."""
    tol = 8 * xp.finfo(x.dtype).eps  # a few ulps: the last steps may wobble by rounding
    x = xp.maximum(x, xp.finfo(x.dtype).smallest_normal)
    lower = x < a + 1
    log_x = xp.log(x)
    p = xp.zeros_like(x)
    dx_da = xp.zeros_like(x)
    if bool(xp.any(lower)):
        xs = xp.where(lower, x, 0.0)  # converges at once where unused
        s, ds = _series(xp, a, xs, tol)
        p = xp.exp(a * log_x - x - lgamma_kernel(xp, a + 1)) * s
        dx_da = -(x / a) * (s * (log_x - polygamma_kernel(xp, 0, a + 1)) + ds)
    if not bool(xp.all(lower)):
        xc = xp.where(lower, 2 * a + 10, x)
        k, dlog = _continued_fraction(xp, a, xc, tol)
        q = xp.exp(a * log_x - x - lgamma_kernel(xp, a)) / k
        p = xp.where(lower, p, 1 - q)
        dx_da = xp.where(lower, dx_da, (x / k) * (log_x - polygamma_kernel(xp, 0, a) - dlog))
    return p, dx_da


def _log_density(xp, a, x):
    return (a - 1) * xp.log(x) - x - lgamma_kernel(xp, a)


def _tensor_like(array, like):
    return _make(array, like._be, like._device, like.dtype)


class StandardGammaSample(Op):
    """Passes a drawn ``Gamma(a, 1)`` sample through, with the implicit gradient ``dx/da``."""

    def forward(self, be, a, x):
        self.xp, self.a, self.x = be.xp, a, x
        return x

    def backward(self, g):
        _, dx_da = regularized_gamma(self.xp, self.a, self.x)
        return g * _tensor_like(dx_da, g), None


class GammaCDF(Op):
    """``P(a, x)``, the regularised lower incomplete gamma function (first derivatives only)."""

    def forward(self, be, a, x):
        xp = be.xp
        p, self.dx_da = regularized_gamma(xp, a, x)
        self.shapes = (a.shape, x.shape)
        self.density = xp.exp(_log_density(xp, a, xp.maximum(x, xp.finfo(x.dtype).smallest_normal)))
        return p

    def backward(self, g):
        na, nx = self.next
        density = _tensor_like(self.density, g)
        ga = -g * density * _tensor_like(self.dx_da, g) if na else None
        return ga, g * density if nx else None


def standard_gamma(concentration, generator=None):
    """Samples of ``Gamma(concentration, 1)`` (same shape) with implicit reparameterisation gradients.

    The draws are the generator engine's (torch's ``_standard_gamma`` on the host).

    Example:
        >>> import ember
        >>> from ember.distributions.gamma import standard_gamma
        >>> a = ember.full((3,), 2.0, requires_grad=True)
        >>> x = standard_gamma(a); x.sum().backward(); a.grad.shape
        ember.Size([3])
    """
    return apply(StandardGammaSample, (concentration, draw_gamma(concentration, generator)))


def draw_gamma(concentration, generator=None, dtype=None):
    """``Gamma(concentration, 1)`` draws (no graph) from the generator's engine, computed in ``dtype``.

    Example:
        >>> import ember
        >>> from ember.distributions.gamma import draw_gamma
        >>> draw_gamma(ember.tensor([0.0])).item() == ember.finfo(ember.float32).tiny  # torch's floor
        True
    """
    from .._random import _gen

    dtype = dtype or concentration.dtype
    if dtype not in (ember.float32, ember.float64):
        raise NotImplementedError(f"\"gamma_cpu\" not implemented for '{ember._dtype.scalar_name(dtype)}'")
    engine = _gen(generator, concentration.device)._engine
    draws = engine.gamma(concentration.detach()._host(), dtype)
    return _make(draws, concentration._be, concentration.device, dtype)


class Gamma(ExponentialFamily):
    """The gamma distribution with shape ``concentration`` and inverse scale ``rate``.

    Example:
        >>> import ember
        >>> from ember.distributions import Gamma
        >>> d = Gamma(2.0, 3.0); d.log_prob(ember.tensor(1.0)), d.mean, d.cdf(ember.tensor(1.0))
        (tensor(-0.8028), tensor(0.6667), tensor(0.8009))
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return clamp_value(x, low=ember.finfo(x.dtype).tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, r = self.concentration, self.rate
        return ember.xlogy(a, r) + ember.xlogy(a - 1, value) - r * value - a.lgamma()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, x = ember.broadcast_tensors(self.concentration, self.rate * value)
        return apply(GammaCDF, (a, x))

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() - (x + 1) * (-y).log()


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: ``Gamma(df / 2, 1 / 2)``.

    Example:
        >>> import ember
        >>> from ember.distributions import Chi2
        >>> Chi2(ember.tensor(4.0)).mean
        tensor(4.)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def df(self):
        return self.concentration * 2
