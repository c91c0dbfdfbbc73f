"""Argument and value validation (torch's messages), shapes and broadcasting, expand, repr, transforms."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import (
    AffineTransform, Bernoulli, Beta, Binomial, Categorical, ComposeTransform, Dirichlet, Distribution,
    ExpTransform, Gamma, Independent, LogNormal, MultivariateNormal, Normal, OneHotCategorical, PowerTransform,
    SigmoidTransform, TanhTransform, TransformedDistribution, Uniform, constraints,
)


@pytest.fixture
def validating():
    Distribution.set_default_validate_args(True)
    yield
    Distribution.set_default_validate_args(True)


def test_invalid_parameter_message(validating):
    with pytest.raises(ValueError) as e:
        Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, -1.0]))
    assert str(e.value) == (
        "Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: ember.Size([2]), "
        "scale: ember.Size([2])) to satisfy the constraint GreaterThan(lower_bound=0.0), but found invalid "
        "values:\ntensor([ 1., -1.])")
    with pytest.raises(ValueError, match=r"parameter scale \(Tensor of shape \(\)\) of distribution "
                                         r"Normal\(loc: 0.0, scale: -1.0\).*invalid values:\n-1.0"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"parameter low .* Uniform\(low: 1.0, high: 0.0\) to satisfy the "
                                         r"constraint LessThan\(upper_bound=0.0\)"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="constraint Interval"):
        Bernoulli(1.5)
    with pytest.raises(ValueError, match="Simplex"):
        Categorical(ember.tensor([-1.0, 2.0]))
    with pytest.raises(ValueError, match="PositiveDefinite"):
        MultivariateNormal(ember.zeros(2), ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="IntegerGreaterThan"):
        Binomial(2.5, ember.tensor(0.5))


def test_probs_logits_exclusive():
    for cls in (Bernoulli, Categorical, Binomial, OneHotCategorical):
        with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
            cls(probs=ember.tensor([0.5]), logits=ember.tensor([0.0]))
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            cls()


def test_validate_args_switches(validating):
    Normal(0.0, -1.0, validate_args=False)  # no error
    Distribution.set_default_validate_args(False)
    d = Normal(0.0, -1.0)
    d.log_prob(ember.tensor(1.0))
    Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        Distribution.set_default_validate_args("yes")


def test_value_validation(validating):
    n = Normal(ember.zeros(2), ember.ones(2))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        n.log_prob([1.0])
    with pytest.raises(ValueError) as e:
        n.log_prob(ember.zeros(3))
    assert str(e.value) == ("Value is not broadcastable with batch_shape+event_shape: "
                            "ember.Size([3]) vs ember.Size([2]).")
    with pytest.raises(ValueError) as e:
        Bernoulli(0.3).log_prob(ember.tensor(0.5))
    assert str(e.value) == ("Expected value argument (Tensor of shape ()) to be within the support (Boolean()) "
                            "of the distribution Bernoulli(probs: 0.30000001192092896), but found invalid values:\n0.5")
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        MultivariateNormal(ember.zeros(2), ember.eye(2)).log_prob(ember.zeros(3))
    with pytest.raises(ValueError, match="support"):
        Gamma(1.0, 1.0).log_prob(ember.tensor(-1.0))
    with pytest.raises(ValueError, match="support"):
        Dirichlet(ember.ones(3)).log_prob(ember.tensor([0.5, 0.6, 0.1]))
    Normal(0.0, 1.0, validate_args=False).log_prob(ember.tensor([1.0, 2.0, 3.0]))  # broadcasting is fine


def test_batch_broadcasting(device):
    d = Normal(ember.zeros(3, 1, device=device), ember.ones(4, device=device))
    assert d.batch_shape == ember.Size([3, 4]) and d.event_shape == ember.Size([])
    assert tuple(d.log_prob(ember.zeros(5, 1, 1, device=device)).shape) == (5, 3, 4)
    g = Gamma(2.0, ember.ones(2, device=device))
    assert g.concentration.device == g.rate.device and g.batch_shape == ember.Size([2])
    c = Categorical(ember.ones(2, 3, 4, device=device))
    assert c.batch_shape == ember.Size([2, 3]) and tuple(c.log_prob(ember.zeros(5, 1, 3, dtype=ember.int64, device=device)).shape) == (5, 2, 3)
    m = MultivariateNormal(ember.zeros(4, 1, 2, device=device), ember.eye(2, device=device).expand(3, 2, 2))
    assert m.batch_shape == ember.Size([4, 3]) and m.event_shape == ember.Size([2])
    assert tuple(m.log_prob(ember.zeros(2, device=device)).shape) == (4, 3)


def test_expand(device):
    d = Gamma(ember.tensor([1.0, 2.0], device=device), 1.0).expand((3, 2))
    assert d.batch_shape == ember.Size([3, 2]) and tuple(d.concentration.shape) == (3, 2)
    assert tuple(d.rsample((4,)).shape) == (4, 3, 2)
    b = Beta(2.0, 3.0).expand([5])
    assert tuple(b.sample().shape) == (5,) and tuple(b.concentration1.shape) == (5,)
    oh = OneHotCategorical(ember.ones(3)).expand((2,))
    assert oh.batch_shape == ember.Size([2]) and oh.event_shape == ember.Size([3])
    ln = LogNormal(0.0, 1.0).expand((4,))
    assert tuple(ln.sample().shape) == (4,) and tuple(ln.loc.shape) == (4,)
    ind = Independent(Normal(ember.zeros(2, device=device), 1.0), 1).expand((3,))
    assert ind.batch_shape == ember.Size([3]) and ind.event_shape == ember.Size([2])


def test_repr():
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(Normal(ember.zeros(2), 1.0)) == "Normal(loc: ember.Size([2]), scale: ember.Size([2]))"
    assert repr(Gamma(2.0, 3.0)) == "Gamma(concentration: 2.0, rate: 3.0)"
    assert repr(Categorical(ember.ones(3))) == "Categorical(probs: ember.Size([3]))"
    assert repr(Bernoulli(logits=ember.zeros(2))) == "Bernoulli(logits: ember.Size([2]))"
    assert repr(Beta(2.0, 3.0)) == "Beta()" and repr(LogNormal(0.0, 1.0)) == "LogNormal()"
    assert repr(Independent(Normal(ember.zeros(2), 1.0), 1)) == (
        "Independent(Normal(loc: ember.Size([2]), scale: ember.Size([2])), 1)")
    assert repr(MultivariateNormal(ember.zeros(2), ember.eye(2))) == (
        "MultivariateNormal(loc: ember.Size([2]), covariance_matrix: ember.Size([2, 2]))")


def test_constraints():
    c = constraints
    assert repr(c.real) == "Real()" and repr(c.unit_interval) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    assert repr(c.nonnegative_integer) == "IntegerGreaterThan(lower_bound=0)"
    assert repr(c.independent(c.real, 1)) == "IndependentConstraint(Real(), 1)"
    x = ember.tensor([-1.0, 0.0, 0.5, 1.0, 2.0, math.nan])
    assert c.real.check(x).tolist() == [True, True, True, True, True, False]
    assert c.positive.check(x).tolist() == [False, False, True, True, True, False]
    assert c.nonnegative.check(x).tolist() == [False, True, True, True, True, False]
    assert c.unit_interval.check(x).tolist() == [False, True, True, True, False, False]
    assert c.half_open_interval(0.0, 1.0).check(x).tolist() == [False, True, True, False, False, False]
    assert c.integer_interval(0, 1).check(x).tolist() == [False, True, False, True, False, False]
    assert c.boolean.check(x).tolist() == [False, True, False, True, False, False]
    assert c.simplex.check(ember.tensor([[0.3, 0.7], [0.5, 0.6]])).tolist() == [True, False]
    assert c.lower_cholesky.check(ember.tensor([[1.0, 0.0], [2.0, 1.0]])).item()
    assert not c.lower_cholesky.check(ember.tensor([[1.0, 1.0], [0.0, 1.0]])).item()
    assert c.one_hot.check(ember.tensor([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    with pytest.raises(ValueError, match="dependent"):
        c.dependent.check(x)
    assert c.simplex.event_dim == 1 and c.positive_definite.event_dim == 2 and c.boolean.is_discrete
    assert Uniform(0.0, 2.0).support.check(ember.tensor([1.0, 3.0])).tolist() == [True, False]


def test_transforms(device):
    x = ember.tensor([-1.5, 0.0, 0.7], dtype=ember.float64, device=device)
    for t in (ExpTransform(), AffineTransform(1.0, -2.0), SigmoidTransform(), TanhTransform(),
              ComposeTransform([AffineTransform(0.5, 2.0), SigmoidTransform()])):
        y = t(x)
        np.testing.assert_allclose(t.inv(y).tolist(), x.tolist(), rtol=1e-10, atol=1e-12)
        # log|dy/dx| against a central difference
        h = 1e-6
        slope = (t(x + h) - t(x - h)) / (2 * h)
        np.testing.assert_allclose(t.log_abs_det_jacobian(x, y).tolist(), slope.abs().log().tolist(), atol=1e-6)
        np.testing.assert_allclose(t.inv.log_abs_det_jacobian(y, x).tolist(),
                                   (-slope.abs().log()).tolist(), atol=1e-6)
    p = PowerTransform(3.0)
    assert p(ember.tensor(2.0)).item() == 8.0 and p.sign == 1
    cached = ExpTransform(cache_size=1)
    y = cached(x)
    assert cached.inv(y) is x
    assert ExpTransform() == ExpTransform() and AffineTransform(0.0, 2.0) != AffineTransform(0.0, 3.0)


def test_transformed_distribution(device):
    T = lambda v: ember.tensor(v, dtype=ember.float64, device=device)  # noqa: E731
    base = Normal(T(0.0), T(1.0))
    d = TransformedDistribution(base, [AffineTransform(T(1.0), T(-2.0)), ExpTransform()])
    # y = exp(1 - 2 z): log y ~ Normal(1, 2)
    ref = LogNormal(T(1.0), T(2.0))
    y = T([0.2, 1.0, 5.0])
    np.testing.assert_allclose(d.log_prob(y).tolist(), ref.log_prob(y).tolist(), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(y).tolist(), ref.cdf(y).tolist(), rtol=1e-12)
    np.testing.assert_allclose(d.icdf(T([0.1, 0.5])).tolist(), ref.icdf(T([0.1, 0.5])).tolist(), rtol=1e-10)
    assert d.has_rsample and tuple(d.rsample((3,)).shape) == (3,)
    vec = TransformedDistribution(Normal(T([0.0, 0.0]), T(1.0)), AffineTransform(T(0.0), T([2.0, 3.0]), event_dim=1))
    assert vec.event_shape == ember.Size([2]) and vec.batch_shape == ember.Size([])
    assert vec.log_prob(T([0.0, 0.0])).item() == pytest.approx(-math.log(2 * math.pi) - math.log(6.0))
    with pytest.raises(ValueError, match="transforms must be a Transform or a list of Transforms"):
        TransformedDistribution(base, "exp")
