"""The Dirichlet distribution on the simplex, and the beta distribution (its two-class case)."""

from __future__ import annotations

import numbers

import ember

from .._tensor import Size, apply
from ..autograd.node import Op
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .gamma import _tensor_like, draw_gamma, regularized_gamma
from .utils import broadcast_all

__all__ = ["Dirichlet", "Beta"]


def _torch_row_sum(xp, g):
    """``g.sum(-1, keepdim=True)`` added in the order of torch's x86 CPU kernel (AVX2, 4 lanes).

    The row is read as 4-lane vectors, four at a time into four accumulators; every 16 such groups
    the accumulators cascade one level up (up to 4 levels: torch's ``multi_row_sum``), then the levels,
    the leftover vectors, the four accumulators, the leftover scalars and finally the 4 lanes are added.
    """
    lead, k = g.shape[:-1], g.shape[-1]
    vectors, zero = [g[..., 4 * v:4 * v + 4] for v in range(k // 4)], xp.zeros(lead + (4,), dtype=g.dtype)
    groups = len(vectors) // 4
    power = max(4, (groups - 1).bit_length() // 4)
    levels = [[zero] * 4 for _ in range(4)]  # level -> accumulator -> 4 lanes
    for i in range(1, groups + 1):
        levels[0] = [a + v for a, v in zip(levels[0], vectors[4 * i - 4:4 * i])]
        if i % (1 << power) == 0:  # after each whole block: level j takes level j - 1 while i is a multiple of 16**j
            for j in range(1, 4):
                levels[j] = [a + b for a, b in zip(levels[j], levels[j - 1])]
                levels[j - 1] = [zero] * 4
                if i & (((1 << power) - 1) << (j * power)):
                    break
    accumulators = levels[0]
    for level in levels[1:]:
        accumulators = [a + b for a, b in zip(accumulators, level)]
    for v in vectors[4 * groups:]:
        accumulators[0] = accumulators[0] + v
    lanes = accumulators[0] + accumulators[1] + accumulators[2] + accumulators[3]
    total = xp.zeros(lead + (1,), dtype=g.dtype)
    for j in range(4 * len(vectors), k):
        total = total + g[..., j:j + 1]
    for lane in range(4):
        total = total + lanes[..., lane:lane + 1]
    return total


class DirichletSample(Op):
    """Float64 gamma draws ``g`` normalised along the last dim as torch does (in float64, then cast and
    clamped to ``[tiny, 1)``), with the gradient of ``g / g.sum(-1)`` through the gammas' implicit gradients."""

    def forward(self, be, a, g):
        xp = be.xp
        info = xp.finfo(a.dtype)
        x = xp.astype(g / _torch_row_sum(xp, g), a.dtype)
        self.xp, self.a, self.g = xp, a, xp.maximum(xp.astype(g, a.dtype), info.smallest_normal)
        return xp.minimum(xp.maximum(x, info.smallest_normal), 1 - info.eps / 2)

    def backward(self, grad):
        _, dg_da = regularized_gamma(self.xp, self.a, self.g)
        g = _tensor_like(self.g, grad)
        total = g.sum(-1, keepdim=True)
        return _tensor_like(dg_da, grad) / total * (grad - (grad * g).sum(-1, keepdim=True) / total), None


def dirichlet_sample(concentration, generator=None):
    """``Dirichlet(concentration)`` samples along the last dim, differentiable in ``concentration``.

    The gammas are drawn in float64 from the generator's engine, as torch's ``_sample_dirichlet`` does.

    Example:
        >>> import ember
        >>> from ember.distributions.dirichlet import dirichlet_sample
        >>> c = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> x = dirichlet_sample(c); x[0].backward(); c.grad.shape, round(x.sum().item(), 5)
        (ember.Size([2]), 1.0)
    """
    return apply(DirichletSample, (concentration, draw_gamma(concentration, generator, ember.float64)))


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over probability vectors, with ``concentration`` along the last dim.

    Samples normalise independent gamma draws (torch's, on the host), so they are reparameterised.

    Example:
        >>> import ember
        >>> from ember.distributions import Dirichlet
        >>> d = Dirichlet(ember.tensor([1.0, 2.0, 3.0]))
        >>> d.mean, d.log_prob(ember.tensor([0.2, 0.3, 0.5]))
        (tensor([0.1667, 0.3333, 0.5000]), tensor(1.5041))
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        return dirichlet_sample(self.concentration.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return ember.xlogy(c - 1, value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        excess = (self.concentration - 1).clamp(min=0)
        mode = excess / excess.sum(-1, keepdim=True)
        # with every concentration below one the density is unbounded at each corner: take the largest's
        below = (self.concentration < 1).all(-1, keepdim=True)
        corner = (self.concentration == self.concentration.amax(-1, keepdim=True)).to(mode.dtype)
        return ember.where(below, corner, mode)

    @property
    def variance(self):
        c = self.concentration
        total = c.sum(-1, keepdim=True)
        return c * (total - c) / (total.pow(2) * (total + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(-1)
        return c.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma() - ((c - 1) * c.digamma()).sum(-1)

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()


class Beta(ExponentialFamily):
    """The beta distribution on ``[0, 1]`` with shapes ``concentration1`` (alpha) and ``concentration0`` (beta).

    Example:
        >>> import ember
        >>> from ember.distributions import Beta
        >>> d = Beta(2.0, 3.0); d.mean, d.log_prob(ember.tensor(0.5))
        (tensor(0.4000), tensor(0.4055))
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Real) and isinstance(concentration0, numbers.Real):
            pair = ember.tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            pair = ember.stack([c1, c0], -1)
        self._dirichlet = Dirichlet(pair, validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, new._dirichlet.batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=Size()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(ember.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def _natural_params(self):
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
