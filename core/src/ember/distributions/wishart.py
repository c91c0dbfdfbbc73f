"""The Wishart distribution over positive-definite matrices, sampled by Bartlett decomposition."""

from __future__ import annotations

import math
import numbers
import warnings

import ember

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .gamma import Chi2
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p):
    """The multivariate digamma ``sum_{i<p} digamma(x - i/2)``, the derivative of ``mvlgamma(x, p)``."""
    if not bool((x > (p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return (x.unsqueeze(-1) - ember.arange(p, dtype=x.dtype, device=x.device) / 2).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """The Wishart distribution with ``df`` degrees of freedom and one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (the lower Cholesky factor of the covariance).

    Samples use the Bartlett decomposition (square roots of chi-squared draws on the diagonal, normal
    draws below it), drawn as torch draws them. Like torch, :meth:`rsample` redraws once every sample
    that came out positive definite on the first pass (torch's check is inverted there), then redraws
    singular ones up to ``max_try_correction`` times, so the draws follow torch's after the same seed;
    unlike torch, it warns only when a singular sample is actually found.

    Example:
        >>> import ember
        >>> from ember.distributions import Wishart
        >>> d = Wishart(ember.tensor(4.0), covariance_matrix=ember.tensor([[2.0, 0.5], [0.5, 1.0]]))
        >>> d.mean
        tensor([[8., 2.],
                [2., 4.]])
        >>> d.log_prob(ember.eye(2) * 3), d.entropy()
        (tensor(-5.8162), tensor(7.1408))
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite, "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky, "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = matrix.shape[:-2]
            self.df = ember.tensor(df, dtype=matrix.dtype, device=matrix.device)
        else:
            batch_shape = ember.broadcast_shapes(matrix.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        event_shape = matrix.shape[-2:]
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        self.__dict__[name] = matrix.expand(batch_shape + (-1, -1))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(ember.linalg.inv(matrix))
        self._dist_chi2 = self._bartlett_chi2()

    def _bartlett_chi2(self):
        """The chi-squared laws of the Bartlett factor's squared diagonal: ``df - i`` for ``i < p``."""
        tril = self._unbroadcasted_scale_tril
        steps = ember.arange(self._event_shape[-1], dtype=tril.dtype, device=tril.device)
        return Chi2(self.df.unsqueeze(-1) - steps.expand(self._batch_shape + (-1,)))

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(tuple(batch_shape))
        new = type(self).__new__(type(self)) if _instance is None else _instance
        full = batch_shape + self._event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(full)
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(full)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._dist_chi2 = new._bartlett_chi2()
        new._validate_args = self._validate_args
        return new

    def _full_matrix(self, m):
        return m.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._full_matrix(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        tril = self._unbroadcasted_scale_tril
        return self._full_matrix(tril @ tril.mT)

    @lazy_property
    def precision_matrix(self):
        tril = self._unbroadcasted_scale_tril
        eye = ember.eye(self._event_shape[-1], dtype=tril.dtype, device=tril.device)
        return self._full_matrix(ember.cholesky_solve(eye, tril))

    def _per_matrix(self, x):
        """A batch-shaped tensor with two trailing unit dims, to scale whole matrices."""
        return x.expand(self._batch_shape).reshape(self._batch_shape + (1, 1))

    @property
    def mean(self):
        return self._per_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self._event_shape[-1] - 1
        return self._per_matrix(ember.where(factor > 0, factor, math.nan)) * self.covariance_matrix

    @property
    def variance(self):
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._per_matrix(self.df) * (cov.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape):
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        factor = chi.clamp(min=ember.finfo(chi.dtype).eps).diag_embed()
        normal = ember.randn(Size(sample_shape) + self._batch_shape + (p * (p - 1) // 2,),
                             dtype=chi.dtype, device=chi.device)
        rows, cols = ember.tril_indices(p, p, offset=-1, device=chi.device)
        lower = ember.zeros(normal.shape[:-1] + (p, p), dtype=chi.dtype, device=chi.device)
        lower[..., rows, cols] = normal
        chol = self._unbroadcasted_scale_tril @ (factor + lower)
        return chol @ chol.mT

    def _any_over_batch(self, mask):
        return mask.reshape(mask.shape[:mask.dim() - len(self._batch_shape)] + (-1,)).any(-1)

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """A reparameterised sample; see the class notes on torch's redraws.

        Example:
            >>> import ember
            >>> from ember.distributions import Wishart
            >>> Wishart(ember.tensor([3.0, 5.0]), scale_tril=ember.eye(2)).rsample((4,)).shape
            ember.Size([4, 2, 2, 2])
        """
        tries = 10 if max_try_correction is None else max_try_correction
        sample_shape = Size(tuple(sample_shape))
        flat = self._bartlett_sampling(sample_shape).reshape((-1,) + self._batch_shape + self._event_shape)
        redraw = self._any_over_batch(self.support.check(flat))  # torch's first pass: the valid ones
        singular_seen = not bool(redraw.all())
        if bool(redraw.any()):
            for _ in range(tries):
                fresh = self._bartlett_sampling((int(redraw.sum()),))
                flat = flat.index_put((redraw,), fresh)
                still = self._any_over_batch(~self.support.check(fresh))
                singular_seen = singular_seen or bool(still.any())
                redraw = redraw.index_put((redraw,), still)
                if not bool(redraw.any()):
                    break
        if singular_seen:
            warnings.warn("Singular sample detected.", stacklevel=2)
        return flat.reshape(self._extended_shape(sample_shape))

    def _log_det_scale(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        trace = ember.cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + self._log_det_scale()) - ember.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * ember.linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + self._log_det_scale()) + ember.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        half = y + (p + 1) / 2
        return half * (p * _LOG_2 - ember.linalg.slogdet(-2 * x).logabsdet) + ember.mvlgamma(half, p)
