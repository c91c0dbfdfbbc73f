"""Gradients: reparameterised samples (gradcheck with fixed noise, implicit gamma gradients against
the CDF identity and against closed-form d E[f(x)] / d theta), and log_prob/entropy gradients."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.distributions import (
    Bernoulli, Beta, Binomial, Categorical, Cauchy, Dirichlet, Exponential, Gamma, Laplace, LogNormal,
    MultivariateNormal, Normal, StudentT, Uniform, kl_divergence,
)


def _leaf(device, x):
    return ember.tensor(x, dtype=ember.float64, device=device).requires_grad_()


def _seeded(sample):
    def fn(*params):
        ember.manual_seed(7)  # the same noise on every evaluation: the sample is a smooth function of params
        return sample(*params)

    return fn


RSAMPLE = {
    "normal": (lambda loc, scale: Normal(loc, scale).rsample((3,)), ([0.5, -1.0], [1.0, 2.0])),
    "laplace": (lambda loc, scale: Laplace(loc, scale).rsample((3,)), ([0.5, -1.0], [1.0, 2.0])),
    "cauchy": (lambda loc, scale: Cauchy(loc, scale).rsample((3,)), ([0.5, -1.0], [1.0, 2.0])),
    "uniform": (lambda lo, hi: Uniform(lo, hi).rsample((3,)), ([0.0, -1.0], [1.0, 2.0])),
    "exponential": (lambda rate: Exponential(rate).rsample((3,)), ([0.5, 2.0],)),
    "log_normal": (lambda loc, scale: LogNormal(loc, scale).rsample((3,)), ([0.5, -1.0], [0.3, 0.7])),
    "mvn_scale_tril": (lambda loc, tril: MultivariateNormal(loc, scale_tril=tril.tril()).rsample((2,)),
                       ([0.5, -1.0], [[1.5, 0.0], [0.4, 0.8]])),
    "mvn_covariance": (lambda loc, a: MultivariateNormal(loc, covariance_matrix=a @ a.mT + ember.eye(2, dtype=a.dtype,
                                                                                                       device=a.device)
                                                         ).rsample((2,)),
                       ([0.5, -1.0], [[1.0, 0.2], [0.3, 0.5]])),
}


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_rsample_gradcheck(name, device):
    fn, params = RSAMPLE[name]
    xs = tuple(_leaf(device, p) for p in params)
    assert gradcheck(_seeded(fn), xs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gamma_implicit_gradient_matches_cdf_identity(device):
    # F(x(a); a) = u fixed  =>  dF/da + f(x) dx/da = 0
    a = _leaf(device, [0.2, 0.9, 2.5, 7.0, 40.0])
    rate = ember.tensor(1.0, dtype=ember.float64, device=device)
    x = Gamma(a, rate).rsample((40,))
    (grad,) = ember.autograd.grad(x.sum(), a)
    xv = x.detach()
    h = 1e-6
    a0 = a.detach()
    dcdf = (Gamma(a0 + h, rate).cdf(xv) - Gamma(a0 - h, rate).cdf(xv)) / (2 * h)
    density = Gamma(a0, rate).log_prob(xv).exp()
    want = (-dcdf / density).sum(0)
    np.testing.assert_allclose(grad.tolist(), want.tolist(), rtol=1e-5)


def test_gamma_cdf_gradcheck(device):
    a = _leaf(device, [0.4, 2.0, 6.0, 3.0])
    x = _leaf(device, [0.3, 1.5, 9.0, 0.01])
    assert gradcheck(lambda a, x: Gamma(a, 1.0).cdf(x), (a, x), eps=1e-6, atol=1e-6, rtol=1e-5)


N = 20000


def _mean_grads(device, make, params, f=lambda x: x):
    leaves = [_leaf(device, p) for p in params]
    x = make(*leaves).rsample((N,))
    return [g.tolist() for g in ember.autograd.grad(f(x).mean(0).sum(), leaves)]


def test_gamma_mean_gradient(device):
    # E[x] = a / r: dE/da = 1 / r, dE/dr = -a / r^2
    ga, gr = _mean_grads(device, Gamma, ([0.5, 3.0], [2.0, 0.5]))
    np.testing.assert_allclose(ga, [0.5, 2.0], rtol=0.05)
    np.testing.assert_allclose(gr, [-0.125, -12.0], rtol=0.05)


def test_beta_and_dirichlet_mean_gradient(device):
    # E[x] = c1 / (c1 + c0)
    g1, g0 = _mean_grads(device, Beta, ([2.0], [3.0]))
    np.testing.assert_allclose(g1, [3 / 25], rtol=0.1)
    np.testing.assert_allclose(g0, [-2 / 25], rtol=0.1)
    (gc,) = _mean_grads(device, Dirichlet, ([1.0, 2.0, 3.0],), f=lambda x: x[..., 0])
    np.testing.assert_allclose(gc, [5 / 36, -1 / 36, -1 / 36], atol=0.01)


def test_student_t_second_moment_gradient(device):
    # E[(x - loc)^2] = scale^2 df / (df - 2): d/d scale = 2 scale df / (df - 2)
    df, loc, scale = (_leaf(device, v) for v in (8.0, 1.0, 1.5))
    x = StudentT(df, loc, scale).rsample((N,))
    (g,) = ember.autograd.grad(((x - loc.detach()) ** 2).mean(), [scale])
    assert float(g) == pytest.approx(2 * 1.5 * 8 / 6, rel=0.08)


LOG_PROB = {
    "normal": (lambda loc, scale, x: Normal(loc, scale).log_prob(x), ([0.3, -1.0], [1.2, 0.4], [0.0, 2.0])),
    "laplace": (lambda loc, scale, x: Laplace(loc, scale).log_prob(x), ([0.3, -1.0], [1.2, 0.4], [0.1, 2.0])),
    "gamma": (lambda a, r, x: Gamma(a, r).log_prob(x), ([0.7, 3.0], [1.2, 0.4], [0.5, 2.0])),
    "beta": (lambda a, b, x: Beta(a, b).log_prob(x), ([0.7, 3.0], [1.2, 0.4], [0.3, 0.6])),
    "student_t": (lambda df, loc, x: StudentT(df, loc, 2.0).log_prob(x), ([3.0, 7.0], [0.5, -1.0], [0.1, 2.0])),
    "dirichlet": (lambda c, x: Dirichlet(c).log_prob(x / x.sum(-1, keepdim=True)), ([0.7, 2.0, 3.0], [0.2, 0.3, 0.5])),
    "bernoulli_logits": (lambda l: Bernoulli(logits=l).log_prob(ember.tensor([1.0, 0.0], dtype=l.dtype, device=l.device)),
                         ([0.3, -2.0],)),
    "binomial": (lambda p: Binomial(5, p).log_prob(ember.tensor([2.0, 5.0], dtype=p.dtype, device=p.device)),
                 ([0.3, 0.6],)),
    "categorical": (lambda l: Categorical(logits=l).log_prob(ember.tensor([0, 2], device=l.device)),
                    ([[0.3, -2.0, 1.0], [0.0, 0.5, 0.1]],)),
    "mvn": (lambda loc, a, x: MultivariateNormal(loc, scale_tril=a.tril()).log_prob(x),
            ([0.5, -1.0], [[1.5, 0.0], [0.4, 0.8]], [0.1, 0.3])),
    "entropy_gamma": (lambda a, r: Gamma(a, r).entropy(), ([0.7, 3.0], [1.2, 0.4])),
    "entropy_dirichlet": (lambda c: Dirichlet(c).entropy(), ([0.7, 2.0, 3.0],)),
    "kl_beta": (lambda a, b: kl_divergence(Beta(a, b), Beta(b, a)), ([0.7, 3.0], [1.2, 0.4])),
}


@pytest.mark.parametrize("name", sorted(LOG_PROB))
def test_log_prob_gradcheck(name, device):
    fn, params = LOG_PROB[name]
    xs = tuple(_leaf(device, p) for p in params)
    assert gradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-4)
    assert gradgradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_sample_is_detached(device):
    loc = _leaf(device, [0.0])
    assert not Normal(loc, 1.0).sample().requires_grad
    assert Normal(loc, 1.0).rsample().requires_grad
    a = _leaf(device, [2.0])
    assert not Gamma(a, 1.0).sample().requires_grad
    assert Gamma(a, 1.0).rsample().requires_grad
