"""Values and gradients of the basic arithmetic, shape and reduction ops (op table)."""

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((4,))
P = rng.uniform(0.5, 2.0, (3, 4))

CASES = [
    Case("add", lambda a, b: a + b, np.add, (A, B)),
    Case("add_alpha", lambda a, b: ember.add(a, b, alpha=2), lambda a, b: a + 2 * b, (A, B)),
    Case("sub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, (A,)),
    Case("mul", lambda a, b: a * b, np.multiply, (A, B)),
    Case("div", lambda a, b: a / b, np.divide, (A, P)),
    Case("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, (A,)),
    Case("pow_tensor", lambda a, b: a ** b, np.power, (P, A)),
    Case("exp", ember.exp, np.exp, (A,)),
    Case("log", ember.log, np.log, (P,)),
    Case("sqrt", ember.sqrt, np.sqrt, (P,)),
    Case("tanh", ember.tanh, np.tanh, (A,)),
    Case("sigmoid", ember.sigmoid, lambda a: 1 / (1 + np.exp(-a)), (A,)),
    Case("neg", lambda a: -a, np.negative, (A,)),
    Case("abs", ember.abs, np.abs, (A,)),
    Case("sum_all", lambda a: a.sum(), lambda a: np.sum(a), (A,)),
    Case("sum_dim", lambda a: a.sum(1, keepdim=True), lambda a: a.sum(1, keepdims=True), (A,)),
    Case("mean_dims", lambda a: a.mean((0, 1)), lambda a: a.mean((0, 1)), (A,)),
    Case("matmul_2d_1d", lambda a, b: a @ b, np.matmul, (A, B)),
    Case("matmul_batched", lambda a, b: a @ b, np.matmul, (rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)))),
    Case("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), (A,)),
    Case("permute", lambda a: a.permute(1, 0), lambda a: a.T, (A,)),
    Case("expand", lambda b: b.expand(3, 4), lambda b: np.broadcast_to(b, (3, 4)), (B,)),
    Case("getitem_basic", lambda a: a[1:, ::2], lambda a: a[1:, ::2], (A,)),
    Case("getitem_advanced", lambda a: a[[0, 2, 0]], lambda a: a[[0, 2, 0]], (A,)),
    Case("where", lambda a, b: ember.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), (A, B)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op(case, device):
    run(case, device)


def test_promotion_int_plus_float_scalar():
    x = ember.tensor([1, 2])
    assert (x + 1.5).dtype == ember.float32
    assert (x / x).dtype == ember.float32
    assert x.sum().dtype == ember.int64
    assert (x > 1).dtype == ember.bool


def test_matmul_shape_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        ember.ones(2, 3) @ ember.ones(4, 5)


@pytest.mark.parametrize("a,b,message", [
    ((2, 3), (3, 2), r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
    ((5, 2, 3), (4, 3), r"The size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ((2, 3, 4), (5, 1, 4), r"The size of tensor a \(2\) must match the size of tensor b \(5\) at non-singleton dimension 0"),
])
def test_shapes_that_do_not_broadcast_raise_torchs_runtime_error(device, a, b, message):
    x, y = ember.ones(*a, device=device), ember.ones(*b, device=device)
    for op in (lambda: x + y, lambda: x * y, lambda: x < y, lambda: ember.maximum(x, y), lambda: ember.where(x > 0, x, y)):
        with pytest.raises(RuntimeError, match=message):
            op()


def test_sign_of_nan_is_zero_and_of_negative_zero_is_positive_zero(device):
    x = ember.tensor([float("nan"), -0.0, 2.5, float("-inf")], device=device)
    got = ember.sign(x)._host()
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0, -1.0])
    assert not np.signbit(got[1])


def test_adaptive_pool_at_the_input_size_returns_a_new_tensor():
    x = ember.ones(1, 2, 3, 3)
    y = ember.nn.functional.adaptive_avg_pool2d(x, 3)
    assert y is not x and ember.equal(y, x)
