"""Every embervision model family (and embertext's GPT) exports to ONNX with a dynamic batch axis: the file passes
the full checker and onnxruntime matches ember to 1e-4 relative at two batch sizes."""

import importlib.util
import io
import os

import numpy as np
import pytest

import ember

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("embervision")

_spec = importlib.util.spec_from_file_location(
    "jit_models_zoo", os.path.join(os.path.dirname(__file__), "..", "jit", "test_models_zoo.py"))
zoo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo)


# Swin's relative-position bias is an advanced-indexing gather (Index), which has no ONNX translation yet
NO_ONNX = {"swin_t", "swin_v2_t"}


@pytest.mark.parametrize("name", [n for n in zoo.vm.list_models() if n not in zoo.TOO_SLOW and n not in NO_ONNX]
                         + ["gpt"])
def test_onnxruntime_matches_ember_with_a_dynamic_batch(name):
    model, shape = zoo.build(name)
    x1, x2 = zoo.example(name, shape, 1), zoo.example(name, shape, 2)
    buf = io.BytesIO()
    ember.onnx.export(model, (x1,), buf, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for x in (x1, x2):
        with ember.no_grad():
            want = model(x).numpy()
        np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,op_types", [("mobilenet_v3_small", {"HardSwish", "HardSigmoid"}),
                                           ("vit_b_16", {"Expand", "Softmax", "Erf"})])
def test_activations_and_attention_lower_to_onnx_ops(name, op_types):
    model, shape = zoo.build(name)
    buf = io.BytesIO()
    ember.onnx.export(model, (zoo.example(name, shape, 1),), buf, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}})
    assert op_types <= {n.op_type for n in onnx.load_from_string(buf.getvalue()).graph.node}
