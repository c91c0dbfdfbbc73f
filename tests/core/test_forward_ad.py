"""ember.autograd.forward_ad: tangents against closed forms and central differences (and torch's fwAD)."""

import warnings

import ember
import ember.autograd.forward_ad as fwAD
import numpy as np
import pytest

rng = np.random.default_rng(7)
X = rng.standard_normal((3, 4))
T = rng.standard_normal((3, 4))
W = rng.standard_normal((4, 2))


def host(t):
    return np.asarray(t.detach().tolist())


# name -> (f(lib, x), closed-form tangent in numpy or None for central differences)
FUNCTIONS = {
    "sin": (lambda m, x: x.sin(), lambda x, t: np.cos(x) * t),
    "exp_times_log": (lambda m, x: x.exp() * (x * x + 1).log(),
                      lambda x, t: (np.exp(x) * np.log(x * x + 1) + np.exp(x) * 2 * x / (x * x + 1)) * t),
    "matmul": (lambda m, x: x @ m.tensor(W, dtype=x.dtype, device=x.device), lambda x, t: t @ W),
    "sum_of_cubes": (lambda m, x: (x ** 3).sum(1), lambda x, t: (3 * x ** 2 * t).sum(1)),
    "tanh_mean": (lambda m, x: x.tanh().mean(), lambda x, t: ((1 - np.tanh(x) ** 2) * t).mean()),
    "relu": (lambda m, x: m.relu(x), lambda x, t: (x > 0) * t),
    "softmax": (lambda m, x: m.softmax(x, dim=1), None),
    "division": (lambda m, x: x / (x.abs() + 1), None),
    "norm": (lambda m, x: x.norm(), lambda x, t: (x * t).sum() / np.linalg.norm(x)),
    "cumsum": (lambda m, x: x.cumsum(0), lambda x, t: np.cumsum(t, 0)),
    "transpose": (lambda m, x: x.t() * 2, lambda x, t: 2 * t.T),
    "max": (lambda m, x: x.max(dim=1)[0], lambda x, t: t[np.arange(3), x.argmax(1)]),
    "sigmoid_pow": (lambda m, x: m.sigmoid(x) ** 2.5, None),
    "logsumexp": (lambda m, x: m.logsumexp(x, 1), None),
}


def tangent_of(f, device, x=X, t=T):
    with fwAD.dual_level():
        dual = fwAD.make_dual(ember.tensor(x, device=device), ember.tensor(t, device=device))
        return fwAD.unpack_dual(f(ember, dual)).tangent


def central_difference(f, device, eps=1e-6):
    def at(v):
        return host(f(ember, ember.tensor(v, device=device)))

    return (at(X + eps * T) - at(X - eps * T)) / (2 * eps)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_tangents(device, name):
    f, closed = FUNCTIONS[name]
    tangent = tangent_of(f, device)
    assert not tangent.requires_grad
    np.testing.assert_allclose(host(tangent), central_difference(f, device), rtol=1e-6, atol=1e-8)
    if closed is not None:
        np.testing.assert_allclose(host(tangent), closed(X, T), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_tangents_match_torch(name):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    f, _ = FUNCTIONS[name]
    with tfw.dual_level(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's first make_dual scripts its decompositions
        theirs = tfw.unpack_dual(f(torch, tfw.make_dual(torch.tensor(X), torch.tensor(T)))).tangent
    np.testing.assert_allclose(host(tangent_of(f, "cpu")), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_dual_tensor_and_cache(device):
    x, t = ember.tensor(X, device=device), ember.tensor(T, device=device)
    with fwAD.dual_level() as level:
        assert level == 0
        dual = fwAD.make_dual(x, t)
        primal, tangent = fwAD.unpack_dual(dual)
        assert tangent is t
        np.testing.assert_array_equal(host(primal), X)
        out = dual.sin()
        first = fwAD.unpack_dual(out)
        assert isinstance(first, fwAD.UnpackedDualTensor) and first.primal is out
        assert fwAD.unpack_dual(out).tangent is first.tangent  # computed once
        assert fwAD.unpack_dual(x).tangent is None  # the plain tensor carries none
        assert fwAD.unpack_dual(dual.detach() * 2).tangent is None
        assert fwAD.unpack_dual(dual.argmax()).tangent is None
        np.testing.assert_array_equal(host(fwAD.unpack_dual(dual.floor()).tangent), np.zeros_like(X))
    assert fwAD.unpack_dual(out).tangent is None  # dropped with the level
    with fwAD.dual_level():
        assert fwAD.unpack_dual(out).tangent is None  # a new level knows nothing of the old one


def test_several_duals_and_in_place(device):
    x, t = ember.tensor(X, device=device), ember.tensor(T, device=device)
    with fwAD.dual_level():
        a = fwAD.make_dual(x, t)
        b = fwAD.make_dual(x * 2, t * 3)
        np.testing.assert_allclose(host(fwAD.unpack_dual(a * b).tangent), T * 2 * X + X * 3 * T)
        c = a.clone()
        c.mul_(3)
        np.testing.assert_allclose(host(fwAD.unpack_dual(c).tangent), 3 * T)


def test_tangent_dtype_follows_torch(device):
    with fwAD.dual_level():
        dual = fwAD.make_dual(ember.ones(2, device=device), ember.ones(2, dtype=ember.float64, device=device))
        assert fwAD.unpack_dual(dual).tangent.dtype == ember.float64
        assert fwAD.unpack_dual(dual * 2).tangent.dtype == ember.float64


def test_primal_requiring_grad(device):
    x = ember.tensor(X, device=device, requires_grad=True)
    t = ember.tensor(T, device=device)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, t)
        assert dual.grad_fn.name() == "ViewBackward0"
        y = (dual ** 2).sum()
        tangent = fwAD.unpack_dual(y).tangent
        np.testing.assert_allclose(tangent.item(), (2 * X * T).sum())
        assert tangent.requires_grad  # forward-over-reverse: it depends on x
        (g,) = ember.autograd.grad(tangent, x, retain_graph=True)
        np.testing.assert_allclose(host(g), 2 * T)
        y.backward()
        np.testing.assert_allclose(host(x.grad), 2 * X)


def test_complex_tangents(device):
    z, t = np.array([1 + 2j, -0.5 + 1j]), np.array([1 - 1j, 2 + 0.5j])
    with fwAD.dual_level():
        dual = fwAD.make_dual(ember.tensor(z, device=device), ember.tensor(t, device=device))
        np.testing.assert_allclose(host(fwAD.unpack_dual(dual * dual).tangent), 2 * z * t)
        np.testing.assert_allclose(host(fwAD.unpack_dual(dual.abs()).tangent), (z.conj() * t).real / np.abs(z))


def test_decorator_form():
    @fwAD.dual_level()
    def jvp(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t).exp()).tangent

    np.testing.assert_allclose(host(jvp(ember.tensor(X), ember.tensor(T))), np.exp(X) * T)
    assert fwAD._current_level == -1


def test_errors(device):
    x, t = ember.tensor(X, device=device), ember.tensor(T, device=device)
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, t)
    with pytest.raises(RuntimeError, match="^Dual level must be a positive number.$"):
        fwAD.exit_dual_level()
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3, 4\] while the given forward gradient is of "
                                               r"size \[4\]\."):
            fwAD.make_dual(x, t[0])
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: ember.int64"):
            fwAD.make_dual(ember.arange(3, device=device), t[0, :3])
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: ember.int64"):
            fwAD.make_dual(x[0, :3], ember.arange(3, device=device))
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported at the moment$"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="^Invalid level given to _make_dual$"):
            fwAD.make_dual(x, t, level=3)
        dual = fwAD.make_dual(x, t)
        for source in (dual, dual * 2):
            with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
                fwAD.make_dual(source, t)
        with pytest.raises(RuntimeError, match="^Invalid level given to _fw_primal$"):
            fwAD.unpack_dual(dual, level=1)
        with pytest.raises(RuntimeError, match="not the last one that was created"):
            fwAD.exit_dual_level(level=2)
    assert fwAD.unpack_dual(dual, level=0).tangent is None


def test_enter_and_exit_by_hand():
    level = fwAD.enter_dual_level()
    try:
        dual = fwAD.make_dual(ember.tensor(2.0), ember.tensor(1.0), level=level)
        assert fwAD.unpack_dual(dual * dual * dual, level=level).tangent.item() == 12.0
    finally:
        fwAD.exit_dual_level(level=level)
    assert fwAD.unpack_dual(dual).tangent is None
