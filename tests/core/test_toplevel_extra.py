"""Top-level torch names added for ordinary scripts: ember.accelerator, ember.cpu, ember.version,
ember.signal.windows, ember.multiprocessing and the functions of ember._extra_toplevel.

Values are checked against numpy references and closed forms; torch is compared when importable.
"""

import array
import math
import warnings

import numpy as np
import pytest

import ember
from harness import Case, run

rng = np.random.default_rng(9)


def _np(t):
    return t.detach().cpu().numpy()


# --- version -----------------------------------------------------------------------------------------------
def test_version_module():
    v = ember.__version__
    assert isinstance(v, str) and isinstance(v, ember.version.TorchVersion) and v == "0.1.0"
    assert v >= "0.1" and v > (0, 0, 9) and v < "0.2" and v < "0.1.1rc1" and v > "0.1.0rc1" and v != "0.1.1"
    assert {v: 1}["0.1.0"] == 1 and (v == "parrot") is False
    assert ember.version.__version__ == v
    assert ember.version.cuda is None and ember.version.hip is None and ember.version.debug is False
    assert isinstance(ember.version.git_version, str)


# --- cpu ---------------------------------------------------------------------------------------------------
def test_cpu_module():
    cpu = ember.cpu
    assert (cpu.is_available(), cpu.device_count(), cpu.current_device(), cpu.is_initialized()) == (True, 1, "cpu", True)
    assert cpu.synchronize() is None and cpu.set_device("cpu") is None
    s = cpu.Stream()
    default = cpu.current_stream()
    with cpu.stream(s):
        assert cpu.current_stream() is s
    assert cpu.current_stream() is default
    with cpu.stream(None):
        assert cpu.current_stream() is default
    event = cpu.Event()
    event.record()
    assert event.query() is True
    assert cpu.get_capabilities()["num_logical_cores"] >= 1


def test_cpu_amp_is_deprecated_cpu_autocast():
    with pytest.warns(FutureWarning, match=r"torch\.cpu\.amp\.autocast"):
        region = ember.cpu.amp.autocast()
    with region:
        assert ember.is_autocast_enabled("cpu")
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.bfloat16
    assert not ember.is_autocast_enabled("cpu")
    with pytest.warns(FutureWarning, match=r"torch\.cpu\.amp\.GradScaler"):
        scaler = ember.cpu.amp.GradScaler(init_scale=8.0)
    assert scaler.get_scale() == 8.0 and isinstance(scaler, ember.amp.GradScaler)


# --- accelerator -------------------------------------------------------------------------------------------
def test_accelerator_follows_the_cuda_backend():
    acc = ember.accelerator
    if ember.cuda.is_available():
        assert acc.is_available() and acc.current_accelerator() == ember.device("cuda")
        assert acc.device_count() == ember.cuda.device_count()
        assert acc.current_device_index() == ember.cuda.current_device()
        with acc.device_index(0):
            assert acc.current_device_index() == 0
        acc.synchronize()
        assert acc.memory_allocated() >= 0
        with pytest.raises(ValueError, match="doesn't match the current accelerator"):
            acc.synchronize("cpu")
        return
    assert (acc.is_available(), acc.current_accelerator(), acc.current_accelerator(True), acc.device_count()) == (
        False, None, None, 0)
    with acc.device_index(None):
        pass
    for call in (acc.current_device_index, acc.synchronize, lambda: acc.set_device_index(0), acc.current_stream,
                 acc.empty_cache, acc.memory_allocated, lambda: acc.device_index(0).__enter__()):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
            call()


def test_accelerator_matches_torch_without_gpu():
    torch = pytest.importorskip("torch")
    if ember.cuda.is_available() or torch.accelerator.is_available():
        pytest.skip("compares the CPU-only answers")
    assert ember.accelerator.is_available() == torch.accelerator.is_available()
    assert ember.accelerator.device_count() == torch.accelerator.device_count()


# --- exceptions, layout, aliases ---------------------------------------------------------------------------
def test_exceptions_layout_and_aliases():
    assert issubclass(ember.OutOfMemoryError, RuntimeError) and issubclass(ember.AcceleratorError, RuntimeError)
    assert ember.GradScaler is ember.amp.GradScaler
    assert isinstance(ember.strided, ember.layout) and repr(ember.strided) == "ember.strided"
    assert ember.zeros(2).layout == ember.strided
    with pytest.raises(TypeError, match="cannot create"):
        ember.layout("strided")
    import pickle

    assert pickle.loads(pickle.dumps(ember.strided)) is ember.strided
    assert ember.is_distributed(ember.zeros(1)) is False and ember.zeros(1).is_distributed() is False


# --- deprecated spellings ----------------------------------------------------------------------------------
@pytest.fixture
def restore_default_dtype():
    before = ember.get_default_dtype()
    yield
    ember.set_default_dtype(before)


@pytest.mark.parametrize("kind, want", [
    (lambda: ember.DoubleTensor, ember.float64), (lambda: "torch.DoubleTensor", ember.float64),
    (lambda: "ember.HalfTensor", ember.float16), (lambda: ember.BFloat16Tensor, ember.bfloat16),
    (lambda: "torch.FloatTensor", ember.float32),
])
def test_set_default_tensor_type(restore_default_dtype, kind, want):
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        ember.set_default_tensor_type(kind())
    assert ember.get_default_dtype() == want and ember.tensor([1.0]).dtype == want


@pytest.mark.parametrize("bad, error", [(lambda: ember.LongTensor, TypeError), ("torch.LongTensor", TypeError),
                                        (ember.float64, TypeError), (3, TypeError), ("torch.Foo", AttributeError)])
def test_set_default_tensor_type_rejects(restore_default_dtype, bad, error):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error):
            ember.set_default_tensor_type(bad() if callable(bad) else bad)
    assert ember.get_default_dtype() == ember.float32


@pytest.mark.parametrize("args, kwargs, want", [
    ((1, 4), {}, [1.0, 2.0, 3.0, 4.0]), ((0, 1, 0.25), {}, [0.0, 0.25, 0.5, 0.75, 1.0]),
    ((5, 1, -2), {}, [5.0, 3.0, 1.0]), ((0, 0), {}, [0.0]), ((0.5, 3), {}, [0.5, 1.5, 2.5]),
    ((0, 10, 3), {"dtype": ember.int32}, [0, 3, 6, 9]),
])
def test_range_is_inclusive(device, args, kwargs, want):
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        got = ember.range(*args, device=device, **kwargs)
    assert got.dtype == kwargs.get("dtype", ember.float32) and got.device.type == device
    np.testing.assert_allclose(_np(got), want)


def test_range_errors_and_grad():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args, match in [((1, 0), "inconsistent with step sign"), ((0, 1, 0), "step must be nonzero"),
                            ((0, math.inf), "unsupported range")]:
            with pytest.raises(RuntimeError, match=match):
                ember.range(*args)
        assert ember.range(0, 2, requires_grad=True).requires_grad
        assert ember.range(0, 1, 0.1).shape == (11,)
        out = ember.empty(2)
        assert ember.range(0, 3, out=out) is out and out.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_range_matches_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in [(1, 4), (0, 1, 0.1), (5, -1, -0.7), (-2.5, 2)]:
            np.testing.assert_allclose(_np(ember.range(*args)), torch.range(*args).numpy(), rtol=1e-6)


# --- gradient ----------------------------------------------------------------------------------------------
F2 = rng.standard_normal((5, 6))
COORDS = np.array([0.0, 0.5, 1.7, 2.0, 3.1])


def _stack(parts):
    return ember.stack(list(parts))


GRADIENT_CASES = [
    Case("gradient_default", lambda x: _stack(ember.gradient(x)), lambda x: np.stack(np.gradient(x)), (F2,)),
    Case("gradient_edge2", lambda x: _stack(ember.gradient(x, edge_order=2)),
         lambda x: np.stack(np.gradient(x, edge_order=2)), (F2,)),
    Case("gradient_spacings_dim", lambda x: _stack(ember.gradient(x, spacing=[0.5, 2.0], dim=(1, 0))),
         lambda x: np.stack([np.gradient(x, 0.5, axis=1), np.gradient(x, 2.0, axis=0)]), (F2,)),
    Case("gradient_scalar_negdim", lambda x: ember.gradient(x, spacing=3.0, dim=-1)[0],
         lambda x: np.gradient(x, 3.0, axis=-1), (F2,)),
    Case("gradient_coords", lambda x, c: ember.gradient(x, spacing=[c], dim=0)[0],
         lambda x, c: np.gradient(x, c, axis=0), (F2, COORDS), nondiff=(1,)),
    Case("gradient_coords_edge2", lambda x, c: ember.gradient(x, spacing=(c,), dim=0, edge_order=2)[0],
         lambda x, c: np.gradient(x, c, axis=0, edge_order=2), (F2, COORDS), nondiff=(1,)),
    Case("gradient_1d_edge2_short", lambda x: ember.gradient(x, edge_order=2)[0],
         lambda x: np.gradient(x, edge_order=2), (F2[0, :3],)),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=str)
def test_gradient(case, device):
    run(case, device)


def test_gradient_integer_input_and_errors():
    got = ember.gradient(ember.tensor([1, 4, 9, 16, 25]))
    assert got[0].dtype == ember.float32
    np.testing.assert_allclose(_np(got[0]), [3.0, 4.0, 6.0, 8.0, 9.0])
    np.testing.assert_allclose(_np(ember.gradient(ember.tensor([1.0, 2.0, 4.0]), spacing=[ember.tensor(2.0)])[0]),
                               [0.5, 0.75, 1.0])
    y = ember.ones(3, 4)
    with pytest.raises(RuntimeError, match="only supports edge_order=1 and edge_order=2"):
        ember.gradient(y, edge_order=3)
    with pytest.raises(RuntimeError, match="since dim argument was not given, but got a list of length 3"):
        ember.gradient(y, spacing=[1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="spacing argument of length 2 and a dim argument of length 1"):
        ember.gradient(y, spacing=[1.0, 2.0], dim=1)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        ember.gradient(y, dim=(0, 0))
    with pytest.raises(RuntimeError, match="at least edge_order\\+1"):
        ember.gradient(ember.ones(2, 3), edge_order=2)


def test_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5))
    c = np.array([0.0, 1.0, 3.0, 4.0])
    for kwargs in [{}, {"edge_order": 2}, {"spacing": 2.0, "dim": 1}]:
        for g, t in zip(ember.gradient(ember.tensor(x), **kwargs), torch.gradient(torch.tensor(x), **kwargs)):
            np.testing.assert_allclose(_np(g), t.numpy(), rtol=1e-10)
    for order in (1, 2):
        g = ember.gradient(ember.tensor(x), spacing=[ember.tensor(c)], dim=0, edge_order=order)[0]
        t = torch.gradient(torch.tensor(x), spacing=[torch.tensor(c)], dim=0, edge_order=order)[0]
        np.testing.assert_allclose(_np(g), t.numpy(), rtol=1e-10, atol=1e-12)


# --- creation ----------------------------------------------------------------------------------------------
def test_frombuffer_shares_memory():
    data = bytearray(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    t = ember.frombuffer(data, dtype=ember.int16, count=2, offset=2)
    assert t.tolist() == [1027, 1541] and t.dtype == ember.int16
    data[2] = 9
    assert t.tolist() == [1033, 1541]
    floats = array.array("d", [1.5, 2.5])
    assert ember.frombuffer(floats, dtype=ember.float64).tolist() == [1.5, 2.5]
    assert ember.frombuffer(floats, dtype=ember.float64, requires_grad=True).requires_grad
    with pytest.warns(UserWarning, match="not writable"):
        assert ember.frombuffer(b"\x00\x00\x80?", dtype=ember.float32).tolist() == [1.0]


@pytest.mark.parametrize("kwargs, match", [
    ({"dtype": ember.int32, "offset": 1}, r"buffer length \(7 bytes\) after offset \(1 bytes\) must be a multiple"),
    ({"dtype": ember.int32, "count": 5}, r"requested buffer length \(5 \* 4 bytes\)"),
    ({"dtype": ember.int32, "offset": 8}, r"offset \(8 bytes\) must be non-negative"),
    ({"dtype": ember.int32, "count": 0}, r"both buffer length \(8\) and count \(0\) must not be 0"),
])
def test_frombuffer_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ember.frombuffer(bytearray(8), **kwargs)


def test_empty_permuted(device):
    x = ember.empty_permuted((2, 3, 4), (0, 2, 1), dtype=ember.float64, device=device)
    assert x.shape == (2, 3, 4) and x.dtype == ember.float64 and x.device.type == device
    if device == "cpu":
        assert x.stride() == (12, 1, 3)
        assert ember.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride() == (60, 1, 15, 3)
    assert ember.empty_permuted((2, 3), (1, 0), requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Duplicate dim not allowed"):
        ember.empty_permuted((2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="len\\(size\\) = 2 is not equal to len\\(physical_layout\\) = 1"):
        ember.empty_permuted((2, 3), (0,))


# --- functional forms and aliases ---------------------------------------------------------------------------
def test_nonzero_static(device):
    x = ember.tensor([[0, 1], [2, 0]], device=device)
    assert ember.nonzero_static(x, size=4).tolist() == [[0, 1], [1, 0], [-1, -1], [-1, -1]]
    assert x.nonzero_static(size=1, fill_value=7).tolist() == [[0, 1]]
    assert ember.nonzero_static(ember.tensor([0, 3, 0, 5], device=device), size=3, fill_value=9).tolist() == [
        [1], [3], [9]]
    assert ember.nonzero_static(ember.tensor(5), size=2).shape == (2, 0)
    with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
        ember.nonzero_static(x, size=-1)
    with pytest.raises(TypeError, match="must be int, not float"):
        ember.nonzero_static(x, size=2.0)


def test_index_put_function(device):
    x = ember.zeros(3, device=device)
    out = ember.index_put_(x, (ember.tensor([0, 2, 0], device=device),), ember.tensor([1.0, 2.0, 3.0], device=device),
                           accumulate=True)
    assert out is x and x.tolist() == [4.0, 0.0, 2.0]


_REDUCERS = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def np_index_reduce(x, dim, index, src, reduce, include_self=True):
    out = np.moveaxis(x.copy(), dim, 0)
    src = np.moveaxis(src, dim, 0)
    for i in np.unique(index):
        parts = ([out[i]] if include_self else []) + [src[j] for j in np.flatnonzero(index == i)]
        out[i] = _REDUCERS[reduce](np.stack(parts), axis=0)
    return np.moveaxis(out, 0, dim)


X3 = rng.standard_normal((4, 3))
SRC = rng.standard_normal((5, 3))
IDX = np.array([0, 2, 0, 3, 2])
INDEX_REDUCE_CASES = [
    Case(f"index_reduce_{reduce}_{include_self}",
         lambda x, s, reduce=reduce, inc=include_self: ember.index_reduce(
             x, 0, ember.tensor(IDX, device=x.device), s, reduce, include_self=inc),
         lambda x, s, reduce=reduce, inc=include_self: np_index_reduce(x, 0, IDX, s, reduce, inc), (X3, SRC),
         gradgrad=reduce in ("mean",))
    for reduce in _REDUCERS for include_self in (True, False)
] + [
    Case("index_reduce_dim1", lambda x, s: x.index_reduce(1, ember.tensor([1, 1, 0], device=x.device), s, "mean"),
         lambda x, s: np_index_reduce(x, 1, np.array([1, 1, 0]), s, "mean"), (X3, X3 * 2)),
]


@pytest.mark.parametrize("case", INDEX_REDUCE_CASES, ids=str)
def test_index_reduce(case, device):
    run(case, device)


def test_index_reduce_inplace_and_errors():
    x = ember.full((3,), 2.0)
    assert x.index_reduce_(0, ember.tensor([0, 0]), ember.tensor([3.0, 4.0]), "prod") is x
    assert x.tolist() == [24.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin but got sum"):
        ember.index_reduce(x, 0, ember.tensor([0]), ember.ones(1), "sum")


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")  # torch's one-time notice
def test_index_reduce_matches_torch():
    torch = pytest.importorskip("torch")
    for reduce in _REDUCERS:
        for include_self in (True, False):
            want = torch.tensor(X3).index_reduce(0, torch.tensor(IDX), torch.tensor(SRC), reduce,
                                                 include_self=include_self)
            got = ember.tensor(X3).index_reduce(0, ember.tensor(IDX), ember.tensor(SRC), reduce,
                                                include_self=include_self)
            np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-12)


def test_unsafe_split_family(device):
    x = ember.arange(5, device=device)
    assert [t.tolist() for t in ember.unsafe_chunk(x, 2)] == [[0, 1, 2], [3, 4]]
    assert [t.tolist() for t in x.unsafe_split(2)] == [[0, 1], [2, 3], [4]]
    assert [t.tolist() for t in ember.unsafe_split_with_sizes(x, [1, 4])] == [[0], [1, 2, 3, 4]]
    with pytest.raises(TypeError, match="must be int, not list"):
        ember.unsafe_split(x, [2, 3])


# --- randomized low-rank SVD / PCA --------------------------------------------------------------------------
def _low_rank(m, n, k, batch=()):
    return rng.standard_normal(batch + (m, k)) @ rng.standard_normal(batch + (k, n))


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (2, 7, 6)])
def test_svd_lowrank_recovers_low_rank(device, shape):
    A = _low_rank(shape[-2], shape[-1], 3, shape[:-2])
    U, S, V = ember.svd_lowrank(ember.tensor(A, device=device), q=4)
    assert U.shape == shape[:-2] + (shape[-2], 4) and S.shape == shape[:-2] + (4,) and V.shape == shape[:-2] + (shape[-1], 4)
    approx = _np(U) @ (_np(S)[..., None] * np.swapaxes(_np(V), -1, -2))
    np.testing.assert_allclose(approx, A, atol=1e-8)
    np.testing.assert_allclose(_np(S)[..., :3], np.linalg.svd(A, compute_uv=False)[..., :3], rtol=1e-8)
    np.testing.assert_allclose(np.swapaxes(_np(U), -1, -2) @ _np(U), np.broadcast_to(np.eye(4), S.shape + (4,)),
                               atol=1e-10)


def test_svd_lowrank_with_mean_and_pca(device):
    A = _low_rank(9, 6, 2)
    M = rng.standard_normal((1, 6))
    U, S, V = ember.svd_lowrank(ember.tensor(A + M, device=device), q=3, M=ember.tensor(M, device=device))
    np.testing.assert_allclose(_np(U) @ np.diag(_np(S)) @ _np(V).T, A, atol=1e-8)
    data = A + 5.0
    U, S, V = ember.pca_lowrank(ember.tensor(data, device=device), q=2)
    centred = data - data.mean(axis=0)
    np.testing.assert_allclose(_np(S), np.linalg.svd(centred, compute_uv=False)[:2], rtol=1e-8)
    with pytest.raises(ValueError, match=r"q\(=7\) must be non-negative integer and not greater than min\(m, n\)=6"):
        ember.pca_lowrank(ember.tensor(data), q=7)
    with pytest.raises(ValueError, match=r"niter\(=-1\)"):
        ember.pca_lowrank(ember.tensor(data), niter=-1)


def test_svd_lowrank_gradient():
    A = ember.tensor(_low_rank(6, 4, 2), requires_grad=True)
    U, S, V = ember.svd_lowrank(A, q=2)
    S.sum().backward()
    assert A.grad is not None and A.grad.shape == (6, 4)


def test_lowrank_equals_torch_after_same_seed():
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((7, 5))
    for fn, kwargs in [("svd_lowrank", {"q": 3}), ("pca_lowrank", {"q": 3}), ("svd_lowrank", {"q": 2, "niter": 0})]:
        ember.manual_seed(5)
        torch.manual_seed(5)
        U, S, V = (_np(t) for t in getattr(ember, fn)(ember.tensor(A), **kwargs))
        tU, tS, tV = (t.numpy() for t in getattr(torch, fn)(torch.tensor(A), **kwargs))
        np.testing.assert_allclose(S, tS, rtol=1e-10)  # the same probe: the same singular values
        signs = np.sign(np.sum(U * tU, axis=0))  # singular vectors are defined up to a sign per pair
        np.testing.assert_allclose(U * signs, tU, atol=1e-10)
        np.testing.assert_allclose(V * signs, tV, atol=1e-10)


# --- signal.windows -----------------------------------------------------------------------------------------
W = ember.signal.windows
NUMPY_WINDOWS = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman, "bartlett": np.bartlett}


@pytest.mark.parametrize("name", sorted(NUMPY_WINDOWS))
@pytest.mark.parametrize("M", [0, 1, 2, 7, 8])
def test_windows_match_numpy(device, name, M):
    got = getattr(W, name)(M, dtype=ember.float64, device=device)
    assert got.device.type == device and got.dtype == ember.float64
    np.testing.assert_allclose(_np(got), NUMPY_WINDOWS[name](M), atol=1e-12)
    periodic = getattr(W, name)(M, sym=False, dtype=ember.float64)
    np.testing.assert_allclose(_np(periodic), NUMPY_WINDOWS[name](M + 1)[:M] if M > 1 else np.ones(M), atol=1e-12)


def test_windows_closed_forms():
    n = np.arange(7.0)
    np.testing.assert_allclose(_np(W.kaiser(7, beta=5.0, dtype=ember.float64)), np.kaiser(7, 5.0), rtol=1e-12)
    np.testing.assert_allclose(_np(W.cosine(7, dtype=ember.float64)), np.sin(np.pi * (n + 0.5) / 7), rtol=1e-12)
    np.testing.assert_allclose(_np(W.gaussian(7, std=2.0, dtype=ember.float64)), np.exp(-((n - 3) ** 2) / 8), rtol=1e-12)
    np.testing.assert_allclose(_np(W.exponential(7, tau=2.0, dtype=ember.float64)), np.exp(-np.abs(n - 3) / 2), rtol=1e-12)
    np.testing.assert_allclose(_np(W.exponential(7, center=1.0, sym=False, dtype=ember.float64)), np.exp(-np.abs(n - 1)),
                               rtol=1e-12)
    nuttall = [0.3635819, 0.4891775, 0.1365995, 0.0106411]
    phase = 2 * np.pi * n / 6
    want = sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(nuttall))
    np.testing.assert_allclose(_np(W.nuttall(7, dtype=ember.float64)), want, atol=1e-12)
    np.testing.assert_allclose(_np(W.general_hamming(7, alpha=0.6, dtype=ember.float64)), 0.6 - 0.4 * np.cos(phase),
                               atol=1e-12)
    assert W.hann(4).dtype == ember.float32 and W.hann(3, requires_grad=True).requires_grad


@pytest.mark.parametrize("call, error, match", [
    (lambda: W.hann(-1), ValueError, "requires non-negative window length, got M=-1"),
    (lambda: W.exponential(5, center=1.0), ValueError, "Center must be None for symmetric windows"),
    (lambda: W.exponential(5, tau=0), ValueError, "Tau must be positive, got: 0 instead."),
    (lambda: W.gaussian(5, std=0), ValueError, "Standard deviation must be positive, got: 0 instead."),
    (lambda: W.kaiser(5, beta=-1), ValueError, "beta must be non-negative, got: -1 instead."),
    (lambda: W.hann(5, dtype=ember.int64), ValueError, "expects float32 or float64 dtypes"),
    (lambda: W.general_cosine(5, a=None), TypeError, "Coefficients must be a list/tuple"),
    (lambda: W.general_cosine(5, a=[]), ValueError, "Coefficients cannot be empty"),
])
def test_window_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_windows_match_torch():
    torch = pytest.importorskip("torch")
    calls = [(name, {}) for name in ("bartlett", "blackman", "cosine", "exponential", "gaussian", "hamming", "hann",
                                     "kaiser", "nuttall")]
    calls += [("general_hamming", {"alpha": 0.6}), ("general_cosine", {"a": [0.4, 0.3, 0.3]}),
              ("kaiser", {"beta": 3.0}), ("gaussian", {"std": 2.5}), ("exponential", {"tau": 2.0})]
    for name, kwargs in calls:
        for M in (0, 1, 2, 6, 9):
            for sym in (True, False):
                got = getattr(W, name)(M, sym=sym, dtype=ember.float64, **kwargs)
                want = getattr(torch.signal.windows, name)(M, sym=sym, dtype=torch.float64, **kwargs)
                np.testing.assert_allclose(_np(got), want.numpy(), atol=1e-12, err_msg=f"{name} M={M} sym={sym}")


# --- multiprocessing ----------------------------------------------------------------------------------------
def _write_square(i, folder):
    x = ember.tensor([float(i)])
    with open(f"{folder}/{i}.txt", "w") as fh:
        fh.write(str((x * x).item()))


def _fail_on_one(i):
    if i == 1:
        raise ValueError("rank one failed")


def _exit_with_three(i):
    import sys

    sys.exit(3)


def _sleep(i):
    import time

    time.sleep(30)


def test_start_processes_runs_every_rank(tmp_path):
    mp = ember.multiprocessing
    assert mp.start_processes(_write_square, args=(str(tmp_path),), nprocs=3, start_method="fork") is None
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0.0", "1.0", "4.0"]


def test_spawn_real_processes(tmp_path):
    mp = ember.multiprocessing
    context = mp.spawn(_write_square, args=(str(tmp_path),), nprocs=2, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join():
        pass
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0.0", "1.0"]


def test_spawn_reports_the_child_traceback():
    mp = ember.multiprocessing
    with pytest.raises(mp.ProcessRaisedException, match="rank one failed") as info:
        mp.start_processes(_fail_on_one, nprocs=2, start_method="fork")
    assert info.value.error_index == 1 and "-- Process 1 terminated with the following error:" in str(info.value)
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        mp.start_processes(_exit_with_three, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3


def test_process_context_timeout_and_termination():
    mp = ember.multiprocessing
    context = mp.start_processes(_sleep, nprocs=1, join=False, start_method="fork")
    assert context.join(timeout=0.05) is False
    context.processes[0].terminate()
    with pytest.raises(mp.ProcessExitedException, match="terminated with signal SIGTERM") as info:
        context.join()
    assert info.value.signal_name == "SIGTERM"


def test_spawn_warns_for_other_start_methods():
    mp = ember.multiprocessing
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(_write_square, nprocs=0, start_method="fork")
    assert mp.cpu_count() >= 1 and mp.get_context("fork").get_start_method() == "fork"
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
