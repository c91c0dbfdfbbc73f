"""log_prob against closed forms written with numpy and math; mean, variance, entropy and cdf
against numerical integration (continuous) or summation (discrete) of exp(log_prob)."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import (
    Bernoulli, Beta, Binomial, Categorical, Cauchy, Chi2, Exponential, Gamma, Geometric, Laplace, LogNormal,
    Normal, Poisson, StudentT, Uniform,
)

lgamma = np.vectorize(math.lgamma)


def _t(device):
    return lambda x: ember.tensor(x, dtype=ember.float64, device=device)


# name: (factory(T), numpy log-density(x), grid (lo, hi) for the integrals, "cdf" / "icdf" (both) / False)
CONTINUOUS = {
    "normal": (lambda T: Normal(T(0.7), T(1.3)),
               lambda x: -0.5 * ((x - 0.7) / 1.3) ** 2 - math.log(1.3) - 0.5 * math.log(2 * math.pi), (-12, 12), "icdf"),
    "laplace": (lambda T: Laplace(T(-0.5), T(0.8)),
                lambda x: -np.abs(x + 0.5) / 0.8 - math.log(1.6), (-30, 30), "icdf"),
    "cauchy": (lambda T: Cauchy(T(0.3), T(2.0)),
               lambda x: -math.log(math.pi * 2.0) - np.log1p(((x - 0.3) / 2.0) ** 2), None, "icdf"),
    "uniform": (lambda T: Uniform(T(-1.0), T(3.0)),
                lambda x: np.where((x >= -1) & (x < 3), -math.log(4.0), -np.inf), (-1, 3), "icdf"),
    "exponential": (lambda T: Exponential(T(1.7)), lambda x: math.log(1.7) - 1.7 * x, (0, 40), "icdf"),
    "gamma": (lambda T: Gamma(T(2.5), T(1.5)),
              lambda x: 2.5 * math.log(1.5) + 1.5 * np.log(x) - 1.5 * x - math.lgamma(2.5), (0, 60), "cdf"),
    "chi2": (lambda T: Chi2(T(5.0)),
             lambda x: 1.5 * np.log(x) - x / 2 - 2.5 * math.log(2) - math.lgamma(2.5), (0, 120), "cdf"),
    "beta": (lambda T: Beta(T(2.5), T(1.5)),
             lambda x: 1.5 * np.log(x) + 0.5 * np.log1p(-x) - math.lgamma(2.5) - math.lgamma(1.5) + math.lgamma(4.0),
             (0, 1), False),
    "student_t": (lambda T: StudentT(T(4.5), T(1.0), T(2.0)),
                  lambda x: (math.lgamma(2.75) - math.lgamma(2.25) - 0.5 * math.log(4.5 * math.pi) - math.log(2.0)
                             - 2.75 * np.log1p(((x - 1) / 2) ** 2 / 4.5)), (-4000, 4000), False),
    "log_normal": (lambda T: LogNormal(T(0.2), T(0.5)),
                   lambda x: -np.log(x) - 0.5 * ((np.log(x) - 0.2) / 0.5) ** 2 - math.log(0.5)
                   - 0.5 * math.log(2 * math.pi), (0, 60), "icdf"),
}

# name: (factory(T), numpy log-pmf(k), support upper bound for the sums)
DISCRETE = {
    "bernoulli": (lambda T: Bernoulli(T(0.3)), lambda k: np.where(k == 1, math.log(0.3), math.log(0.7)), 1),
    "bernoulli_logits": (lambda T: Bernoulli(logits=T(-1.2)),
                         lambda k: k * -1.2 - math.log1p(math.exp(-1.2)), 1),
    "geometric": (lambda T: Geometric(T(0.35)), lambda k: k * math.log(0.65) + math.log(0.35), 200),
    "poisson": (lambda T: Poisson(T(3.5)), lambda k: k * math.log(3.5) - 3.5 - lgamma(k + 1), 80),
    "binomial": (lambda T: Binomial(T(12.0), T(0.35)),
                 lambda k: (math.lgamma(13) - lgamma(k + 1) - lgamma(13 - k)
                            + k * math.log(0.35) + (12 - k) * math.log(0.65)), 12),
    "binomial_logits": (lambda T: Binomial(7, logits=T(0.8)),
                        lambda k: (math.lgamma(8) - lgamma(k + 1) - lgamma(8 - k) + k * 0.8
                                   - 7 * math.log1p(math.exp(0.8))), 7),
    "categorical": (lambda T: Categorical(T([1.0, 2.0, 3.0, 4.0])), lambda k: np.log((k + 1) / 10.0), 3),
    "categorical_logits": (lambda T: Categorical(logits=T([0.5, -1.0, 2.0])),
                           lambda k: np.array([0.5, -1.0, 2.0])[k.astype(int)] - np.log(np.exp([0.5, -1.0, 2.0]).sum()),
                           2),
}


def _np(t):
    return ember.Tensor.numpy(t.detach(), force=True)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_log_prob(name, device):
    make, ref, grid, _ = CONTINUOUS[name]
    d = make(_t(device))
    x = np.linspace(*(grid or (-20, 20)), 41)[1:-1]
    got = _np(d.log_prob(_t(device)(x)))
    np.testing.assert_allclose(got, ref(x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_moments_entropy_cdf(name, device):
    make, ref, grid, has_cdf = CONTINUOUS[name]
    if grid is None:
        pytest.skip("no moments")
    d = make(_t(device))
    lo, hi = grid
    x = np.linspace(lo, hi, 400001)[1:-1]
    logp = _np(d.log_prob(_t(device)(x)))
    p = np.exp(logp)
    assert np.trapezoid(p, x) == pytest.approx(1.0, abs=2e-3)
    mean = np.trapezoid(x * p, x)
    assert _np(d.mean) == pytest.approx(mean, rel=2e-3, abs=2e-3)
    if name != "student_t":  # heavy tails: the variance integral converges too slowly on a grid
        assert _np(d.variance) == pytest.approx(np.trapezoid((x - mean) ** 2 * p, x), rel=5e-3)
        assert _np(d.stddev) ** 2 == pytest.approx(_np(d.variance), rel=1e-12)
    assert _np(d.entropy()) == pytest.approx(np.trapezoid(np.where(p > 0, -p * logp, 0.0), x), rel=3e-3, abs=3e-3)
    if has_cdf:
        cum = np.concatenate([[0], np.cumsum((p[1:] + p[:-1]) / 2 * np.diff(x))])
        pts = np.interp([0.05, 0.25, 0.5, 0.75, 0.95], cum, x)
        got = _np(d.cdf(_t(device)(pts)))
        np.testing.assert_allclose(got, np.interp(pts, x, cum), atol=3e-3)
        if has_cdf == "icdf":
            np.testing.assert_allclose(_np(d.icdf(_t(device)(got))), pts, rtol=1e-8)


def test_cauchy_closed_forms(device):
    T = _t(device)
    d = Cauchy(T(0.3), T(2.0))
    x = np.array([-3.0, 0.3, 5.0])
    np.testing.assert_allclose(_np(d.cdf(T(x))), np.arctan((x - 0.3) / 2) / math.pi + 0.5, rtol=1e-12)
    assert _np(d.entropy()) == pytest.approx(math.log(4 * math.pi * 2.0))
    assert math.isnan(_np(d.mean)) and math.isinf(_np(d.variance))


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete(name, device):
    make, ref, top = DISCRETE[name]
    d = make(_t(device))
    k = np.arange(top + 1, dtype=np.float64)
    logp = _np(d.log_prob(_t(device)(k)))
    np.testing.assert_allclose(logp, ref(k), rtol=1e-10, atol=1e-10)
    p = np.exp(logp)
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    if name != "poisson":  # torch has no Poisson entropy either
        assert _np(d.entropy()) == pytest.approx(-(p * logp).sum(), rel=1e-8)
    if not name.startswith("categorical"):
        mean = (k * p).sum()
        assert _np(d.mean) == pytest.approx(mean, rel=1e-8)
        assert _np(d.variance) == pytest.approx(((k - mean) ** 2 * p).sum(), rel=1e-8)
        assert _np(d.mode) == k[np.argmax(p)]
    else:
        assert _np(d.mode) == np.argmax(p)


def test_poisson_has_no_entropy_but_has_moments(device):
    d = Poisson(_t(device)([0.5, 4.0]))
    np.testing.assert_allclose(_np(d.mean), [0.5, 4.0])
    np.testing.assert_allclose(_np(d.mode), [0.0, 4.0])
    with pytest.raises(NotImplementedError):
        d.entropy()


def test_gamma_cdf_closed_form(device):
    # P(a, x) for integer a: 1 - exp(-x) sum_{k<a} x^k / k!
    T = _t(device)
    a = np.array([1.0, 2.0, 3.0, 5.0, 30.0, 30.0])
    x = np.array([0.3, 2.5, 0.7, 9.0, 25.0, 40.0])
    want = [1 - math.exp(-xi) * sum(xi ** k / math.factorial(k) for k in range(int(ai))) for ai, xi in zip(a, x)]
    np.testing.assert_allclose(_np(Gamma(T(a), T(1.0)).cdf(T(x))), want, rtol=1e-11)
    # rate scales the argument
    np.testing.assert_allclose(_np(Gamma(T(a), T(2.0)).cdf(T(x / 2))), want, rtol=1e-11)


def test_binomial_and_bernoulli_enumerate(device):
    T = _t(device)
    d = Binomial(3, T([0.2, 0.7]))
    assert d.enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    assert tuple(d.enumerate_support(expand=False).shape) == (4, 1)
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        Binomial(T([2.0, 3.0]), T([0.2, 0.7])).enumerate_support()
    assert Bernoulli(T([0.2, 0.7])).enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_bernoulli_mode_and_extremes(device):
    T = _t(device)
    d = Bernoulli(T([0.2, 0.5, 0.9]))
    m = _np(d.mode)
    assert m[0] == 0 and math.isnan(m[1]) and m[2] == 1
    # probs at the edges give finite log_prob on the attainable value
    edge = Bernoulli(T([0.0, 1.0]))
    np.testing.assert_allclose(_np(edge.log_prob(T([0.0, 1.0]))), [0.0, 0.0], atol=1e-12)


def test_geometric_probs_one(device):
    T = _t(device)
    assert _np(Geometric(T(1.0)).log_prob(T(0.0))) == 0.0
