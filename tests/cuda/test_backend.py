"""The CUDA plugin: registration and errors everywhere; its numpy-checkable parts on a CuPy stand-in; real GPU runs."""

import re
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

import ember

ember_cuda = pytest.importorskip("ember_cuda", reason="ember-cuda is not installed")
GPU = ember.cuda.is_available()
needs_gpu = pytest.mark.skipif(not GPU, reason="no usable GPU (CuPy missing or no device)")
no_gpu = pytest.mark.skipif(GPU, reason="a GPU is usable here")


# --- registration and the errors without a GPU ------------------------------------------------
def test_registered_through_the_entry_point():
    host = ember.plugins.host()
    assert "cuda" in host.device_types()
    assert host.registry.provider("cuda") == "cuda"
    assert "cuda" not in host.failures


def test_import_ember_does_not_import_cupy():
    code = ("import sys, ember; ember.plugins.host().device_types(); ember.zeros(2) + 1; "
            "print('cupy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_device_strings_parse_without_a_gpu():
    d = ember.device("cuda:1")
    assert (d.type, d.index, str(d)) == ("cuda", 1, "cuda:1")
    assert ember.device("cuda", 0) == ember.device("cuda:0")


@no_gpu
def test_without_a_gpu_cuda_is_unavailable_and_tensors_fail_clearly():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    for spec in ("cuda", "cuda:1", ember.device("cuda", 0)):
        with pytest.raises(RuntimeError, match=r"'cuda' backend .* failed to load: RuntimeError: CuPy is"):
            ember.zeros(2, device=spec)
    with pytest.raises(RuntimeError, match="CuPy is"):
        ember.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CuPy is"):
        ember.ones(2).cuda()


def test_loader_names_missing_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    with pytest.raises(RuntimeError, match=re.escape(ember_cuda.NO_CUPY)):
        ember_cuda.load()


def _fake_cupy(count):
    def get_count():
        if isinstance(count, Exception):
            raise count
        return count

    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count)))


@pytest.mark.parametrize("count", [RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"), 0])
def test_loader_names_missing_gpu(monkeypatch, count):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count))
    with pytest.raises(RuntimeError, match=re.escape(ember_cuda.NO_GPU)):
        ember_cuda.load()


def test_plugin_registers_even_when_loading_would_fail(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    registry = ember.plugins.BackendRegistry()
    ember_cuda.ember_register_backends(registry=registry.view("cuda"))
    assert registry.device_types() == ["cuda"]
    with pytest.raises(RuntimeError, match="failed to load: RuntimeError: CuPy is not installed"):
        registry.get("cuda")


def test_every_array_function_core_uses_exists_in_cupy():
    cupy = pytest.importorskip("cupy")
    import pathlib

    core = pathlib.Path(ember.__file__).parent
    names = set()
    for path in core.rglob("*.py"):
        names.update(re.findall(r"\bxp\.([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)", path.read_text()))
    missing = []
    for name in sorted(names):
        obj = cupy
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append(name)
    assert not missing, f"core uses xp.<name> that CuPy lacks: {missing}"


# --- the backend's own algorithms, run on numpy in CuPy's place -------------------------------
class _NumpyAsCupy(types.ModuleType):
    """numpy under CuPy's names (asnumpy), enough for the backend's array code."""

    def __init__(self):
        super().__init__("cupy")
        self.asnumpy = np.asarray

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.fixture
def backend_on_numpy(monkeypatch):
    cupy = pytest.importorskip("cupy")
    del cupy
    from ember_cuda import _backend

    monkeypatch.setattr(_backend, "cupy", _NumpyAsCupy())
    return _backend.CUDABackend.__new__(_backend.CUDABackend)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("axis", [0, 1])
def test_running_extreme_matches_ufunc_accumulate(backend_on_numpy, largest, axis):
    x = np.random.default_rng(0).normal(size=(7, 5))
    x[3, 2] = np.nan
    got = backend_on_numpy.running_extreme(x, axis, largest)
    want = (np.maximum if largest else np.minimum).accumulate(x, axis=axis)
    np.testing.assert_array_equal(got, want)


def test_argsort_descending_and_ascending(backend_on_numpy):
    x = np.random.default_rng(1).permutation(12).reshape(3, 4).astype(np.float32)
    np.testing.assert_array_equal(backend_on_numpy.argsort(x, 1), np.argsort(x, 1))
    np.testing.assert_array_equal(backend_on_numpy.argsort(x, 1, descending=True), np.argsort(-x, 1))


def test_sliding_windows_match_numpy(backend_on_numpy):
    x = np.arange(2 * 7 * 6, dtype=np.float32).reshape(2, 7, 6)
    got = backend_on_numpy.sliding_windows(x, (3, 2), (2, 1), (1, 2))
    want = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, :, :, ::2]
    np.testing.assert_array_equal(got, want)


def test_engine_state_round_trips(monkeypatch):
    pytest.importorskip("cupy")
    from ember_cuda import _random

    class RandomState:  # numpy stand-in for cupy.random.RandomState
        def __init__(self, seed, method):
            self.rs = np.random.RandomState(seed % 2**32)

        def uniform(self, low, high, size, dtype):
            return self.rs.uniform(low, high, size).astype(dtype)

    class Device:
        def __init__(self, index):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    fake = types.SimpleNamespace(random=types.SimpleNamespace(RandomState=RandomState), where=np.where,
                                 cuda=types.SimpleNamespace(Device=Device, curand=types.SimpleNamespace(
                                     CURAND_RNG_PSEUDO_PHILOX4_32_10=161)))
    monkeypatch.setattr(_random, "cupy", fake)
    be = types.SimpleNamespace(native_dtype=lambda d: np.dtype(d.name))
    eng = _random.CuPyEngine(be, 7, 0)
    first = eng.uniform((3,), ember.float32)
    state = eng.get_state()
    a, b = eng.uniform((3,), ember.float32), eng.uniform((2,), ember.float16)
    assert b.dtype == np.float16 and not np.array_equal(first, a)
    eng.set_state(state)
    np.testing.assert_array_equal(eng.uniform((3,), ember.float32), a)
    eng.seed(7)
    np.testing.assert_array_equal(eng.uniform((3,), ember.float32), first)


# --- on a GPU ----------------------------------------------------------------------------------
@needs_gpu
def test_gpu_round_trip_and_ops():
    x = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    g = x.to("cuda")
    assert g.device == ember.device("cuda", 0) and g.is_cuda
    np.testing.assert_allclose((g @ g.T).cpu().numpy(), (x @ x.T).numpy(), rtol=1e-5)
    assert ember.cuda.memory_allocated() > 0
    assert ember.cuda.max_memory_allocated() >= ember.cuda.memory_allocated()
    ember.cuda.synchronize()


@needs_gpu
def test_gpu_random_is_seeded_and_restorable():
    ember.cuda.manual_seed(3)
    a = ember.rand(4, device="cuda")
    state = ember.cuda.get_rng_state()
    b = ember.rand(4, device="cuda")
    ember.cuda.set_rng_state(state)
    assert ember.equal(ember.rand(4, device="cuda"), b)
    ember.cuda.manual_seed(3)
    assert ember.equal(ember.rand(4, device="cuda"), a)


@needs_gpu
def test_gpu_events_time_work():
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    ember.ones(256, 256, device="cuda") @ ember.ones(256, 256, device="cuda")
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0.0


@needs_gpu
def test_gpu_tf32_flag_switches_and_restores():
    a = ember.rand(64, 64, device="cuda")
    exact = (a.double() @ a.double()).float()
    ember.backends.cuda.matmul.allow_tf32 = True
    try:
        fast = a @ a
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False
    ember.testing.assert_close(fast, exact, rtol=1e-2, atol=1e-2)
    ember.testing.assert_close(a @ a, exact, rtol=1e-4, atol=1e-4)


@needs_gpu
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64", "float16"])
@pytest.mark.parametrize("op", ["add", "maximum", "minimum", "multiply"])
def test_gpu_accumulate_at_is_exact_with_repeated_indices(op, dtype):
    rng = np.random.default_rng(0)
    host = (rng.normal(size=(5, 6)) * 3).astype(dtype)
    values = (rng.normal(size=(4, 6)) * 3).astype(dtype)
    if dtype.startswith("float"):
        host[1, 2], values[2, 3] = np.nan, np.nan
    index = (np.array([[0], [0], [3], [1]]), np.arange(6)[None, :])  # rows 0 and 0 repeat
    want = host.copy()
    getattr(np, op).at(want, index, values)
    be = ember.empty(0, device="cuda")._be
    got = be.from_host(host)
    be.accumulate_at(got, tuple(be.from_host(i) for i in index), be.from_host(values), op)
    if op in ("maximum", "minimum") or dtype.startswith("int"):  # order-free: exact, float64 bits too
        np.testing.assert_array_equal(be.to_host(got), want)  # (CuPy's maximum.at rounds float64 via float32)
    else:  # repeated indices are applied in any order on the GPU (as in torch): rounding may differ
        np.testing.assert_allclose(be.to_host(got), want, rtol={"float16": 2e-3, "float32": 1e-6}.get(dtype, 1e-13))


@needs_gpu
def test_gpu_frexp_and_nextafter_keep_subnormals():
    for dtype in ("float32", "float64", "float16"):
        x = np.array([0.0, -0.0, 1.0, -3.5, np.inf, -np.inf, np.nan, 1e-40, -1e-310, 6e-8], dtype=dtype)
        m, e = ember.frexp(ember.tensor(x, device="cuda"))
        want_m, want_e = np.frexp(x)
        np.testing.assert_array_equal(m.cpu().numpy(), want_m)
        np.testing.assert_array_equal(e.cpu().numpy(), want_e)
    for dtype in ("float32", "float64"):
        a = np.array([0.0, 0.0, -0.0, 1.0, 1.0, np.inf, 1e-45, -1e-45, np.nan, 2.0, 5e-324], dtype=dtype)
        b = np.array([1.0, -1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 1.0, np.nan, -1.0], dtype=dtype)
        got = ember.nextafter(ember.tensor(a, device="cuda"), ember.tensor(b, device="cuda")).cpu().numpy()
        np.testing.assert_array_equal(got, np.nextafter(a, b))


_SPIN = r"""
extern "C" __global__ void ember_spin(unsigned long long ns) {
    unsigned long long start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
        __nanosleep(1000);
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < ns);
}
"""


@needs_gpu
@pytest.mark.parametrize("workload", ["mlp", "lenet"])
def test_gpu_training_step_never_waits_for_the_gpu(workload):
    """A step queued behind a half-second kernel returns long before it: nothing in it waited for the GPU."""
    import cupy

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import workloads

    ember.set_default_device("cuda")
    try:
        step = getattr(workloads, workload)(ember)
        step()  # compiles and loads the kernels (loading a module waits for the GPU)
        step()  # the second step's own kernels (momentum buffers exist from here on)
        ember.cuda.synchronize()
        spin = cupy.RawKernel(_SPIN, "ember_spin")
        spin((1,), (1,), (np.uint64(500_000_000),))
        t0 = time.perf_counter()
        step()
        host = time.perf_counter() - t0
        busy = not cupy.cuda.get_current_stream().done
        ember.cuda.synchronize()
    finally:
        ember.set_default_device("cpu")
    assert busy and host < 0.25, f"the step took {host:.3f} s on the host: it waited for the GPU"


@needs_gpu
def test_gpu_fused_kernels_compile():
    from ember_cuda import _cross_entropy, _kernels, _rows

    for module, source, names in (("rows", _kernels.SOURCE, ("softmax_rows", "layer_norm_rows")),
                                  ("ce", _cross_entropy.SOURCE, ("ce_rows", "ce_total", "ce_grad"))):
        for name in names:
            for dtype in (np.float32, np.float64):
                assert _rows.compiled(module, source, name, np.dtype(dtype)) is not None, (module, name)


@needs_gpu
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_gpu_fused_cross_entropy_matches_the_cpu(reduction, dtype):
    import ember.nn.functional as F

    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=(37, 300)) * 4, dtype=dtype)
    x[3, :] = -float("inf")
    x[3, 5] = 0.0
    t = ember.tensor(rng.integers(0, 300, 37))
    t[3] = 5  # the one finite logit of row 3
    t[7] = -100  # ignored
    outs, grads = [], []
    for dev in ("cpu", "cuda"):
        xi = x.to(dev).detach().requires_grad_()
        loss = F.cross_entropy(xi, t.to(dev), reduction=reduction)
        (loss * ember.arange(1, loss.numel() + 1, device=dev, dtype=dtype).reshape(loss.shape)).sum().backward()
        outs.append(loss.detach().cpu().numpy())
        grads.append(xi.grad.cpu().numpy())
    tol = 1e-5 if dtype is ember.float32 else 1e-12
    np.testing.assert_allclose(outs[1], outs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(grads[1], grads[0], rtol=tol, atol=tol)
    assert loss.grad_fn is not None and loss.grad_fn.name() == "NllLossBackward0"


@needs_gpu
@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                                          ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                          ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
                                          ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.01, "amsgrad": True}),
                                          ("AdamW", {"lr": 0.01})])
def test_gpu_fused_optimizer_steps_match_the_cpu(name, kwargs):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(64, 33))
    finals = []
    for dev in ("cpu", "cuda"):
        p = ember.tensor(start, dtype=ember.float64, device=dev, requires_grad=True)
        opt = getattr(ember.optim, name)([p], **kwargs)
        for k in range(4):
            opt.zero_grad()
            ((p - k) ** 3).sum().backward()
            opt.step()
        finals.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(finals[1], finals[0], rtol=1e-12, atol=1e-12)


@needs_gpu
def test_gpu_conformance():
    from ember.testing import conformance

    report = conformance.run("cuda")
    assert not report.failures, report.table()


_EXACT_PROBE = r"""
extern "C" __global__ void probe(float* f, double* d, int* e, int* i, long long* l) {
    ember_frexp(f[0], f[1], e[0]);
    ember_frexp(d[0], d[1], e[1]);
    f[2] = ember_nextafter(f[0], f[1]);
    d[2] = ember_nextafter(d[0], d[1]);
    ember_update(f + 3, f[4], 0);
    ember_update(d + 3, d[4], 2);
    ember_update(i, i[1], 1);
    ember_update(l, l[1], 0);
}
"""


def _nvrtc():
    pytest.importorskip("cupy")
    try:
        from cupy_backends.cuda.libs import nvrtc

        nvrtc.getVersion()
    except Exception as exc:
        pytest.skip(f"NVRTC is not available here: {exc}")
    return nvrtc


@pytest.mark.parametrize("which", ["rows", "cross_entropy", "exact"])
def test_kernel_sources_compile_with_nvrtc(which):
    """The hand-written CUDA sources compile (NVRTC needs no GPU), and define the kernels the backend asks for."""
    nvrtc = _nvrtc()
    from ember_cuda import _cross_entropy, _exact, _kernels

    source, names = {
        "rows": (_kernels.SOURCE, [b"softmax_rows", b"layer_norm_rows"]),
        "cross_entropy": (_cross_entropy.SOURCE, [b"ce_rows", b"ce_total", b"ce_grad"]),
        "exact": (_exact._BITS + _exact._SCATTER + _EXACT_PROBE, [b"probe"]),
    }[which]
    prog = nvrtc.createProgram(source, f"{which}.cu", [], [])
    try:
        nvrtc.compileProgram(prog, ["-arch=compute_80", "-ftz=true"])
    except Exception:
        raise AssertionError(nvrtc.getProgramLog(prog)) from None
    ptx = nvrtc.getPTX(prog)
    for name in names:
        for suffix in ((b"_float", b"_double") if which != "exact" else (b"",)):
            assert name + suffix in ptx


@needs_gpu
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_gpu_fused_softmax_matches_the_cpu_on_special_rows(log, dtype):
    inf, nan = float("inf"), float("nan")
    rows = np.random.default_rng(0).normal(size=(6, 1000)) * 30
    rows[1, :] = -inf
    rows[2, 5] = nan
    rows[3, 7] = inf
    rows[4, :] = 1e4
    x = ember.tensor(rows, dtype=dtype)
    fn = ember.log_softmax if log else ember.softmax
    want = fn(x, -1).numpy()
    got = fn(x.cuda(), -1).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)
    xg = x.cuda().requires_grad_()
    (fn(xg, 1) * ember.arange(1000, device="cuda", dtype=dtype)).sum().backward()
    xc = x.clone().requires_grad_()
    (fn(xc, 1) * ember.arange(1000, dtype=dtype)).sum().backward()
    np.testing.assert_allclose(xg.grad.cpu().numpy(), xc.grad.numpy(), rtol=1e-4, atol=1e-5, equal_nan=True)


@needs_gpu
@pytest.mark.parametrize("shape, normalized", [((4, 7, 300), (300,)), ((2, 3, 5, 6), (5, 6)), ((3, 1), (1,))])
def test_gpu_fused_layer_norm_matches_the_cpu(shape, normalized):
    import ember.nn.functional as F

    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=shape) * 5 + 1e3, dtype=ember.float32)
    w = ember.tensor(rng.normal(size=normalized), dtype=ember.float32)
    b = ember.tensor(rng.normal(size=normalized), dtype=ember.float32)
    want = F.layer_norm(x, normalized, w, b)
    got = F.layer_norm(x.cuda(), normalized, w.cuda(), b.cuda())
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    xs = [x.clone().requires_grad_(), x.cuda().requires_grad_()]
    ps = [(w.clone().requires_grad_(), b.clone().requires_grad_()), (w.cuda().requires_grad_(), b.cuda().requires_grad_())]
    for xi, (wi, bi) in zip(xs, ps):
        (F.layer_norm(xi, normalized, wi, bi) ** 2).sum().backward()
    for cpu, gpu in zip((xs[0], *ps[0]), (xs[1], *ps[1])):
        np.testing.assert_allclose(gpu.grad.cpu().numpy(), cpu.grad.numpy(), rtol=1e-3, atol=1e-3)
