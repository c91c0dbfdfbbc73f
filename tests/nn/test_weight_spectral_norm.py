"""weight_norm, spectral_norm (hook-based and parametrized) and orthogonal: closed forms, gradients, state dicts."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.utils import parametrizations

F64 = ember.float64


def host(t):
    return t.detach().cpu().numpy()


def norm_except(v, dim):
    """numpy reference: the 2-norm over every axis but ``dim`` (all axes for None), kept as size 1."""
    if dim is None:
        return np.sqrt((v ** 2).sum())
    axes = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return np.sqrt((v ** 2).sum(axis=axes, keepdims=True))


def old_weight_norm(module, **kwargs):
    with pytest.warns(FutureWarning, match="torch.nn.utils.parametrizations.weight_norm"):
        return nn.utils.weight_norm(module, **kwargs)


def top_singular_value(w, dim=0):
    mat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
    return np.linalg.svd(mat, compute_uv=False)[0]


# --- weight norm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, g_shape", [(0, (4, 1, 1, 1)), (1, (1, 2, 1, 1)), (-2, (1, 1, 3, 1)), (None, ())])
def test_weight_norm_closed_form(device, dim, g_shape):
    m = nn.Conv2d(2, 4, 3).to(device=device, dtype=F64)
    w = host(m.weight)
    parametrizations.weight_norm(m, dim=dim)
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    assert tuple(g.shape) == g_shape and tuple(v.shape) == w.shape
    np.testing.assert_allclose(host(g), norm_except(w, dim))
    np.testing.assert_allclose(host(m.weight), w)  # registration keeps the weight's value
    with ember.no_grad():
        g.mul_(2.0)
        v.add_(1.0)
    v_np, g_np = host(v), host(g)
    np.testing.assert_allclose(host(m.weight), g_np * v_np / norm_except(v_np, dim))


def test_weight_norm_of_a_vector_keeps_signs_in_v():
    m = nn.Linear(2, 3)
    m.bias.data = ember.tensor([3.0, -4.0, 0.5])
    parametrizations.weight_norm(m, name="bias")
    np.testing.assert_allclose(host(m.parametrizations.bias.original0), [3.0, 4.0, 0.5])
    np.testing.assert_allclose(host(m.bias), [3.0, -4.0, 0.5])


def test_weight_norm_gradients(device):
    m = nn.Linear(3, 2).to(device=device, dtype=F64)
    parametrizations.weight_norm(m)
    x = ember.tensor([[1.0, -2.0, 0.5], [0.3, 0.0, 2.0]], dtype=F64, device=device)
    m(x).sum().backward()
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    gw = np.tile(host(x).sum(0), (2, 1))  # dL/dW for L = sum(x @ W.T + b)
    v_np, g_np = host(v), host(g)
    n = norm_except(v_np, 0)
    np.testing.assert_allclose(host(g.grad), (v_np * gw).sum(1, keepdims=True) / n)
    want_v = g_np / n * (gw - v_np * (v_np * gw).sum(1, keepdims=True) / n ** 2)
    np.testing.assert_allclose(host(v.grad), want_v)
    wn = m.parametrizations.weight[0]
    inputs = (g.detach().requires_grad_(), v.detach().requires_grad_(), x.requires_grad_())
    assert ember.autograd.gradcheck(lambda a, b, z: F.linear(z, wn(a, b), m.bias), inputs)
    assert ember.autograd.gradgradcheck(lambda a, b, z: F.linear(z, wn(a, b), m.bias), inputs)


def test_weight_norm_loads_old_state_dict_keys():
    old = old_weight_norm(nn.Linear(3, 2))
    new = parametrizations.weight_norm(nn.Linear(3, 2))
    assert str(new.load_state_dict(old.state_dict())) == "<All keys matched successfully>"
    np.testing.assert_allclose(host(new.weight), host(old.weight), rtol=1e-6)


def test_old_weight_norm_hooks_and_remove(device):
    m = nn.Linear(3, 2).to(device=device, dtype=F64)
    w = host(m.weight)
    old_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(host(m.weight_g), norm_except(w, 0))
    with ember.no_grad():
        m.weight_g.fill_(2.0)
    x = ember.ones(1, 3, dtype=F64, device=device)
    out = m(x)  # the pre-hook recomputes the weight
    want_w = 2.0 * w / norm_except(w, 0)
    np.testing.assert_allclose(host(out), host(x) @ want_w.T + host(m.bias))
    out.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        old_weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert isinstance(m.weight, nn.Parameter) and [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(host(m.weight), want_w)
    assert not m._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


def test_old_weight_norm_dim_none_and_uninitialized():
    m = old_weight_norm(nn.Linear(3, 2), dim=None)
    assert m.weight_g.shape == ()
    with pytest.raises(ValueError, match="uninitialized parameters"):
        old_weight_norm(nn.LazyLinear(2))


# --- spectral norm --------------------------------------------------------------------------------
def test_spectral_norm_reaches_unit_top_singular_value(device):
    m = nn.Linear(5, 4).to(device=device, dtype=F64)
    w = host(m.weight)
    parametrizations.spectral_norm(m)
    for _ in range(30):
        weight = m.weight  # each access in training mode runs a power-iteration step
    np.testing.assert_allclose(top_singular_value(host(weight)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(host(weight), w / top_singular_value(w), rtol=1e-6)
    plist = m.parametrizations.weight
    u, v = plist[0]._u, plist[0]._v
    np.testing.assert_allclose([np.linalg.norm(host(u)), np.linalg.norm(host(v))], [1.0, 1.0])
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u", "parametrizations.weight.0._v"]


def test_spectral_norm_buffers_update_in_training_only():
    m = parametrizations.spectral_norm(nn.Linear(4, 3), n_power_iterations=2)
    sn = m.parametrizations.weight[0]
    u0 = host(sn._u).copy()
    m.eval()
    m(ember.ones(1, 4))
    np.testing.assert_array_equal(host(sn._u), u0)
    m.train()
    out = m(ember.ones(1, 4))
    assert not np.array_equal(host(sn._u), u0)
    m(ember.ones(1, 4))  # a further in-place update must not break the first graph
    out.sum().backward()
    assert m.parametrizations.weight.original.grad is not None


@pytest.mark.parametrize("make, dim", [(lambda: nn.Conv2d(2, 3, 2), 0), (lambda: nn.ConvTranspose2d(2, 3, 2), 1)])
def test_spectral_norm_default_dim(make, dim):
    m = make().double()
    w = host(m.weight)
    parametrizations.spectral_norm(m, n_power_iterations=50)
    assert m.parametrizations.weight[0].dim == dim
    np.testing.assert_allclose(host(m.weight), w / top_singular_value(w, dim), rtol=1e-6)


def test_spectral_norm_of_vector_normalizes_and_validates():
    m = nn.Module()
    m.register_parameter("weight", nn.Parameter(ember.tensor([3.0, 4.0])))
    parametrizations.spectral_norm(m)
    np.testing.assert_allclose(host(m.weight), [0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'w'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="w")


def test_spectral_norm_gradcheck():
    m = parametrizations.spectral_norm(nn.Linear(3, 2).double()).eval()  # eval: u and v stay fixed
    sn = m.parametrizations.weight[0]
    w = m.parametrizations.weight.original.detach().requires_grad_()
    x = ember.randn(2, 3, dtype=F64)
    assert ember.autograd.gradcheck(lambda a: F.linear(x, sn(a)), (w,))
    assert ember.autograd.gradgradcheck(lambda a: F.linear(x, sn(a)), (w,))


def test_old_spectral_norm(device):
    m = nn.Linear(5, 4).to(device=device, dtype=F64)
    w = host(m.weight)
    nn.utils.spectral_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert m.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    x = ember.ones(1, 5, dtype=F64, device=device)
    for _ in range(30):
        out = m(x)
    np.testing.assert_allclose(host(m.weight), w / top_singular_value(w), rtol=1e-6)
    out.sum().backward()
    assert m.weight_orig.grad is not None
    u = host(m.weight_u).copy()
    m.eval()(x)
    np.testing.assert_array_equal(host(m.weight_u), u)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(top_singular_value(host(m.weight)), 1.0, rtol=1e-6)
    assert not m._forward_pre_hooks and not m._state_dict_hooks and not m._load_state_dict_pre_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)


def test_old_spectral_norm_state_dict_round_trip():
    a, b = nn.utils.spectral_norm(nn.Linear(3, 2)), nn.utils.spectral_norm(nn.Linear(3, 2))
    a(ember.ones(1, 3))
    assert str(b.load_state_dict(a.state_dict())) == "<All keys matched successfully>"
    a.eval(), b.eval()
    np.testing.assert_array_equal(host(a(ember.ones(1, 3))), host(b(ember.ones(1, 3))))


# --- orthogonal -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_gives_orthonormal_columns(device, shape, orthogonal_map, use_trivialization):
    m = nn.Module()
    m.register_parameter("weight", nn.Parameter(ember.randn(*shape, dtype=F64, device=device)))
    parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    Q = host(m.weight)
    if shape[-2] < shape[-1]:
        Q = np.swapaxes(Q, -1, -2)
    np.testing.assert_allclose(np.swapaxes(Q, -1, -2) @ Q, np.broadcast_to(np.eye(Q.shape[-1]), Q.shape[:-2] + (Q.shape[-1],) * 2),
                               atol=1e-12)
    assert ("base" in m.parametrizations.weight[0]._buffers) == use_trivialization


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_assignment_keeps_an_orthogonal_matrix(orthogonal_map):
    m = parametrizations.orthogonal(nn.Linear(4, 4).double(), orthogonal_map=orthogonal_map)
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    m.weight = ember.tensor(Q)
    np.testing.assert_allclose(host(m.weight), Q, atol=1e-12)
    np.testing.assert_allclose(host(m.parametrizations.weight.original), -np.eye(4))


def test_orthogonal_householder_without_trivialization_is_the_qr_factor():
    w = np.random.default_rng(1).standard_normal((5, 3))
    m = nn.Module()
    m.register_parameter("weight", nn.Parameter(ember.tensor(w)))
    parametrizations.orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    q, r = np.linalg.qr(w)
    np.testing.assert_allclose(host(m.weight), q * np.sign(np.diag(r)), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_gradcheck(orthogonal_map):
    m = parametrizations.orthogonal(nn.Linear(3, 4).double(), orthogonal_map=orthogonal_map)
    orth = m.parametrizations.weight[0]
    x = ember.randn(2, 3, dtype=F64).requires_grad_()
    X = ember.randn(4, 3, dtype=F64).requires_grad_()
    assert ember.autograd.gradcheck(lambda a, z: F.linear(z, orth(a)), (X, x))
    assert ember.autograd.gradgradcheck(lambda a, z: F.linear(z, orth(a)), (X, x))


def test_orthogonal_defaults_and_errors():
    assert parametrizations.orthogonal(nn.Linear(3, 3)).parametrizations.weight[0].orthogonal_map == "matrix_exp"
    assert parametrizations.orthogonal(nn.Linear(3, 4)).parametrizations.weight[0].orthogonal_map == "householder"
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        parametrizations.orthogonal(nn.Linear(3, 3), name="bias")
    m = parametrizations.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = ember.eye(3)


# --- torch: same names, same values from the same state dict --------------------------------------
def _torch_pair(torch, build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return build(torch.nn, torch.nn.utils), build(nn, nn.utils)


BUILDERS = {
    "weight_norm": lambda tnn, u: u.parametrizations.weight_norm(tnn.Conv2d(2, 3, 2).double(), dim=1),
    "spectral_norm": lambda tnn, u: u.parametrizations.spectral_norm(tnn.ConvTranspose2d(2, 3, 2).double()),
    "orthogonal_exp": lambda tnn, u: u.parametrizations.orthogonal(tnn.Linear(4, 4).double()),
    "orthogonal_cayley": lambda tnn, u: u.parametrizations.orthogonal(tnn.Linear(3, 5).double(), orthogonal_map="cayley"),
    "orthogonal_householder": lambda tnn, u: u.parametrizations.orthogonal(tnn.Linear(5, 3).double(), orthogonal_map="householder"),
    "orthogonal_householder_no_trivialization": lambda tnn, u: u.parametrizations.orthogonal(
        tnn.Linear(5, 3).double(), orthogonal_map="householder", use_trivialization=False),
    "old_weight_norm": lambda tnn, u: u.weight_norm(tnn.Linear(3, 2).double(), dim=None),
    "old_spectral_norm": lambda tnn, u: u.spectral_norm(tnn.Linear(3, 4).double(), n_power_iterations=3),
}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_matches_torch(kind):
    torch = pytest.importorskip("torch")
    tm, em = _torch_pair(torch, BUILDERS[kind])
    sd = tm.state_dict()
    assert list(em.state_dict()) == list(sd)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    x = np.random.default_rng(0).standard_normal((2, tm.in_features) if isinstance(tm, torch.nn.Linear) else (2, 2, 3, 3))
    for mode in (False, True):  # eval: buffers as loaded; train: one power-iteration step each
        tm.train(mode), em.train(mode)
        with torch.no_grad():
            want = tm(torch.tensor(x)).numpy()
        np.testing.assert_allclose(host(em(ember.tensor(x))), want, rtol=1e-9, atol=1e-12)
    for name, t in tm.named_buffers():
        np.testing.assert_allclose(host(em.get_buffer(name)), t.numpy(), rtol=1e-9, atol=1e-12)


def test_householder_right_inverse_matches_torch():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(2).standard_normal((3, 5))
    tm, em = _torch_pair(torch, BUILDERS["orthogonal_householder_no_trivialization"])
    with torch.no_grad():
        tm.weight = torch.tensor(w)
    em.weight = ember.tensor(w)
    np.testing.assert_allclose(host(em.parametrizations.weight.original),
                               tm.parametrizations.weight.original.detach().numpy(), atol=1e-12)
