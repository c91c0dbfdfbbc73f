"""poisson, binomial, nextafter, frexp, histogram, histogramdd and index_put."""

import re

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(7)
X = rng.standard_normal((3, 4)) * 5


CASES = [
    Case("frexp_mantissa", lambda x: ember.frexp(x).mantissa * 3, lambda x: np.frexp(x)[0] * 3, (X,)),
    Case("frexp_exponent", lambda x: ember.frexp(x).exponent, lambda x: np.frexp(x)[1].astype(np.int32), (X,),
         grad=False),
    Case("nextafter_up", lambda x: ember.nextafter(x, x + 1), lambda x: np.nextafter(x, x + 1), (X,), grad=False,
         atol=0, rtol=0),
    Case("nextafter_broadcast", lambda x: ember.nextafter(x, ember.zeros(1, dtype=x.dtype, device=x.device)),
         lambda x: np.nextafter(x, np.zeros(1, x.dtype)), (X,), grad=False, atol=0, rtol=0),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_table(case, device):
    run(case, device)


# --- frexp / nextafter ---------------------------------------------------------------------------------------
def test_frexp_special_values(device):
    x = ember.tensor([0.0, 1.0, -3.5, np.inf, np.nan, 1e-40], device=device)
    m, e = ember.frexp(x)
    want_m, want_e = np.frexp(np.array([0.0, 1.0, -3.5, np.inf, np.nan, 1e-40], dtype=np.float32))
    np.testing.assert_array_equal(m.cpu().numpy(), want_m)
    np.testing.assert_array_equal(e.cpu().numpy()[:3], want_e[:3])
    assert e[5].item() == -132 and e.dtype is ember.int32 and m.dtype is ember.float32
    assert x.frexp().mantissa.shape == (6,)


def test_frexp_gradient_and_errors():
    x = ember.tensor([8.0, -3.0], requires_grad=True)
    m, e = ember.frexp(x)
    assert not e.requires_grad
    m.sum().backward()
    assert x.grad.tolist() == [1 / 16, 1 / 4]
    with pytest.raises(RuntimeError, match=re.escape("torch.frexp() only supports floating-point dtypes")):
        ember.frexp(ember.tensor([1, 2]))


def test_nextafter_values_and_errors(device):
    x = ember.tensor([1.0, 0.0], device=device)
    out = ember.nextafter(x, ember.tensor([2.0, -1.0], device=device)).cpu().numpy()
    np.testing.assert_array_equal(out, np.nextafter(np.float32([1, 0]), np.float32([2, -1])))
    assert ember.nextafter(x, ember.tensor([2.0, 2.0], dtype=ember.float64, device=device)).dtype is ember.float64
    with pytest.raises(NotImplementedError, match="\"nextafter_cpu\" not implemented for 'Long'"):
        ember.nextafter(ember.tensor([1]), ember.tensor([2]))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        ember.nextafter(x, 2.0)
    y = ember.tensor([1.0, 2.0])
    assert y.nextafter_(ember.tensor([0.0, 3.0])) is y and y[0].item() < 1.0 < 2.0 < y[1].item()


def test_nextafter_has_no_derivative():
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="the derivative for 'nextafter' is not implemented"):
        ember.nextafter(x, ember.tensor([2.0])).sum().backward()


# --- sampling -----------------------------------------------------------------------------------------------
def test_poisson_moments_and_determinism(device):
    rates = ember.tensor([0.0, 0.5, 4.0, 30.0], device=device).expand(4000, 4)
    g = ember.Generator(device).manual_seed(3)
    s = ember.poisson(rates, generator=g)
    assert s.shape == (4000, 4) and s.dtype is ember.float32 and s.device == rates.device
    h = s.cpu().numpy()
    assert (h == np.round(h)).all() and (h[:, 0] == 0).all()
    np.testing.assert_allclose(h.mean(0), [0.0, 0.5, 4.0, 30.0], rtol=0.06, atol=0.01)
    np.testing.assert_allclose(h.var(0), [0.0, 0.5, 4.0, 30.0], rtol=0.12, atol=0.01)
    again = ember.poisson(rates, generator=ember.Generator(device).manual_seed(3))
    np.testing.assert_array_equal(again.cpu().numpy(), h)
    ember.manual_seed(5)
    a = ember.poisson(rates[:10]).cpu().numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(ember.poisson(rates[:10]).cpu().numpy(), a)


def test_poisson_errors_and_gradient():
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        ember.poisson(ember.tensor([-1.0]))
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ember.poisson(ember.tensor([np.nan]))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        ember.poisson(ember.tensor([1, 2]))
    r = ember.tensor([1.0, 2.0], requires_grad=True)
    s = ember.poisson(r)
    assert s.requires_grad
    s.sum().backward()
    assert r.grad.tolist() == [0.0, 0.0]


def test_binomial_moments_and_determinism(device):
    count = ember.tensor([10.0, 40.0, 7.0], device=device).expand(4000, 3)
    prob = ember.tensor([0.5, 0.1, 1.0], device=device)
    s = ember.binomial(count, prob, generator=ember.Generator(device).manual_seed(1))
    h = s.cpu().numpy()
    assert s.shape == (4000, 3) and s.dtype is ember.float32
    np.testing.assert_allclose(h.mean(0), [5.0, 4.0, 7.0], rtol=0.05)
    np.testing.assert_allclose(h.var(0), [2.5, 3.6, 0.0], rtol=0.12, atol=0.01)
    again = ember.binomial(count, prob, generator=ember.Generator(device).manual_seed(1))
    np.testing.assert_array_equal(again.cpu().numpy(), h)


def test_binomial_clamps_probabilities_and_checks_dtypes():
    assert ember.binomial(ember.tensor([10.0, 5.0]), ember.tensor([1.5, -1.0])).tolist() == [10.0, 0.0]
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count, got: Long"):
        ember.binomial(ember.tensor([10]), ember.tensor([0]))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        ember.binomial(ember.tensor([10.0]), ember.tensor([0.5], dtype=ember.float64))
    with pytest.raises(RuntimeError, match="count must be non-negative"):
        ember.binomial(ember.tensor([-1.0]), ember.tensor([0.5]))


# --- histograms ----------------------------------------------------------------------------------------------
def test_histogram_equal_bins(device):
    x = rng.standard_normal(200).astype(np.float32)
    hist, edges = ember.histogram(ember.tensor(x, device=device), bins=7)
    want_hist, want_edges = np.histogram(x, bins=7)
    np.testing.assert_allclose(edges.cpu().numpy(), want_edges, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(hist.cpu().numpy(), want_hist)
    assert hist.dtype is ember.float32 and edges.dtype is ember.float32


def test_histogram_range_weight_density(device):
    x = np.array([1.0, 2.0, 1.0, -5.0, 7.0, np.nan], dtype=np.float64)
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    got = ember.histogram(ember.tensor(x, device=device), 4, range=(0.0, 3.0), weight=ember.tensor(w, device=device))
    want = np.histogram(x[:5], 4, range=(0.0, 3.0), weights=w[:5])
    np.testing.assert_array_equal(got.hist.cpu().numpy(), want[0])
    np.testing.assert_allclose(got.bin_edges.cpu().numpy(), want[1])
    edges = np.array([0.0, 1.0, 2.5, 3.0])
    got = ember.histogram(ember.tensor(x[:3], device=device), ember.tensor(edges, device=device), density=True)
    np.testing.assert_allclose(got.hist.cpu().numpy(), np.histogram(x[:3], edges, density=True)[0])


def test_histogram_edge_cases():
    assert ember.histogram(ember.tensor([1.0, 1.0]), 2).bin_edges.tolist() == [0.5, 1.0, 1.5]
    assert ember.histogram(ember.tensor([]), 2).bin_edges.tolist() == [0.0, 0.5, 1.0]
    assert ember.histogram(ember.tensor([[1.0, 2.0], [1.0, 1.0]]), 2).hist.tolist() == [3.0, 1.0]
    assert not ember.histogram(ember.tensor([1.0, 2.0], requires_grad=True), 2).hist.requires_grad
    with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Long'"):
        ember.histogram(ember.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0 for dimension 0"):
        ember.histogram(ember.tensor([1.0]), 0)
    with pytest.raises(RuntimeError, match="min should not exceed max, but got min 3 max 1 for dimension 0"):
        ember.histogram(ember.tensor([1.0]), 2, range=(3.0, 1.0))
    with pytest.raises(RuntimeError, match=re.escape("dimension 0's range [nan, nan] is not finite")):
        ember.histogram(ember.tensor([1.0, np.nan]), 2)
    with pytest.raises(RuntimeError, match="should have the same shape as the input tensor"):
        ember.histogram(ember.tensor([1.0, 2.0, 1.0]), 2, weight=ember.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=re.escape("input(double), and weight(float)")):
        ember.histogram(ember.tensor([1.0, 2.0], dtype=ember.float64), 2, weight=ember.tensor([1.0, 2.0]))


def test_histogramdd(device):
    pts = rng.standard_normal((300, 2))
    w = rng.random(300)
    got = ember.histogramdd(ember.tensor(pts, device=device), bins=[3, 4], weight=ember.tensor(w, device=device),
                            density=True)
    want, ex, ey = np.histogram2d(pts[:, 0], pts[:, 1], bins=[3, 4], weights=w, density=True)
    np.testing.assert_allclose(got.hist.cpu().numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(got.bin_edges[0].cpu().numpy(), ex)
    np.testing.assert_allclose(got.bin_edges[1].cpu().numpy(), ey)
    edges = [ember.tensor([0.0, 1.0, 2.0], device=device), ember.tensor([0.0, 3.0], device=device)]
    got = ember.histogramdd(ember.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], device=device), bins=edges)
    assert got.hist.tolist() == [[1.0], [2.0]]
    with pytest.raises(RuntimeError, match="input tensor should have at least 2 dimensions"):
        ember.histogramdd(ember.tensor([0.0, 1.0]), bins=2)


# --- index_put ---------------------------------------------------------------------------------------------------
def test_index_put(device):
    x = ember.zeros(3, 2, device=device)
    rows = ember.tensor([0, 2, 0], device=device)
    cols = ember.tensor([1, 0, 1], device=device)
    vals = ember.tensor([1.0, 2.0, 3.0], device=device)
    acc = x.index_put((rows, cols), vals, accumulate=True).cpu().numpy()
    want = np.zeros((3, 2), np.float32)
    np.add.at(want, (np.array([0, 2, 0]), np.array([1, 0, 1])), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(acc, want)
    assert x.index_put_((rows[1:], cols[1:]), vals[1:]) is x
    np.testing.assert_array_equal(x.cpu().numpy(), [[0, 3], [0, 0], [2, 0]])


def test_index_put_gradient():
    x = ember.zeros(4, dtype=ember.float64, requires_grad=True)
    v = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    idx = (ember.tensor([1, 1]),)
    assert ember.autograd.gradcheck(lambda a, b: a.index_put(idx, b, accumulate=True), (x, v))


# --- against torch --------------------------------------------------------------------------------------------
def test_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 1.0, -3.5, np.inf, 1e-40, 7.25], dtype=np.float32)
    m, e = torch.frexp(torch.from_numpy(x))
    got = ember.frexp(ember.tensor(x))
    np.testing.assert_array_equal(got.mantissa.numpy(), m.numpy())
    np.testing.assert_array_equal(got.exponent.numpy(), e.numpy())
    np.testing.assert_array_equal(ember.nextafter(ember.tensor(x), ember.zeros(6)).numpy(),
                                  torch.nextafter(torch.from_numpy(x), torch.zeros(6)).numpy())
    y = np.array([1.0, 2.0, 1.0, 0.2, 2.9], dtype=np.float32)
    w = np.array([1.0, 0.5, 2.0, 1.0, 3.0], dtype=np.float32)
    for kw in ({"range": (0.0, 3.0)}, {"density": True}):
        want = torch.histogram(torch.from_numpy(y), 4, weight=torch.from_numpy(w), **kw)
        got = ember.histogram(ember.tensor(y), 4, weight=ember.tensor(w), **kw)
        np.testing.assert_allclose(got.hist.numpy(), want.hist.numpy(), rtol=1e-6)
        np.testing.assert_allclose(got.bin_edges.numpy(), want.bin_edges.numpy(), rtol=1e-6)
    pts = np.array([[0.0, 1], [1, 0], [2, 0], [2, 2]], dtype=np.float32)
    want = torch.histogramdd(torch.from_numpy(pts), bins=[3, 3])
    np.testing.assert_array_equal(ember.histogramdd(ember.tensor(pts), bins=[3, 3]).hist.numpy(), want.hist.numpy())
