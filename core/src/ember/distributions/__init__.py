"""Probability distributions with sampling, log-densities and KL divergences (``torch.distributions``).

Example:
    >>> import ember
    >>> from ember.distributions import Normal, kl_divergence
    >>> p = Normal(ember.tensor(0.0), ember.tensor(1.0))
    >>> p.log_prob(ember.tensor(0.0)), kl_divergence(p, Normal(0.0, 2.0))
    (tensor(-0.9189), tensor(0.3181))
"""

from __future__ import annotations

from . import constraints, transforms
from .bernoulli import Bernoulli, Geometric
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .constraint_registry import biject_to, transform_to
from .cauchy import Cauchy
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .fishersnedecor import FisherSnedecor
from .gamma import Chi2, Gamma
from .generalized_pareto import GeneralizedPareto
from .gumbel import Gumbel
from .half import HalfCauchy, HalfNormal
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl import kl_divergence, register_kl
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .lkj_cholesky import LKJCholesky
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategoricalStraightThrough
from .pareto import Pareto
from .poisson import Poisson
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .student_t import StudentT
from .transformed_distribution import LogNormal, TransformedDistribution
from .transforms import (
    AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform, CumulativeDistributionTransform,
    ExpTransform, IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform,
    ReshapeTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform, StickBreakingTransform,
    TanhTransform, Transform, identity_transform,
)
from .uniform import Uniform
from .von_mises import VonMises
from .weibull import Weibull
from .wishart import Wishart

__all__ = [
    "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ComposeTransform",
    "Dirichlet", "Distribution", "ExpTransform", "Exponential", "Gamma", "Geometric", "Independent", "Laplace",
    "LogNormal", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
    "SigmoidTransform", "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
    "constraints", "kl_divergence", "register_kl", "transforms",
    "AbsTransform", "ContinuousBernoulli", "Gumbel", "HalfCauchy", "HalfNormal", "Kumaraswamy",
    "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial", "NegativeBinomial",
    "Pareto", "RelaxedBernoulli", "RelaxedOneHotCategorical", "VonMises", "Weibull",
    "ExponentialFamily", "FisherSnedecor", "GeneralizedPareto", "InverseGamma", "LKJCholesky",
    "OneHotCategoricalStraightThrough", "Wishart",
    "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "IndependentTransform",
    "LogisticNormal", "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform", "SoftmaxTransform",
    "SoftplusTransform", "StackTransform", "StickBreakingTransform", "biject_to", "identity_transform", "transform_to",
]
