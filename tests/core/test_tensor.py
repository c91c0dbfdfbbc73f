"""Core Tensor behaviour: creation and dtype inference, devices, conversions, interop, dtype info, RNG."""

import pickle
from fractions import Fraction

import numpy as np
import pytest

import ember


def host(t):
    return np.asarray(t.detach().cpu().numpy())


# --- creation and dtype inference ----------------------------------------------------------------
@pytest.mark.parametrize("data, dtype, values", [
    ([1, 2, 3], ember.int64, [1, 2, 3]),
    ([1, 2.5], ember.float32, [1.0, 2.5]),
    ([True, False], ember.bool, [True, False]),
    ([True, 2], ember.int64, [1, 2]),
    ([1j, 2], ember.complex64, [1j, 2]),
    (3.5, ember.float32, 3.5),
    ([[1, 2], [3, 4]], ember.int64, [[1, 2], [3, 4]]),
    (np.array([1.0, 2.0]), ember.float64, [1.0, 2.0]),
    (np.array([1, 2], dtype=np.int32), ember.int32, [1, 2]),
    (np.array([1, 2], dtype=np.uint8), ember.uint8, [1, 2]),
    (np.float64(2.0), ember.float64, 2.0),
])
def test_tensor_infers_dtype(device, data, dtype, values):
    t = ember.tensor(data, device=device)
    assert t.dtype == dtype and t.device.type == device
    assert t.tolist() == values


def test_tensor_from_tensors_and_explicit_dtype(device):
    t = ember.tensor([ember.tensor(1.0), ember.tensor(2.0)], device=device)
    assert t.tolist() == [1.0, 2.0] and t.dtype == ember.float32
    assert ember.tensor([1, 2], dtype=ember.float64, device=device).dtype == ember.float64
    assert ember.tensor([1.7, -1.7], dtype=ember.int32).tolist() == [1, -1]


def test_filled_creation_functions(device):
    assert ember.zeros(2, 3, device=device).shape == (2, 3) and ember.zeros((2, 3)).shape == (2, 3)
    assert host(ember.ones(2, device=device)).tolist() == [1.0, 1.0]
    assert ember.empty(4, device=device).shape == (4,)
    for fill, dtype in ((3, ember.int64), (3.0, ember.float32), (True, ember.bool)):
        t = ember.full((2,), fill, device=device)
        assert t.dtype == dtype and t.tolist() == [fill, fill]
    assert ember.arange(5, device=device).dtype == ember.int64
    assert ember.arange(0, 1, 0.25, device=device).tolist() == [0.0, 0.25, 0.5, 0.75]
    np.testing.assert_allclose(host(ember.linspace(0, 1, 5, device=device)), np.linspace(0, 1, 5))
    assert host(ember.eye(2, 3, device=device)).tolist() == [[1, 0, 0], [0, 1, 0]]


def test_like_and_new_functions(device):
    base = ember.ones(2, dtype=ember.float64, device=device)
    for made in (ember.zeros_like(base), ember.ones_like(base), ember.empty_like(base), ember.full_like(base, 7)):
        assert made.dtype == ember.float64 and made.shape == (2,) and made.device == base.device
    assert ember.ones_like(ember.tensor([1, 2])).dtype == ember.int64
    assert ember.zeros_like(base, dtype=ember.int32).dtype == ember.int32
    new = base.new_ones(3)
    assert new.dtype == ember.float64 and new.device == base.device and new.tolist() == [1.0, 1.0, 1.0]
    assert base.new_zeros((1, 2)).shape == (1, 2) and base.new_full((2,), 4).tolist() == [4.0, 4.0]


def test_default_dtype_drives_inference():
    assert ember.get_default_dtype() == ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor(1.0).dtype == ember.float64
        assert ember.tensor([1j]).dtype == ember.complex128
        assert ember.arange(0, 1, 0.5).dtype == ember.float64
        assert ember.ones(1).dtype == ember.float64
        assert ember.tensor([1, 2]).dtype == ember.int64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        ember.set_default_dtype(ember.int32)


def test_requires_grad_needs_a_floating_dtype():
    with pytest.raises(RuntimeError, match="floating point and complex dtype can require gradients"):
        ember.tensor([1, 2], requires_grad=True)
    assert ember.tensor([1.0], requires_grad=True).requires_grad
    assert ember.zeros(2).requires_grad_().is_leaf


# --- devices -------------------------------------------------------------------------------------
def test_device_objects():
    d = ember.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1", "device(type='cuda', index=1)")
    assert d == ember.device("cuda", 1) and d != ember.device("cuda", 0) and d != ember.device("cuda")
    assert repr(ember.device("cpu")) == "device(type='cpu')" and ember.device(d) == d
    assert len({ember.device("cpu"), ember.device("cpu"), ember.device("cpu", 0)}) == 2
    assert ember.device("cpu") != "cpu"  # as torch: compare with str(d) or d.type
    assert pickle.loads(pickle.dumps(d)) == d
    for bad in ("cuda:x", "cuda:", ":1", "cu da"):
        with pytest.raises(RuntimeError, match="Invalid device string"):
            ember.device(bad)
    with pytest.raises(RuntimeError, match="must not be negative"):
        ember.device("cuda", -1)
    with pytest.raises(RuntimeError, match="must not include an index"):
        ember.device("cuda:0", 1)


def test_tensor_device_and_indexless_backends():
    t = ember.ones(2)
    assert t.device == ember.device("cpu") and t.is_cpu and not t.is_cuda and t.get_device() == -1
    assert ember.ones(1, device=ember.device("cpu")).device is t.device  # one canonical object per device
    with pytest.raises(RuntimeError, match="device 'cpu' has no index 1"):
        ember.ones(1, device="cpu:1")


def test_mixed_device_ops_raise():
    a, b = ember.ones(2), ember.ones(2, device="strict")
    msg = "Expected all tensors to be on the same device, but found at least two devices, cpu and strict!"
    with pytest.raises(RuntimeError, match=msg):
        a + b
    with pytest.raises(RuntimeError, match="found at least two devices, strict and cpu!"):
        b * a


def test_to_and_cpu_move_and_cast():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    s = x.to("strict")
    assert s.device.type == "strict" and s.grad_fn is not None
    (s * 3).sum().backward()
    assert host(x.grad).tolist() == [3.0, 3.0] and x.grad.device.type == "cpu"
    back = s.cpu()
    assert back.device.type == "cpu" and back.tolist() == [1.0, 2.0]
    t = ember.ones(2)
    assert t.to("cpu") is t and t.cpu() is t and t.to(ember.float32) is t
    assert t.to(ember.float32, copy=True) is not t
    assert t.to(ember.int32).dtype == ember.int32 and t.to(ember.ones(1, dtype=ember.float64)).dtype == ember.float64
    assert t.to("strict", ember.float64).dtype == ember.float64
    with pytest.raises(TypeError):
        t.to(unknown=1)


# --- conversions and interop -----------------------------------------------------------------------
def test_numpy_conversion():
    t = ember.tensor([1.0, 2.0])
    a = t.numpy()
    a[0] = 5
    assert t.tolist() == [5.0, 2.0]  # shares memory on the CPU
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        ember.ones(2, requires_grad=True).numpy()
    with pytest.raises(TypeError, match="can't convert strict device type tensor to numpy"):
        ember.ones(2, device="strict").numpy()
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_item_tolist_and_python_numbers(device):
    assert ember.tensor([[2.5]], device=device).item() == 2.5
    assert type(ember.tensor(3, device=device).item()) is int and type(ember.tensor(True).item()) is bool
    assert ember.tensor([[1, 2]], device=device).tolist() == [[1, 2]] and ember.tensor(1.5).tolist() == 1.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        ember.ones(2, device=device).item()
    assert (int(ember.tensor(2.7)), float(ember.tensor(2)), complex(ember.tensor(1.0))) == (2, 2.0, 1 + 0j)
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][ember.tensor(1.0)]
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(ember.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    assert [v.item() for v in ember.tensor([4, 5])] == [4, 5]


def test_array_protocol():
    t = ember.tensor([1.0, 2.0])
    assert np.asarray(t).tolist() == [1.0, 2.0] and np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.asarray(ember.ones(2, device="strict")).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(ember.ones(2, requires_grad=True))
    assert t.__array_namespace__() is ember


def test_dlpack_round_trip():
    t = ember.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    a[0] = 9
    assert t.tolist() == [9.0, 2.0, 3.0]  # zero-copy
    src = np.arange(4.0)
    u = ember.from_dlpack(src)
    assert u.dtype == ember.float64 and u.tolist() == [0.0, 1.0, 2.0, 3.0]
    src[1] = -1
    assert u.tolist()[1] == -1.0
    assert np.from_dlpack(ember.from_dlpack(src)).tolist() == src.tolist()
    assert t.__dlpack_device__() == src.__dlpack_device__()
    with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
        np.from_dlpack(ember.ones(2, requires_grad=True))


def test_size_and_metadata():
    t = ember.zeros(2, 3, dtype=ember.float64)
    assert t.shape == ember.Size([2, 3]) and repr(t.shape) == "ember.Size([2, 3])" and t.shape[1:] == (3,)
    assert isinstance(t.shape[1:], ember.Size) and t.shape.numel() == 6 and t.size(-1) == 3
    assert (t.dim(), t.ndim, t.numel(), t.element_size(), t.nbytes, t.is_floating_point()) == (2, 2, 6, 8, 48, True)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(2)


# --- dtype information -----------------------------------------------------------------------------------
def test_finfo_and_iinfo():
    f = ember.finfo(ember.float32)
    assert (f.bits, f.eps, f.max, f.min, f.tiny, f.resolution, f.dtype) == (
        32, 2.0 ** -23, float(np.finfo(np.float32).max), -float(np.finfo(np.float32).max), 2.0 ** -126, 1e-06, "float32")
    assert ember.finfo() == ember.finfo(ember.float32) and ember.finfo(ember.complex128).dtype == "float64"
    assert ember.finfo(ember.bfloat16).eps == 2.0 ** -7 and ember.finfo(ember.float16).max == 65504.0
    assert repr(ember.finfo(ember.float64)) == (
        "finfo(resolution=1e-15, min=-1.79769e+308, max=1.79769e+308, eps=2.22045e-16, "
        "smallest_normal=2.22507e-308, tiny=2.22507e-308, dtype=float64)")
    i = ember.iinfo(ember.int16)
    assert (i.bits, i.min, i.max, repr(i)) == (16, -32768, 32767, "iinfo(min=-32768, max=32767, dtype=int16)")
    assert ember.iinfo(ember.uint8).max == 255 and ember.iinfo(ember.int64).min == -(2 ** 63)
    with pytest.raises(TypeError, match="requires an integer input type"):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="ember.bool is not supported by ember.iinfo"):
        ember.iinfo(ember.bool)


def test_dtype_objects():
    assert ember.float32.is_floating_point and not ember.int8.is_floating_point and ember.complex64.is_complex
    assert (ember.float64.itemsize, ember.uint8.is_signed, repr(ember.int16)) == (8, False, "ember.int16")
    assert (ember.float, ember.double, ember.long, ember.half) == (ember.float32, ember.float64, ember.int64, ember.float16)
    assert pickle.loads(pickle.dumps(ember.bfloat16)) is ember.bfloat16


# --- randomness ------------------------------------------------------------------------------------------
def test_manual_seed_reproducibility(device):
    ember.manual_seed(123)
    a = ember.rand(4, device=device)
    b = ember.randn(2, 2, device=device)
    ember.manual_seed(123)
    assert host(ember.rand(4, device=device)).tolist() == host(a).tolist()
    assert host(ember.randn(2, 2, device=device)).tolist() == host(b).tolist()
    assert ember.initial_seed() == 123


def test_generators_are_independent_and_restorable():
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    x = ember.rand(3, generator=g1)
    ember.manual_seed(0)
    ember.rand(5)  # the default generator does not disturb g2
    assert ember.rand(3, generator=g2).tolist() == x.tolist()
    state = g1.get_state()
    assert state.dtype == ember.uint8
    y = ember.rand(3, generator=g1)
    g1.set_state(state)
    assert ember.rand(3, generator=g1).tolist() == y.tolist()
    saved = ember.get_rng_state()
    z = ember.randint(0, 100, (5,))
    ember.set_rng_state(saved)
    assert ember.randint(0, 100, (5,)).tolist() == z.tolist()
    assert g1.initial_seed() == 7 and ember.Generator("strict").device.type == "strict"


def test_tensor_is_not_constructible_directly():
    with pytest.raises(TypeError, match="use ember.tensor"):
        ember.Tensor([1.0])
    assert ember.is_tensor(ember.ones(1)) and not ember.is_tensor([1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", [(0, 0.3, 31), (-2.5, 7.1, 1000), (1, 0, 7), (0, 255, 31), (3, 3, 1)])
def test_linspace_rounds_like_torch(args, dtype):
    """A step in the dtype; the first half counts up from start, the rest down from end, each value rounded once."""
    start, end, steps = args
    real = getattr(np, dtype)
    step = real(real(real(end) - real(start)) / real(max(steps - 1, 1)))
    want = [real(Fraction(float(real(start))) + Fraction(float(step)) * i) if i < steps // 2
            else real(Fraction(float(real(end))) - Fraction(float(step)) * (steps - 1 - i)) for i in range(steps)]
    got = ember.linspace(start, end, steps, dtype=getattr(ember, dtype))._host()
    np.testing.assert_array_equal(got, np.array(want, dtype=dtype))
    assert got[0] == real(start) and got[-1] == real(end)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_equals_torchs(dtype):
    torch = pytest.importorskip("torch")
    for start, end, steps in [(0, 0.3, 31), (0.1, 0.7, 10001), (-1e3, 3e-3, 77)]:
        got = ember.linspace(start, end, steps, dtype=getattr(ember, dtype))._host()
        np.testing.assert_array_equal(got, torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy())
