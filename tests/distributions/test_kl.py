"""kl_divergence: closed forms checked against numpy formulas and against Monte Carlo estimates."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import (
    Bernoulli, Beta, Categorical, Dirichlet, Exponential, Gamma, Independent, Laplace, LogNormal,
    MultivariateNormal, Normal, OneHotCategorical, Poisson, Uniform, kl_divergence, register_kl,
)


def _t(device):
    return lambda x: ember.tensor(x, dtype=ember.float64, device=device)


def _np(t):
    return ember.Tensor.numpy(t.detach(), force=True)


# name: (p factory, q factory); each p and q has batch shape (2,)
PAIRS = {
    "normal": (lambda T: Normal(T([0.0, 1.0]), T([1.0, 0.5])), lambda T: Normal(T([0.5, -1.0]), T([2.0, 1.5]))),
    "laplace": (lambda T: Laplace(T([0.0, 1.0]), T([1.0, 0.5])), lambda T: Laplace(T([0.5, -1.0]), T([2.0, 1.5]))),
    "uniform": (lambda T: Uniform(T([0.0, 1.0]), T([1.0, 2.0])), lambda T: Uniform(T([-1.0, 0.5]), T([2.0, 4.0]))),
    "exponential": (lambda T: Exponential(T([0.5, 2.0])), lambda T: Exponential(T([1.5, 0.7]))),
    "gamma": (lambda T: Gamma(T([2.0, 0.8]), T([1.0, 3.0])), lambda T: Gamma(T([1.5, 2.0]), T([0.5, 2.0]))),
    "beta": (lambda T: Beta(T([2.0, 0.8]), T([1.0, 3.0])), lambda T: Beta(T([1.5, 2.0]), T([0.5, 2.0]))),
    "dirichlet": (lambda T: Dirichlet(T([[2.0, 0.8, 1.0], [1.0, 1.0, 4.0]])),
                  lambda T: Dirichlet(T([[1.5, 2.0, 0.5], [3.0, 1.0, 1.0]]))),
    "bernoulli": (lambda T: Bernoulli(T([0.2, 0.7])), lambda T: Bernoulli(T([0.5, 0.1]))),
    "categorical": (lambda T: Categorical(T([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
                    lambda T: Categorical(logits=T([[0.0, 1.0, -1.0], [0.5, 0.5, 0.0]]))),
    "one_hot": (lambda T: OneHotCategorical(T([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
                lambda T: OneHotCategorical(T([[0.3, 0.3, 0.4], [0.1, 0.1, 0.8]]))),
    "poisson": (lambda T: Poisson(T([2.0, 7.0])), lambda T: Poisson(T([3.0, 5.0]))),
    "mvn": (lambda T: MultivariateNormal(T([[0.0, 1.0], [1.0, -1.0]]), T([[1.0, 0.3], [0.3, 0.5]])),
            lambda T: MultivariateNormal(T([0.5, 0.0]), scale_tril=T([[[1.2, 0.0], [0.5, 0.7]], [[2.0, 0.0], [0.0, 1.0]]]))),
    "independent": (lambda T: Independent(Normal(T([[0.0, 1.0], [1.0, 2.0]]), 1.0), 1),
                    lambda T: Independent(Normal(T([[0.5, 1.0], [0.0, 0.0]]), 2.0), 1)),
    "log_normal": (lambda T: LogNormal(T([0.0, 1.0]), T([1.0, 0.5])), lambda T: LogNormal(T([0.5, -1.0]), T([2.0, 1.5]))),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kl_matches_monte_carlo(name, device):
    T = _t(device)
    p, q = PAIRS[name][0](T), PAIRS[name][1](T)
    kl = _np(kl_divergence(p, q))
    assert kl.shape == (2,)
    x = p.sample((40000,))
    diff = _np(p.log_prob(x) - q.log_prob(x))
    err = np.abs(diff.mean(0) - kl)
    assert (err <= 5 * diff.std(0) / 200 + 1e-9).all(), (diff.mean(0), kl)
    assert (_np(kl_divergence(p, p)) == pytest.approx(0.0, abs=1e-12))


def test_kl_closed_forms(device):
    T = _t(device)
    # normal: log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2
    assert _np(kl_divergence(Normal(T(0.3), T(0.5)), Normal(T(-1.0), T(2.0)))) == pytest.approx(
        math.log(4) + (0.25 + 1.69) / 8 - 0.5)
    # gamma (shape a, rate b)
    a1, b1, a2, b2 = 2.0, 1.0, 1.5, 0.5
    want = ((a1 - a2) * _digamma(a1) - math.lgamma(a1) + math.lgamma(a2) + a2 * (math.log(b1) - math.log(b2))
            + a1 * (b2 - b1) / b1)
    assert _np(kl_divergence(Gamma(T(a1), T(b1)), Gamma(T(a2), T(b2)))) == pytest.approx(want, rel=1e-10)
    # mvn against the textbook formula
    c1, c2 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.2], [-0.2, 1.0]])
    m1, m2 = np.array([0.0, 1.0]), np.array([0.5, -0.5])
    inv2 = np.linalg.inv(c2)
    want = 0.5 * (np.trace(inv2 @ c1) + (m2 - m1) @ inv2 @ (m2 - m1) - 2 + math.log(np.linalg.det(c2) / np.linalg.det(c1)))
    got = kl_divergence(MultivariateNormal(T(m1), T(c1)), MultivariateNormal(T(m2), precision_matrix=T(inv2)))
    assert _np(got) == pytest.approx(want, rel=1e-10)
    # poisson
    assert _np(kl_divergence(Poisson(T(2.0)), Poisson(T(3.0)))) == pytest.approx(2 * math.log(2 / 3) + 1)


def _digamma(x, h=1e-5):
    return (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)


def test_kl_infinite_and_zero_support(device):
    T = _t(device)
    assert math.isinf(_np(kl_divergence(Uniform(T(0.0), T(2.0)), Uniform(T(0.5), T(3.0)))))
    assert math.isinf(_np(kl_divergence(Categorical(T([0.5, 0.5])), Categorical(T([1.0, 0.0])))))
    assert _np(kl_divergence(Categorical(T([1.0, 0.0])), Categorical(T([0.5, 0.5])))) == pytest.approx(math.log(2))
    assert _np(kl_divergence(Bernoulli(T(0.0)), Bernoulli(T(0.5)))) == pytest.approx(math.log(2))


def test_kl_dispatch():
    class MyNormal(Normal):
        pass

    # subclasses inherit the base rule
    assert float(kl_divergence(MyNormal(0.0, 1.0), Normal(0.0, 1.0))) == 0.0

    @register_kl(MyNormal, Normal)
    def _kl(p, q):
        return ember.tensor(-1.0)

    assert float(kl_divergence(MyNormal(0.0, 1.0), Normal(0.0, 1.0))) == -1.0
    assert float(kl_divergence(Normal(0.0, 1.0), MyNormal(0.0, 1.0))) == 0.0
    with pytest.raises(NotImplementedError, match="No KL"):
        kl_divergence(Normal(0.0, 1.0), Categorical(ember.ones(3)))
    with pytest.raises(NotImplementedError):
        kl_divergence(Independent(Normal(ember.zeros(2, 2), 1.0), 1), Independent(Normal(ember.zeros(2, 2), 1.0), 2))
    with pytest.raises(TypeError):
        register_kl(Normal, "Normal")
