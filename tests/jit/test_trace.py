"""ember.jit.trace: op families, dynamic batch, constants, in-place ops, control-flow warnings, module API."""

import importlib.util
import os
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

_spec = importlib.util.spec_from_file_location("jit_models", os.path.join(os.path.dirname(__file__), "jit_models.py"))
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["mlp", "lenet", "resnet", "lstm", "transformer"])
def test_models_trace_and_run_on_other_batch_sizes(device, name):
    _, model, x, xb = next(c for c in models.cases(device) if c[0] == name)
    traced = ember.jit.trace(model, x)
    assert traced.graph.symbols == [[(0, 0)]], getattr(traced.graph, "fixed_reason", None)
    with ember.no_grad():
        close(traced(xb), model(xb))
        close(traced(x), model(x))


def test_op_families_match_eager(device):
    def fn(x, y):
        a = (x * 2 - y / 3).exp().log1p().tanh() + x.sigmoid() ** 2
        b = a.sum(1, keepdim=True) + a.mean(-1, keepdim=True) - a.amax(1, keepdim=True)
        c = ember.cat([a, b], 1).reshape(x.shape[0], -1).t().contiguous().t()
        d = F.avg_pool1d(c.unsqueeze(1), 2) + F.max_pool1d(c.unsqueeze(1), 2)
        e = x.max(1).values + x.argmax(1).to(x.dtype) + ember.sort(x, 1)[0][:, 0]
        parts = ember.split(y, [1, 3], 1)
        return d.squeeze(1)[:, ::2], e, parts[1] @ ember.ones(3, 3, device=x.device), x.clamp(-0.5, 0.5)

    x, y = ember.randn(2, 4, device=device), ember.randn(2, 4, device=device)
    traced = ember.jit.trace(fn, (x, y))
    x2, y2 = ember.randn(6, 4, device=device), ember.randn(6, 4, device=device)
    for got, want in zip(traced(x2, y2), fn(x2, y2)):
        close(got, want)


def test_graph_and_code_are_readable():
    traced = ember.jit.trace(models.MLP().eval(), ember.randn(1, 6))
    text = str(traced.graph)
    assert text.startswith("graph(%x : float32(s0, 6), %fc1.weight : float32(16, 6)")
    assert "Linear(%x, %fc1.weight, %fc1.bias)  # fc1" in text and "return %" in text
    code = traced.code
    assert code.startswith("def forward(self, x):\n    s0 = x.size(0)\n")
    assert "ops.Linear(x, self.fc1.weight, self.fc1.bias)  # fc1" in code
    compile(code, "<graph>", "exec")  # valid Python (never executed by ember)


def test_parameters_and_buffers_are_named_inputs_and_shared():
    model = models.LeNetLike().eval()
    traced = ember.jit.trace(model, ember.randn(1, 1, 8, 8))
    assert [v.name for v in traced.graph.params] == list(model.state_dict())
    assert list(traced.state_dict()) == list(model.state_dict())
    assert traced.conv1.weight is model.conv1.weight  # shared, like torch's trace
    assert sum(p.numel() for p in traced.parameters()) == sum(p.numel() for p in model.parameters())


def test_load_state_dict_train_eval_and_to(device):
    model = models.MLP().eval()
    traced = ember.jit.trace(model, ember.randn(1, 6))
    other = models.MLP().eval()
    traced.load_state_dict(other.state_dict())
    x = ember.randn(3, 6)
    close(traced(x), other(x))
    assert traced.train().training and not traced.eval().training
    moved = traced.to(device)
    assert moved(x.to(device)).device.type == device


def test_gradients_flow_through_the_graph():
    model = models.MLP()
    traced = ember.jit.trace(model, ember.randn(1, 6))
    x = ember.randn(4, 6, dtype=ember.float32)
    traced(x).sum().backward()
    got = model.fc1.weight.grad.clone()
    model.zero_grad()
    model(x).sum().backward()
    close(got, model.fc1.weight.grad)


def test_constants_made_in_forward_and_full_for_batch_shapes(device):
    def fn(x):
        h = ember.zeros(x.shape[0], 3, device=x.device)  # follows the batch: becomes a `full` node
        return x[:, :3] + h + ember.arange(3.0, device=x.device)  # arange: a constant

    traced = ember.jit.trace(fn, ember.randn(2, 5, device=device))
    kinds = [n.kind for n in traced.graph.nodes]
    assert kinds[0] == "full" and len(traced.graph.consts) == 1
    x = ember.randn(7, 5, device=device)
    close(traced(x), fn(x))


def test_in_place_ops_and_detach_follow_the_data(device):
    def fn(x):
        y = x * 2
        y.relu_()
        z = y.detach() + 1
        z.add_(x)
        return z

    traced = ember.jit.trace(fn, ember.randn(3, 4, device=device))
    x = ember.randn(5, 4, device=device)
    close(traced(x), fn(x))


def test_in_place_update_of_a_buffer_warns():
    bn = nn.BatchNorm1d(3)  # training mode: updates its running stats in place
    with pytest.warns(ember.jit.TracerWarning, match="in-place update of the parameter or buffer .(running_mean|running_var|num_batches_tracked)"):
        ember.jit.trace(bn, ember.randn(4, 3), check_trace=False)


@pytest.mark.parametrize("read,word", [
    (lambda x: bool(x.sum() > 0), "boolean"), (lambda x: x.sum().item(), "number"), (lambda x: x.tolist(), "list"),
    (lambda x: int(x.sum()), "integer"), (lambda x: float(x.sum()), "float"),
    (lambda x: [1, 2, 3][x.sum().long().clamp(0, 2)], "index"),
])
def test_value_reads_warn_like_torch(read, word):
    def fn(x):
        read(x)
        return x + 1

    with pytest.warns(ember.jit.TracerWarning, match=f"Converting a tensor to a Python {word} might cause the trace "
                                                       f"to be incorrect"):
        ember.jit.trace(fn, ember.ones(2))
    assert issubclass(ember.jit.TracerWarning, UserWarning)


def test_reading_parameters_does_not_warn():
    lin = nn.Linear(2, 2)

    def fn(x):
        scale = float(lin.weight.abs().sum())  # depends on weights only: a real constant
        return lin(x) * scale

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.jit.trace(fn, ember.ones(1, 2))


def test_check_trace_warns_when_the_graph_differs():
    def fn(x):
        return x * 2 if x.sum() > 0 else x * -1

    with pytest.warns(ember.jit.TracerWarning) as rec:
        ember.jit.trace(fn, ember.ones(2), check_inputs=[(-ember.ones(2),)])
    assert any("does not match the corresponding output" in str(w.message) for w in rec)


def test_outputs_nested_and_strict():
    def fn(x):
        return {"a": x + 1, "b": [x * 2, (x - 1, 3)]}

    with pytest.raises(RuntimeError, match="Encountering a dict at the output of the tracer"):
        ember.jit.trace(fn, ember.ones(2))
    traced = ember.jit.trace(fn, ember.ones(2), strict=False)
    out = traced(ember.zeros(4))
    assert out["a"].tolist() == [1.0] * 4 and out["b"][1][1] == 3 and out["b"][1][0].tolist() == [-1.0] * 4


def test_fixed_shape_graph_explains_other_sizes():
    def fn(x):
        return x.reshape(2, -1) if x.shape[0] == 1 else x  # structure changes with the batch size

    traced = ember.jit.trace(fn, ember.ones(1, 4), check_trace=False)
    assert traced.graph.symbols == [] and "structure" in traced.graph.fixed_reason
    with pytest.raises(RuntimeError, match=r"input 'x' has shape \(3, 4\), but the graph was traced for \(1, 4\)"):
        traced(ember.ones(3, 4))
    with pytest.raises(RuntimeError, match="expected inputs shaped like"):
        traced(ember.ones(1, 4), ember.ones(1))


def test_symbolic_sizes_are_exact_polynomials():
    def fn(x):
        return x.reshape(-1).reshape(x.shape[0] * 2, -1).sum(0)

    traced = ember.jit.trace(fn, ember.randn(2, 6))
    x = ember.randn(11, 6)
    close(traced(x), fn(x))
    shapes = [n.args[0] for n in traced.graph.nodes if n.short == "Reshape"]
    assert str(shapes[0][0]) == "6*s0" and str(shapes[1][0]) == "2*s0"


def test_embervision_lenet():
    from embervision.models import lenet5

    model = lenet5(image_size=8).eval()
    traced = ember.jit.trace(model, ember.randn(1, 1, 8, 8))
    x = ember.randn(32, 1, 8, 8)
    close(traced(x), model(x))
    assert not ember.jit.is_tracing()
