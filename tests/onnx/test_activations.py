"""Pointwise activations export to ONNX and match onnxruntime."""

import numpy as np
import pytest

import ember
import ember.nn as nn

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

ACTIVATIONS = [nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.LeakyReLU(0.1), nn.Hardtanh(-0.5, 0.5)]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: repr(a))
def test_activation_matches_onnxruntime(act, tmp_path):
    import onnx

    model = nn.Sequential(nn.Linear(4, 8), act, nn.Linear(8, 2)).eval()
    x = ember.randn(3, 4) * 3
    path = str(tmp_path / "m.onnx")
    ember.onnx.export(model, (x,), path, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path)
    for batch in (x, ember.randn(7, 4) * 3):
        got = session.run(None, {"x": batch.numpy()})[0]
        np.testing.assert_allclose(got, model(batch).detach().numpy(), rtol=1e-4, atol=1e-5)
