"""ember.autograd.graph: saved-tensor hooks, graph nodes, gradient edges, multi-gradient hooks."""

import ember
import numpy as np
import pytest
from ember.autograd.graph import (
    GradientEdge,
    Node,
    allow_mutation_on_saved_tensors,
    disable_saved_tensors_hooks,
    get_gradient_edge,
    increment_version,
    register_multi_grad_hook,
    save_on_cpu,
    saved_tensors_hooks,
)

X = np.array([0.3, -1.2, 2.0])


def host(t):
    return np.asarray(t.detach().tolist())


def leaf(device, values=X):
    return ember.tensor(values, dtype=ember.float64, device=device, requires_grad=True)


def copying_hooks(log):
    def pack(t):
        log.append(("pack", t, ember.is_grad_enabled()))
        return t.detach().clone()

    def unpack(t):
        log.append(("unpack", t))
        return t

    return saved_tensors_hooks(pack, unpack)


# --- saved_tensors_hooks ----------------------------------------------------------------------------------
def test_pack_sees_the_saved_input_and_output_objects(device):
    x, log = leaf(device), []
    with copying_hooks(log):
        s = x.sin()  # saves its input
        e = x.exp()  # saves its output
    assert [entry[0] for entry in log] == ["pack", "pack"]
    assert log[0][1] is x and log[1][1] is e
    assert not log[0][2] and not log[1][2]  # packing runs with recording off, as torch
    (s + e).sum().backward()
    assert [entry[0] for entry in log[2:]] == ["unpack", "unpack"]
    np.testing.assert_allclose(host(x.grad), np.cos(X) + np.exp(X))


@pytest.mark.parametrize("name, fn, d1, d2", [
    ("sin", ember.sin, np.cos, lambda v: -np.sin(v)),
    ("exp", ember.exp, np.exp, np.exp),
    ("tanh", ember.tanh, lambda v: 1 - np.tanh(v) ** 2, lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    ("cube", lambda t: t * t * t, lambda v: 3 * v ** 2, lambda v: 6 * v),
])
def test_double_backward_through_unpacked_tensors(device, name, fn, d1, d2):
    x = leaf(device)
    with saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        y = fn(x)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g.detach()), d1(X))
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(host(gg), d2(X))


def test_unpacked_non_leaf_routes_gradients_to_its_graph(device):
    x = leaf(device)
    with saved_tensors_hooks(lambda t: t.detach() * 1, lambda t: t):
        h = x * 2
        y = h.sin()
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(host(gg), -4 * np.sin(2 * X))


def test_innermost_hooks_apply_and_exit_restores(device):
    x, log = leaf(device), []
    outer = saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: t)
    inner = saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t)
    with outer:
        with inner:
            x.exp()
        x.exp()
    x.exp()
    assert log == ["inner", "outer"]


def test_no_pack_without_recording(device):
    x, log = leaf(device), []
    with copying_hooks(log):
        with ember.no_grad():
            x.exp()
        x.detach().exp()
        x + 1  # add saves nothing
    assert log == []


def test_pack_hook_changing_its_input_raises(device):
    x = leaf(device) * 1
    with saved_tensors_hooks(lambda t: t.add_(1), lambda t: t):
        with pytest.raises(RuntimeError, match="A saved tensor pack hook is modifying its input in place"):
            x.sin()


def test_unpack_hook_must_return_a_tensor(device):
    x = leaf(device)
    with saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = x.exp()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of type int"):
        y.sum().backward()


def test_packed_tensors_skip_the_version_check_like_torch(device):
    x = leaf(device)
    with saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        h = x * 1
        y = h.sin()
    with ember.no_grad():
        h.add_(1)
    y.sum().backward()  # the packed copy holds the forward values
    np.testing.assert_allclose(host(x.grad), np.cos(X))


def test_backward_twice_without_retain_graph_still_raises(device):
    x = leaf(device)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_custom_function_saved_tensors_are_packed(device):
    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            out = a ** 3
            ctx.save_for_backward(a, out)
            return out

        @staticmethod
        def backward(ctx, g):
            a, out = ctx.saved_tensors
            return 3 * out / a * g

    x, log = leaf(device), []
    with copying_hooks(log):
        y = Cube.apply(x)
    packed = [entry[1] for entry in log]
    assert len(packed) == 2 and packed[0] is x and packed[1] is y
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g.detach()), 3 * X ** 2)
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(host(gg), 6 * X)


@pytest.mark.parametrize("pin", [False, True])
def test_save_on_cpu(device, pin):
    x = leaf(device)
    with save_on_cpu(pin_memory=pin):
        y = (x.exp() * x).sum()
    assert isinstance(save_on_cpu(), saved_tensors_hooks)
    y.backward()
    np.testing.assert_allclose(host(x.grad), np.exp(X) * (X + 1))
    assert x.grad.device == x.device


def test_disable_saved_tensors_hooks(device):
    with disable_saved_tensors_hooks("hooks are off"):
        with pytest.raises(RuntimeError, match="^hooks are off$"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        with disable_saved_tensors_hooks("inner"):
            with pytest.raises(RuntimeError, match="^inner$"):
                save_on_cpu().__enter__()
        with pytest.raises(RuntimeError, match="^hooks are off$"):
            save_on_cpu().__enter__()
    with saved_tensors_hooks(lambda t: t, lambda t: t):  # enabled again
        with pytest.raises(RuntimeError, match="^busy$"):  # entering it while hooks are active raises, as torch
            with disable_saved_tensors_hooks("busy"):
                pass


def test_allow_mutation_on_saved_tensors(device):
    with allow_mutation_on_saved_tensors() as ctx:
        a = leaf(device)
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        out.backward()
        with pytest.raises(RuntimeError, match="cannot be nested"):
            with allow_mutation_on_saved_tensors():
                pass
    assert ctx is not None
    np.testing.assert_allclose(host(a.grad), 2 * X)
    np.testing.assert_allclose(host(b.detach()), np.sin(X))
    with allow_mutation_on_saved_tensors():
        out = (leaf(device) ** 2).sum()
    with pytest.raises(AssertionError, match="Trying to backward outside"):
        out.backward()


# --- Node, GradientEdge, increment_version --------------------------------------------------------------
def test_node_is_the_type_of_every_grad_fn(device):
    x = leaf(device)
    y = (x * 2).exp().sum()
    assert isinstance(y.grad_fn, Node) and issubclass(type(y.grad_fn), Node)
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert isinstance(acc, Node) and acc.name() == "torch::autograd::AccumulateGrad"
    assert not isinstance(x, Node) and not isinstance(1, Node)

    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    assert isinstance(Twice.apply(x).grad_fn, Node)
    node = y.grad_fn
    node.metadata["tag"] = 1
    assert node.metadata == {"tag": 1} and node.name() == "SumBackward0"


def test_accumulate_grad_node(device):
    x = leaf(device)
    acc = get_gradient_edge(x).node
    acc.metadata["tag"] = "w"
    assert get_gradient_edge(x).node.metadata == {"tag": "w"} and acc.variable is x
    handle = (x * 2).grad_fn.next_functions[0][0].register_prehook(lambda grads: (grads[0] * 10,))
    (x * 2).sum().backward()
    np.testing.assert_allclose(host(x.grad), np.full(3, 20.0))
    handle.remove()
    (x * 2).sum().backward()
    np.testing.assert_allclose(host(x.grad), np.full(3, 22.0))


def test_gradient_edge_as_input_and_output(device):
    x = leaf(device)
    h = x * 3
    loss = (h * h).sum()
    edge = get_gradient_edge(h)
    assert isinstance(edge, GradientEdge) and edge.node is h.grad_fn and edge.output_nr == 0
    (gh,) = ember.autograd.grad(loss, edge, retain_graph=True)
    np.testing.assert_allclose(host(gh), 6 * X)
    gx, gh2 = ember.autograd.grad(loss, [get_gradient_edge(x), edge], retain_graph=True)
    np.testing.assert_allclose(host(gx), 18 * X)
    np.testing.assert_allclose(host(gh2), 6 * X)
    (gx,) = ember.autograd.grad(edge, x, ember.ones_like(h), retain_graph=True)  # an edge as the output
    np.testing.assert_allclose(host(gx), np.full(3, 3.0))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        ember.autograd.grad(edge, x, retain_graph=True)
    loss.backward(inputs=[edge])  # restricts the pass; nothing to accumulate into
    assert x.grad is None


def test_gradient_edge_of_multi_output_and_errors(device):
    parts = ember.split(leaf(device, np.arange(4.0)), 2)
    edge = get_gradient_edge(parts[1])
    assert edge.output_nr == 1 and edge.node is parts[1].grad_fn
    (g,) = ember.autograd.grad((parts[1] * 5).sum(), edge)
    np.testing.assert_allclose(host(g), [5.0, 5.0])
    with pytest.raises(RuntimeError, match="not possible to get the gradient edge for a Tensor that does not require"):
        get_gradient_edge(ember.ones(1, device=device))


def test_increment_version(device):
    x = ember.ones(2, device=device)
    increment_version(x)
    increment_version([x, x])
    assert x._version[0] == 3
    with pytest.raises(RuntimeError, match=r"increment_version expect a Iterable\[Tensor\] as input"):
        increment_version(3)
    w = leaf(device)
    h = w * 1
    y = h.sin()
    increment_version(h)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# --- register_multi_grad_hook ---------------------------------------------------------------------------
def _shapes(calls):
    return lambda grads: calls.append([g is not None for g in grads])


def test_multi_grad_hook_all(device):
    a, b = leaf(device), leaf(device, X[::-1].copy())
    c, d = a * b, a * b
    calls = []
    handle = register_multi_grad_hook((a, b, c, d), _shapes(calls))
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    ember.autograd.grad(c.sum(), c, retain_graph=True)
    assert calls == [[True, True, True, False], [True, False, True, False], [False, False, True, False]]
    handle.remove()
    c.sum().backward(retain_graph=True)
    assert len(calls) == 3


def test_multi_grad_hook_receives_the_gradients(device):
    a, b = leaf(device), leaf(device)
    seen = []
    register_multi_grad_hook((a, b), seen.append)
    (a * 2 + b * 3).sum().backward()
    (ga, gb), = seen
    np.testing.assert_allclose(host(ga), np.full(3, 2.0))
    np.testing.assert_allclose(host(gb), np.full(3, 3.0))


def test_multi_grad_hook_any(device):
    a, b = leaf(device), leaf(device)
    c = a * b
    seen = []
    handle = register_multi_grad_hook((a, b, c), seen.append, mode="any")
    (c.sum() * 2).backward(retain_graph=True)
    assert len(seen) == 1
    np.testing.assert_allclose(host(seen[0]), np.full(3, 2.0))  # c's gradient comes first
    (c.sum() * 2).backward()
    assert len(seen) == 2
    handle.remove()


def test_multi_grad_hook_errors(device):
    a = leaf(device)
    with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\) but got x"):
        register_multi_grad_hook((a,), print, mode="x")
    with pytest.raises(AssertionError, match="Expected gradient function to be set"):
        register_multi_grad_hook((ember.ones(1, device=device),), print)


# --- against torch ---------------------------------------------------------------------------------------
def test_hook_calls_and_gradients_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        log = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append(tuple(t.shape)) or t.detach() * 1,
                                                    lambda t: t):
            y = (x.sin().exp() * x.tanh()).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()

    for mine, theirs in zip(run(ember), run(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
