"""Equality with torch.distributions (when torch is importable): log_prob, cdf, entropy, moments, KL."""

import numpy as np
import pytest

import ember
import ember.distributions as ed

torch = pytest.importorskip("torch")
td = torch.distributions

# (class name, kwargs as nested lists, values to score)
CASES = [
    ("Normal", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]}, [[0.0, 2.0], [1.0, -1.0]]),
    ("Laplace", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]}, [[0.0, 2.0]]),
    ("Cauchy", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]}, [[0.0, 2.0]]),
    ("Uniform", {"low": [0.0, -1.0], "high": [1.0, 2.0]}, [[0.5, 1.5]]),
    ("Exponential", {"rate": [0.5, 3.0]}, [[0.0, 2.0]]),
    ("Gamma", {"concentration": [0.7, 3.0], "rate": [1.2, 0.4]}, [[0.5, 2.0]]),
    ("Chi2", {"df": [0.7, 3.0]}, [[0.5, 2.0]]),
    ("Beta", {"concentration1": [0.7, 3.0], "concentration0": [1.2, 0.4]}, [[0.3, 0.6]]),
    ("StudentT", {"df": [3.0, 7.0], "loc": [0.5, -1.0], "scale": [2.0, 0.5]}, [[0.1, 2.0]]),
    ("LogNormal", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]}, [[0.5, 2.0]]),
    ("Bernoulli", {"probs": [0.3, 0.9]}, [[1.0, 0.0]]),
    ("Bernoulli", {"logits": [0.3, -2.0]}, [[1.0, 0.0]]),
    ("Geometric", {"probs": [0.3, 0.9]}, [[0.0, 4.0]]),
    ("Poisson", {"rate": [0.5, 6.0]}, [[0.0, 4.0]]),
    ("Binomial", {"total_count": 6, "probs": [0.3, 0.9]}, [[0.0, 4.0]]),
    ("Categorical", {"probs": [[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]]}, [[0, 2]]),
    ("Categorical", {"logits": [[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]]}, [[1, 0]]),
    ("OneHotCategorical", {"probs": [[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]]}, [[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]),
    ("Dirichlet", {"concentration": [[0.7, 2.0, 3.0], [1.0, 1.0, 1.0]]}, [[0.2, 0.3, 0.5]]),
    ("MultivariateNormal", {"loc": [0.5, -1.0], "covariance_matrix": [[2.0, 0.3], [0.3, 0.5]]}, [[0.1, 0.3]]),
    ("MultivariateNormal", {"loc": [0.5, -1.0], "scale_tril": [[2.0, 0.0], [0.3, 0.5]]}, [[0.1, 0.3]]),
]


def _make(lib, name, kwargs):
    mod, tensor = (ed, lambda v: ember.tensor(v, dtype=ember.float64)) if lib == "ember" else \
        (td, lambda v: torch.tensor(v, dtype=torch.float64))
    return getattr(mod, name)(**{k: tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()})


def _value(lib, v, name):
    integer = name == "Categorical"
    if lib == "ember":
        return ember.tensor(v, dtype=ember.int64 if integer else ember.float64)
    return torch.tensor(v, dtype=torch.int64 if integer else torch.float64)


def _same(a, b):
    np.testing.assert_allclose(ember.Tensor.numpy(a.detach(), force=True), b.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,kwargs,values", CASES, ids=[c[0] + "-" + "-".join(c[1]) for c in CASES])
def test_against_torch(name, kwargs, values):
    e, t = _make("ember", name, kwargs), _make("torch", name, kwargs)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) and tuple(e.event_shape) == tuple(t.event_shape)
    for v in values:
        _same(e.log_prob(_value("ember", v, name)), t.log_prob(_value("torch", v, name)))
        for method in ("cdf", "icdf"):
            try:
                want = getattr(t, method)(_value("torch", v, name) if method == "cdf" else torch.tensor([0.2, 0.7], dtype=torch.float64))
            except NotImplementedError:
                continue
            got = getattr(e, method)(_value("ember", v, name) if method == "cdf" else ember.tensor([0.2, 0.7], dtype=ember.float64))
            np.testing.assert_allclose(got.tolist(), want.tolist(), rtol=1e-7)
    for prop in ("mean", "variance", "stddev", "mode"):
        _same(getattr(e, prop), getattr(t, prop))
    try:
        want = t.entropy()
    except NotImplementedError:
        return
    _same(e.entropy(), want)


KL_CASES = [c for c in CASES if c[0] not in ("Cauchy", "StudentT", "Geometric", "Binomial", "Chi2", "LogNormal")]


@pytest.mark.parametrize("name,kwargs,values", KL_CASES, ids=[c[0] + "-" + "-".join(c[1]) for c in KL_CASES])
def test_kl_against_torch(name, kwargs, values):
    def other(key, v):  # a different, valid q: vectors rolled along their last dim, matrices scaled
        if not isinstance(v, list):
            return v
        if key in ("covariance_matrix", "scale_tril"):
            return (1.5 * np.asarray(v)).tolist()
        return np.roll(np.asarray(v, dtype=float), 1, axis=-1).tolist()

    q_kwargs = {k: other(k, v) for k, v in kwargs.items()}
    got = ed.kl_divergence(_make("ember", name, kwargs), _make("ember", name, q_kwargs))
    want = td.kl_divergence(_make("torch", name, kwargs), _make("torch", name, q_kwargs))
    _same(got, want)
