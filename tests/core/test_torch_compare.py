"""Ember against PyTorch itself on the same inputs: values, gradients, result dtypes, errors.

Skipped when torch is not installed (the README's test command does not need it);
CI installs torch 2.13 CPU and runs this module.
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
Y = rng.standard_normal((4,))
P = rng.uniform(0.5, 2.0, (3, 4))
I = rng.integers(-5, 5, (3, 4))

# (id, callable taking a module `m` (ember or torch) and its tensors, inputs)
CALLS = [
    ("add_broadcast", lambda m, a, b: a + b, (X, Y)),
    ("mul_scalar", lambda m, a: a * 2.5, (X,)),
    ("div", lambda m, a, b: a / b, (X, P)),
    ("pow", lambda m, a: a ** 3, (X,)),
    ("exp_log", lambda m, a: m.log(m.exp(a) + 1), (X,)),
    ("tanh_sigmoid", lambda m, a: m.tanh(a) * m.sigmoid(a), (X,)),
    ("sum_dim", lambda m, a: a.sum(1), (X,)),
    ("mean_keepdim", lambda m, a: a.mean(0, keepdim=True), (X,)),
    ("matmul", lambda m, a, b: a @ b, (X, Y)),
    ("matmul_batched", lambda m, a, b: a @ b, (rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2)))),
    ("transpose_reshape", lambda m, a: a.t().reshape(2, 6), (X,)),
    ("getitem", lambda m, a: a[1:, [0, 2]], (X,)),
    ("where", lambda m, a, b: m.where(a > 0, a, b), (X, Y)),
    ("relu", lambda m, a: m.relu(a), (X,)),
]


def _run(m, fn, inputs, grad):
    ts = []
    for a in inputs:
        t = m.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_()
        ts.append(t)
    out = fn(m, *ts)
    grads = None
    if grad:
        out.sum().backward()
        grads = [t.grad.detach().numpy() if t.grad is not None else None for t in ts]
    return out.detach().numpy(), str(out.dtype).split(".")[-1], grads


@pytest.mark.parametrize("name,fn,inputs", CALLS, ids=[c[0] for c in CALLS])
def test_values_gradients_dtypes(name, fn, inputs):
    want, want_dtype, want_grads = _run(torch, fn, inputs, True)
    got, got_dtype, got_grads = _run(ember, fn, inputs, True)
    assert got_dtype == want_dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for g, w in zip(got_grads, want_grads):
        if w is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


PROMOTIONS = [
    ("int_plus_float_scalar", lambda m: m.tensor([1, 2]) + 1.5),
    ("int_div_int", lambda m: m.tensor([1, 2]) / m.tensor([2, 2])),
    ("int32_sum", lambda m: m.tensor([1, 2], dtype=m.int32).sum()),
    ("uint8_plus_int8", lambda m: m.tensor([1], dtype=m.uint8) + m.tensor([1], dtype=m.int8)),
    ("float16_plus_float32_0d", lambda m: m.tensor([1.0], dtype=m.float16) + m.tensor(1.0)),
    ("int_tensor_plus_float_0d", lambda m: m.tensor([1, 2]) + m.tensor(1.5, dtype=m.float64)),
    ("bool_plus_int", lambda m: m.tensor([True]) + 1),
    ("compare", lambda m: m.tensor([1.0]) > 0),
    ("float64_times_float32", lambda m: m.tensor([1.0], dtype=m.float64) * m.tensor([1.0])),
]


@pytest.mark.parametrize("name,fn", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_result_dtype(name, fn):
    assert str(fn(ember).dtype).split(".")[-1] == str(fn(torch).dtype).split(".")[-1]


ERRORS = [
    ("matmul_shapes", lambda m: m.ones(2, 3) @ m.ones(4, 5)),
    ("reshape_bad", lambda m: m.ones(2, 3).reshape(4, 2)),
    ("item_many", lambda m: m.ones(2).item()),
    ("numpy_requires_grad", lambda m: m.ones(2, requires_grad=True).numpy()),
    ("leaf_inplace", lambda m: m.ones(2, requires_grad=True).add_(1)),
    ("index_out_of_range", lambda m: m.ones(2)[5]),
    ("bad_dim", lambda m: m.ones(2).sum(3)),
    ("bool_neg", lambda m: -m.tensor([True])),
    ("expand_bad", lambda m: m.ones(2, 3).expand(4, 3)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_same_exception_type(name, fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(ember)
    assert type(got.value) is type(want.value) or isinstance(got.value, type(want.value)), (got.value, want.value)
