"""Transforms (round trips, log-det-Jacobians against finite differences, shapes, caching, equality),
the constraints they map onto, ``biject_to`` / ``transform_to``, and ``LogisticNormal``; torch comparisons
when torch is importable."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import (
    LogisticNormal, Normal, TransformedDistribution, biject_to, constraints, transform_to, transforms,
)


# --- transform table: each spec builds the same transform from ember's or torch's modules ----------------------
def _corr_free(y):
    d = y.shape[-1]
    rows, cols = np.tril_indices(d, -1)
    return y[..., rows, cols]


def _drop_last(y):
    return y[..., :-1]


# name -> (builder(T, D, lib), x shape, projection of y onto free coordinates or None when there is no log-det)
SPECS = {
    "softplus": (lambda T, D, L: T.SoftplusTransform(), (2, 3), lambda y: y),
    "stick_breaking": (lambda T, D, L: T.StickBreakingTransform(), (2, 3), _drop_last),
    "corr_cholesky": (lambda T, D, L: T.CorrCholeskyTransform(), (2, 6), _corr_free),
    "reshape": (lambda T, D, L: T.ReshapeTransform((6,), (2, 3)), (2, 6), lambda y: y),
    "independent": (lambda T, D, L: T.IndependentTransform(T.SoftplusTransform(), 1), (2, 3), lambda y: y),
    "cat": (lambda T, D, L: T.CatTransform([T.ExpTransform(), T.SoftplusTransform(), T.identity_transform], 1,
                                           [1, 2, 1]), (2, 4), lambda y: y),
    "cat_events": (lambda T, D, L: T.CatTransform([T.IndependentTransform(T.SoftplusTransform(), 1),
                                                   T.IndependentTransform(T.ExpTransform(), 1)], 0, [1, 2]),
                   (3, 4), lambda y: y),
    "stack": (lambda T, D, L: T.StackTransform([T.ExpTransform(), T.SoftplusTransform(), T.AffineTransform(1.0, -2.0)],
                                               1), (2, 3), lambda y: y),
    "cdf": (lambda T, D, L: T.CumulativeDistributionTransform(
        D.Normal(L.tensor(0.5, dtype=L.float64), L.tensor(2.0, dtype=L.float64))), (2, 3), lambda y: y),
    "compose_lifted": (lambda T, D, L: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.StickBreakingTransform()]),
                       (2, 3), _drop_last),
    "compose_reshape": (lambda T, D, L: T.ComposeTransform([T.ReshapeTransform((6,), (2, 3)),
                                                            T.IndependentTransform(T.ExpTransform(), 2)]),
                        (2, 6), lambda y: y),
    "affine_vector": (lambda T, D, L: T.AffineTransform(L.tensor([1.0, 2.0, 3.0], dtype=L.float64),
                                                        L.tensor([0.5, -2.0, 3.0], dtype=L.float64), event_dim=1),
                      (2, 3), lambda y: y),
    "softmax": (lambda T, D, L: T.SoftmaxTransform(), (2, 3), None),
    "lower_cholesky": (lambda T, D, L: T.LowerCholeskyTransform(), (2, 3, 3), None),
    "positive_definite": (lambda T, D, L: T.PositiveDefiniteTransform(), (2, 3, 3), None),
}


def _ember(name):
    return SPECS[name][0](transforms, ember.distributions, ember)


def _x(name):
    return np.random.default_rng(len(name)).normal(size=SPECS[name][1])


def _np(t):
    return np.asarray(t.tolist())


def _numeric_log_det(t, x, proj, h=1e-6):
    """log|det d proj(t(x)) / dx| per event, by central differences in float64."""
    event_dim = t.domain.event_dim
    batch = x.shape[:x.ndim - event_dim]
    nb = int(np.prod(batch))
    ne = x.size // nb
    cols = []
    for k in range(ne):
        step = np.zeros((nb, ne))
        step[:, k] = h
        step = step.reshape(x.shape)
        up = proj(_np(t(ember.tensor(x + step, dtype=ember.float64))))
        down = proj(_np(t(ember.tensor(x - step, dtype=ember.float64))))
        cols.append((up - down).reshape(nb, -1) / (2 * h))
    jac = np.stack(cols, -1)
    assert jac.shape == (nb, ne, ne)
    return np.linalg.slogdet(jac)[1].reshape(batch)


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s[2] is not None])
def test_log_abs_det_jacobian_matches_finite_differences(name):
    t, x = _ember(name), _x(name)
    xt = ember.tensor(x, dtype=ember.float64)
    y = t(xt)
    got = _np(t.log_abs_det_jacobian(xt, y))
    np.testing.assert_allclose(got, _numeric_log_det(t, x, SPECS[name][2]), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(t.inv.log_abs_det_jacobian(y, xt)), -got, rtol=1e-12)


@pytest.mark.parametrize("name", list(SPECS))
def test_round_trip_and_shapes(name, device):
    t, x = _ember(name), _x(name)
    if name in ("cdf", "affine_vector"):
        device = "cpu"  # their parameters live on the cpu
    xt = ember.tensor(x, dtype=ember.float64, device=device)
    y = t(xt)
    assert t.forward_shape(xt.shape) == y.shape and t.inverse_shape(y.shape) == xt.shape
    assert bool(t.codomain.check(y).all())
    if t.bijective:
        np.testing.assert_allclose(_np(t.inv(y)), x, rtol=1e-9, atol=1e-9)
    else:  # pseudo-inverse: t(t.inv(y)) == y
        np.testing.assert_allclose(_np(t(t.inv(y))), _np(y), rtol=1e-9, atol=1e-9)


def test_stick_breaking_and_corr_cholesky_closed_forms():
    x = np.array([0.3, -1.2, 2.0])
    y = _np(transforms.StickBreakingTransform()(ember.tensor(x, dtype=ember.float64)))
    z = 1 / (1 + np.exp(-(x - np.log([3.0, 2.0, 1.0]))))
    want = np.append(z, 1.0) * np.concatenate([[1.0], np.cumprod(1 - z)])
    np.testing.assert_allclose(y, want, rtol=1e-14)
    assert y.sum() == pytest.approx(1.0, abs=1e-15)
    low = _np(transforms.CorrCholeskyTransform()(ember.tensor(x, dtype=ember.float64)))
    r = np.tanh(x)  # rows: [1], [r0, .], [r1, ., .]
    np.testing.assert_allclose(low[1], [r[0], math.sqrt(1 - r[0] ** 2), 0.0], rtol=1e-14)
    np.testing.assert_allclose(low[2, :2], [r[1], r[2] * math.sqrt(1 - r[1] ** 2)], rtol=1e-14)
    np.testing.assert_allclose((low ** 2).sum(-1), 1.0, rtol=1e-14)
    m = np.array([[0.5, 9.0], [-1.0, -0.2]])
    pd = _np(transforms.PositiveDefiniteTransform()(ember.tensor(m, dtype=ember.float64)))
    low = np.tril(m, -1) + np.diag(np.exp(np.diag(m)))
    np.testing.assert_allclose(pd, low @ low.T, rtol=1e-14)


@pytest.mark.parametrize("name", ["stick_breaking", "corr_cholesky", "softplus", "cat_events"])
def test_gradients(name):
    t = _ember(name)
    x = ember.tensor(_x(name), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: t(v), (x,), eps=1e-6, atol=1e-5, rtol=1e-4)
    assert ember.autograd.gradgradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), (x,), eps=1e-6, atol=1e-5,
                                        rtol=1e-4)


def test_caching_inverse_and_equality():
    x = ember.randn(2, 3, dtype=ember.float64)
    for t in (transforms.StickBreakingTransform(cache_size=1), transforms.SoftplusTransform(cache_size=1),
              transforms.ReshapeTransform((3,), (3, 1), cache_size=1),
              transforms.CatTransform([transforms.ExpTransform()] * 3, 1, cache_size=1),
              transforms.StackTransform([transforms.ExpTransform()] * 3, 1).with_cache(),
              transforms.IndependentTransform(transforms.ExpTransform(), 1).with_cache(),
              transforms.ComposeTransform([transforms.SoftplusTransform(), transforms.ExpTransform()], cache_size=1)):
        assert t.inv(t(x)) is x
    plain = transforms.ExpTransform()
    assert plain.with_cache(0) is plain and plain.with_cache()._cache_size == 1
    assert plain.inv.inv is plain and plain.inv is plain.inv
    compose = transforms.ComposeTransform([plain, transforms.SoftplusTransform()])
    assert compose.inv.inv is compose
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        transforms.SoftplusTransform(cache_size=2)
    # parameter-free transforms compare by class, the parametrised functors by identity
    assert transforms.SoftplusTransform() == transforms.SoftplusTransform()
    assert transforms.StickBreakingTransform().inv == transforms.StickBreakingTransform().inv
    assert transforms.SoftmaxTransform() != transforms.StickBreakingTransform()
    assert transforms.CorrCholeskyTransform() != transforms.CorrCholeskyTransform()
    assert transforms.ReshapeTransform((2,), (2,)) != transforms.ReshapeTransform((2,), (2,))
    assert transforms.PowerTransform(2.0) == transforms.PowerTransform(ember.tensor(2.0))


def test_event_dims_domains_and_errors():
    T = transforms
    assert T.StickBreakingTransform().event_dim == 1 and T.CatTransform([T.ExpTransform()]).event_dim == 0
    reshape = T.ReshapeTransform((4,), (2, 2))
    with pytest.raises(ValueError, match="Please use either .domain.event_dim or .codomain.event_dim"):
        _ = reshape.event_dim
    assert (reshape.domain.event_dim, reshape.codomain.event_dim) == (1, 2)
    compose = T.ComposeTransform([T.ExpTransform(), T.CorrCholeskyTransform()])
    assert repr(compose.domain) == "IndependentConstraint(Real(), 1)" and repr(compose.codomain) == "CorrCholesky()"
    lifted = T.ComposeTransform([T.StickBreakingTransform(), T.ExpTransform()])
    assert repr(lifted.codomain) == "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"
    with pytest.raises(ValueError, match="in_shape, out_shape have different numbers of elements"):
        T.ReshapeTransform((3,), (2, 2))
    with pytest.raises(ValueError, match="Shape mismatch"):
        reshape.forward_shape((3, 5))
    with pytest.raises(ValueError, match="Input is not a flattened lower-diagonal number"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(AssertionError, match="must equal length 3"):
        T.CatTransform([T.ExpTransform()] * 3)(ember.zeros(2))
    assert repr(T.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    assert repr(T.IndependentTransform(T.ExpTransform(), 1)) == "IndependentTransform(ExpTransform(), 1)"


def test_transformed_distributions_with_shape_changing_transforms():
    T = transforms
    base = Normal(ember.zeros(4, 6, dtype=ember.float64), 1.0)
    d = TransformedDistribution(base, [T.ReshapeTransform((6,), (2, 3))])
    assert (d.batch_shape, d.event_shape) == (ember.Size([4]), ember.Size([2, 3]))
    y = d.sample()
    np.testing.assert_allclose(_np(d.log_prob(y)), _np(base.log_prob(y.reshape(4, 6)).sum(-1)), rtol=1e-12)
    corr = TransformedDistribution(Normal(ember.zeros(3, dtype=ember.float64), 1.0), T.CorrCholeskyTransform())
    assert corr.event_shape == ember.Size([3, 3]) and bool(constraints.corr_cholesky.check(corr.sample()))


# --- constraints ---------------------------------------------------------------------------------------------
def test_new_constraints():
    c = constraints
    eye = ember.eye(2, dtype=ember.float64)
    corr = ember.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=ember.float64)
    bad = ember.tensor([[1.0, 0.0], [0.6, 0.9]], dtype=ember.float64)
    assert c.corr_cholesky.check(ember.stack([eye, corr, bad])).tolist() == [True, True, False]
    assert c.corr_cholesky.event_dim == 2 and repr(c.corr_cholesky) == "CorrCholesky()"
    psd = ember.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=ember.float64)
    assert c.positive_semidefinite.check(ember.stack([psd, eye, -eye])).tolist() == [True, True, False]
    assert c.positive_definite.check(ember.stack([psd, eye, -eye])).tolist() == [False, True, False]
    assert not bool(c.positive_definite.check(ember.tensor([[1.0, 2.0], [0.0, 1.0]])))
    m = c.multinomial(3)
    assert m.check(ember.tensor([[1.0, 2.0], [2.0, 2.0], [-1.0, 1.0]])).tolist() == [True, False, False]
    assert m.is_discrete and m.event_dim == 1 and repr(m) == "Multinomial()"
    cat = c.cat([c.positive, c.unit_interval], dim=-1, lengths=[1, 2])
    assert cat.check(ember.tensor([[1.0, 0.5, 2.0]])).tolist() == [[True, True, False]]
    assert repr(cat) == "Cat()" and cat.event_dim == 0 and not cat.is_discrete
    stack = c.stack([c.positive, c.nonnegative_integer], dim=0)
    assert stack.check(ember.tensor([[1.0, -1.0], [2.0, 0.5]])).tolist() == [[True, False], [True, False]]
    assert repr(stack) == "Stack()" and stack.is_discrete
    assert c.stack([c.simplex], dim=-2).event_dim == 2 and c.stack([c.simplex], dim=-1).event_dim == 1
    mix = c.MixtureSameFamilyConstraint(c.simplex)
    assert mix.check(ember.tensor([[0.5, 0.5], [0.5, 0.7]])).tolist() == [True, False]
    assert repr(mix) == "MixtureSameFamilyConstraint(Simplex())" and mix.event_dim == 1
    with pytest.raises(AssertionError, match="dim 2 out of range"):
        cat.__class__([c.real], dim=2).check(ember.zeros(2))


# --- biject_to / transform_to ----------------------------------------------------------------------------------
CONSTRAINTS = {  # name -> (constraint from a constraints module, output event shape, registries)
    "real": (lambda C: C.real, (), "both"),
    "positive": (lambda C: C.positive, (), "both"),
    "nonnegative": (lambda C: C.nonnegative, (), "both"),
    "greater_than": (lambda C: C.greater_than(2.5), (), "both"),
    "greater_than_eq": (lambda C: C.greater_than_eq(-1.0), (), "both"),
    "less_than": (lambda C: C.less_than(3.0), (), "both"),
    "interval": (lambda C: C.interval(-2.0, 5.0), (), "both"),
    "half_open_interval": (lambda C: C.half_open_interval(-2.0, 5.0), (), "both"),
    "unit_interval": (lambda C: C.unit_interval, (), "both"),
    "real_vector": (lambda C: C.real_vector, (3,), "both"),
    "independent": (lambda C: C.independent(C.positive, 2), (2, 3), "both"),
    "simplex": (lambda C: C.simplex, (4,), "both"),
    "corr_cholesky": (lambda C: C.corr_cholesky, (3, 3), "both"),
    "cat": (lambda C: C.cat([C.positive, C.interval(0.0, 2.0)], -1, [2, 3]), (5,), "both"),
    "stack": (lambda C: C.stack([C.positive, C.less_than(1.0)], -1), (2,), "both"),
    "lower_cholesky": (lambda C: C.lower_cholesky, (3, 3), "transform_to"),
    "positive_definite": (lambda C: C.positive_definite, (3, 3), "transform_to"),
    "positive_semidefinite": (lambda C: C.positive_semidefinite, (3, 3), "transform_to"),
}


def _registries(which):
    return {"both": [biject_to, transform_to], "transform_to": [transform_to]}[which]


@pytest.mark.parametrize("name", list(CONSTRAINTS))
def test_registered_transforms_land_in_their_constraint(name, device):
    make, shape, which = CONSTRAINTS[name]
    c = make(constraints)
    for registry in _registries(which):
        t = registry(c)
        x = ember.randn(*((4,) + tuple(t.inverse_shape((4,) + shape)[1:])), dtype=ember.float64, device=device)
        y = t(x)
        assert tuple(y.shape) == (4,) + shape
        assert bool(c.check(y).all()), (registry, name)
        if registry is biject_to:
            assert t.bijective
            np.testing.assert_allclose(_np(t.inv(y)), _np(x), rtol=1e-8, atol=1e-8)


def test_registry_errors_and_custom_registration():
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        biject_to(constraints.boolean)
    with pytest.raises(NotImplementedError, match="Cannot transform _LowerCholesky constraints"):
        biject_to(constraints.lower_cholesky)
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint subclass or instance"):
        biject_to.register(int, lambda c: None)
    registry = type(biject_to)()
    registry.register(constraints.positive, lambda c: transforms.SoftplusTransform())
    assert registry(constraints.greater_than(3.0)) == transforms.SoftplusTransform()
    assert biject_to(constraints.real) is transforms.identity_transform
    assert transform_to(constraints.unit_interval) == transforms.SigmoidTransform()


# --- LogisticNormal ------------------------------------------------------------------------------------------
def _np_stick_breaking(x):
    z = 1 / (1 + np.exp(-(x - np.log(np.arange(x.shape[-1], 0, -1)))))
    return np.append(z, 1.0) * np.concatenate([[1.0], np.cumprod(1 - z)])


def test_logistic_normal():
    loc, scale = np.array([0.3, -0.5]), np.array([1.5, 0.7])
    d = LogisticNormal(ember.tensor(loc), ember.tensor(scale))
    assert (d.batch_shape, d.event_shape) == (ember.Size([]), ember.Size([3]))
    assert d.loc.tolist() == loc.tolist() and repr(d) == "LogisticNormal()"
    x = np.array([0.2, 1.1])
    y = _np_stick_breaking(x)
    h = 1e-6  # density of y's first two coordinates
    jac = np.stack([(_np_stick_breaking(x + h * e) - _np_stick_breaking(x - h * e))[:2] / (2 * h) for e in np.eye(2)], 1)
    normal = -0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * math.log(2 * math.pi)
    want = normal.sum() - np.linalg.slogdet(jac)[1]
    assert d.log_prob(ember.tensor(y)).item() == pytest.approx(want, rel=1e-6)
    scalar = LogisticNormal(0.0, 1.0)
    assert (scalar.batch_shape, scalar.event_shape) == (ember.Size([]), ember.Size([2]))
    s = LogisticNormal(ember.zeros(5, 3), 1.0).expand((2, 5)).rsample((4,))
    assert tuple(s.shape) == (4, 2, 5, 4) and bool(constraints.simplex.check(s).all())
    with pytest.raises(ValueError, match="to satisfy the constraint GreaterThan"):
        LogisticNormal(0.0, -1.0, validate_args=True)


# --- torch comparisons ---------------------------------------------------------------------------------------
def _torch_spec(torch, name):
    return SPECS[name][0](torch.distributions.transforms, torch.distributions, torch)


@pytest.mark.parametrize("name", list(SPECS))
def test_transforms_match_torch(name):
    torch = pytest.importorskip("torch")
    t, tt, x = _ember(name), _torch_spec(torch, name), _x(name)
    xe, xt = ember.tensor(x, dtype=ember.float64), torch.tensor(x, dtype=torch.float64)
    ye, yt = t(xe), tt(xt)
    np.testing.assert_allclose(_np(ye), yt.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_np(t.inv(ye)), tt.inv(yt).numpy(), rtol=1e-10, atol=1e-12)
    if SPECS[name][2] is not None:
        np.testing.assert_allclose(_np(t.log_abs_det_jacobian(xe, ye)), tt.log_abs_det_jacobian(xt, yt).numpy(),
                                   rtol=1e-12, atol=1e-14)
    assert (repr(t), repr(t.domain), repr(t.codomain), t.bijective) == (
        repr(tt), repr(tt.domain), repr(tt.codomain), tt.bijective)
    assert tuple(t.forward_shape(xe.shape)) == tuple(tt.forward_shape(xt.shape))
    assert tuple(t.inverse_shape(ye.shape)) == tuple(tt.inverse_shape(yt.shape))


@pytest.mark.parametrize("name", list(CONSTRAINTS))
def test_registry_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, shape, which = CONSTRAINTS[name]
    c, ct = make(constraints), make(torch.distributions.constraints)
    assert repr(c) == repr(ct) and c.event_dim == ct.event_dim
    for registry in _registries(which):
        t = registry(c)
        tt = getattr(torch.distributions, registry is biject_to and "biject_to" or "transform_to")(ct)
        assert repr(t) == repr(tt) and repr(t.domain) == repr(tt.domain)
        x = np.random.default_rng(0).normal(size=(4,) + tuple(tt.inverse_shape((4,) + shape)[1:]))
        np.testing.assert_allclose(_np(t(ember.tensor(x))), tt(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-15)


def test_logistic_normal_matches_torch():
    torch = pytest.importorskip("torch")
    loc, scale = [[0.3, -0.5, 0.1]], [[1.5, 0.7, 2.0]]
    d = LogisticNormal(ember.tensor(loc), ember.tensor(scale))
    dt = torch.distributions.LogisticNormal(torch.tensor(loc), torch.tensor(scale))
    ember.manual_seed(3)
    torch.manual_seed(3)
    s, st = d.sample((2,)), dt.sample((2,))
    np.testing.assert_allclose(_np(s), st.numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(d.log_prob(s)), dt.log_prob(st).numpy(), rtol=1e-5)
    assert (tuple(d.batch_shape), tuple(d.event_shape)) == (tuple(dt.batch_shape), tuple(dt.event_shape))


def test_equality_matches_torch():
    torch = pytest.importorskip("torch")

    def pairs(T, L):
        return [(T.SoftplusTransform(), T.SoftplusTransform()), (T.StickBreakingTransform(), T.SoftmaxTransform()),
                (T.CorrCholeskyTransform(), T.CorrCholeskyTransform()),
                (T.LowerCholeskyTransform(), T.LowerCholeskyTransform()),
                (T.AffineTransform(1.0, 2.0), T.AffineTransform(1.0, 2.0, event_dim=1)),
                (T.ExpTransform().inv, T.ExpTransform().inv), (T.ExpTransform().inv, T.ExpTransform()),
                (T.ComposeTransform([T.ExpTransform()]), T.ComposeTransform([T.ExpTransform()])),
                (T.IndependentTransform(T.ExpTransform(), 1), T.IndependentTransform(T.ExpTransform(), 1))]

    ours = [a == b for a, b in pairs(transforms, ember)]
    theirs = [a == b for a, b in pairs(torch.distributions.transforms, torch)]
    assert ours == theirs
