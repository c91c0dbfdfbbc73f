"""kl_divergence across families: numerical quadrature in numpy, gradients, dispatch, and every pair against torch."""

import math
import warnings

import numpy as np
import pytest

import ember
import ember.distributions as ed
from ember.distributions import kl_divergence, register_kl
from ember.distributions.kl import _KL_CACHE, _KL_REGISTRY

lgamma = np.vectorize(math.lgamma)


def _np(t):
    return ember.Tensor.numpy(t.detach(), force=True)


# --- numpy references: E_p[log p(X) - log q(X)] on a quadrature grid over p ------------------------------------
def _grid(lo, hi, n=200_001):
    """Midpoints and widths of ``n`` equal cells on ``[lo, hi]``."""
    edges = np.linspace(lo, hi, n + 1)
    return 0.5 * (edges[1:] + edges[:-1]), np.diff(edges)


def _log_pdf(name, params, x):
    """numpy log densities (log masses for the discrete ones), -inf outside the support."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "Normal":
            mu, s = params
            return -0.5 * ((x - mu) / s) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi)
        if name == "Laplace":
            mu, s = params
            return -np.abs(x - mu) / s - np.log(2 * s)
        if name == "Cauchy":
            mu, s = params
            return -np.log(math.pi * s * (1 + ((x - mu) / s) ** 2))
        if name == "Gumbel":
            mu, s = params
            z = (x - mu) / s
            return -z - np.exp(-z) - np.log(s)
        if name == "Exponential":
            (rate,) = params
            return np.where(x >= 0, np.log(rate) - rate * x, -np.inf)
        if name == "Gamma":
            a, b = params
            return np.where(x > 0, a * np.log(b) + (a - 1) * np.log(x) - b * x - lgamma(a), -np.inf)
        if name == "Beta":
            a, b = params
            inside = (x > 0) & (x < 1)
            return np.where(inside, (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) + lgamma(a + b) - lgamma(a) - lgamma(b),
                            -np.inf)
        if name == "Uniform":
            lo, hi = params
            return np.where((x >= lo) & (x < hi), -np.log(hi - lo), -np.inf)
        if name == "Pareto":
            s, a = params
            return np.where(x >= s, np.log(a) + a * np.log(s) - (a + 1) * np.log(x), -np.inf)
        if name == "ContinuousBernoulli":
            (lam,) = params
            log_norm = math.log(2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam))
            return np.where((x >= 0) & (x <= 1), x * np.log(lam) + (1 - x) * np.log1p(-lam) + log_norm, -np.inf)
        if name == "Poisson":
            (rate,) = params
            return x * np.log(rate) - rate - lgamma(x + 1)
        if name == "Bernoulli":
            (prob,) = params
            return np.where(x == 1, np.log(prob), np.where(x == 0, np.log1p(-prob), -np.inf))
        if name == "Binomial":
            n, prob = params
            log_choose = lgamma(n + 1) - lgamma(x + 1) - lgamma(np.maximum(n - x, 0) + 1)
            return np.where(x <= n, log_choose + x * np.log(prob) + (n - x) * np.log1p(-prob), -np.inf)
    raise KeyError(name)


def _quadrature(name, params):
    """Nodes and weights ``(x, w)`` with ``sum(w * f(x)) ~ E_p[f(X)]`` for the family ``name``."""
    if name in ("Normal", "Laplace", "Gumbel"):
        mu, s = params
        x, dx = _grid(mu - 40 * s, mu + 40 * s)
    elif name in ("Exponential", "Gamma"):  # x = exp(y): log x stays integrable near 0
        rate = params[-1]
        y, dy = _grid(math.log(1e-14 / rate), math.log(200 / rate))
        x = np.exp(y)
        return x, np.exp(_log_pdf(name, params, x)) * x * dy
    elif name in ("Beta", "ContinuousBernoulli"):
        x, dx = _grid(0.0, 1.0)
    elif name == "Uniform":
        x, dx = _grid(*params)
    elif name == "Pareto":  # x = scale * exp(e), e ~ Exponential(alpha)
        s, a = params
        e, de = _grid(0.0, 80 / a)
        return s * np.exp(e), a * np.exp(-a * e) * de
    elif name == "Bernoulli":
        return np.array([0.0, 1.0]), np.exp(_log_pdf(name, params, np.array([0.0, 1.0])))
    elif name == "Binomial":
        x = np.arange(params[0] + 1.0)
        return x, np.exp(_log_pdf(name, params, x))
    else:
        raise KeyError(name)
    return x, np.exp(_log_pdf(name, params, x)) * dx


def _kl_reference(p_name, p_params, q_name, q_params):
    x, w = _quadrature(p_name, p_params)
    keep = w > 0
    x, w = x[keep], w[keep]
    log_q = _log_pdf(q_name, q_params, x)
    if np.isneginf(log_q).any():
        return math.inf
    return float(np.sum(w * (_log_pdf(p_name, p_params, x) - log_q)))


# (p family, p params, q family, q params): scalar parameters in the ember constructors' order
QUADRATURE_CASES = [
    ("Uniform", (-0.4, 1.3), "Normal", (0.5, 0.8)),
    ("Uniform", (0.2, 0.7), "Beta", (2.5, 1.5)),
    ("Uniform", (0.2, 0.7), "ContinuousBernoulli", (0.3,)),
    ("Uniform", (0.5, 2.0), "Gamma", (2.5, 1.5)),
    ("Uniform", (0.5, 2.0), "Exponential", (1.5,)),
    ("Uniform", (0.5, 2.0), "Pareto", (0.4, 2.5)),
    ("Uniform", (-0.5, 2.0), "Gumbel", (0.5, 1.5)),
    ("Normal", (0.3, 0.9), "Laplace", (-0.5, 1.4)),
    ("Normal", (0.3, 0.9), "Gumbel", (-0.5, 1.4)),
    ("Laplace", (0.3, 0.9), "Normal", (-0.5, 1.4)),
    ("Gumbel", (0.3, 0.9), "Normal", (-0.5, 1.4)),
    ("Exponential", (1.7,), "Gamma", (2.5, 1.5)),
    ("Exponential", (1.7,), "Normal", (0.5, 1.5)),
    ("Gamma", (2.5, 1.5), "Exponential", (0.7,)),
    ("Gamma", (2.5, 1.5), "Normal", (1.0, 2.0)),
    ("Gamma", (2.5, 1.5), "Gumbel", (1.0, 2.0)),
    ("Beta", (2.5, 1.5), "Normal", (0.3, 0.4)),
    ("Beta", (2.5, 1.5), "Gamma", (1.5, 2.0)),
    ("Beta", (2.5, 1.5), "Exponential", (2.0,)),
    ("Beta", (2.5, 1.5), "ContinuousBernoulli", (0.7,)),
    ("Beta", (2.5, 1.5), "Uniform", (-0.5, 1.5)),
    ("ContinuousBernoulli", (0.8,), "Normal", (0.3, 0.4)),
    ("ContinuousBernoulli", (0.2,), "Exponential", (2.0,)),
    ("ContinuousBernoulli", (0.8,), "Uniform", (-0.5, 1.5)),
    ("Pareto", (0.5, 3.5), "Normal", (1.0, 2.0)),
    ("Pareto", (0.5, 3.5), "Exponential", (0.7,)),
    ("Pareto", (0.5, 3.5), "Gamma", (2.5, 1.5)),
    ("Bernoulli", (0.3,), "Poisson", (1.2,)),
    ("Binomial", (7, 0.3), "Binomial", (7, 0.6)),
    ("Cauchy", (0.3, 0.9), "Cauchy", (-0.5, 1.4)),
    # infinite: p puts mass where q has none
    ("Uniform", (-0.5, 2.0), "Exponential", (1.5,)),
    ("Uniform", (-0.1, 0.5), "Beta", (2.0, 2.0)),
    ("Uniform", (0.2, 2.0), "Pareto", (0.4, 2.5)),
    ("Beta", (2.5, 1.5), "Uniform", (0.2, 1.5)),
    ("Normal", (0.3, 0.9), "Gamma", (2.0, 2.0)),
    ("Laplace", (0.3, 0.9), "Uniform", (-5.0, 5.0)),
    ("Binomial", (7, 0.3), "Binomial", (5, 0.6)),
]
CAUCHY_CLOSED_FORM = math.log(((0.9 + 1.4) ** 2 + 0.8 ** 2) / (4 * 0.9 * 1.4))


def _ember(name, params, device):
    return getattr(ed, name)(*[ember.tensor(v, dtype=ember.float64, device=device) for v in params])


@pytest.mark.parametrize("case", QUADRATURE_CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(QUADRATURE_CASES)])
def test_kl_matches_quadrature(case, device):
    p_name, p_params, q_name, q_params = case
    kl = float(_np(kl_divergence(_ember(p_name, p_params, device), _ember(q_name, q_params, device))))
    if p_name == "Cauchy":  # no light tails for a grid: the closed form of Chyzak and Nielsen
        assert kl == pytest.approx(CAUCHY_CLOSED_FORM, rel=1e-12)
        return
    expected = _kl_reference(p_name, p_params, q_name, q_params)
    assert kl == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_infinite_where_the_tail_has_no_moment(device):
    """Pareto against the exponential and gamma needs a finite mean (alpha > 1), against the normal a variance."""
    alpha = ember.tensor([0.5, 1.0, 1.5, 2.0, 3.0], dtype=ember.float64, device=device)
    p = ed.Pareto(ember.tensor(1.0, dtype=ember.float64, device=device), alpha)
    rate = ember.tensor(1.0, dtype=ember.float64, device=device)
    assert np.isinf(_np(kl_divergence(p, ed.Exponential(rate)))).tolist() == [True, True, False, False, False]
    assert np.isinf(_np(kl_divergence(p, ed.Gamma(2 * rate, rate)))).tolist() == [True, True, False, False, False]
    assert np.isinf(_np(kl_divergence(p, ed.Normal(0 * rate, rate)))).tolist() == [True, True, True, True, False]


def test_touching_bounds_count_as_outside_like_torch(device):
    """torch's ContinuousBernoulli/Uniform pairs treat a shared endpoint as leaving the support."""
    T = lambda v: ember.tensor(v, dtype=ember.float64, device=device)  # noqa: E731
    cb = ed.ContinuousBernoulli(T([0.3, 0.3, 0.3]))
    q = ed.Uniform(T([0.0, -1.0, -1.0]), T([2.0, 1.0, 2.0]))
    assert np.isinf(_np(kl_divergence(cb, q))).tolist() == [True, True, False]
    p = ed.Uniform(T([0.0, 0.2, 0.2]), T([0.5, 1.0, 0.5]))
    assert np.isinf(_np(kl_divergence(p, ed.ContinuousBernoulli(T(0.3))))).tolist() == [True, True, False]


def test_bernoulli_against_certain_q_is_infinite(device):
    T = lambda v: ember.tensor(v, dtype=ember.float64, device=device)  # noqa: E731
    kl = _np(kl_divergence(ed.Bernoulli(T([0.3, 0.3, 0.0, 1.0])), ed.Bernoulli(T([0.0, 1.0, 0.0, 1.0]))))
    assert kl.tolist() == [math.inf, math.inf, 0.0, 0.0]


def test_infinite_pairs_keep_p_shape_and_dtype(device):
    p = ed.Normal(ember.zeros(2, device=device), 1.0)
    q = ed.Gamma(ember.ones(3, 1, dtype=ember.float64, device=device), 1.0)
    kl = kl_divergence(p, q)
    assert kl.shape == (2,) and kl.dtype == ember.float32 and np.isinf(_np(kl)).all()


def test_binomial_needs_p_total_count_at_least_q():
    p = ed.Binomial(ember.tensor([3.0, 6.0]), ember.tensor([0.3, 0.3]))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        kl_divergence(p, ed.Binomial(5, ember.tensor(0.5)))


def test_cross_families_broadcast(device):
    """Batch shapes broadcast, with the infinite masks laid over the broadcast result."""
    T = lambda v: ember.tensor(v, dtype=ember.float64, device=device)  # noqa: E731
    p = ed.Uniform(T([[-0.2], [0.1], [0.5]]), T([[0.4], [0.9], [0.8]]))
    q = ed.Beta(T([1.5, 2.0, 3.0, 0.7]), T([2.0, 0.5, 1.0, 1.2]))
    kl = _np(kl_divergence(p, q))
    assert kl.shape == (3, 4)
    for i, (lo, hi) in enumerate([(-0.2, 0.4), (0.1, 0.9), (0.5, 0.8)]):
        for j, (a, b) in enumerate([(1.5, 2.0), (2.0, 0.5), (3.0, 1.0), (0.7, 1.2)]):
            single = kl_divergence(ed.Uniform(T(lo), T(hi)), ed.Beta(T(a), T(b)))
            assert kl[i, j] == pytest.approx(float(_np(single)), rel=1e-12)
    assert np.isinf(kl[0]).all() and np.isfinite(kl[1:]).all()


GRADCHECK_PAIRS = [  # (p family, p params, q family, q params) with every KL finite
    ("Uniform", ([-0.4, 0.1], [1.3, 0.6]), "Normal", ([0.5, -0.2], [0.8, 1.5])),
    ("Normal", ([0.3, -1.0], [0.9, 0.4]), "Laplace", ([-0.5, 0.2], [1.4, 0.7])),
    ("Beta", ([2.5, 0.8], [1.5, 3.0]), "Gamma", ([1.5, 0.6], [2.0, 1.1])),
    ("Pareto", ([0.5, 1.2], [3.5, 2.5]), "Normal", ([1.0, -0.3], [2.0, 0.6])),
    ("Uniform", ([0.2, 0.5], [0.7, 0.9]), "Beta", ([2.5, 0.8], [1.5, 3.0])),
    ("Cauchy", ([0.3, -1.0], [0.9, 0.4]), "Cauchy", ([-0.5, 0.2], [1.4, 0.7])),
    ("ContinuousBernoulli", ([0.8, 0.2],), "Normal", ([0.3, 0.5], [0.4, 1.2])),
]


@pytest.mark.parametrize("case", GRADCHECK_PAIRS, ids=lambda c: f"{c[0]}-{c[2]}")
def test_kl_gradcheck(case, device):
    p_name, p_params, q_name, q_params = case
    n_p = len(p_params)
    leaves = [ember.tensor(v, dtype=ember.float64, device=device, requires_grad=True) for v in p_params + q_params]

    def kl(*args):
        return kl_divergence(getattr(ed, p_name)(*args[:n_p]), getattr(ed, q_name)(*args[n_p:]))

    assert ember.autograd.gradcheck(kl, leaves)
    assert ember.autograd.gradgradcheck(kl, leaves)


# --- dispatch ---------------------------------------------------------------------------------------------------
@pytest.fixture
def scratch_registry():
    """Registrations made by a test are removed afterwards."""
    before = dict(_KL_REGISTRY)
    yield
    _KL_REGISTRY.clear()
    _KL_REGISTRY.update(before)
    _KL_CACHE.clear()


def test_subclasses_use_their_bases_rules():
    class MyNormal(ed.Normal):
        pass

    assert math.isinf(float(kl_divergence(MyNormal(0.0, 1.0), ed.Gamma(1.0, 1.0))))
    assert float(kl_divergence(ed.Uniform(0.0, 1.0), MyNormal(0.0, 1.0))) == pytest.approx(
        0.5 * math.log(2 * math.pi) + (1 / 12 + 0.25) / 2, rel=1e-6)


def test_ambiguous_pairs_warn_and_take_the_p_first_rule(scratch_registry):
    class P(ed.Normal):
        pass

    class Q(ed.Normal):
        pass

    register_kl(ed.Normal, Q)(lambda p, q: ember.tensor(1.0))
    register_kl(P, ed.Normal)(lambda p, q: ember.tensor(2.0))
    with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(P, Q\). Please register_kl\(P, Q\)"):
        assert float(kl_divergence(P(0.0, 1.0), Q(0.0, 1.0))) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl_divergence(P(0.0, 1.0), Q(0.0, 1.0))  # the choice is remembered, and warned about once
    register_kl(P, Q)(lambda p, q: ember.tensor(3.0))  # breaking the tie clears the memo
    assert float(kl_divergence(P(0.0, 1.0), Q(0.0, 1.0))) == 3.0


def test_unregistered_pairs_raise():
    with pytest.raises(NotImplementedError, match="p type Cauchy and q type Normal"):
        kl_divergence(ed.Cauchy(0.0, 1.0), ed.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        kl_divergence(ed.Normal(0.0, 1.0), ed.Poisson(1.0))


# --- torch as the oracle ----------------------------------------------------------------------------------------
N = 24  # parameter draws per family, as one batch


def _params(name, rng, role):
    """Keyword arguments (numpy arrays) for ``name`` with batch shape (N,); ``role`` is "p" or "q"."""
    u = lambda lo, hi, *shape: rng.uniform(lo, hi, (N,) + shape)  # noqa: E731
    loc_scale = {"loc": u(-2, 2), "scale": u(0.3, 2)}
    if name in ("Normal", "Laplace", "Cauchy", "Gumbel"):
        return loc_scale
    if name == "HalfNormal":
        return {"scale": u(0.3, 2)}
    if name == "Uniform":
        low = u(-0.5, 0.7)
        return {"low": low, "high": low + u(0.1, 1.0)}
    if name in ("Exponential", "Poisson"):
        return {"rate": u(0.3, 3)}
    if name == "Gamma":
        return {"concentration": u(0.5, 4), "rate": u(0.3, 3)}
    if name == "Beta":
        return {"concentration1": u(0.5, 4), "concentration0": u(0.5, 4)}
    if name == "Pareto":
        return {"scale": u(0.3, 2), "alpha": u(0.5, 5)}
    if name in ("Bernoulli", "Geometric", "ContinuousBernoulli"):
        probs = u(0.05, 0.95)
        if name == "Bernoulli":  # certain outcomes, in p and in q at different places
            probs[:4] = [0.0, 1.0, 0.3, 0.6] if role == "p" else [0.4, 0.2, 0.0, 1.0]
        if name == "ContinuousBernoulli":
            probs[:2] = [0.4995, 0.5003]  # inside the Taylor band around 1/2
        return {"probs": probs}
    if name == "Binomial":
        return {"total_count": rng.choice([6.0, 9.0], N) if role == "p" else np.full(N, 6.0), "probs": u(0.05, 0.95)}
    if name in ("Categorical", "OneHotCategorical"):
        probs = u(0.0, 1.0, 4)
        probs[:3, 1] = 0.0  # impossible categories: infinite KL when only q lacks them
        return {"probs": probs}
    if name == "Dirichlet":
        return {"concentration": u(0.5, 4, 3)}
    if name == "MultivariateNormal":
        tril = np.tril(u(-0.5, 0.5, 3, 3), -1) + np.einsum("ni,ij->nij", u(0.5, 1.5, 3), np.eye(3))
        return {"loc": u(-1, 1, 3), "scale_tril": tril}
    if name == "LowRankMultivariateNormal":
        return {"loc": u(-1, 1, 3), "cov_factor": u(-1, 1, 3, 2), "cov_diag": u(0.3, 2, 3)}
    if name in ("Independent", "TransformedDistribution"):
        return {"loc": u(-1, 1, 2), "scale": u(0.3, 2, 2)}
    raise KeyError(name)


FAMILIES = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "ContinuousBernoulli", "Dirichlet", "Exponential",
    "Gamma", "Geometric", "Gumbel", "HalfNormal", "Independent", "Laplace", "LowRankMultivariateNormal",
    "MultivariateNormal", "Normal", "OneHotCategorical", "Pareto", "Poisson", "TransformedDistribution", "Uniform",
]


def _build(lib, name, params, dtype):
    """The distribution ``name`` of library ``lib`` (ember or torch) from numpy parameters; leaves need grad."""
    mod = ed if lib is ember else lib.distributions
    leaves = {k: lib.tensor(v, dtype=dtype).requires_grad_() for k, v in params.items()}
    if name == "Independent":
        return mod.Independent(mod.Normal(**leaves), 1), leaves
    if name == "TransformedDistribution":
        return mod.TransformedDistribution(mod.Normal(**leaves), [mod.ExpTransform()]), leaves
    if name == "Binomial":  # counts are not differentiable
        leaves["total_count"] = leaves["total_count"].detach()
    return getattr(mod, name)(**leaves), leaves


def _outcome(lib, p, q):
    try:
        return lib is ember, kl_divergence(p, q) if lib is ember else lib.distributions.kl_divergence(p, q)
    except (NotImplementedError, ValueError) as exc:
        return lib is ember, type(exc)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p_name", FAMILIES)
def test_every_pair_matches_torch(p_name, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(FAMILIES.index(p_name))
    tol = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-9, atol=1e-9)}[dtype]
    p_params = _params(p_name, rng, "p")
    compared = 0
    for q_name in FAMILIES:
        q_params = _params(q_name, rng, "q")
        p_e, p_leaves = _build(ember, p_name, p_params, getattr(ember, dtype))
        q_e, q_leaves = _build(ember, q_name, q_params, getattr(ember, dtype))
        p_t, p_tleaves = _build(torch, p_name, p_params, getattr(torch, dtype))
        q_t, q_tleaves = _build(torch, q_name, q_params, getattr(torch, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's own deprecation notices are not under test
            _, expected = _outcome(torch, p_t, q_t)
        _, got = _outcome(ember, p_e, q_e)
        if isinstance(expected, type):
            assert got is expected, (p_name, q_name, got)
            continue
        compared += 1
        want = expected.detach().numpy()
        have = _np(got)
        assert have.shape == want.shape and str(got.dtype) == str(expected.dtype).replace("torch", "ember")
        np.testing.assert_allclose(have, want, err_msg=f"{p_name}-{q_name}", **tol)
        finite = np.isfinite(want)
        if dtype == "float64" and finite.any() and expected.requires_grad:
            _compare_grads(torch, got, expected, finite, {**p_leaves, **{"q_" + k: v for k, v in q_leaves.items()}},
                           {**p_tleaves, **{"q_" + k: v for k, v in q_tleaves.items()}}, f"{p_name}-{q_name}")
    assert compared > 0


def _compare_grads(torch, got, expected, finite, leaves, tleaves, label):
    """Gradients of the sum of the finite KLs, wrt every parameter of p and q, as torch's."""
    names = [k for k, v in tleaves.items() if v.requires_grad]
    mask_t = torch.tensor(finite)
    want = torch.autograd.grad(expected[mask_t].sum(), [tleaves[k] for k in names], allow_unused=True)
    mask_e = ember.tensor(finite)
    have = ember.autograd.grad(ember.where(mask_e, got, 0.0).sum(), [leaves[k] for k in names], allow_unused=True)
    for name, h, w in zip(names, have, want, strict=True):
        w = np.zeros(tuple(tleaves[name].shape)) if w is None else w.numpy()
        h = np.zeros_like(w) if h is None else _np(h)
        rows = np.isfinite(w).all(axis=tuple(range(1, w.ndim))) if w.ndim > 1 else np.isfinite(w)
        np.testing.assert_allclose(h[rows], w[rows], rtol=1e-7, atol=1e-8, err_msg=f"{label} d/d{name}")


def test_registries_match_torch():
    torch = pytest.importorskip("torch")
    theirs = {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
    ours = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY}
    assert theirs <= ours, sorted(theirs - ours)


def test_ambiguity_matches_torch(scratch_registry):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, ember):
        mod = ed if lib is ember else lib.distributions
        P = type("P", (mod.Normal,), {})
        Q = type("Q", (mod.Normal,), {})
        mod.register_kl(mod.Normal, Q)(lambda p, q, lib=lib: lib.tensor(1.0))
        mod.register_kl(P, mod.Normal)(lambda p, q, lib=lib: lib.tensor(2.0))
        with pytest.warns(RuntimeWarning) as record:
            assert float(mod.kl_divergence(P(0.0, 1.0), Q(0.0, 1.0))) == 2.0
        messages.append(str(record[0].message))
        if lib is torch:  # leave torch's registry as it was
            del torch.distributions.kl._KL_REGISTRY[mod.Normal, Q], torch.distributions.kl._KL_REGISTRY[P, mod.Normal]
            torch.distributions.kl._KL_MEMOIZE.clear()
    assert messages[0] == messages[1]
