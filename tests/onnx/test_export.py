"""ember.onnx.export: the ONNX checker accepts the files and onnxruntime reproduces ember's outputs."""

import importlib.util
import io
import os

import numpy as np
import pytest

import ember
import ember.nn as nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

_spec = importlib.util.spec_from_file_location(
    "jit_models", os.path.join(os.path.dirname(__file__), "..", "jit", "jit_models.py"))
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)


def _export(model, x, **kw):
    buf = io.BytesIO()
    ember.onnx.export(model, (x,), buf, input_names=["input"], output_names=["output"], **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return proto, ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", ["mlp", "lenet", "resnet", "lstm", "transformer"])
@pytest.mark.parametrize("opset", [17, 18])
def test_onnxruntime_matches_ember_with_a_dynamic_batch(name, opset):
    _, model, x, xb = next(c for c in models.cases() if c[0] == name)
    proto, sess = _export(model, x, opset_version=opset,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for inp in (x, xb, ember.cat([xb, xb])):
        got = sess.run(None, {"input": inp.numpy()})[0]
        want = model(inp).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_constant_folding_puts_batchnorm_into_conv():
    _, model, x, _ = next(c for c in models.cases() if c[0] == "lenet")
    proto, _ = _export(model, x)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 2 and "Sqrt" not in ops and "MaxPool" in ops
    proto, sess = _export(model, x, do_constant_folding=False)
    assert "Sqrt" in [n.op_type for n in proto.graph.node]
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_static_export_and_params_as_inputs(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, ember.randn(4, 3), str(path), input_names=["x"], export_params=False)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["x", "0.weight", "0.bias"]
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [4, 3]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = ember.randn(4, 3)
    feeds = {"x": x.numpy(), "0.weight": model[0].weight.detach().numpy(), "0.bias": model[0].bias.detach().numpy()}
    np.testing.assert_allclose(sess.run(None, feeds)[0], model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_traced_module_exports_too():
    model = models.MLP().eval()
    traced = ember.jit.trace(model, ember.randn(1, 6))
    _, sess = _export(traced, ember.randn(1, 6))
    x = ember.randn(9, 6)
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).detach().numpy(), rtol=1e-4, atol=1e-6)


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Softplus()))

    def forward(self, x):
        return self.body(x)


def test_unsupported_op_names_the_op_and_module_path():
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match=r"op Softplus .*in module 'body.1.0'"):
        ember.onnx.export(Unsupported(), ember.randn(1, 3), io.BytesIO())


def test_pooling_family_with_a_dynamic_batch():
    import ember.nn.functional as F

    def fn(x):
        a = F.avg_pool2d(x, 2, padding=1, count_include_pad=False)[:, :, :3, :3]
        return a + F.adaptive_avg_pool2d(x, 3) + F.max_pool2d(x, 3, 2, 1)

    buf = io.BytesIO()
    ember.onnx.export(fn, (ember.randn(1, 2, 6, 6),), buf, input_names=["x"], dynamic_axes={"x": [0]})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    x = ember.randn(4, 2, 6, 6)
    np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], fn(x).numpy(), rtol=1e-4, atol=1e-6)


def test_constant_pad_and_roll_with_a_dynamic_batch():
    import ember.nn.functional as F

    def fn(x):  # a shifted-window step: pad (and crop) the trailing dims, roll the spatial ones
        y = F.pad(x, (1, 2, -1, 1), value=0.5)
        return ember.roll(y, shifts=(2, -1), dims=(2, 3)) + ember.roll(y, 3, 3)

    buf = io.BytesIO()
    ember.onnx.export(fn, (ember.randn(1, 2, 5, 4),), buf, input_names=["x"], dynamic_axes={"x": [0]})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    x = ember.randn(3, 2, 5, 4)
    np.testing.assert_array_equal(sess.run(None, {"x": x.numpy()})[0], fn(x).numpy())
