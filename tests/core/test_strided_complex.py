"""as_strided / empty_strided / data_ptr and the complex views: view_as_real, view_as_complex, complex, polar."""

import math

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(6)
V = rng.standard_normal(8)
M = rng.standard_normal((3, 4))
P = rng.standard_normal((3, 2))
Q = rng.standard_normal((3, 2))
W = np.array([[0.5, -1.0], [2.0, 0.25]])


def _windows(a, size, stride, offset=0):
    return np.lib.stride_tricks.as_strided(a.ravel()[offset:], size, tuple(s * a.itemsize for s in stride)).copy()


STRIDED = ("cpu", "cuda")
CASES = [
    Case("as_strided_windows", lambda v: v.as_strided((3, 4), (2, 1)), lambda v: _windows(v, (3, 4), (2, 1)), (V,),
         devices=STRIDED),
    Case("as_strided_overlap_offset", lambda v: ember.as_strided(v, (4, 3), (1, 1), 1),
         lambda v: _windows(v, (4, 3), (1, 1), 1), (V,), devices=STRIDED),
    Case("as_strided_zero_stride", lambda v: v.as_strided((2, 3), (0, 2), 1), lambda v: _windows(v, (2, 3), (0, 2), 1),
         (V,), devices=STRIDED),
    Case("as_strided_transpose", lambda m: m.as_strided((4, 3), (1, 4)), lambda m: m.T, (M,), devices=STRIDED),
    Case("as_strided_of_view", lambda m: m[1:].as_strided((2, 2), (1, 4)), lambda m: m[1:, :2].T, (M,),
         devices=STRIDED),
    Case("as_strided_of_expanded", lambda v: v[:3].expand(2, 3).as_strided((2,), (1,), 1), lambda v: v[1:3], (V,),
         devices=STRIDED),
    Case("view_as_real", lambda p, q: ember.view_as_real(ember.complex(p, q)) * 1.5, lambda p, q: np.stack([p, q], -1) * 1.5,
         (P, Q)),
    Case("view_as_complex_roundtrip", lambda m: ember.view_as_real(ember.view_as_complex(m.reshape(3, 2, 2)) * (1 - 2j)),
         lambda m: _as_pairs(_as_complex(m.reshape(3, 2, 2)) * (1 - 2j)), (M,)),
    Case("complex_broadcast", lambda p, w: ember.view_as_real(ember.complex(p[:, :1], w[0]) * (2 + 1j)),
         lambda p, w: _as_pairs((p[:, :1] + 1j * w[0]) * (2 + 1j)), (P, W)),
    Case("complex_product", lambda p, q: ember.view_as_real(ember.complex(p, q) * ember.complex(q, p)),
         lambda p, q: _as_pairs((p + 1j * q) * (q + 1j * p)), (P, Q)),
    Case("polar", lambda p, q: ember.view_as_real(ember.polar(p.abs() + 0.5, q)),
         lambda p, q: _as_pairs((np.abs(p) + 0.5) * np.exp(1j * q)), (P, Q)),
]


def _as_complex(x):
    return x[..., 0] + 1j * x[..., 1]


def _as_pairs(z):
    return np.stack([z.real, z.imag], -1)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_table(case, device):
    run(case, device)


# --- as_strided ------------------------------------------------------------------------------------------
def test_as_strided_shares_memory_and_version():
    x = ember.arange(6.0)
    y = x.as_strided((2, 2), (1, 1), 2)
    x[3] = 30.0
    assert y.tolist() == [[2.0, 30.0], [30.0, 4.0]]
    assert y._version is x._version
    y[0, 0] = -1.0
    assert x[2].item() == -1.0


def test_as_strided_offset_defaults_to_inputs_own():
    x = ember.arange(6.0)
    assert x[2:].as_strided((2,), (1,)).tolist() == [2.0, 3.0]
    assert x[2:].as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]  # counted from the storage's start, like torch
    assert x.view(2, 3).t()[1].as_strided((2,), (1,)).tolist() == [1.0, 2.0]


def test_as_strided_gradient_accumulates_windows():
    a = ember.zeros(5, requires_grad=True)
    a.as_strided((3, 3), (1, 1)).backward(ember.ones(3, 3))
    assert a.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_as_strided_gradient_only_reaches_the_inputs_elements():
    b = ember.zeros(6, requires_grad=True)
    b[2:].as_strided((4,), (1,), 0).backward(ember.arange(4.0))
    assert b.grad.tolist() == [0.0, 0.0, 2.0, 3.0, 0.0, 0.0]


def test_as_strided_gradient_shared_over_overlapping_input():
    a = ember.zeros(3, requires_grad=True)
    a.expand(2, 3).as_strided((2,), (1,), 1).backward(ember.ones(2))
    assert a.grad.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("args, message", [
    (((3, 3), (2, 1)), "setStorage: sizes [3, 3], strides [2, 1], storage offset 0, and itemsize 4 requiring a "
                       "storage size of 28 are out of bounds for storage of size 24"),
    (((2,), (-1,)), "Negative strides are not supported at the moment, got strides: [-1]"),
    (((2,), (1,), -1), "invalid storage offset -1"),
    (((2, 2), (1,)), "mismatch in length of strides and shape"),
])
def test_as_strided_errors(args, message):
    with pytest.raises(RuntimeError, match=re_escape(message)):
        ember.arange(6.0).as_strided(*args)


def re_escape(text):
    import re

    return re.escape(text)


def test_as_strided_empty_and_scalar():
    x = ember.arange(6.0)
    assert x.as_strided((0,), (1,), 100).shape == (0,)
    assert x.as_strided((), (), 3).item() == 3.0


def test_as_strided_inplace():
    x = ember.arange(6.0)
    assert x.as_strided_((2,), (3,)) is x
    assert x.tolist() == [0.0, 3.0]


def test_strided_ops_name_the_backend_without_strides():
    x = ember.zeros(3, device="strict") if "strict" in ember.plugins.host().device_types() else None
    if x is None:
        pytest.skip("no strict backend")
    with pytest.raises(NotImplementedError, match="as_strided: the 'strict' backend"):
        x.as_strided((2,), (1,))
    with pytest.raises(NotImplementedError, match="data_ptr: the 'strict' backend"):
        x.data_ptr()
    with pytest.raises(NotImplementedError, match="untyped_storage: the 'strict' backend"):
        x.untyped_storage()
    assert ember.empty_strided((2, 3), (1, 2), device="strict").shape == (2, 3)  # contiguous there


def test_empty_strided():
    t = ember.empty_strided((2, 3), (1, 2), dtype=ember.float64)
    assert t.stride() == (1, 2) and t.dtype is ember.float64 and t._base is None
    assert ember.empty_strided((2, 3), (0, 1)).stride() == (0, 1)
    assert ember.empty_strided([2, 3], [3, 1], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match=re_escape("dimensionality of sizes (2) must match dimensionality of strides (1)")):
        ember.empty_strided((2, 3), (1,))


def test_data_ptr():
    x = ember.zeros(4, 4)
    assert x.view(16).data_ptr() == x.data_ptr() == x[0].data_ptr()
    assert x[1, 2].data_ptr() - x.data_ptr() == 6 * 4
    assert ember.zeros(2).data_ptr() != x.data_ptr()
    assert isinstance(x.data_ptr(), int)


def test_untyped_storage_is_shared_by_views():
    x = ember.arange(10.0)
    views = [x[3:], x.view(2, 5).t(), x.view(2, 5).diagonal(), x.as_strided((2, 2), (1, 1), 4)]
    for v in views:
        s = v.untyped_storage()
        assert s.data_ptr() == x.data_ptr() and s.nbytes() == len(s) == 40 and s.element_size() == 1
    assert x.view(2, 5).diagonal().as_strided((3,), (1,), 0).tolist() == [0.0, 1.0, 2.0]
    r = ember.view_as_real(ember.zeros(3, dtype=ember.complex64))
    assert r[1:].untyped_storage().nbytes() == 24 and ember.zeros(2).untyped_storage().data_ptr() != x.data_ptr()


# --- complex views ---------------------------------------------------------------------------------------
def test_view_as_real_values_and_sharing(device):
    z = ember.tensor([[1 + 2j, 3 - 4j]], device=device)
    r = ember.view_as_real(z)
    assert r.dtype is ember.float32 and r.shape == (1, 2, 2)
    np.testing.assert_array_equal(r.cpu().numpy(), [[[1, 2], [3, -4]]])
    if device != "strict":  # a view on strided memory: writes show through both ways
        assert r.stride() == (4, 2, 1)
        r[0, 1, 1] = 7.0
        assert z[0, 1].item() == 3 + 7j
    assert ember.view_as_real(ember.tensor(1 + 1j, dtype=ember.complex128, device=device)).dtype is ember.float64


def test_view_as_complex_values_and_sharing(device):
    x = ember.arange(12.0, device=device).view(3, 4)[:, :2]
    z = ember.view_as_complex(x)
    np.testing.assert_array_equal(z.cpu().numpy(), [1j, 4 + 5j, 8 + 9j])
    assert z.dtype is ember.complex64
    if device != "strict":
        z[1] = 0
        assert x[1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("make, message", [
    (lambda: ember.arange(6.0), "Tensor must have a last dimension of size 2"),
    (lambda: ember.arange(6), "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: Long"),
    (lambda: ember.tensor(1.0), "Input tensor must have one or more dimensions"),
    (lambda: ember.arange(6.0).view(3, 2).t().contiguous().t(), "Tensor must have a last dimension with stride 1"),
    (lambda: ember.arange(6.0)[1:5].view(2, 2), "Tensor must have a storage_offset divisible by 2"),
    (lambda: ember.arange(18.0).view(3, 6)[:, 1:3], "Tensor must have a storage_offset divisible by 2"),
])
def test_view_as_complex_errors(make, message):
    with pytest.raises(RuntimeError, match=re_escape(message)):
        ember.view_as_complex(make())


def test_view_as_real_error():
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex tensors"):
        ember.view_as_real(ember.zeros(2))


def test_complex_keeps_inf_and_nan_parts(device):
    z = ember.complex(ember.zeros(2, 1, device=device), ember.tensor([1.0, math.inf, math.nan], device=device))
    got = z.cpu().numpy()
    assert z.shape == (2, 3) and z.dtype is ember.complex64
    np.testing.assert_array_equal(got.real, np.zeros((2, 3)))
    np.testing.assert_array_equal(got.imag, np.broadcast_to([1.0, np.inf, np.nan], (2, 3)))
    assert ember.complex(ember.zeros(1, dtype=ember.float64), ember.ones(1, dtype=ember.float64)).dtype is ember.complex128


@pytest.mark.parametrize("fn", [ember.complex, ember.polar])
def test_complex_and_polar_errors(fn):
    with pytest.raises(RuntimeError, match="Expected both inputs to be Half, Float or Double tensors but got Long and Long"):
        fn(ember.zeros(2, dtype=ember.int64), ember.zeros(2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="Expected object of scalar type Float but got scalar type Double for second argument"):
        fn(ember.zeros(2), ember.zeros(2, dtype=ember.float64))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        fn(1.0, 2.0)


def test_polar_values(device):
    z = ember.polar(ember.tensor([2.0, 1.0], device=device), ember.tensor([math.pi / 2, math.pi], device=device))
    np.testing.assert_allclose(z.cpu().numpy(), [2j, -1], atol=1e-6)


def test_complex_gradients_in_torch_convention():
    re, im = ember.tensor([1.0, 2.0], requires_grad=True), ember.tensor([3.0, -1.0], requires_grad=True)
    (ember.complex(re, im).abs() ** 2).sum().backward()  # |z|^2 = re^2 + im^2
    assert re.grad.tolist() == [2.0, 4.0] and im.grad.tolist() == [6.0, -2.0]


# --- against torch -------------------------------------------------------------------------------------
def test_matches_torch():
    torch = pytest.importorskip("torch")
    base = np.arange(10.0, dtype=np.float32)
    for size, stride, offset in [((3, 3), (1, 1), None), ((2, 4), (3, 1), 1), ((4,), (0,), 2)]:
        want = torch.as_strided(torch.from_numpy(base), size, stride, offset).numpy()
        np.testing.assert_array_equal(ember.as_strided(ember.tensor(base), size, stride, offset).numpy(), want)
    a, g = ember.zeros(6, requires_grad=True), torch.zeros(6, requires_grad=True)
    a[1:].as_strided((3, 2), (1, 2), 0).sum().backward()
    g[1:].as_strided((3, 2), (1, 2), 0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), g.grad.numpy())
    x = torch.arange(8.0)
    e = ember.arange(8.0)
    assert e[3:].data_ptr() - e.data_ptr() == x[3:].data_ptr() - x.data_ptr()
    pairs = np.array([[1.0, -2.0], [np.inf, np.nan]], dtype=np.float32)
    np.testing.assert_array_equal(ember.view_as_complex(ember.tensor(pairs)).numpy(),
                                  torch.view_as_complex(torch.from_numpy(pairs)).numpy())
    r, t = torch.tensor([np.inf, 2.0]), torch.tensor([0.0, 1.0])
    np.testing.assert_allclose(ember.polar(ember.tensor(r.numpy()), ember.tensor(t.numpy())).numpy(),
                               torch.polar(r, t).numpy())
