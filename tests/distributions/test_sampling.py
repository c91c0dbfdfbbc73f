"""Sampling: shapes, reproducibility under ember.manual_seed, and sample statistics (20k draws)."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import (
    Bernoulli, Beta, Binomial, Categorical, Cauchy, Chi2, Dirichlet, Exponential, Gamma, Geometric, Independent,
    Laplace, LogNormal, MultivariateNormal, Normal, OneHotCategorical, Poisson, StudentT, Uniform,
)

N = 20000


def _t(device):
    return lambda x: ember.tensor(x, dtype=ember.float64, device=device)


def _np(t):
    return ember.Tensor.numpy(t.detach(), force=True)


# name: (factory(T), mean, variance) for batched parameters; moments from closed forms
FAMILIES = {
    "normal": (lambda T: Normal(T([0.0, 2.0]), T([1.0, 0.5])), [0.0, 2.0], [1.0, 0.25]),
    "laplace": (lambda T: Laplace(T([1.0, -1.0]), T([0.5, 2.0])), [1.0, -1.0], [0.5, 8.0]),
    "uniform": (lambda T: Uniform(T([0.0, -2.0]), T([1.0, 4.0])), [0.5, 1.0], [1 / 12, 3.0]),
    "exponential": (lambda T: Exponential(T([0.5, 3.0])), [2.0, 1 / 3], [4.0, 1 / 9]),
    "gamma": (lambda T: Gamma(T([0.3, 1.0, 4.0, 80.0]), T([1.0, 2.0, 0.5, 4.0])),
              [0.3, 0.5, 8.0, 20.0], [0.3, 0.25, 16.0, 5.0]),
    "chi2": (lambda T: Chi2(T([1.0, 6.0])), [1.0, 6.0], [2.0, 12.0]),
    "beta": (lambda T: Beta(T([0.5, 2.0, 7.0]), T([0.5, 5.0, 1.5])),
             [0.5, 2 / 7, 7 / 8.5], [0.125, 10 / (49 * 8), 10.5 / (8.5 ** 2 * 9.5)]),
    "student_t": (lambda T: StudentT(T([5.0, 10.0]), T([1.0, -1.0]), T([2.0, 0.5])),
                  [1.0, -1.0], [4 * 5 / 3, 0.25 * 10 / 8]),
    "log_normal": (lambda T: LogNormal(T([0.0, 0.5]), T([0.5, 0.25])),
                   [math.exp(0.125), math.exp(0.5 + 0.03125)],
                   [math.expm1(0.25) * math.exp(0.25), math.expm1(0.0625) * math.exp(1.0625)]),
    "bernoulli": (lambda T: Bernoulli(T([0.1, 0.5, 0.8])), [0.1, 0.5, 0.8], [0.09, 0.25, 0.16]),
    "geometric": (lambda T: Geometric(T([0.2, 0.7])), [4.0, 3 / 7], [20.0, (3 / 7) / 0.7]),
    "poisson": (lambda T: Poisson(T([0.0, 0.7, 6.0, 12.0, 300.0])),
                [0.0, 0.7, 6.0, 12.0, 300.0], [0.0, 0.7, 6.0, 12.0, 300.0]),
    "binomial": (lambda T: Binomial(T([10.0, 10.0, 200.0, 1000.0, 0.0]), T([0.2, 0.9, 0.3, 0.75, 0.5])),
                 [2.0, 9.0, 60.0, 750.0, 0.0], [1.6, 0.9, 42.0, 187.5, 0.0]),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_sample_moments(name, device):
    make, mean, var = FAMILIES[name]
    d = make(_t(device))
    x = d.sample((N,))
    assert tuple(x.shape) == (N,) + tuple(d.batch_shape)
    assert x.device == d.sample().device
    assert not x.requires_grad
    assert bool(d.support.check(x).all())
    xs = _np(x)
    mean, var = np.array(mean), np.array(var)
    err = np.abs(xs.mean(0) - mean)
    assert (err <= 5 * np.sqrt(var / N) + 1e-12).all(), (xs.mean(0), mean)
    if name != "student_t":  # fourth moment needed for a variance tolerance; checked loosely below
        np.testing.assert_allclose(xs.var(0), var, rtol=0.06, atol=1e-12)
    else:
        np.testing.assert_allclose(xs.var(0), var, rtol=0.25)


def test_cauchy_sample_quantiles(device):
    x = _np(Cauchy(_t(device)(1.0), _t(device)(2.0)).sample((N,)))
    np.testing.assert_allclose(np.quantile(x, [0.25, 0.5, 0.75]), [-1.0, 1.0, 3.0], atol=0.12)


def test_categorical_frequencies(device):
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    d = Categorical(_t(device)(probs * 3))  # unnormalised
    x = _np(d.sample((N,)))
    assert x.dtype == np.int64 and x.shape == (N, 2)
    freq = np.stack([(x == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    oh = OneHotCategorical(logits=_t(device)(np.log(probs[0])))
    y = _np(oh.sample((N,)))
    assert y.shape == (N, 3) and (y.sum(-1) == 1).all()
    np.testing.assert_allclose(y.mean(0), probs[0], atol=0.015)


def test_dirichlet_moments(device):
    c = np.array([0.7, 2.0, 4.0])
    x = _np(Dirichlet(_t(device)(c)).sample((N,)))
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    total = c.sum()
    np.testing.assert_allclose(x.mean(0), c / total, atol=0.01)
    np.testing.assert_allclose(x.var(0), c * (total - c) / (total ** 2 * (total + 1)), rtol=0.06)


def test_multivariate_normal_moments(device):
    T = _t(device)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    loc = np.array([1.0, -2.0, 0.5])
    for kw in ({"covariance_matrix": T(cov)}, {"precision_matrix": T(np.linalg.inv(cov))},
               {"scale_tril": T(np.linalg.cholesky(cov))}):
        x = _np(MultivariateNormal(T(loc), **kw).sample((N,)))
        np.testing.assert_allclose(x.mean(0), loc, atol=0.05)
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.06)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_sample_shapes_and_seed(name, device):
    make = FAMILIES[name][0]
    d = make(_t(device))
    assert tuple(d.sample().shape) == tuple(d.batch_shape)
    assert tuple(d.sample((2, 3)).shape) == (2, 3) + tuple(d.batch_shape)
    assert tuple(d.sample(ember.Size([4])).shape) == (4,) + tuple(d.batch_shape)
    ember.manual_seed(123)
    a = _np(d.sample((5,)))
    ember.manual_seed(123)
    np.testing.assert_array_equal(_np(d.sample((5,))), a)
    e = d.expand((7,) + tuple(d.batch_shape))
    assert tuple(e.sample((2,)).shape) == (2, 7) + tuple(d.batch_shape)


def test_independent_shapes(device):
    d = Independent(Normal(_t(device)(np.zeros((4, 3))), 1.0), 1)
    assert tuple(d.batch_shape) == (4,) and tuple(d.event_shape) == (3,)
    assert tuple(d.sample((2,)).shape) == (2, 4, 3)
    assert tuple(d.log_prob(d.sample((2,))).shape) == (2, 4)
    assert d.has_rsample and not d.has_enumerate_support


def test_float32_samples_keep_dtype(device):
    for d in (Normal(ember.zeros(2, device=device), 1.0), Gamma(ember.ones(2, device=device), 1.0),
              Poisson(ember.ones(2, device=device)), Dirichlet(ember.ones(3, device=device))):
        assert d.sample((3,)).dtype is ember.float32
        assert d.log_prob(d.sample()).dtype is ember.float32
