"""Gamma, Poisson, binomial and Dirichlet draws: torch's CPU samplers, draw for draw.

Without torch the float64 draws are checked against the algorithms written out plainly below over
numpy's legacy Mersenne Twister (the stream torch seeds), and every device's draws against the
distributions' means and variances; with torch installed they are compared with torch itself.
"""

import math

import numpy as np
import pytest

import ember
from ember.distributions.dirichlet import dirichlet_sample
from ember.distributions.gamma import StandardGammaSample, draw_gamma

HOST_DEVICES = ["cpu", "strict"]


@pytest.fixture(params=HOST_DEVICES)
def host_device(request):
    if request.param not in ember.plugins.host().device_types():
        pytest.skip(f"{request.param} backend not installed")
    return request.param


class Reference:
    """torch's float64 gamma, Poisson and binomial samplers, one element at a time, on numpy's MT19937."""

    def __init__(self, seed):
        self.rs, self.cache = np.random.RandomState(seed), None

    def uniform(self):
        hi, lo = (int(w) for w in self.rs.randint(0, 2 ** 32, size=2, dtype=np.uint64))
        return ((hi << 32 | lo) & (2 ** 53 - 1)) * 2.0 ** -53

    def normal(self):
        if self.cache is not None:
            z, self.cache = self.cache, None
            return z
        u1, u2 = self.uniform(), self.uniform()
        r, theta = math.sqrt(-2 * math.log1p(-u2)), 2 * math.pi * u1
        self.cache = r * math.sin(theta)
        return r * math.cos(theta)

    def gamma(self, alpha):
        if alpha == 0:
            return np.finfo(np.float64).tiny
        scale = 1.0
        if alpha < 1:
            scale = (1 - self.uniform()) ** (1 / alpha)
            alpha += 1
        d = alpha - float(np.float32(1 / 3))  # torch subtracts the float 1.0f / 3.0f
        c = 1 / math.sqrt(9 * d)
        while True:
            y = 0.0
            while y <= 0:
                x = self.normal()
                y = 1 + c * x
            v, u, xx = y * y * y, 1 - self.uniform(), x * x
            if u < 1 - float(np.float32(0.0331)) * xx * xx or math.log(u) < 0.5 * xx + d * (1 - v + math.log(v)):
                return max(scale * d * v, np.finfo(np.float64).tiny)

    def poisson(self, lam):
        if lam == 0:
            return 0
        if lam < 10:
            k, prod = 0, self.uniform()
            while prod > math.exp(-lam):
                k, prod = k + 1, prod * self.uniform()
            return k
        b = 0.931 + 2.53 * math.sqrt(lam)
        a = -0.059 + 0.02483 * b
        inv_alpha, v_r = 1.1239 + 1.1328 / (b - 3.4), 0.9277 - 3.6224 / (b - 2)
        while True:
            u, v = self.uniform() - 0.5, self.uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= v_r:
                return k
            if k >= 0 and (us >= 0.013 or v <= us) and (
                    math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                    <= -lam + k * math.log(lam) - math.lgamma(k + 1)):
                return k

    def binomial(self, n, p):
        if n <= 0 or p <= 0:
            return 0.0
        if p >= 1:
            return n
        if p > 0.5:
            return n - self.binomial(n, 1 - p)
        if n * p < 10:  # count geometric waiting times until they pass n
            k, total = 0, 0
            while True:
                total += math.ceil(math.log(self.uniform()) / math.log1p(-p))
                if total > n:
                    return float(k)
                k += 1
        return self.btrs(n, p)

    def btrs(self, n, p):
        spq = math.sqrt(n * p * (1 - p))
        b = 1.15 + 2.53 * spq
        a, c, v_r = -0.0873 + 0.0248 * b + 0.01 * p, n * p + 0.5, 0.92 - 4.2 / b
        r, alpha, m = p / (1 - p), (2.83 + 5.1 / b) * spq, math.floor((n + 1) * p)

        def tail(k):
            table = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                     0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                     0.00925546218271273, 0.00833056343336287]
            return table[int(k)] if k <= 9 else (1 / 12 - (1 / 360 - 1 / 1260 / ((k + 1) * (k + 1))) / ((k + 1) * (k + 1))) / (k + 1)

        while True:
            u, v = self.uniform() - 0.5, self.uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + c)
            if not 0 <= k <= n:
                continue
            if us >= 0.07 and v <= v_r:
                return float(k)
            bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1))) + (n + 1) * math.log((n - m + 1) / (n - k + 1))
                     + (k + 0.5) * math.log(r * (n - k + 1) / (k + 1)) + tail(m) + tail(n - m) - tail(k) - tail(n - k))
            if math.log(v * alpha / (a / (us * us) + b)) <= bound:
                return float(k)


ALPHAS = [0.0, 1e-3, 0.3, 1 / 3, 0.5, 1.0, 1.7, 2.5, 9.0, 40.0, 1e4]
RATES = [0.0, 0.3, 2.0, 9.999, 10.0, 12.5, 100.0, 1e6]
COUNTS = [0.0, 1.0, 7.0, 20.0, 100.0, 5000.0]
PROBS = [0.0, 1e-4, 0.05, 0.3, 0.5, 0.7, 0.97, 1.0]


def _grid():
    n, p = np.meshgrid(COUNTS, PROBS)
    return np.tile(n.ravel(), 3), np.tile(p.ravel(), 3)


# --- the float64 draws against the plain reference (no torch needed) ----------------------------------------
def test_gamma_draws_follow_the_reference(host_device):
    alpha = np.tile(ALPHAS, 6)
    ember.manual_seed(11)
    got = ember._standard_gamma(ember.tensor(alpha, dtype=ember.float64, device=host_device))
    ref = Reference(11)
    np.testing.assert_array_equal(got._host(), [ref.gamma(a) for a in alpha])
    # the generator stands where the reference does, normal cache included
    np.testing.assert_array_equal(ember.randn(3, dtype=ember.float64, device=host_device)._host(), [ref.normal() for _ in range(3)])


def test_poisson_draws_follow_the_reference(host_device):
    rates = np.tile(RATES, 6)
    ember.manual_seed(12)
    got = ember.poisson(ember.tensor(rates, dtype=ember.float64, device=host_device))
    ref = Reference(12)
    np.testing.assert_array_equal(got._host(), [ref.poisson(r) for r in rates])
    assert ember.rand(1, dtype=ember.float64, device=host_device).item() == ref.uniform()


def test_binomial_draws_follow_the_reference(host_device):
    n, p = _grid()
    ember.manual_seed(13)
    got = ember.binomial(ember.tensor(n, dtype=ember.float64, device=host_device),
                         ember.tensor(p, dtype=ember.float64, device=host_device))
    ref = Reference(13)
    np.testing.assert_array_equal(got._host(), [ref.binomial(a, b) for a, b in zip(n, p, strict=True)])
    assert ember.rand(1, dtype=ember.float64, device=host_device).item() == ref.uniform()


def test_dirichlet_normalises_float64_gammas(host_device):
    conc = np.array([[0.4, 1.0, 3.0], [2.0, 0.05, 7.5]])
    ember.manual_seed(14)
    got = ember._sample_dirichlet(ember.tensor(conc, dtype=ember.float32, device=host_device))._host()
    ref = Reference(14)
    g = np.array([[ref.gamma(float(np.float32(a))) for a in row] for row in conc])  # float64 draws of float32 alpha
    want = ((g[:, 0] + g[:, 1]) + g[:, 2])[:, None]
    np.testing.assert_array_equal(got, np.clip((g / want).astype(np.float32), np.finfo(np.float32).tiny,
                                               np.nextafter(np.float32(1), np.float32(0))))


def test_edge_values():
    assert ember._standard_gamma(ember.tensor([0.0])).item() == np.finfo(np.float32).tiny
    n = ember.tensor([0.0, 5.0, 5.0, 5.0, 5.0])
    out = ember.binomial(n, ember.tensor([0.5, 0.0, 1.0, 2.0, math.nan])).tolist()
    assert out[:4] == [0.0, 0.0, 5.0, 5.0] and math.isnan(out[4])
    assert ember.poisson(ember.zeros(3, dtype=ember.float64)).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(NotImplementedError, match="\"gamma_cpu\" not implemented for 'Half'"):
        ember._standard_gamma(ember.ones(2, dtype=ember.float16))


def test_a_failed_poisson_leaves_the_generator_past_the_draws_made():
    ember.manual_seed(15)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ember.poisson(ember.tensor([3.0, -1.0], dtype=ember.float64))
    ref = Reference(15)
    ref.poisson(3.0)
    assert ember.rand(1, dtype=ember.float64).item() == ref.uniform()


# --- statistics on every device -------------------------------------------------------------------------------
def test_sample_moments(device):
    g = ember.Generator(device).manual_seed(3)
    n = 3000

    def moments(x):
        h = x.cpu().numpy().astype(np.float64)
        return h.mean(0), h.var(0)

    alpha = ember.tensor([0.3, 1.0, 2.5, 40.0], device=device)
    mean, var = moments(ember._standard_gamma(alpha.expand(n, 4), generator=g))
    np.testing.assert_allclose(mean, [0.3, 1.0, 2.5, 40.0], rtol=0.08)
    np.testing.assert_allclose(var, [0.3, 1.0, 2.5, 40.0], rtol=0.2)
    rate = ember.tensor([0.5, 5.0, 10.0, 60.0], device=device)
    mean, var = moments(ember.poisson(rate.expand(n, 4), generator=g))
    np.testing.assert_allclose(mean, [0.5, 5.0, 10.0, 60.0], rtol=0.06)
    np.testing.assert_allclose(var, [0.5, 5.0, 10.0, 60.0], rtol=0.15)
    count = ember.tensor([8.0, 40.0, 200.0, 60.0], device=device)
    prob = ember.tensor([0.3, 0.5, 0.1, 0.9], device=device)
    mean, var = moments(ember.binomial(count.expand(n, 4), prob.expand(n, 4), generator=g))
    np.testing.assert_allclose(mean, [2.4, 20.0, 20.0, 54.0], rtol=0.04)
    np.testing.assert_allclose(var, [1.68, 10.0, 18.0, 5.4], rtol=0.15)
    conc = ember.tensor([0.5, 1.0, 2.5], device=device)
    mean, _ = moments(ember._sample_dirichlet(conc.expand(n, 3), generator=g))
    np.testing.assert_allclose(mean, [0.125, 0.25, 0.625], atol=0.02)


def test_dirichlet_gradient_is_the_gamma_normalisation_gradient(device):
    conc = ember.tensor([[0.7, 2.0, 3.5], [1.5, 0.3, 4.0]], dtype=ember.float64, device=device, requires_grad=True)
    w = ember.tensor([1.0, -2.0, 0.5], dtype=ember.float64, device=device)
    (dirichlet_sample(conc, ember.Generator(device).manual_seed(2)) * w).sum().backward()
    c = conc.detach().requires_grad_()
    g = apply_gamma(c, draw_gamma(c, ember.Generator(device).manual_seed(2), ember.float64))
    (g / g.sum(-1, keepdim=True) * w).sum().backward()
    np.testing.assert_allclose(conc.grad.cpu().numpy(), c.grad.cpu().numpy(), rtol=1e-12, atol=1e-14)


def apply_gamma(concentration, draws):
    from ember._tensor import apply

    return apply(StandardGammaSample, (concentration, draws))


# --- torch itself ----------------------------------------------------------------------------------------------
def _same(run_torch, run_ember, seed=0):
    """Both libraries after ``manual_seed(seed)``: equal results, and equal draws afterwards."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    want = run_torch(torch)
    after_t = torch.randn(3, dtype=torch.float64).tolist() + torch.rand(2).tolist()
    ember.manual_seed(seed)
    got = run_ember(ember)
    after_e = ember.randn(3, dtype=ember.float64).tolist() + ember.rand(2).tolist()
    np.testing.assert_array_equal(np.asarray(got.detach().tolist()), np.asarray(want.detach().tolist()))
    assert after_e == after_t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_standard_gamma(dtype):
    alpha = np.tile(ALPHAS, 4).reshape(4, -1)
    _same(lambda L: L._standard_gamma(L.tensor(alpha, dtype=getattr(L, dtype))),
          lambda L: L._standard_gamma(L.tensor(alpha, dtype=getattr(L, dtype))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_poisson(dtype):
    rates = np.tile(RATES, 5).reshape(5, -1)
    _same(lambda L: L.poisson(L.tensor(rates, dtype=getattr(L, dtype))),
          lambda L: L.poisson(L.tensor(rates, dtype=getattr(L, dtype))), seed=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_binomial(dtype):
    n, p = _grid()
    _same(lambda L: L.binomial(L.tensor(n, dtype=getattr(L, dtype)), L.tensor(p, dtype=getattr(L, dtype))),
          lambda L: L.binomial(L.tensor(n, dtype=getattr(L, dtype)), L.tensor(p, dtype=getattr(L, dtype))), seed=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k", [2, 3, 5, 9, 40])
def test_torch_sample_dirichlet(dtype, k):
    conc = np.linspace(0.02, 5.0, 3 * k).reshape(3, k)
    _same(lambda L: L._sample_dirichlet(L.tensor(conc, dtype=getattr(L, dtype))),
          lambda L: L._sample_dirichlet(L.tensor(conc, dtype=getattr(L, dtype))), seed=k)


def test_torch_generator_argument():
    torch = pytest.importorskip("torch")
    a = [0.5, 3.0]
    want = torch._standard_gamma(torch.tensor(a), generator=torch.Generator().manual_seed(4))
    got = ember._standard_gamma(ember.tensor(a), generator=ember.Generator().manual_seed(4))
    assert got.tolist() == want.tolist()


DISTRIBUTIONS = {
    "gamma": (lambda L, T: T.Gamma(L.tensor([0.3, 1.0, 2.5, 40.0]), L.tensor([1.0, 2.0, 0.5, 3.0])), "rsample"),
    "chi2": (lambda L, T: T.Chi2(L.tensor([0.5, 3.0, 10.0], dtype=L.float64)), "rsample"),
    "beta": (lambda L, T: T.Beta(L.tensor([0.2, 1.0, 5.0]), L.tensor([0.7, 3.0, 0.01])), "rsample"),
    "beta_numbers": (lambda L, T: T.Beta(2.0, 3.0), "sample"),
    "dirichlet": (lambda L, T: T.Dirichlet(L.tensor([[0.1, 1.0, 4.0, 2.0, 0.5], [3.0] * 5], dtype=L.float64)),
                  "rsample"),
    "student_t": (lambda L, T: T.StudentT(L.tensor([0.5, 3.0, 30.0]), L.tensor([0.0, 1.0, -2.0]), 2.0), "rsample"),
    "poisson": (lambda L, T: T.Poisson(L.tensor([0.0, 0.5, 9.9, 10.0, 1000.0])), "sample"),
    "binomial": (lambda L, T: T.Binomial(L.tensor([0.0, 5.0, 20.0, 1000.0, 30.0]),
                                         probs=L.tensor([0.5, 0.1, 0.5, 0.02, 0.97])), "sample"),
    "negative_binomial": (lambda L, T: T.NegativeBinomial(L.tensor([0.5, 5.0, 20.0]), probs=L.tensor([0.5, 0.1, 0.9])),
                          "sample"),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_torch_distributions(name):
    torch_dists = pytest.importorskip("torch.distributions")
    import ember.distributions as ember_dists

    make, method = DISTRIBUTIONS[name]
    _same(lambda L: getattr(make(L, torch_dists), method)((40,)),
          lambda L: getattr(make(L, ember_dists), method)((40,)), seed=len(name))
