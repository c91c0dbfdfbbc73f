"""Autograd semantics: the engine, hooks, grad modes, version counters, custom Functions, anomaly mode."""

import gc
import math
import warnings
import weakref

import numpy as np
import pytest

import ember
from ember.autograd import Function
from ember.autograd.function import once_differentiable


def leaf(values, device="cpu", dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, device=device, requires_grad=True)


def host(t):
    return np.asarray(t.detach().cpu().numpy())


# --- the engine ---------------------------------------------------------------------------
def test_grad_accumulates_across_backward_calls(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(host(x.grad), [2 + 3, 4 + 3])


def test_backward_twice_needs_retain_graph(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(host(x.grad), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_higher_order_grad(device):
    x = leaf(2.0, device)
    (g1,) = ember.autograd.grad(x ** 4, x, create_graph=True)
    (g2,) = ember.autograd.grad(g1, x, create_graph=True)
    (g3,) = ember.autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (32.0, 48.0, 48.0)
    assert g1.requires_grad and not g3.requires_grad
    assert x.grad is None  # grad() returns, it does not accumulate


def test_grad_allow_unused_and_materialize(device):
    a, b = leaf([1.0, 2.0], device), leaf([3.0], device)
    out = (a * 2).sum()
    with pytest.raises(RuntimeError, match="Tensor at index 1 appears to not have been used in the graph"):
        ember.autograd.grad(out, [a, b], retain_graph=True)
    ga, gb = ember.autograd.grad(out, [a, b], allow_unused=True, retain_graph=True)
    assert gb is None and host(ga).tolist() == [2.0, 2.0]
    ga, gb = ember.autograd.grad(out, [a, b], materialize_grads=True, retain_graph=True)
    assert host(gb).tolist() == [0.0]
    with pytest.raises(ValueError, match="allow_unused to be True"):
        ember.autograd.grad(out, [a, b], allow_unused=False, materialize_grads=True)


def test_grad_of_intermediate_does_not_walk_freed_history():
    x = leaf([1.0, 2.0])
    y = x * x
    y.sum().backward()  # frees MulBackward0 of y
    (g,) = ember.autograd.grad((y * 3).sum(), y)
    assert host(g).tolist() == [3.0, 3.0]


def test_backward_inputs_restricts_accumulation():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x * w
    (y * 2).sum().backward(inputs=[w, y])
    assert x.grad is None
    assert host(w.grad).tolist() == [2.0, 4.0]
    assert host(y.grad).tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="empty list of inputs"):
        (x * 2).sum().backward(inputs=[])


def test_backward_error_messages():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        ember.autograd.backward([x.sum(), ember.ones(())])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \(3,\)"):
        (x * 2).backward(ember.ones(3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad(x.sum(), ember.ones(1))


def test_backward_with_explicit_gradient(device):
    x = leaf([1.0, 2.0, 3.0], device)
    (x * x).backward(ember.tensor([1.0, 0.5, 0.0], dtype=ember.float64, device=device))
    np.testing.assert_allclose(host(x.grad), [2.0, 2.0, 0.0])


def test_diamond_gets_summed_gradient(device):
    x = leaf([1.5, -2.0], device)
    y = x * 2
    z = y * y + y * 3 + y  # y reused by three consumers
    z.sum().backward()
    xv = np.array([1.5, -2.0])
    np.testing.assert_allclose(host(x.grad), 8 * xv + 6 + 2)


def test_accumulated_gradients_are_not_aliased(device):
    x = leaf([1.0, -2.0], device)
    p, q = x * 2, x * 3
    t = p + q  # AddBackward0 hands one gradient object to both p and q
    loss = (t * t).sum() + (p * 5).sum() + (t * 7).sum() + (q * 0).sum()
    loss.backward()
    np.testing.assert_allclose(host(x.grad), 50 * np.array([1.0, -2.0]) + 10 + 35)


def test_ten_thousand_deep_chain():
    x = leaf([1.0])
    h = x
    for _ in range(10_000):
        h = h * 1.0001
    h.sum().backward()
    np.testing.assert_allclose(host(x.grad), [1.0001 ** 10_000], rtol=1e-9)
    h = x
    for _ in range(10_000):
        h = h + 1
    del h  # freeing a deep unreleased graph must not overflow the stack
    gc.collect()


def test_graph_is_freed_and_memory_stays_flat():
    import tracemalloc

    w = leaf(np.linspace(-1, 1, 32).reshape(4, 8))
    xs = ember.tensor(np.linspace(0, 1, 64).reshape(8, 8))
    nodes = []

    def step():
        h = (w @ xs) * 0.5
        loss = (h * h).sum()
        nodes.append(weakref.ref(loss.grad_fn))
        loss.backward()
        with ember.no_grad():
            w.sub_(w.grad * 1e-3)
        w.grad = None

    for _ in range(20):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(200):
        step()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert sum(r() is not None for r in nodes) == 0, "graphs stay alive after backward"
    assert grown < 200_000, f"memory grew by {grown} bytes over 200 iterations"


def test_multi_output_node_partial_gradients():
    x = leaf([[1.0, 5.0], [7.0, 2.0]])
    values, _ = x.max(dim=1) if hasattr(x, "max") else pytest.skip("max not available")
    values.sum().backward()
    assert host(x.grad).tolist() == [[0.0, 1.0], [1.0, 0.0]]


# --- hooks --------------------------------------------------------------------------------
def test_leaf_and_nonleaf_hooks_and_removal(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    hx = x.register_hook(lambda g: g * 10)
    y = x * 3
    y.register_hook(lambda g: seen.append(host(g).tolist()))  # returning None keeps the gradient
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and host(x.grad).tolist() == [30.0, 30.0]
    hx.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert host(x.grad).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_hooks_apply_to_autograd_grad():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    a = x * 2
    a.register_hook(lambda g: g * 10)
    b = a * 3
    (ga,) = ember.autograd.grad(b.sum(), a, retain_graph=True)
    assert host(ga).tolist() == [30.0, 30.0]
    (gx,) = ember.autograd.grad(b.sum(), x)
    assert host(gx).tolist() == [600.0, 600.0]


def test_retain_grad_runs_after_other_hooks():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 100)
    assert y.retains_grad and not x.retains_grad
    (y * 1).sum().backward(retain_graph=True)
    assert host(y.grad).tolist() == [100.0, 100.0]


def test_post_accumulate_grad_hook():
    x = leaf([1.0, 2.0])
    seen = []
    h = x.register_post_accumulate_grad_hook(lambda t: seen.append(host(t.grad).tolist()))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    h.remove()
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0], [4.0, 4.0]]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_node_hooks():
    x = leaf([1.0, 2.0])
    y = x * 2
    calls = []
    y.grad_fn.register_prehook(lambda go: calls.append("pre") or (go[0] * 2,))
    y.grad_fn.register_hook(lambda gi, go: calls.append("post") or (gi[0] + 1, gi[1]))
    y.sum().backward()
    assert calls == ["pre", "post"] and host(x.grad).tolist() == [5.0, 5.0]
    assert y.grad_fn.name() == "MulBackward0" and y.grad_fn.next_functions[0][0].variable is x


# --- grad modes ---------------------------------------------------------------------------
def test_grad_mode_context_managers():
    x = leaf([1.0])
    with ember.no_grad():
        assert not (x * 2).requires_grad and not ember.is_grad_enabled()
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not ember.is_grad_enabled()
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert ember.is_grad_enabled()


def test_grad_mode_decorators_with_and_without_parentheses():
    @ember.no_grad()
    def a():
        return ember.is_grad_enabled()

    @ember.no_grad
    def b():
        return ember.is_grad_enabled()

    @ember.inference_mode
    def c():
        return ember.is_grad_enabled(), ember.is_inference_mode_enabled()

    @ember.set_grad_enabled(False)
    def d():
        return ember.is_grad_enabled()

    @ember.enable_grad()
    def e():
        return ember.is_grad_enabled()

    assert ember.is_grad_enabled()
    assert (a(), b(), c(), d()) == (False, False, (False, True), False)
    with ember.no_grad():
        assert e() is True
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()
    assert a.__name__ == "a"


def test_grad_mode_decorates_generators_step_by_step():
    @ember.no_grad()
    def gen():
        for _ in range(2):
            got = yield ember.is_grad_enabled()
            assert got == "sent"
        return "done"

    g = gen()
    assert next(g) is False and ember.is_grad_enabled()
    assert g.send("sent") is False and ember.is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        g.send("sent")
    assert stop.value.value == "done"


def test_set_grad_enabled_call_and_context():
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


def test_inference_mode_flags():
    with ember.no_grad():
        assert not ember.is_inference_mode_enabled()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
        with ember.inference_mode(False):
            assert ember.is_inference_mode_enabled()
    with ember.inference_mode(False):
        assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()


# --- version counters ----------------------------------------------------------------------
def test_modified_saved_input_raises_naming_both_ops(device):
    x = leaf([1.0, 2.0], device)
    w = ember.tensor([3.0, 4.0], dtype=ember.float64, device=device)
    y = x * w
    w.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward0.*'add_'.*version 1; expected version 0"):
        y.sum().backward()


def test_modified_saved_output_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="output of shape \\[2\\] saved by ExpBackward0 was modified by the in-place op 'mul_'"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    for change in (lambda: x.add_(1), lambda: x.zero_(), lambda: x.fill_(2.0), lambda: x.copy_(ember.zeros(2))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            change()
    with ember.no_grad():
        x.add_(1)
    assert host(x).tolist() == [2.0, 3.0] and x.is_leaf


def test_inplace_overwrite_of_intermediate_cuts_its_history():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.zero_()
    (y + x).sum().backward()
    assert host(x.grad).tolist() == [1.0, 1.0]


def test_data_changes_are_not_tracked():
    x = leaf([1.0, 2.0])
    y = x * x
    x.data.mul_(10)  # like torch: allowed, and invisible to autograd
    y.sum().backward()
    assert host(x.grad).tolist() == [20.0, 40.0]
    assert x.data._version is not x._version and x.detach()._version is x._version


# --- custom Functions -------------------------------------------------------------------------
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


class ScaledExp(Function):
    """Saves its output; a non-tensor argument gets a None gradient."""

    @staticmethod
    def forward(ctx, x, scale):
        out = (x * scale).exp()
        ctx.scale = scale
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * ctx.scale, None


def test_function_values_and_gradchecks(device):
    x = leaf([0.5, -1.0, 2.0], device)
    y = Cube.apply(x)
    assert repr(y.grad_fn).startswith("<CubeBackward object") and y.grad_fn.name() == "CubeBackward"
    np.testing.assert_allclose(host(y), [0.125, -1.0, 8.0])
    assert ember.autograd.gradcheck(Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(Cube.apply, (x,))
    assert ember.autograd.gradcheck(lambda t: ScaledExp.apply(t, 0.5), (x,))
    assert ember.autograd.gradgradcheck(lambda t: ScaledExp.apply(t, 0.5), (x,))


def test_function_saved_output_is_rebuilt_without_cycle():
    x = leaf([0.0, 1.0])
    y = ScaledExp.apply(x, 2.0)
    node = weakref.ref(y.grad_fn)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g), 2 * np.exp([0.0, 2.0]))
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(host(gg), 4 * np.exp([0.0, 2.0]))
    del y, g, gg
    assert node() is None  # freed by reference counting alone


def test_function_needs_input_grad_and_non_tensor_args():
    seen = {}

    class Affine(Function):
        @staticmethod
        def forward(ctx, x, k, b, *, shift=0.0):
            seen["needs"] = ctx.needs_input_grad
            return x * k + b + shift

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, g

    x, b = leaf([1.0]), ember.ones(1, dtype=ember.float64)
    y = Affine.apply(x, 2, b, shift=1.0)
    assert seen["needs"] == (True, False, False) and host(y).tolist() == [4.0]
    y.sum().backward()
    assert host(x.grad).tolist() == [2.0]
    with ember.no_grad():
        z = Affine.apply(x, 2, b)
    assert z.grad_fn is None and not z.requires_grad and seen["needs"] == (False, False, False)


def test_function_multiple_outputs_materialize_and_non_differentiable():
    got = {}

    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, x * 3, mask

        @staticmethod
        def backward(ctx, ga, gb, gmask):
            got["grads"] = (host(gb).tolist(), gmask.dtype)
            return ga * 2 + gb * 3

    x = leaf([1.0, -1.0])
    a, b, mask = Split.apply(x)
    assert a.grad_fn is b.grad_fn and not mask.requires_grad and mask.dtype == ember.bool
    a.sum().backward()
    assert got["grads"] == ([0.0, 0.0], ember.bool) and host(x.grad).tolist() == [2.0, 2.0]

    class NoMaterialize(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            got["none"] = gb is None
            return ga * 2

    a, b = NoMaterialize.apply(x)
    a.sum().backward()
    assert got["none"]


def test_function_mark_dirty():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0, 2.0])
    y = x * 2
    z = AddOneInPlace.apply(y)
    assert z is y and y.grad_fn.name() == "AddOneInPlaceBackward" and host(y).tolist() == [3.0, 5.0]
    z.sum().backward()
    assert host(x.grad).tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place operation"):
        AddOneInPlace.apply(x)


def test_function_returning_an_input_gives_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0])
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn is not None
    y.sum().backward()
    assert host(x.grad).tolist() == [1.0]


def test_function_setup_context_style():
    class Mul(Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    a, b = leaf([2.0]), leaf([5.0])
    Mul.apply(a, b).sum().backward()
    assert (host(a.grad).tolist(), host(b.grad).tolist()) == ([5.0], [2.0])


def test_function_checks_what_backward_returns():
    def make(result):
        class Bad(Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return result(g)

        return Bad

    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of gradients \(expected 2, got 1\)"):
        make(lambda g: g).apply(x, 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient at index 0 - got \[2\] but expected shape compatible with \[3\]"):
        make(lambda g: (g[:2], None)).apply(x, 2).sum().backward()
    with pytest.raises(RuntimeError, match="gradient different than None at position 2"):
        make(lambda g: (g, g)).apply(x, 2).sum().backward()
    # extra trailing Nones are fine; an expandable gradient is summed; dtypes are cast
    x.grad = None
    make(lambda g: (g.expand(2, 3).float(), None, None)).apply(x, 2).sum().backward()
    assert host(x.grad).tolist() == [2.0, 2.0, 2.0] and x.grad.dtype == ember.float64


def test_function_saved_tensor_checks():
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return g * 2

    x = leaf([1.0])
    h = x * 1
    y = Keep.apply(h)
    with ember.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="saved tensor of shape \\[1\\] saved by KeepBackward was modified by the in-place op 'add_'"):
        y.sum().backward()
    y = Keep.apply(x * 1)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn.saved_tensors
    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        class Wrong(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3)
                return x

        Wrong.apply(x)


def test_once_differentiable_blocks_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert not ember.is_grad_enabled()
            return 2 * x * g

    x = leaf([3.0])
    (g,) = ember.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert host(g).tolist() == [6.0] and not g.requires_grad  # as torch: nothing to differentiate
    y = Square.apply(x)
    (g,) = ember.autograd.grad(y, x, grad_outputs=ember.ones(1, dtype=ember.float64, requires_grad=True), create_graph=True)
    assert g.grad_fn.name() == "Error"
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked with @once_differentiable"):
        g.sum().backward()


def test_function_legacy_call_and_missing_forward():
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        Cube()(leaf([1.0]))

    class NoForward(Function):
        pass

    with pytest.raises(NotImplementedError):
        NoForward.apply(leaf([1.0]))


# --- anomaly mode ------------------------------------------------------------------------------
def test_detect_anomaly_names_op_and_forward_line():
    x = leaf([0.0, 1.0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = ember.autograd.detect_anomaly()
    with mode:
        assert ember.autograd.is_anomaly_enabled()
        y = (x.sqrt() * 0).sum()  # the line the error must point at
        with pytest.raises(RuntimeError) as err:
            y.backward()
    assert not ember.autograd.is_anomaly_enabled()
    msg = str(err.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "test_autograd.py" in msg and "x.sqrt() * 0" in msg


def test_anomaly_mode_annotates_other_backward_errors():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    x = leaf([1.0])
    with ember.autograd.set_detect_anomaly(True):
        y = Broken.apply(x)
        with pytest.raises(ValueError) as err:
            y.sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    notes = "".join(getattr(err.value, "__notes__", []))
    assert "Error detected in BrokenBackward" in notes and "Broken.apply(x)" in notes


def test_set_detect_anomaly_without_nan_check():
    x = leaf([0.0])
    ember.autograd.set_detect_anomaly(True, check_nan=False)
    try:
        assert ember.autograd.is_anomaly_enabled() and not ember.autograd.is_anomaly_check_nan_enabled()
        (x.sqrt() * 0).sum().backward()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert math.isnan(x.grad.item()) and ember.autograd.is_anomaly_check_nan_enabled()


# --- autograd.functional --------------------------------------------------------------------------
def test_functional_jacobian_hessian_and_products():
    from ember.autograd import functional as F

    x = ember.tensor([1.0, 2.0], dtype=ember.float64)
    u = ember.tensor([3.0, 4.0], dtype=ember.float64)
    np.testing.assert_allclose(host(F.jacobian(lambda t: t ** 2, x)), np.diag([2.0, 4.0]))
    jac = F.jacobian(lambda t, s: (t * s, t + s), (x, u))
    np.testing.assert_allclose(host(jac[0][0]), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(host(jac[1][1]), np.eye(2))
    np.testing.assert_allclose(host(F.jacobian(lambda t: t.sum(), x.reshape(2, 1))), [[1.0], [1.0]])
    np.testing.assert_allclose(host(F.hessian(lambda t: (t ** 3).sum(), x)), np.diag([6.0, 12.0]))
    hs = F.hessian(lambda t, s: (t * t * s).sum(), (x, u))
    np.testing.assert_allclose(host(hs[0][1]), np.diag([2.0, 4.0]))
    out, v = F.vjp(lambda t: t ** 2, x, ember.ones(2, dtype=ember.float64))
    assert host(out).tolist() == [1.0, 4.0] and host(v).tolist() == [2.0, 4.0]
    out, j = F.jvp(lambda t, s: t * s, (x, u), (ember.ones(2, dtype=ember.float64), ember.zeros(2, dtype=ember.float64)))
    assert host(j).tolist() == [3.0, 4.0]
    out, hv = F.hvp(lambda t: (t ** 3).sum(), x, ember.tensor([1.0, 0.0], dtype=ember.float64))
    assert out.item() == 9.0 and host(hv).tolist() == [6.0, 0.0]
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda t, s: t * 2, (x, u), ember.ones(2, dtype=ember.float64), strict=True)


# --- cross-check with torch where available ---------------------------------------------------------
def test_matches_torch_on_a_small_graph():
    torch = pytest.importorskip("torch")
    vals = [0.3, -1.2, 2.5]
    xe = leaf(vals)
    xt = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
    for mod, x in ((ember, xe), (torch, xt)):
        y = x * x
        y.retain_grad()
        z = (y * 3 + x).sum() * (x * 2).sum()
        z.backward()
        assert y.grad is not None
    np.testing.assert_allclose(host(xe.grad), xt.grad.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ge = ember.autograd.grad((xe ** 3).sum(), xe, create_graph=True)[0].sum()
        gt = torch.autograd.grad((xt ** 3).sum(), xt, create_graph=True)[0].sum()
    np.testing.assert_allclose(host(ember.autograd.grad(ge, xe)[0]), torch.autograd.grad(gt, xt)[0].numpy())


def test_accumulated_gradients_never_alias():
    # the engine hands fresh gradients to leaves without copying; shared ones must still be copies
    a = ember.randn(3, requires_grad=True)
    c = ember.randn(3, requires_grad=True)
    (a + c).sum().backward()
    a.grad.add_(1)
    assert c.grad.tolist() == [1.0, 1.0, 1.0]
    x = ember.randn(3, requires_grad=True)
    y = x.clone()
    y.retain_grad()
    (y * 2).sum().backward()
    x.grad.mul_(10)
    assert y.grad.tolist() == [2.0, 2.0, 2.0]
    kept = []
    v = ember.randn(4, requires_grad=True)
    v.register_hook(lambda g: kept.append(g))
    (v * 5).sum().backward()
    v.grad.zero_()
    assert kept[0].tolist() == [5.0] * 4
    w = ember.ones(2, 2, requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert w.grad.tolist() == [[6.0, 6.0], [6.0, 6.0]]


def test_fresh_leaf_gradients_are_not_copied(monkeypatch):
    lin = ember.nn.Linear(4, 3)
    be = lin.weight._be
    copies = []
    real = type(be).copy
    monkeypatch.setattr(type(be), "copy", lambda self, a: copies.append(a.shape) or real(self, a))
    lin(ember.randn(5, 4)).sum().backward()
    assert copies == []
    assert lin.weight.grad.shape == (3, 4) and lin.bias.grad.tolist() == [5.0, 5.0, 5.0]
    conv = ember.nn.Conv2d(2, 3, 3, bias=False)  # its weight gradient is a reshape of a fresh product
    conv(ember.randn(1, 2, 5, 5)).sum().backward()
    assert copies == [] and conv.weight.grad.shape == (3, 2, 3, 3)


def test_legacy_variable_and_anomaly_switches():
    from ember.autograd import Variable

    t = ember.ones(2)
    v = Variable(t, requires_grad=True)
    assert v.requires_grad and not t.requires_grad and isinstance(t, Variable) and type(v) is ember.Tensor
    v.data.add_(1)
    assert t.tolist() == [2.0, 2.0]  # shares the data
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1.0])
    assert ember.get_device(t) == -1
    assert not ember.is_anomaly_enabled()
    ember.set_anomaly_enabled(True)
    try:
        assert ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled()
