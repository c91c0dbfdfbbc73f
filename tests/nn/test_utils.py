"""nn.utils: gradient clipping and parameter/vector conversion."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def params_with_grads(device, grads):
    out = []
    for g in grads:
        p = nn.Parameter(ember.zeros(len(g), device=device))
        p.grad = ember.tensor(g, device=device)
        out.append(p)
    return out


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm(device, norm_type):
    grads = [[3.0, -4.0], [12.0]]
    ps = params_with_grads(device, grads)
    flat = np.array([3.0, -4.0, 12.0])
    total = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    out = clip_grad_norm_(ps, max_norm=2.0, norm_type=norm_type)
    np.testing.assert_allclose(out.item(), total, rtol=1e-6)
    coef = min(2.0 / (total + 1e-6), 1.0)
    np.testing.assert_allclose(np.concatenate([p.grad.cpu().numpy() for p in ps]), flat * coef, rtol=1e-6)


def test_clip_grad_norm_no_change_below_max_and_skips_missing_grads():
    ps = params_with_grads("cpu", [[0.3, 0.4]]) + [nn.Parameter(ember.zeros(2))]
    assert abs(clip_grad_norm_(ps, 1.0).item() - 0.5) < 1e-6
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.3, 0.4], rtol=1e-5)
    assert clip_grad_norm_([nn.Parameter(ember.zeros(1))], 1.0).item() == 0.0
    single = params_with_grads("cpu", [[6.0, 8.0]])[0]
    clip_grad_norm_(single, 5.0, foreach=True)
    np.testing.assert_allclose(single.grad.numpy(), [3.0, 4.0], rtol=1e-5)


def test_clip_grad_norm_nonfinite():
    ps = params_with_grads("cpu", [[math.inf, 1.0]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(ps, 1.0).item())


def test_clip_grad_value(device):
    ps = params_with_grads(device, [[-5.0, 0.5, 5.0]])
    clip_grad_value_(ps, 1.0)
    assert ps[0].grad.cpu().tolist() == [-1.0, 0.5, 1.0]


def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], m.weight.detach().numpy().ravel())
    vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and m.bias.tolist() == [6.0, 7.0]
    assert isinstance(m.weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1.0], m.parameters())


def test_parameters_to_vector_is_differentiable():
    m = nn.Linear(2, 1)
    (parameters_to_vector(m.parameters()) ** 2).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), 2 * m.weight.detach().numpy())


@pytest.mark.torch
def test_clip_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for m in (ember, torch):
        ps = [m.nn.Parameter(m.zeros(4)) for _ in range(3)]
        for p, row in zip(ps, g):
            p.grad = m.tensor(row, dtype=m.float32)
        total = m.nn.utils.clip_grad_norm_(ps, 0.5, norm_type=3)
        results.append((total.item(), np.stack([p.grad.numpy() for p in ps])))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
