"""Kullback-Leibler divergences ``KL(p || q)`` in closed form, dispatched on the pair of types."""

from __future__ import annotations

import math
import warnings

import ember

from .bernoulli import Bernoulli, Geometric
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .cauchy import Cauchy
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
    When ranking by ``p``'s type first and by ``q``'s type first pick different rules, the lookup warns
    (``RuntimeWarning``) and asks for a pair registered for the two derived types.

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
    """The registered rule whose pair of types is closest to ``(type_p, type_q)`` in their MROs.

    As in torch, the pairs are ranked twice, by p's type then q's and by q's type then p's; the first
    ranking wins, with a warning when the second one picks a different rule.
    """
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    matches = [(mro_p.index(sp), mro_q.index(sq), sp, sq) for sp, sq in _KL_REGISTRY if sp in mro_p and sq in mro_q]
    if not matches:
        return NotImplemented
    _, _, left_p, left_q = min(matches, key=lambda m: (m[0], m[1]))
    _, _, right_p, right_q = min(matches, key=lambda m: (m[1], m[0]))
    rule = _KL_REGISTRY[left_p, left_q]
    if rule is not _KL_REGISTRY[right_p, right_q]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left_p.__name__}, {right_q.__name__})", RuntimeWarning, stacklevel=3)
    return rule


def kl_divergence(p, q):
    """``KL(p || q) = E_p[log p(x) - log q(x)]``, batched over the distributions' batch shape.

    Pairs of one family and the pairs across families that torch registers have closed forms; the KL is
    ``inf`` where ``p`` puts mass outside ``q``'s support. Unregistered pairs raise ``NotImplementedError``.

    Example:
        >>> import ember
        >>> from ember.distributions import Gamma, Normal, Uniform, kl_divergence
        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
        tensor(0.4431)
        >>> kl_divergence(Uniform(0.0, 2.0), Normal(1.0, 1.0)), kl_divergence(Normal(0.0, 1.0), Gamma(1.0, 1.0))
        (tensor(0.3925), tensor(inf))
    """
    key = (type(p), type(q))
    fn = _KL_CACHE.get(key)
    if fn is None:
        fn = _KL_CACHE[key] = _dispatch(*key)
    if fn is NotImplemented:
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
    t1 = ember.where(p.probs == 0, 0.0, _infinite_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = ember.where(p.probs == 1, 0.0, _infinite_where(q.probs == 1, t2))
    return t1 + t2


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    per_trial = p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p()
    return _infinite_where(p.total_count > q.total_count, p.total_count * per_trial)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    """Chyzak and Nielsen (2019): ``log(((s_p + s_q)^2 + (m_p - m_q)^2) / (4 s_p s_q))``."""
    return ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log() - (4 * p.scale * q.scale).log()


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
    trace = ember.linalg.solve_triangular(lq.expand(batch + (n, n)), lp.expand(batch + (n, n)), upper=False)
    z = ember.linalg.solve_triangular(lq, (q.loc - p.loc).unsqueeze(-1), upper=False)
    trace, z = trace.pow(2).sum((-2, -1)), z.pow(2).sum((-2, -1))
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


# --- between families: KL(p || q) = E_p[-log q(x)] - H(p), the cross-entropy from a few expectations under p --
def _uniform_mean_log(low, high):
    """``E[log x]`` for ``x ~ Uniform(low, high)``, ``0 <= low``."""
    return (ember.special.xlogy(high, high) - ember.special.xlogy(low, low)) / (high - low) - 1


_EXPECTATIONS = {  # p's family -> name -> E_p[...]; "mgf" is E_p[exp(t x)]; "mean" and "variance" default to p's
    Beta: {"log": lambda p: p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()},
    Exponential: {"log": lambda p: -EULER_GAMMA - p.rate.log(), "mgf": lambda p, t: p.rate / (p.rate - t)},
    Gamma: {"log": lambda p: p.concentration.digamma() - p.rate.log(),
            "mgf": lambda p, t: (p.rate / (p.rate - t)).pow(p.concentration)},
    Normal: {"mgf": lambda p, t: (p.loc * t + 0.5 * (p.scale * t).pow(2)).exp()},
    Pareto: {"log": lambda p: p.scale.log() + p.alpha.reciprocal(),  # moments unclamped: their infinite KLs keep
             "mean": lambda p: p.alpha * p.scale / (p.alpha - 1),  # finite (zero) gradients, as torch's
             "variance": lambda p: p.alpha * (p.scale / (p.alpha - 1)).pow(2) / (p.alpha - 2)},
    Uniform: {"log": lambda p: _uniform_mean_log(p.low, p.high),
              "log1m": lambda p: _uniform_mean_log(1 - p.high, 1 - p.low),
              "mgf": lambda p, t: ((t * p.high).exp() - (t * p.low).exp()) / (t * (p.high - p.low))},
}


def _moment(p, expect, name):
    """p's ``mean`` or ``variance``, unless its family's expectations say otherwise."""
    return expect[name](p) if name in expect else getattr(p, name)


def _cross_entropy_normal(p, q, expect):
    second_moment = _moment(p, expect, "variance") + (_moment(p, expect, "mean") - q.loc).pow(2)  # E_p[(x - q.loc)^2]
    return q.scale.log() + 0.5 * math.log(2 * math.pi) + second_moment / (2 * q.scale.pow(2))


def _cross_entropy_exponential(p, q, expect):
    return q.rate * _moment(p, expect, "mean") - q.rate.log()


def _cross_entropy_gamma(p, q, expect):
    a, b = q.concentration, q.rate
    return a.lgamma() - a * b.log() - (a - 1) * expect["log"](p) + b * _moment(p, expect, "mean")


def _cross_entropy_beta(p, q, expect):
    a, b = q.concentration1, q.concentration0
    return a.lgamma() + b.lgamma() - (a + b).lgamma() - (a - 1) * expect["log"](p) - (b - 1) * expect["log1m"](p)


def _cross_entropy_continuous_bernoulli(p, q, expect):
    return -_moment(p, expect, "mean") * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()


def _cross_entropy_pareto(p, q, expect):
    return (q.alpha + 1) * expect["log"](p) - q.alpha.log() - q.alpha * q.scale.log()


def _cross_entropy_poisson(p, q, expect):
    return q.rate - _moment(p, expect, "mean") * q.rate.log()  # p lives on {0, 1}, where log(x!) = 0


def _cross_entropy_uniform(p, q, expect):
    return (q.high - q.low).log()


def _cross_entropy_gumbel(p, q, expect):
    exp_moment = expect["mgf"](p, -q.scale.reciprocal())  # E_p[exp(-x / q.scale)]
    return q.scale.log() + (_moment(p, expect, "mean") - q.loc) / q.scale + (q.loc / q.scale).exp() * exp_moment


_CROSS_ENTROPY = {
    Beta: _cross_entropy_beta, ContinuousBernoulli: _cross_entropy_continuous_bernoulli,
    Exponential: _cross_entropy_exponential, Gamma: _cross_entropy_gamma, Gumbel: _cross_entropy_gumbel,
    Normal: _cross_entropy_normal, Pareto: _cross_entropy_pareto, Poisson: _cross_entropy_poisson,
    Uniform: _cross_entropy_uniform,
}

_CROSS_FAMILY = {  # (p's family, q's family) -> where the KL is infinite (None: nowhere)
    (Bernoulli, Poisson): None,
    (Beta, ContinuousBernoulli): None,
    (Beta, Exponential): None,
    (Beta, Gamma): None,
    (Beta, Normal): None,
    (Beta, Uniform): lambda p, q: (q.low > 0) | (q.high < 1),
    (ContinuousBernoulli, Exponential): None,
    (ContinuousBernoulli, Normal): None,
    (ContinuousBernoulli, Uniform): lambda p, q: (q.low >= 0) | (q.high <= 1),  # torch: touching bounds count too
    (Exponential, Gamma): None,
    (Exponential, Gumbel): None,
    (Exponential, Normal): None,
    (Gamma, Exponential): None,
    (Gamma, Gumbel): None,
    (Gamma, Normal): None,
    (Gumbel, Normal): None,
    (Laplace, Normal): None,
    (Normal, Gumbel): None,
    (Pareto, Exponential): lambda p, q: p.alpha <= 1,  # p's mean is infinite
    (Pareto, Gamma): lambda p, q: p.alpha <= 1,
    (Pareto, Normal): lambda p, q: p.alpha <= 2,  # p's variance is infinite
    (Uniform, Beta): lambda p, q: (p.low < 0) | (p.high > 1),
    (Uniform, ContinuousBernoulli): lambda p, q: (p.low <= 0) | (p.high >= 1),  # as torch, touching bounds too
    (Uniform, Exponential): lambda p, q: p.low < 0,
    (Uniform, Gamma): lambda p, q: p.low < 0,
    (Uniform, Gumbel): None,
    (Uniform, Normal): None,
    (Uniform, Pareto): lambda p, q: p.low < q.scale,
}


def _kl_from_cross_entropy(family_p, family_q, infinite):
    cross_entropy, expect = _CROSS_ENTROPY[family_q], _EXPECTATIONS.get(family_p, {})

    def kl(p, q):
        value = cross_entropy(p, q, expect) - p.entropy()
        return value if infinite is None else _infinite_where(infinite(p, q), value)

    return kl


for (_p, _q), _infinite in _CROSS_FAMILY.items():
    register_kl(_p, _q)(_kl_from_cross_entropy(_p, _q, _infinite))
del _p, _q, _infinite


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    gap = p.loc - q.loc
    # E_p|x - q.loc|, the mean of a folded normal
    mean_abs = (p.scale * math.sqrt(2 / math.pi) * (-0.5 * (gap / p.scale).pow(2)).exp()
                + gap * (gap / (p.scale * math.sqrt(2))).erf())
    return (2 * q.scale).log() + mean_abs / q.scale - p.entropy()


_DISJOINT_SUPPORTS = [  # p puts mass where q has none, for every choice of parameters
    (Beta, Pareto), (ContinuousBernoulli, Pareto),
    (Exponential, Beta), (Exponential, ContinuousBernoulli), (Exponential, Pareto), (Exponential, Uniform),
    (Gamma, Beta), (Gamma, ContinuousBernoulli), (Gamma, Pareto), (Gamma, Uniform),
    (Gumbel, Beta), (Gumbel, ContinuousBernoulli), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Pareto),
    (Gumbel, Uniform),
    (Laplace, Beta), (Laplace, ContinuousBernoulli), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Pareto),
    (Laplace, Uniform),
    (Normal, Beta), (Normal, ContinuousBernoulli), (Normal, Exponential), (Normal, Gamma), (Normal, Pareto),
    (Normal, Uniform),
    (Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform),
    (Poisson, Bernoulli), (Poisson, Binomial),
]


def _kl_infinite(p, q):
    like = p.mean
    return ember.full(p.batch_shape, math.inf, dtype=like.dtype, device=like.device)


for _pair in _DISJOINT_SUPPORTS:
    register_kl(*_pair)(_kl_infinite)
del _pair
