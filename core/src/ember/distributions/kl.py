"""Kullback-Leibler divergences ``KL(p || q)`` in closed form, dispatched on the pair of types."""

from __future__ import annotations

import math

import ember

from .bernoulli import Bernoulli, Geometric
from .categorical import Categorical, OneHotCategorical
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Beta, Dirichlet
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import EULER_GAMMA, Gumbel
from .half import HalfNormal
from .independent import Independent
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal, _half_log_det
from .normal import Normal
from .pareto import Pareto
from .poisson import Poisson
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import softplus, sum_rightmost

__all__ = ["register_kl", "kl_divergence"]

_KL_REGISTRY = {}  # (type_p, type_q) -> fn
_KL_CACHE = {}


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as the KL divergence of a ``type_p`` from a ``type_q``.

    The most specific registered pair (by class hierarchy) wins; subclasses inherit their bases' rules.

    Example:
        >>> from ember.distributions import Normal, kl_divergence, register_kl
        >>> class MyNormal(Normal):
        ...     pass
        >>> @register_kl(MyNormal, MyNormal)
        ... def _kl_mine(p, q):
        ...     return (p.loc - q.loc).abs()
        >>> kl_divergence(MyNormal(0.0, 1.0), MyNormal(3.0, 1.0))
        tensor(3.)
    """
    for t in (type_p, type_q):
        if not isinstance(t, type):
            raise TypeError(f"Expected type_p and type_q to be subclasses of Distribution but got {t}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_CACHE.clear()
        return fn

    return decorator


def _dispatch(type_p, type_q):
    """The registered rule whose pair of types is closest to ``(type_p, type_q)`` in their MROs."""
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    best, best_key = None, None
    for (sp, sq), fn in _KL_REGISTRY.items():
        if sp in mro_p and sq in mro_q:
            key = (mro_p.index(sp), mro_q.index(sq))
            if best_key is None or key < best_key:
                best, best_key = fn, key
    return best


def kl_divergence(p, q):
    """``KL(p || q) = E_p[log p(x) - log q(x)]``, batched over the distributions' batch shape.

    Example:
        >>> import ember
        >>> from ember.distributions import Normal, kl_divergence
        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
        tensor(0.4431)
    """
    key = (type(p), type(q))
    fn = _KL_CACHE.get(key)
    if fn is None:
        fn = _KL_CACHE[key] = _dispatch(*key)
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


def _infinite_where(mask, value):
    return ember.where(mask, math.inf, value)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """The Bregman divergence of the log-normaliser:
    ``F(theta_q) - F(theta_p) - <theta_q - theta_p, grad F(theta_p)>`` (one family only, as in torch)."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot "
                                  "be computed using Bregman divergences")
    batch_dims = len(ember.broadcast_shapes(p.batch_shape, q.batch_shape))
    with ember.enable_grad():
        p_params = [t.detach().requires_grad_() for t in p._natural_params]
        log_norm = p._log_normalizer(*p_params)
        grads = ember.autograd.grad(log_norm.sum(), p_params, create_graph=True)
        q_params = q._natural_params
        result = q._log_normalizer(*q_params) - log_norm
        for p_param, q_param, grad in zip(p_params, q_params, grads, strict=True):
            term = (q_param - p_param) * grad
            result = result - sum_rightmost(term, term.dim() - batch_dims)
    return result


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -scale_ratio.log() + gap / q.scale + scale_ratio * (-gap / p.scale).exp() - 1


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    outside = (q.low > p.low) | (q.high < p.high)
    return _infinite_where(outside, ((q.high - q.low) / (p.high - p.low)).log())


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    pa, pr, qa, qr = p.concentration, p.rate, q.concentration, q.rate
    return (qa * (pr / qr).log() + qa.lgamma() - pa.lgamma() + (pa - qa) * pa.digamma()
            + (qr - pr) * (pa / pr))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    pc, qc = p.concentration, q.concentration
    p_total = pc.sum(-1)
    t1 = p_total.lgamma() - qc.sum(-1).lgamma()
    t2 = (pc.lgamma() - qc.lgamma()).sum(-1)
    t3 = ((pc - qc) * (pc.digamma() - p_total.digamma().unsqueeze(-1))).sum(-1)
    return t1 - t2 + t3


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = ember.where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = ember.where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = _infinite_where((q.probs == 0).expand_as(t), t)
    t = ember.where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    batch = ember.broadcast_shapes(lp.shape[:-2], lq.shape[:-2])
    trace = ember.linalg.solve(lq.expand(batch + (n, n)), lp.expand(batch + (n, n))).pow(2).sum((-2, -1))
    z = ember.linalg.solve(lq, (q.loc - p.loc).unsqueeze(-1)).pow(2).sum((-2, -1))
    return _half_log_det(lq) - _half_log_det(lp) + 0.5 * (trace + z - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), len(p.event_shape) - len(p.base_dist.event_shape))


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return -ratio.log() + shift + EULER_GAMMA * (ratio - 1) + ((1 + ratio).lgamma() - shift).exp() - 1


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    kl = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return _infinite_where(p.scale < q.scale, kl)  # p has mass where q has none


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    cross = p.mean * (p.logits - q.logits)
    return cross + p._cont_bern_log_norm() + (-p.probs).log1p() - q._cont_bern_log_norm() - (-q.probs).log1p()


def _as_full_mvn(d):
    """A low-rank normal as a :class:`MultivariateNormal` with the same (dense) covariance."""
    return MultivariateNormal(d.loc, scale_tril=d.scale_tril) if isinstance(d, LowRankMultivariateNormal) else d


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_mvn(p, q):
    return _kl_mvn_mvn(_as_full_mvn(p), _as_full_mvn(q))


# --- between families: Gumbel against others, and pairs whose supports rule out a finite KL ---------
def _gumbel_cross_entropy_terms(q, mean_p, exp_moment):
    """``E_p[-log q(x)]`` for a Gumbel ``q``, given ``E_p[x]`` and ``E_p[exp(-x / q.scale)]``."""
    return q.scale.log() + (mean_p - q.loc) / q.scale + (q.loc / q.scale).exp() * exp_moment


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    exp_moment = (-p.loc / q.scale + 0.5 * (p.scale / q.scale).pow(2)).exp()
    return _gumbel_cross_entropy_terms(q, p.loc, exp_moment) - p.entropy()


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    exp_moment = p.rate / (p.rate + q.scale.reciprocal())
    return _gumbel_cross_entropy_terms(q, p.mean, exp_moment) - p.entropy()


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    exp_moment = (p.rate / (p.rate + q.scale.reciprocal())).pow(p.concentration)
    return _gumbel_cross_entropy_terms(q, p.mean, exp_moment) - p.entropy()


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    width = p.high - p.low
    exp_moment = q.scale * ((-p.low / q.scale).exp() - (-p.high / q.scale).exp()) / width
    return _gumbel_cross_entropy_terms(q, p.mean, exp_moment) - p.entropy()


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    second_moment = p.variance + (p.mean - q.loc).pow(2)  # E_p[(x - q.loc)^2]
    return q.scale.log() + 0.5 * math.log(2 * math.pi) + second_moment / (2 * q.scale.pow(2)) - p.entropy()


_DISJOINT_SUPPORTS = [  # p puts mass where q has none, for every choice of parameters
    (Gumbel, Beta), (Gumbel, ContinuousBernoulli), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Pareto),
    (Gumbel, Uniform), (Normal, ContinuousBernoulli), (Normal, Pareto), (Laplace, ContinuousBernoulli),
    (Laplace, Pareto), (Exponential, ContinuousBernoulli), (Exponential, Pareto), (Gamma, ContinuousBernoulli),
    (Gamma, Pareto), (Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform), (ContinuousBernoulli, Pareto),
    (Beta, Pareto),
]


def _kl_infinite(p, q):
    like = p.mean
    return ember.full(p.batch_shape, math.inf, dtype=like.dtype, device=like.device)


for _pair in _DISJOINT_SUPPORTS:
    register_kl(*_pair)(_kl_infinite)
