"""The multivariate normal distribution with a low-rank-plus-diagonal covariance ``W W^T + D``."""

from __future__ import annotations

import math

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import normal_like

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(cov_factor, cov_diag):
    """The Cholesky factor of ``I + W^T D^-1 W`` (``m x m`` for a rank-``m`` factor)."""
    m = cov_factor.shape[-1]
    scaled = cov_factor.mT / cov_diag.unsqueeze(-2)
    eye = ember.eye(m, dtype=cov_factor.dtype, device=cov_factor.device)
    return ember.linalg.cholesky(scaled @ cov_factor + eye)


class LowRankMultivariateNormal(Distribution):
    """The normal distribution over vectors with mean ``loc`` and covariance
    ``cov_factor @ cov_factor.mT + diag(cov_diag)``; densities use the Woodbury identity and the
    matrix determinant lemma (``m x m`` work for a rank-``m`` factor).

    Example:
        >>> import ember
        >>> from ember.distributions import LowRankMultivariateNormal
        >>> d = LowRankMultivariateNormal(ember.zeros(2), ember.tensor([[1.0], [0.5]]), ember.ones(2))
        >>> d.log_prob(ember.tensor([1.0, -1.0])), d.variance
        (tensor(-3.1878), tensor([2.0000, 1.2500]))
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            loc_, self.cov_factor, diag_ = ember.broadcast_tensors(loc.unsqueeze(-1), cov_factor,
                                                                  cov_diag.unsqueeze(-1))
        except RuntimeError as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                             f"cov_diag {cov_diag.shape}") from e
        self.loc, self.cov_diag = loc_[..., 0], diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w.pow(2).sum(-1) + d).expand(self._batch_shape + self._event_shape)

    @property
    def covariance_matrix(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w @ w.mT + d.diag_embed()).expand(self._batch_shape + self._event_shape + self._event_shape)

    @property
    def scale_tril(self):
        return ember.linalg.cholesky(self.covariance_matrix)

    @property
    def precision_matrix(self):
        return ember.linalg.inv(self.covariance_matrix)

    def _log_det(self):
        """``log det(W W^T + D) = 2 log det(C) + log det(D)`` (matrix determinant lemma)."""
        c = self._capacitance_tril
        return 2 * c.diagonal(dim1=-2, dim2=-1).log().sum(-1) + self._unbroadcasted_cov_diag.log().sum(-1)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        eps_w = normal_like(shape[:-1] + w.shape[-1:], self.loc)
        eps_d = normal_like(shape, self.loc)
        return self.loc + (w @ eps_w.unsqueeze(-1)).squeeze(-1) + d.sqrt() * eps_d

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        diff = value - self.loc
        # Woodbury: x^T (W W^T + D)^-1 x = x^T D^-1 x - |C^-1 W^T D^-1 x|^2
        projected = (w.mT / d.unsqueeze(-2)) @ diff.unsqueeze(-1)
        z = ember.linalg.solve(self._capacitance_tril, projected)
        mahalanobis = (diff.pow(2) / d).sum(-1) - z.pow(2).sum((-2, -1))
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + mahalanobis)

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h.expand(self._batch_shape)
