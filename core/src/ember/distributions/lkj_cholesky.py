"""The LKJ distribution over Cholesky factors of correlation matrices, sampled by the onion method."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .dirichlet import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """Lower Cholesky factors ``L`` of ``dim x dim`` correlation matrices ``M = L L^T`` with density
    proportional to ``det(M) ** (concentration - 1)`` (uniform over correlation matrices at 1).

    Sampling follows the onion method of Lewandowski, Kurowicka and Joe (2009, section 3.2), vectorised
    over rows as torch does it: a beta draw per row sets the squared length of the row's off-diagonal
    part, a normal draw its direction, and the diagonal completes each row to unit length. The draws are
    torch's, but the beta shapes follow the paper, so samples equal torch's for ``dim = 2`` only (torch's
    rows 2 and up are skewed).

    Example:
        >>> import ember
        >>> from ember.distributions import LKJCholesky
        >>> d = LKJCholesky(3, ember.tensor(2.0))
        >>> L = d.sample(); bool((L @ L.mT).diagonal().allclose(ember.ones(3)))
        True
        >>> d.log_prob(ember.eye(3))
        tensor(-0.6155)
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        c = self.concentration
        # row k's squared off-diagonal length is Beta(k / 2, c + (dim - 2) / 2 - (k - 1) / 2); row 0 draws one
        # unused beta (as torch does). Torch's first shape is k - 1/2 for every row k >= 1, which equals k / 2
        # only for k = 1: its rows k >= 2 come out too long (wrong marginals for dim >= 3), so this differs on purpose.
        offset = ember.arange(dim - 1, dtype=c.dtype, device=c.device)
        offset = ember.cat([offset.new_zeros((1,)), offset])
        marginal = c + 0.5 * (dim - 2)
        self._beta = Beta(0.5 * offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(c.shape, Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._beta = self._beta.expand(Size(tuple(batch_shape)) + (self.dim,))
        return new

    def sample(self, sample_shape=Size()):
        with ember.no_grad():
            lengths = self._beta.sample(sample_shape).unsqueeze(-1)  # squared length of each row's off-diagonal part
            shape = self._extended_shape(sample_shape)
            normal = ember.randn(shape, dtype=lengths.dtype, device=lengths.device).tril(-1)
            norm = normal.norm(dim=-1, keepdim=True)
            norm = ember.cat([ember.ones_like(norm[..., :1, :]), norm[..., 1:, :]], -2)  # the first row is empty
            w = lengths.sqrt() * (normal / norm)
            diag = (1 - w.pow(2).sum(-1)).clamp(min=ember.finfo(w.dtype).tiny).sqrt()
            return w + diag.diag_embed()

    def log_prob(self, value):
        # det(M) ** (c - 1) = prod L_ii ** (2c - 2), times the Jacobian prod L_ii ** (dim - i) of L -> M
        if self._validate_args:
            self._validate_sample(value)
        c, dim = self.concentration, self.dim
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (c - 1).unsqueeze(-1) + dim - ember.arange(2, dim + 1, device=c.device)
        unnormalised = (order * diag.log()).sum(-1)
        dm1 = dim - 1
        alpha = c + 0.5 * dm1
        # normaliser of Lewandowski et al. (p. 1999): their pi constant minus mvlgamma's own
        log_normaliser = 0.5 * dm1 * math.log(math.pi) + ember.mvlgamma(alpha - 0.5, dm1) - alpha.lgamma() * dm1
        return unnormalised - log_normaliser
