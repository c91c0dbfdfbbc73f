"""Activations and softmax: values against numpy formulas, float64 gradients (and double backward) on every device."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5)) * 2
X = np.where(np.abs(X) < 0.05, 0.3, X)  # keep finite differences away from the kinks at 0
X4 = rng.standard_normal((2, 3, 2, 2))
W3 = rng.uniform(0.05, 0.5, (3,))

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def sig(x):
    return 1 / (1 + np.exp(-x))


def erf(x):
    return np.vectorize(math.erf)(x)


def softplus(x, beta=1.0, th=20.0):
    return np.where(x * beta > th, x, np.log1p(np.exp(beta * x)) / beta)


def softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


CASES = [
    Case("relu", F.relu, lambda x: np.maximum(x, 0), (X,)),
    Case("relu6", F.relu6, lambda x: np.clip(x, 0, 6), (X * 4,)),
    Case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), (X,)),
    Case("elu", lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), (X,)),
    Case("selu", F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)), (X,)),
    Case("celu", lambda x: F.celu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)), (X,)),
    Case("gelu", F.gelu, lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))), (X,)),
    Case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), (X,)),
    Case("silu", F.silu, lambda x: x * sig(x), (X,)),
    Case("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), (X,)),
    Case("sigmoid", F.sigmoid, sig, (X,)),
    Case("tanh", F.tanh, np.tanh, (X,)),
    Case("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5), (X,)),
    Case("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), (X * 2,)),
    Case("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, (X * 2,)),
    Case("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: softplus(x, 2.0, 3.0), (X,)),
    Case("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), (X,)),
    Case("softshrink", lambda x: F.softshrink(x, 0.2), lambda x: np.where(x > 0.2, x - 0.2, np.where(x < -0.2, x + 0.2, 0)), (X,)),
    Case("hardshrink", lambda x: F.hardshrink(x, 0.2), lambda x: np.where(np.abs(x) > 0.2, x, 0), (X,)),
    Case("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), (X,)),
    Case("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: np.where(x > 0.1, x, -2.0), (X,)),
    Case("logsigmoid", F.logsigmoid, lambda x: np.log(sig(x)), (X,)),
    Case("prelu", F.prelu, lambda x, w: np.where(x > 0, x, w.reshape(1, 3, 1, 1) * x), (X4, W3)),
    Case("prelu_scalar", F.prelu, lambda x, w: np.where(x > 0, x, w * x), (X, W3[:1])),
    Case("rrelu_eval", lambda x: F.rrelu(x, 0.1, 0.3), lambda x: np.where(x >= 0, x, 0.2 * x), (X,)),
    Case("glu", lambda x: F.glu(x, 1), lambda x: x[:, :2] * sig(x[:, 2:4]), (X[:, :4],)),
    Case("softmax", lambda x: F.softmax(x, dim=1), lambda x: softmax(x, 1), (X,)),
    Case("softmax_dim0", lambda x: ember.softmax(x, 0), lambda x: softmax(x, 0), (X,)),
    Case("log_softmax", lambda x: F.log_softmax(x, dim=-1), lambda x: np.log(softmax(x, -1)), (X,)),
    Case("log_softmax_4d", lambda x: x.log_softmax(1), lambda x: np.log(softmax(x, 1)), (X4,)),
    Case("softmin", lambda x: F.softmin(x, dim=1), lambda x: softmax(-x, 1), (X,)),
    Case("softmax2d", lambda x: nn.Softmax2d()(x), lambda x: softmax(x, 1), (X4,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_activation(case, device):
    run(case, device)


@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "silu", "gelu", "elu", "mish"])
def test_finite_for_huge_inputs(name, device):
    x = ember.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], device=device, requires_grad=True)
    y = getattr(F, name)(x)
    y.sum().backward()
    assert bool(y.isfinite().all()) and bool(x.grad.isfinite().all())


def test_softmax_stable_and_log_softmax_finite(device):
    x = ember.tensor([[1e4, 0.0, -1e4]], device=device)
    np.testing.assert_allclose(F.softmax(x, dim=1).cpu().numpy(), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x, dim=1).cpu().numpy(), [[0.0, -1e4, -2e4]])


def test_softmax_dtype_argument_and_implicit_dim_warning():
    x = ember.tensor([[1.0, 2.0]])
    assert F.softmax(x, dim=1, dtype=ember.float64).dtype == ember.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), softmax(np.array([[1.0, 2.0]]), 1), rtol=1e-6)
    with pytest.warns(UserWarning, match="log_softmax"):
        F.log_softmax(ember.ones(3))


def test_softmax_of_scalar_and_empty():
    assert F.softmax(ember.tensor(3.0), dim=0).item() == 1.0
    assert F.softmax(ember.zeros(0, 3), dim=1).shape == (0, 3)


def test_inplace_activations_modify_input():
    x = ember.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = ember.tensor([-1.0, 2.0])
    nn.ELU(inplace=True)(y)
    np.testing.assert_allclose(y.numpy(), [math.expm1(-1.0), 2.0], rtol=1e-6)
    z = ember.tensor([-4.0, 4.0])
    F.hardtanh_(z)
    assert z.tolist() == [-1.0, 1.0]


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(ember.zeros(1), approximate="fast")


def test_glu_needs_even_dimension():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(ember.zeros(2, 3), 1)


def test_rrelu_training_draws_slopes_in_range():
    x = -ember.ones(1000)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert bool(((y <= -0.1) & (y >= -0.3)).all())


def test_prelu_module_learns_slope():
    m = nn.PReLU(3)
    x = -ember.ones(2, 3, 4)
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-8.0, -8.0, -8.0])


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = ember.zeros(4, 6, requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert y.sum(-1).tolist() == [1.0] * 4 and set(y.detach().reshape(-1).tolist()) == {0.0, 1.0}
    (y * ember.arange(6.0)).sum().backward()
    assert logits.grad is not None and bool(logits.grad.abs().sum() > 0)


REPRS = [
    (lambda: nn.ReLU(), "ReLU()"), (lambda: nn.ReLU(True), "ReLU(inplace=True)"),
    (lambda: nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (lambda: nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
    (lambda: nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"), (lambda: nn.ReLU6(True), "ReLU6(inplace=True)"),
    (lambda: nn.Hardsigmoid(True), "Hardsigmoid()"), (lambda: nn.SiLU(True), "SiLU(inplace=True)"),
    (lambda: nn.Hardswish(True), "Hardswish()"), (lambda: nn.ELU(), "ELU(alpha=1.0)"),
    (lambda: nn.CELU(inplace=True), "CELU(alpha=1.0, inplace=True)"), (lambda: nn.SELU(True), "SELU(inplace=True)"),
    (lambda: nn.GLU(), "GLU(dim=-1)"), (lambda: nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.Hardshrink(), "Hardshrink(0.5)"), (lambda: nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"), (lambda: nn.PReLU(), "PReLU(num_parameters=1)"),
    (lambda: nn.Softmin(1), "Softmin(dim=1)"), (lambda: nn.Softmax(), "Softmax(dim=None)"),
    (lambda: nn.Softmax2d(), "Softmax2d()"), (lambda: nn.LogSoftmax(dim=1), "LogSoftmax(dim=1)"),
    (lambda: nn.Sigmoid(), "Sigmoid()"), (lambda: nn.Mish(), "Mish()"), (lambda: nn.Tanhshrink(), "Tanhshrink()"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[t for _, t in REPRS])
def test_module_repr_matches_torch(make, text):
    assert repr(make()) == text


# --- against torch ---------------------------------------------------------------------------------
TORCH_CALLS = [
    ("relu6", lambda F, x: F.relu6(x)), ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.3)),
    ("elu", lambda F, x: F.elu(x, 0.5)), ("selu", lambda F, x: F.selu(x)), ("celu", lambda F, x: F.celu(x, 2.0)),
    ("gelu", lambda F, x: F.gelu(x)), ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("silu", lambda F, x: F.silu(x)), ("mish", lambda F, x: F.mish(x)), ("hardtanh", lambda F, x: F.hardtanh(x)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x)), ("hardswish", lambda F, x: F.hardswish(x)),
    ("softplus", lambda F, x: F.softplus(x, 0.5, 2.0)), ("softsign", lambda F, x: F.softsign(x)),
    ("softshrink", lambda F, x: F.softshrink(x, 0.3)), ("hardshrink", lambda F, x: F.hardshrink(x, 0.3)),
    ("tanhshrink", lambda F, x: F.tanhshrink(x)), ("threshold", lambda F, x: F.threshold(x, 0.2, 7.0)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x)), ("softmax", lambda F, x: F.softmax(x, 1)),
    ("log_softmax", lambda F, x: F.log_softmax(x, 0)), ("softmin", lambda F, x: F.softmin(x, 1)),
    ("glu", lambda F, x: F.glu(x[:, :4], 1)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,fn", TORCH_CALLS, ids=[n for n, _ in TORCH_CALLS])
def test_against_torch(name, fn):
    torch = pytest.importorskip("torch")
    xe = ember.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    ye, yt = fn(F, xe), fn(torch.nn.functional, xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    # torch computes some float64 gradients with float32 constants (hardsigmoid: 1.0f / 6): 1e-7 relative
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-12)
