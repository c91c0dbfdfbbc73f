"""ember.func: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap and functional_call.

Values are checked against closed forms and numpy; composition (nested transforms,
per-sample gradients) against explicit loops; torch.func comparisons are in their own tests.
"""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.func import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
X = rng.standard_normal(4)
S = rng.standard_normal((4, 4))


def T(a, device, **kw):
    return ember.tensor(np.asarray(a), dtype=ember.float64, device=device, **kw)


def host(t):
    return t.detach().cpu().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)


def close(got, want, tol=1e-10):
    np.testing.assert_allclose(host(got), want, rtol=tol, atol=tol)


# --- grad / grad_and_value ---------------------------------------------------------------
def test_grad_closed_form_and_plain_result(device):
    x = T(X, device)
    g = grad(lambda x: (x ** 3).sum())(x)
    close(g, 3 * X ** 2)
    assert not g.requires_grad and g.device == x.device


def test_grad_argnums_pytrees_and_aux(device):
    x, a = T(X, device), T(A, device)
    gx, ga = grad(lambda a, x: (a @ x).sum(), argnums=(1, 0))(a, x)  # a tuple in argnums order
    close(gx, A.sum(0)), close(ga, np.broadcast_to(X, A.shape))
    g = grad(lambda p: (p["w"] * p["b"][0]).sum())({"w": x, "b": [T([2.0], device)]})
    assert set(g) == {"w", "b"} and isinstance(g["b"], list)
    close(g["w"], np.full(4, 2.0)), close(g["b"][0], [X.sum()])
    g, aux = grad(lambda x: ((x ** 2).sum(), {"double": x * 2}), has_aux=True)(x)
    close(g, 2 * X), close(aux["double"], 2 * X)
    assert not aux["double"].requires_grad
    g, (value, aux) = grad_and_value(lambda x: ((x ** 2).sum(), x.sum()), has_aux=True)(x)
    close(g, 2 * X), close(value, (X ** 2).sum()), close(aux, X.sum())


def test_grad_of_unused_or_integer_output_is_zero(device):
    x = T(X, device)
    close(grad(lambda x, y: (y ** 2).sum())(x, T(X, device)), np.zeros(4))
    close(grad(lambda x: x.sum().long())(x), np.zeros(4))


def test_grad_errors():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="return a Tensor, got <class 'int'>"):
        grad(lambda x: 3)(x)
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        grad(lambda x: x.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        grad(lambda x: x.sum(), argnums=(0, -1))(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        grad(lambda x: x.sum(), argnums=())(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        grad(lambda x: x.sum(), argnums=0.0)(x)
    with pytest.raises(ValueError, match="must be Tensor, got <class 'float'>"):
        grad(lambda x: x)(3.0)
    with pytest.raises(RuntimeError, match="floating point"):
        grad(lambda x: x.sum())(ember.ones(2, dtype=ember.int64))


def test_nested_grad_and_outer_autograd(device):
    x = T(1.5, device)
    close(grad(grad(grad(lambda x: x ** 4)))(x), 24 * 1.5)
    # the inner derivative stays differentiable wrt a tensor the function closes over
    w = T([1.0, 2.0], device, requires_grad=True)
    g = grad(lambda x: (w * x * x).sum())(T([3.0, 4.0], device))
    assert g.requires_grad
    close(g, [6.0, 16.0])
    g.sum().backward()
    close(w.grad, [6.0, 8.0])
    with ember.no_grad():  # an outer no_grad stops the outer graph, not the transform
        g = grad(lambda x: (w * x * x).sum())(T([3.0, 4.0], device))
    assert not g.requires_grad
    close(g, [6.0, 16.0])
    # no perturbation confusion: d/dx [d/dy (x * y)]_{y=x} = 1
    close(grad(lambda x: grad(lambda y: (x * y).sum())(x).sum())(T([2.0, 5.0], device)), [1.0, 1.0])


def test_gradcheck_through_grad():
    f = grad(lambda x: (x.sin() * x).sum())
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


# --- vjp / jvp ------------------------------------------------------------------------------
def test_vjp_values_structure_and_reuse(device):
    x, a = T(X, device), T(A, device)
    out, vjp_fn = vjp(lambda a, x: {"y": a @ x}, a, x)
    close(out["y"], A @ X)
    assert not out["y"].requires_grad
    v = rng.standard_normal(3)
    for _ in range(2):  # vjp_fn may be called again
        ga, gx = vjp_fn({"y": T(v, device)})
        close(gx, A.T @ v), close(ga, np.outer(v, X))
    out, vjp_fn = vjp(lambda: a.sum())
    assert vjp_fn(ember.ones_like(out)) == ()
    out, vjp_fn, aux = vjp(lambda x: (x.exp(), x.sum()), x, has_aux=True)
    close(vjp_fn(ember.ones_like(out))[0], np.exp(X)), close(aux, X.sum())


def test_vjp_errors():
    _, vjp_fn = vjp(lambda x: x * x, ember.ones(2))
    with pytest.raises(RuntimeError, match="structure of cotangents .* cotangents: \\(\\*,\\), primal output: \\*"):
        vjp_fn((ember.ones(2),))
    with pytest.raises(RuntimeError, match="expected f\\(\\*primals\\) to return only tensors"):
        vjp(lambda x: 3, ember.ones(2))


def test_jvp_linear_and_nonlinear(device):
    x, a, v = T(X, device), T(A, device), T(rng.standard_normal(4), device)
    out, jv = jvp(lambda x: a @ x, (x,), (v,))
    close(out, A @ X), close(jv, A @ host(v))
    assert not jv.requires_grad
    # two primals: d(x * y) = dx * y + x * dy
    y, dy = T(X[::-1].copy(), device), T(np.ones(4), device)
    _, jv = jvp(lambda x, y: x * y, (x, y), (v, dy))
    close(jv, host(v) * X[::-1] + X)
    out, jv, aux = jvp(lambda x: ({"s": x.sin()}, x.cos()), (x,), (v,), has_aux=True)
    close(jv["s"], np.cos(X) * host(v)), close(aux, np.cos(X))
    _, jv = jvp(lambda x: a.sum() + 0 * x.sum(), (x,), (v,))  # zero derivative
    close(jv, 0.0)


def test_jvp_errors():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(lambda x: x, x, x)
    with pytest.raises(RuntimeError, match="same python structure.*\\(\\*,\\) and tangents with structure "
                                           "\\(\\*, \\*\\)"):
        jvp(lambda x: x, (x,), (x, x))
    with pytest.raises(RuntimeError, match="size \\[2\\] while the given forward gradient is of size \\[3\\]"):
        jvp(lambda x: x, (x,), (ember.ones(3),))


# --- jacobians and hessians --------------------------------------------------------------------
def test_jacrev_jacfwd_closed_forms(device):
    x, a = T(X, device), T(A, device)
    for jac in (jacrev, jacfwd):
        close(jac(lambda x: a @ x)(x), A)
        close(jac(lambda x: x.sin())(x), np.diag(np.cos(X)))
        j = jac(lambda a, x: a @ x, argnums=(0, 1))(a, x)
        assert isinstance(j, tuple) and j[0].shape == (3, 3, 4)
        close(j[0], np.einsum("ij,k->ijk", np.eye(3), X)), close(j[1], A)
        j = jac(lambda x: {"m": x.reshape(2, 2), "s": x.sum(), "c": a.sum()})(x)
        close(j["m"], np.eye(4).reshape(2, 2, 4)), close(j["s"], np.ones(4)), close(j["c"], np.zeros(4))
        j, aux = jac(lambda x: (x * 2, x.sum()), has_aux=True)(x)
        close(j, 2 * np.eye(4)), close(aux, X.sum())
    j = jacrev(lambda p: p["w"] * 3)({"w": x})
    close(j["w"], 3 * np.eye(4))


def test_hessian_of_quadratic_and_cubic(device):
    x, s = T(X, device), T(S, device)
    close(hessian(lambda x: 0.5 * x @ s @ x)(x), (S + S.T) / 2)
    close(hessian(lambda x: (x ** 3).sum())(x), np.diag(6 * X))
    y = T(np.ones(4), device)
    h = hessian(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(x, y)
    close(h[0][0], 2 * np.eye(4)), close(h[0][1], np.diag(2 * X)), close(h[1][1], np.zeros((4, 4)))


# --- vmap -------------------------------------------------------------------------------------------
def test_vmap_in_dims_out_dims_and_pytrees(device):
    m = rng.standard_normal((2, 3))
    x = T(m, device)
    close(vmap(lambda r: r.sum())(x), m.sum(1))
    close(vmap(lambda c: c.sum(), in_dims=1)(x), m.sum(0))
    close(vmap(lambda c: c * 2, in_dims=-1, out_dims=1)(x), 2 * m)
    close(vmap(lambda r, w: r * w, in_dims=(0, None))(x, T([1.0, 2.0, 3.0], device)), m * [1, 2, 3])
    out = vmap(lambda d: {"o": d["a"] + d["b"], "t": [d["a"].sum()]}, in_dims=({"a": 0, "b": None},))(
        {"a": x, "b": T(np.ones(3), device)})
    close(out["o"], m + 1), close(out["t"][0], m.sum(1))
    first, second = vmap(lambda r: (r, r.sum()), out_dims=(1, 0))(x)
    close(first, m.T), close(second, m.sum(1))
    close(vmap(lambda r, k: r * k)(x, k=T(np.full(3, 2.0), device)), 2 * m)  # keyword arguments are not mapped
    close(vmap(lambda r: T(np.ones(2), device), out_dims=None)(x), np.ones(2))
    close(vmap(vmap(lambda e: e * e))(x), m * m)
    out, nothing = vmap(lambda r, unused: (r + 1, None), in_dims=(0, None), out_dims=(0, None))(x, None)
    close(out, m + 1)
    assert nothing is None
    empty = vmap(lambda r: r * 2)(T(np.zeros((0, 3)), device))
    assert empty.shape == (0, 3)


def test_vmap_errors():
    x = ember.ones(2, 3)
    cases = [
        (lambda: vmap(lambda a, b: a * b)(x, ember.ones(3)), "got sizes \\[2, 3\\] for the mapped dimension"),
        (lambda: vmap(lambda a, b: a, in_dims=(0,))(x, x), "in_dims is not compatible.*\\(\\*,\\) but inputs has "
                                                            "structure \\(\\*, \\*\\)"),
        (lambda: vmap(lambda a: a, in_dims=2)(x), "expected in_dim to satisfy -2 <= in_dim < 2"),
        (lambda: vmap(lambda a: 3)(x), "must only return Tensors, got type <class 'int'>"),
        (lambda: vmap(lambda a: a)(3.0), "We cannot vmap over non-Tensor arguments"),
        (lambda: vmap(lambda a: a, in_dims=None)(x), "expected `in_dims` to be int or a"),
        (lambda: vmap(lambda a: a, in_dims=(None,))(x), "Expected at least one Tensor to vmap over"),
        (lambda: vmap(lambda: 1)(), "got no inputs"),
        (lambda: vmap(lambda a: a, out_dims=1.0)(x), "`out_dims` must be an int, None"),
        (lambda: vmap(lambda a: (a, a), out_dims=(0,))(x), "out_dims is not compatible"),
        (lambda: vmap(lambda a: a, chunk_size=0), "chunk_size should be None or greater than 0"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        vmap(lambda a: a, randomness="foo")


def test_vmap_randomness(device):
    x = ember.zeros(3, 2, device=device)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(lambda r: r + ember.rand(2, device=device))(x)
    same = host(vmap(lambda r: r + ember.rand(2, device=device), randomness="same")(x))
    assert (same == same[0]).all()
    different = host(vmap(lambda r: r + ember.rand(2, device=device), randomness="different")(x))
    assert not (different == different[0]).all()


def test_per_sample_gradients_match_a_loop(device):
    model = nn.Linear(3, 2).to(ember.float64).to(device)
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs, ys = T(rng.standard_normal((5, 3)), device), T(rng.standard_normal((5, 2)), device)

    def loss(params, x, y):
        return ((functional_call(model, params, (x,)) - y) ** 2).sum()

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    assert per_sample["weight"].shape == (5, 2, 3) and not per_sample["weight"].requires_grad
    w, b = host(params["weight"]), host(params["bias"])
    for i in range(5):
        x, y = host(xs)[i], host(ys)[i]
        r = 2 * (w @ x + b - y)
        close(per_sample["weight"][i], np.outer(r, x)), close(per_sample["bias"][i], r)
        model.zero_grad()
        loss(dict(model.named_parameters()), xs[i], ys[i]).backward()
        close(per_sample["weight"][i], host(model.weight.grad))


# --- functional_call ------------------------------------------------------------------------------
def test_functional_call_swaps_and_restores(device):
    m = nn.Linear(2, 1).to(ember.float64).to(device)
    own = m.weight
    w = T([[1.0, 2.0]], device, requires_grad=True)
    out = functional_call(m, {"weight": w, "bias": T([0.5], device)}, T([3.0, 4.0], device))
    close(out, [11.5])
    assert m.weight is own and isinstance(m.weight, nn.Parameter)
    out.sum().backward()
    close(w.grad, [[3.0, 4.0]])
    assert own.grad is None
    only_bias = functional_call(m, ({"bias": T([0.0], device)},), args=(T([1.0, 0.0], device),))
    close(only_bias, host(own)[:, 0])

    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)

        def forward(self, x):
            raise ValueError("boom")

    b = Boom()
    before = b.lin.weight
    with pytest.raises(ValueError, match="boom"):
        functional_call(b, {"lin.weight": ember.ones(1, 1)}, ember.ones(1))
    assert b.lin.weight is before


def test_functional_call_tied_weights_and_strict():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(1, 1, bias=False)
            self.b = nn.Linear(1, 1, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.a(x) + self.b(x)

    m, x = Tied(), ember.ones(1)
    two = ember.full((1, 1), 2.0)
    close(functional_call(m, {"a.weight": two}, x), [4.0])
    close(functional_call(m, {"a.weight": two}, x, tie_weights=False), [2.0 + m.a.weight.item()], tol=1e-6)
    with pytest.raises(ValueError, match="multiple values for keys \\['a.weight', 'b.weight'\\], which are tied"):
        functional_call(m, {"a.weight": two, "b.weight": ember.ones(1, 1)}, x)
    lin = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match="reparametrizing for Linear:\n\tUnexpected key\\(s\\): 'foo'.\n\t"
                                           "Missing key\\(s\\): 'bias'."):
        functional_call(lin, {"weight": ember.ones(1, 2), "foo": ember.ones(1)}, ember.ones(2), strict=True)
    with pytest.raises(ValueError, match="\\['weight'\\] appeared in multiple dictionaries"):
        functional_call(lin, ({"weight": ember.ones(1, 2)}, {"weight": ember.ones(1, 2)}), ember.ones(2))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        functional_call(lin, 3, ember.ones(2))
    with pytest.raises(TypeError, match="is not an instance of ember.Tensor"):
        functional_call(lin, {"weight": 3}, ember.ones(2))
    with pytest.raises(RuntimeError, match="can't be used with nn.DataParallel"):
        functional_call(nn.DataParallel(lin), {}, ember.ones(2))
    assert isinstance(lin.weight, nn.Parameter)


def test_functional_call_writes_back_reassigned_buffers():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", ember.zeros(()))

        def forward(self, x):
            self.count = self.count + 1
            return x

    m, given = Counter(), {"count": ember.full((), 5.0)}
    functional_call(m, given, ember.ones(1))
    assert m.count.item() == 0.0 and given["count"].item() == 6.0


def test_stateless_functional_call_warns():
    from ember.nn.utils import stateless

    with pytest.warns(FutureWarning, match="ember.func.functional_call"):
        out = stateless.functional_call(nn.Linear(1, 1), {"weight": ember.ones(1, 1), "bias": ember.ones(1)},
                                        ember.ones(1))
    close(out, [2.0])


def test_func_is_a_lazy_submodule():
    import importlib
    import sys

    assert "func" in ember._SUBMODULES
    assert ember.func is importlib.import_module("ember.func") is sys.modules["ember.func"]
    assert ember.vmap is ember.func.vmap  # torch.vmap is torch.func.vmap


# --- against torch.func --------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's own imports warn
def test_matches_torch_func():
    torch = pytest.importorskip("torch")
    tf = torch.func
    t = lambda a: torch.tensor(a)  # noqa: E731
    e = lambda a: ember.tensor(a)  # noqa: E731
    f_t = lambda x, y: ((x.sin() * y) ** 2).sum()  # noqa: E731
    f_e = lambda x, y: ((x.sin() * y) ** 2).sum()  # noqa: E731
    y = rng.standard_normal(4)
    for name in ("grad", "jacrev", "jacfwd", "hessian"):
        want = getattr(tf, name)(f_t, argnums=(0, 1))(t(X), t(y))
        got = getattr(ember.func, name)(f_e, argnums=(0, 1))(e(X), e(y))
        for wt, gt in zip(torch.utils._pytree.tree_leaves(want), ember.func._pytree.flatten(got)[0]):
            np.testing.assert_allclose(host(gt), wt.numpy(), rtol=1e-10)
    m = rng.standard_normal((3, 4))
    want = tf.vmap(tf.grad(f_t), in_dims=(0, None))(t(m), t(y))
    got = vmap(grad(f_e), in_dims=(0, None))(e(m), e(y))
    np.testing.assert_allclose(host(got), want.numpy(), rtol=1e-10)
    _, want = tf.jvp(lambda x: x.exp() * x, (t(X),), (t(y),))
    _, got = jvp(lambda x: x.exp() * x, (e(X),), (e(y),))
    np.testing.assert_allclose(host(got), want.numpy(), rtol=1e-10)
