"""nn.init: gains, fans, bounds exactly as torch's formulas, sample statistics, reproducibility."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def host(t):
    return t.detach().cpu().numpy().astype(np.float64)


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5 / 3 and init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04) and init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ember.empty(16, 3, 5, 5)) == (75, 400)
    assert init._calculate_fan_in_and_fan_out(ember.empty(4, 7)) == (7, 4)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported, please use one of fan_in, fan_out"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")


def test_uniform_and_normal_statistics(device):
    u = host(init.uniform_(ember.empty(200, 100, device=device), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05 and abs(u.var() - 25 / 12) < 0.1
    n = host(init.normal_(ember.empty(200, 100, device=device), 1.0, 0.5))
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02


def test_xavier_and_kaiming_bounds_and_std():
    w = ember.empty(300, 200)
    a = math.sqrt(6 / 500) * 2.0
    x = host(init.xavier_uniform_(w, gain=2.0))
    assert np.abs(x).max() <= a and np.abs(x).max() > 0.95 * a
    assert abs(host(init.xavier_normal_(w)).std() - math.sqrt(2 / 500)) < 0.003
    bound = math.sqrt(3) * init.calculate_gain("leaky_relu", 0.1) / math.sqrt(200)
    k = host(init.kaiming_uniform_(w, a=0.1))
    assert np.abs(k).max() <= bound and np.abs(k).max() > 0.95 * bound
    std = math.sqrt(2) / math.sqrt(300)
    assert abs(host(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")).std() - std) < 0.003


def test_trunc_normal_stays_in_bounds():
    t = host(init.trunc_normal_(ember.empty(20000), mean=0.5, std=1.0, a=-0.5, b=1.0))
    assert t.min() >= -0.5 and t.max() <= 1.0
    # mean of N(0.5, 1) truncated to [-0.5, 1]: mu + (phi(alpha) - phi(beta)) / Z
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 0.5 + (phi(-1.0) - phi(0.5)) / (cdf(0.5) - cdf(-1.0))
    assert abs(t.mean() - expected) < 0.01


def test_constant_ones_zeros_eye_dirac():
    np.testing.assert_allclose(host(init.constant_(ember.empty(2, 2), 0.3)), np.full((2, 2), 0.3), rtol=1e-7)
    assert host(init.ones_(ember.empty(3))).tolist() == [1, 1, 1] and host(init.zeros_(ember.empty(2))).tolist() == [0, 0]
    assert host(init.eye_(ember.empty(2, 3))).tolist() == [[1, 0, 0], [0, 1, 0]]
    d = host(init.dirac_(ember.empty(4, 2, 3, 3), groups=2))
    expected = np.zeros((4, 2, 3, 3))
    for g in range(2):
        for i in range(2):
            expected[g * 2 + i, i, 1, 1] = 1
    np.testing.assert_array_equal(d, expected)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))


def test_orthogonal_and_sparse():
    w = init.orthogonal_(ember.empty(4, 6), gain=2.0)
    np.testing.assert_allclose(host(w) @ host(w).T, 4 * np.eye(4), atol=1e-5)
    w = init.orthogonal_(ember.empty(6, 3))
    np.testing.assert_allclose(host(w).T @ host(w), np.eye(3), atol=1e-5)
    s = host(init.sparse_(ember.empty(10, 5), sparsity=0.25, std=0.5))
    assert ((s == 0).sum(0) == 3).all()


def test_init_is_reproducible_and_untracked():
    ember.manual_seed(3)
    a = nn.Linear(5, 4)
    ember.manual_seed(3)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(host(a.weight), host(b.weight))
    w = nn.Parameter(ember.empty(3, 3))
    init.kaiming_uniform_(w)
    assert w.grad_fn is None and w.requires_grad


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


def test_default_layer_initialisation_bounds():
    fc = nn.Linear(50, 30)
    bound = 1 / math.sqrt(50)
    assert np.abs(host(fc.weight)).max() <= bound and np.abs(host(fc.bias)).max() <= bound
    assert np.abs(host(fc.weight)).max() > 0.9 * bound
    bil = nn.Bilinear(20, 10, 5)
    assert np.abs(host(bil.weight)).max() <= 1 / math.sqrt(20)
    emb = nn.Embedding(1000, 20)
    assert abs(host(emb.weight).std() - 1.0) < 0.03


@pytest.mark.parametrize("name,args", [("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("eye", ()),
                                       ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
                                       ("kaiming_normal", ()), ("orthogonal", ()), ("sparse", (0.5,))])
def test_deprecated_spellings_warn_and_fill_like_the_new_ones(name, args):
    ember.manual_seed(3)
    expected = getattr(ember.nn.init, name + "_")(ember.empty(4, 3), *args)
    ember.manual_seed(3)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"):
        got = getattr(ember.nn.init, name)(ember.empty(4, 3), *args)
    assert got.tolist() == expected.tolist()
