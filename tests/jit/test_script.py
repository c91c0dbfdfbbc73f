"""ember.jit.script: symbolic tracing on placeholder inputs; value-dependent control flow is refused."""

import numpy as np
import pytest

import ember
import ember.nn as nn


class Gated(nn.Module):
    def __init__(self, layers=3):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(layers))
        self.use_tanh = True

    def forward(self, x):
        for layer in self.layers:  # Python control flow that doesn't read tensor values: unrolled
            x = layer(x)
            if self.use_tanh:
                x = x.tanh()
        return x


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        if y.sum() > 0:  # depends on the data
            return y
        return -y


def test_script_unrolls_python_control_flow():
    model = Gated()
    scripted = ember.jit.script(model)
    assert [n.short for n in scripted.graph.nodes] == ["Linear", "Tanh"] * 3
    x = ember.randn(7, 4)
    np.testing.assert_allclose(scripted(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


def test_value_dependent_control_flow_names_the_line():
    with pytest.raises(ember.jit.ScriptError) as info:
        ember.jit.script(Branchy())
    msg = str(info.value)
    assert "test_script.py" in msg and "if y.sum() > 0:" in msg and "ember.jit.trace" in msg


def test_script_needs_an_input_shape_it_cant_infer():
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    with pytest.raises(RuntimeError, match="can't infer the input shape.*example_inputs"):
        ember.jit.script(conv)
    scripted = ember.jit.script(conv, example_inputs=[(ember.randn(1, 1, 6, 6),)])
    x = ember.randn(3, 1, 6, 6)
    np.testing.assert_allclose(scripted(x).detach().numpy(), conv(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="needs example_inputs"):
        ember.jit.script(lambda x: x + 1)


def test_script_infers_sequence_inputs():
    lstm_model = nn.LSTM(3, 5, batch_first=True)
    scripted = ember.jit.script(lstm_model)
    x = ember.randn(4, 3, 3)
    np.testing.assert_allclose(scripted(x)[0].detach().numpy(), lstm_model(x)[0].detach().numpy(), rtol=1e-5, atol=1e-6)
