"""Fractional max pooling: region starts, values, flat indices, gradients, sampling and errors.

References are scalar numpy loops (region starts rounded step by step in the samples' dtype,
then a scan of each region in row-major order: the first maximum wins, NaN always wins);
torch, when importable, must agree exactly.
"""

import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.functional._fractional_pool import interval_starts
from harness import Case, run

rng = np.random.default_rng(0)
COLUMN = {2: (1, 0), 3: (0, 1, 2)}  # the sample that drives each spatial axis (torch: W first in 2-D)


def ref_starts(u, n_in, n_out, k):
    """Region starts for one scalar sample ``u`` (a numpy scalar: every step rounds in its dtype)."""
    dt = type(u)
    out = []
    if n_out > 1:
        alpha = dt(n_in - k) / dt(n_out - 1)
        out = [int(dt(dt(i) + u) * alpha) - int(dt(u * alpha)) for i in range(n_out - 1)]
    return out + [n_in - k] if n_out > 0 else []


def ref_pool(x, k, out, samples):
    """Values and flat indices of fractional max pooling of ``x`` ``(N, C, *sp)`` (direct loops)."""
    nd = len(k)
    sp = x.shape[2:]
    vals = np.zeros(x.shape[:2] + tuple(out), dtype=x.dtype)
    idx = np.zeros(vals.shape, dtype=np.int64)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        starts = [ref_starts(samples[n, c, COLUMN[nd][j]], sp[j], out[j], k[j]) for j in range(nd)]
        for o in itertools.product(*map(range, out)):
            first = tuple(starts[j][o[j]] for j in range(nd))
            best, where = -np.inf, first
            for t in itertools.product(*map(range, k)):
                p = tuple(f + tt for f, tt in zip(first, t, strict=True))
                v = x[(n, c) + p]
                if v > best or np.isnan(v):
                    best, where = v, p
            vals[(n, c) + o] = best
            idx[(n, c) + o] = np.ravel_multi_index(where, sp)
    return vals, idx


def pool_fn(nd):
    return F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d


# --- region starts -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_interval_starts_match_scalar_reference(dtype):
    u = rng.random(40).astype(dtype)
    for n_in, n_out, k in [(10, 4, 2), (50, 17, 3), (7, 1, 3), (200, 61, 3), (9, 8, 2)]:
        got = interval_starts(u, n_in, n_out, k)
        want = [ref_starts(v, n_in, n_out, k) for v in u]
        np.testing.assert_array_equal(got, np.asarray(want, dtype=np.int64).reshape(got.shape))


def test_interval_starts_closed_forms():
    # u = 0: floor(i * alpha); the last region always ends at the input's end
    got = interval_starts(np.zeros(1), 11, 5, 3)[0].tolist()
    assert got == [0, 2, 4, 6, 8]
    assert interval_starts(np.array([0.5]), 10, 1, 4)[0].tolist() == [6]
    assert interval_starts(np.array([0.9]), 5, 4, 2)[0].tolist() == [0, 1, 2, 3]  # alpha = 1: unit steps
    assert interval_starts(np.array([0.3]), 5, 0, 2).shape == (1, 0)


def test_interval_starts_round_in_half_precision():
    # float16 steps differ from float32 ones for long axes: torch rounds every step in the input dtype
    u = np.float16(0.3335)
    half = interval_starts(np.array([u]), 200, 61, 3)[0]
    single = interval_starts(np.array([u], dtype=np.float32), 200, 61, 3)[0]
    assert half.tolist() == ref_starts(u, 200, 61, 3)
    assert (half != single).any()


# --- values and indices ----------------------------------------------------------------------------
CONFIGS = [  # nd, input shape, kernel, output size
    (2, (2, 3, 9, 8), (2, 2), (4, 5)),
    (2, (1, 2, 7, 7), (3, 2), (5, 6)),
    (2, (2, 11, 6), (2, 3), (3, 4)),  # unbatched
    (3, (2, 2, 6, 7, 5), (2, 2, 2), (3, 4, 3)),
    (3, (3, 5, 6, 7), (1, 3, 2), (4, 3, 5)),  # unbatched
]


@pytest.mark.parametrize("nd,shape,k,out", CONFIGS)
def test_values_and_indices(device, nd, shape, k, out):
    x = rng.standard_normal(shape)
    x[..., 1, :2] = 0.5  # ties: the first maximum in scan order wins
    batched = x if len(shape) == nd + 2 else x[None]
    s = rng.random((batched.shape[0], batched.shape[1], nd))
    v, i = pool_fn(nd)(ember.tensor(x, device=device), k, output_size=out, return_indices=True,
                       _random_samples=ember.tensor(s, device=device))
    want_v, want_i = ref_pool(batched, k, out, s)
    want_v, want_i = want_v.reshape(v.shape), want_i.reshape(i.shape)
    assert v.device.type == i.device.type == device and i.dtype == ember.int64
    np.testing.assert_array_equal(v.cpu().numpy(), want_v)
    np.testing.assert_array_equal(i.cpu().numpy(), want_i)


def test_nan_and_inf_rules(device):
    x = np.full((1, 1, 6, 6), -np.inf)
    x[0, 0, 3, 3] = np.nan
    x[0, 0, 3, 4] = 5.0  # after the NaN in scan order: the NaN still wins
    s = np.full((1, 1, 2), 0.25)
    v, i = F.fractional_max_pool2d(ember.tensor(x, device=device), 2, output_size=3, return_indices=True,
                                   _random_samples=ember.tensor(s, device=device))
    want_v, want_i = ref_pool(x, (2, 2), (3, 3), s)
    np.testing.assert_array_equal(v.cpu().numpy(), want_v)
    np.testing.assert_array_equal(i.cpu().numpy(), want_i)
    assert np.isneginf(want_v[0, 0, 0, 0]) and want_i[0, 0, 0, 0] == 0  # all -inf: the region's first tap


def test_half_precision_matches_reference():
    x = rng.standard_normal((1, 2, 40, 30)).astype(np.float16)
    s = rng.random((1, 2, 2)).astype(np.float16)
    v, i = F.fractional_max_pool2d(ember.tensor(x), 3, output_size=(30, 20), return_indices=True,
                                   _random_samples=ember.tensor(s))
    want_v, want_i = ref_pool(x, (3, 3), (30, 20), s)
    assert v.dtype == ember.float16
    np.testing.assert_array_equal(v.numpy(), want_v)
    np.testing.assert_array_equal(i.numpy(), want_i)


def test_output_ratio_and_spellings(device):
    x = ember.tensor(rng.standard_normal((2, 3, 10, 9)), device=device)
    s = ember.tensor(rng.random((2, 3, 2)), device=device)
    v = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7), _random_samples=s)
    assert v.shape == (2, 3, 5, 6)  # int(10 * 0.5), int(9 * 0.7)
    v2, i2 = F.fractional_max_pool2d_with_indices(x, 2, output_size=(5, 6), _random_samples=s)
    v3, i3 = F.fractional_max_pool2d(x, 2, (5, 6), None, True, s)
    np.testing.assert_array_equal(v.cpu().numpy(), v2.cpu().numpy())
    np.testing.assert_array_equal(i2.cpu().numpy(), i3.cpu().numpy())
    y = ember.tensor(rng.standard_normal((1, 2, 6, 8, 9)), device=device)
    s3 = ember.tensor(rng.random((1, 2, 3)), device=device)
    v, i = F.fractional_max_pool3d_with_indices(y, (2, 3, 2), output_ratio=0.5, _random_samples=s3)
    assert v.shape == i.shape == (1, 2, 3, 4, 4)


def test_samples_beyond_the_batch_are_ignored(device):
    x = rng.standard_normal((2, 9, 9))  # unbatched: only the first row of samples is read
    s = rng.random((3, 2, 2))
    got = F.fractional_max_pool2d(ember.tensor(x, device=device), 2, output_size=4,
                                  _random_samples=ember.tensor(s, device=device))
    want, _ = ref_pool(x[None], (2, 2), (4, 4), s[:1])
    np.testing.assert_array_equal(got.cpu().numpy(), want[0])


def test_degenerate_sizes(device):
    x = ember.randn(0, 2, 5, 5, device=device, requires_grad=True)
    v, i = F.fractional_max_pool2d(x, 2, output_size=3, return_indices=True)
    assert v.shape == i.shape == (0, 2, 3, 3) and v.requires_grad
    x = ember.randn(1, 2, 5, 5, device=device, requires_grad=True)
    v = F.fractional_max_pool2d(x, 2, output_size=(0, 3))
    assert v.shape == (1, 2, 0, 3)
    v.sum().backward()
    assert x.grad.abs().sum().item() == 0
    # empty regions (kernel 0): -inf at each region's start, like torch
    v, i = F.fractional_max_pool2d(x.detach(), 0, output_size=3, return_indices=True,
                                   _random_samples=ember.full((1, 2, 2), 0.5, device=device))
    assert np.isneginf(v.cpu().numpy()).all()
    assert i[0, 0].cpu().numpy().tolist() == [[0, 2, 5], [10, 12, 15], [25, 27, 30]]


def test_default_samples_are_drawn_with_rand(device):
    x = ember.tensor(rng.standard_normal((2, 3, 9, 8)), dtype=ember.float32, device=device)
    ember.manual_seed(3)
    got = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), return_indices=True)
    ember.manual_seed(3)
    s = ember.rand(2, 3, 2, dtype=ember.float32, device=device)
    want = F.fractional_max_pool2d(x, 2, output_size=(4, 4), return_indices=True, _random_samples=s)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.cpu().numpy(), w.cpu().numpy())


# --- gradients -----------------------------------------------------------------------------------------
def _grad_case(name, nd, shape, k, out, **kw):
    batched = shape if len(shape) == nd + 2 else (1,) + shape
    s = rng.random((batched[0], batched[1], nd))
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1 + rng.random(shape) * 0.01  # distinct: no ties
    fn = pool_fn(nd)

    def ember_fn(a, samples):
        return fn(a, k, output_size=out, _random_samples=samples)

    def ref(a, samples):
        return ref_pool(a.reshape(batched), k, out, samples)[0].reshape(shape[:-nd] + out)

    return Case(name, ember_fn, ref, (x, s), nondiff=(1,), **kw)


GRAD_CASES = [
    _grad_case("2d_overlapping", 2, (1, 2, 7, 6), (3, 3), (4, 3)),
    _grad_case("2d_unbatched", 2, (2, 6, 5), (2, 2), (3, 3)),
    _grad_case("3d", 3, (1, 1, 5, 5, 6), (2, 2, 3), (3, 3, 3)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=str)
def test_gradcheck(case, device):
    run(case, device)


def test_gradient_goes_to_the_argmax(device):
    x = rng.standard_normal((2, 2, 8, 7))
    g = rng.standard_normal((2, 2, 5, 5))
    xt = ember.tensor(x, device=device, requires_grad=True)
    v, i = F.fractional_max_pool2d(xt, 3, output_size=5, return_indices=True)
    assert v.grad_fn.name() == "FractionalMaxPool2DBackward0" and not i.requires_grad
    v.backward(ember.tensor(g, device=device))
    want = np.zeros((4, 56))
    np.add.at(want, (np.arange(4)[:, None], i.cpu().numpy().reshape(4, -1)), g.reshape(4, -1))
    np.testing.assert_allclose(xt.grad.cpu().numpy(), want.reshape(x.shape), rtol=1e-12)
    y = ember.randn(1, 1, 5, 5, 5, device=device, requires_grad=True)
    assert F.fractional_max_pool3d(y, 2, output_size=3).grad_fn.name() == "FractionalMaxPool3DBackward0"


# --- errors ----------------------------------------------------------------------------------------------
X2, X3 = (2, 3, 7, 6), (2, 3, 7, 6, 5)
ERRORS = [  # (dims, input shape, dtype, args, kwargs, samples shape (None: drawn), error, message)
    (2, X2, "float32", (2,), {}, None, ValueError,
     "fractional_max_pool2d requires specifying either an output_size or an output_ratio"),
    (2, X2, "float32", (2,), {"output_ratio": 0.5}, None, TypeError, "object of type 'float' has no len()"),
    (2, X2, "float32", (2,), {"output_ratio": (0.5, 0.5, 0.5)}, None, ValueError,
     "fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints."),
    (2, X2, "float32", (2,), {"output_ratio": (0.5,)}, None, IndexError, "tuple index out of range"),
    (3, X3, "float32", (2,), {"output_ratio": (0.5, 0.4)}, None, IndexError, "tuple index out of range"),
    (2, X2, "float32", (2,), {"output_size": (7, 3)}, None, RuntimeError,
     "fractional_max_pool2d(): pool height 2 too large relative to input height 7"),
    (2, X2, "float32", (2,), {"output_size": (6, 6)}, None, RuntimeError,
     "fractional_max_pool2d(): pool width 2 too large relative to input width 6"),
    (3, (1, 1, 4, 4, 4), "float32", (3,), {"output_size": (2, 2, 2)}, None, RuntimeError,
     "fractional_max_pool3d_out(): pool time 3 too large relative to input time 4"),
    (3, (1, 1, 4, 4, 4), "float32", (3,), {"output_size": (1, 2, 2)}, None, RuntimeError,
     "fractional_max_pool3d_out(): pool width 3 too large relative to input width 4"),
    (3, (1, 1, 4, 4, 4), "float32", (3,), {"output_size": (1, 2, 1)}, None, RuntimeError,
     "fractional_max_pool3d_out(): pool height 3 too large relative to input height 4"),
    (2, X2, "float32", ((2, 2, 2),), {"output_size": 3}, (2, 3, 2), RuntimeError,
     "fractional_max_pool2d: kernel_size must either be a single Int or tuple of Ints"),
    (2, X2, "float32", ([2],), {"output_size": 3}, None, RuntimeError,
     "fractional_max_pool2d: kernel_size must either be a single Int or tuple of Ints"),
    (3, X3, "float32", (2,), {"output_size": (3, 3)}, None, RuntimeError,
     "fractional_max_pool3d: output_size must either be a single Int or tuple of three Ints"),
    (2, X2, "float32", (2.0,), {"output_size": 3}, None, TypeError,
     "fractional_max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (2, X2, "float32", ((2.0, 2),), {"output_size": 3}, None, TypeError,
     "fractional_max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, but found element of "
     "type float at pos 0"),
    (2, X2, "float32", ((2, 2.5),), {"output_size": 3}, None, TypeError,
     "fractional_max_pool2d(): argument 'kernel_size' failed to unpack the object at pos 2 with error \"type must "
     "be tuple of ints,but got float\""),
    (3, X3, "float32", (2,), {"output_size": 3.0}, None, TypeError,
     "fractional_max_pool3d(): argument 'output_size' (position 3) must be tuple of ints, not float"),
    (2, (1, 2, 3, 7, 6), "float32", (2,), {"output_size": 3}, (2, 3, 2), RuntimeError,
     "fractional_max_pool2d(): Expected 3D or 4D tensor, but got: [1, 2, 3, 7, 6]"),
    (3, (3, 7, 6), "float32", (2,), {"output_size": 3}, (1, 3, 3), RuntimeError,
     "fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: [3, 7, 6]"),
    (2, (7, 6), "float32", (2,), {"output_size": 3}, None, IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (2, (2, 0, 5, 5), "float32", (2,), {"output_size": 3}, None, RuntimeError,
     "fractional_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but got[2, 0, 5, 5] "
     "with dimension 1 being empty."),
    (3, (3, 0, 5, 5), "float32", (2,), {"output_size": 3}, None, RuntimeError,
     "fractional_max_pool3d_out(): Expected input to have non-zero size for non-batch dimensions, but got"
     "[3, 0, 5, 5] with dimension 1 being empty."),
    (2, X2, "float32", (2,), {"output_size": (-3, 2)}, (2, 4, 3), RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, 3, -3, 2]"),
    (2, X2, "float32", (2,), {"output_size": 3}, "float64", RuntimeError,
     "Expect _random_samples to have the same dtype as input"),
    (2, X2, "float32", (2,), {"output_size": 3}, (6, 2), RuntimeError,
     "Expect _random_samples to have 3 dimensions, got 2"),
    (2, X2, "float32", (2,), {"output_size": 3}, (1, 4, 3), RuntimeError,
     "Expect _random_samples.size(0) no less then input batch size."),
    (2, X2, "float32", (2,), {"output_size": 3}, (2, 4, 3), RuntimeError,
     "Expect _random_samples.size(1) equals to input channel size."),
    (3, X3, "float32", (2,), {"output_size": 3}, (2, 3, 2), RuntimeError,
     "Expect _random_samples.size(2) equals to 3; got 2."),
    (2, X2, "int64", (2,), {"output_size": 3}, None, NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (3, X3, "int64", (2,), {"output_size": 3}, (2, 3, 3), NotImplementedError,
     "\"fractional_max_pool3d_out_frame\" not implemented for 'Long'"),
]


def _error_call(lib, nd, shape, dtype, args, kwargs, samples):
    mod = lib.nn.functional
    x = lib.zeros(shape, dtype=getattr(lib, dtype))
    if samples is not None:
        if isinstance(samples, str):
            samples = lib.rand(shape[0], shape[1], nd, dtype=getattr(lib, samples))
        else:
            samples = lib.rand(samples, dtype=getattr(lib, dtype) if dtype != "int64" else lib.float32)
            samples = samples.to(getattr(lib, dtype)) if dtype == "int64" else samples
        kwargs = dict(kwargs, _random_samples=samples)
    return lambda: getattr(mod, f"fractional_max_pool{nd}d")(x, *args, **kwargs)


@pytest.mark.parametrize("nd,shape,dtype,args,kwargs,samples,exc,msg", ERRORS)
def test_errors(nd, shape, dtype, args, kwargs, samples, exc, msg):
    with pytest.raises(exc) as info:
        _error_call(ember, nd, shape, dtype, args, kwargs, samples)()
    assert str(info.value).removeprefix("size: ") == msg  # ember's size() names itself


def test_samples_must_not_require_grad():
    s = ember.rand(2, 3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'random_samples'"):
        F.fractional_max_pool2d(ember.zeros(2, 3, 7, 6), 2, output_size=3, _random_samples=s)
    with ember.no_grad():
        assert F.fractional_max_pool2d(ember.zeros(2, 3, 7, 6), 2, output_size=3, _random_samples=s).shape == (2, 3, 3, 3)
    with pytest.raises(TypeError, match=r"argument 'random_samples' \(position 4\) must be Tensor, not numpy.ndarray"):
        F.fractional_max_pool2d(ember.zeros(2, 3, 7, 6), 2, output_size=3, _random_samples=np.zeros((2, 3, 2)))


def test_regions_past_the_input_are_refused():
    # bfloat16 steps overshoot on long axes (torch fails an internal assert there)
    x = ember.zeros(1, 1, 1, 2000, dtype=ember.bfloat16)
    with pytest.raises(RuntimeError, match="pooling regions outside the input width 2000"):
        F.fractional_max_pool2d(x, (1, 3), output_size=(1, 613), _random_samples=ember.zeros(1, 1, 2, dtype=ember.bfloat16))


# --- modules ---------------------------------------------------------------------------------------------
def test_modules(device):
    m = nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True)
    assert repr(m) == "FractionalMaxPool2d()" and m.kernel_size == (3, 3) and m.output_ratio == (0.5, 0.5)
    assert m.output_size is None and dict(m.named_buffers()) == {} and "_random_samples" in m._buffers
    x = ember.tensor(rng.standard_normal((2, 3, 10, 12)), device=device)
    v, i = m(x)
    assert v.shape == i.shape == (2, 3, 5, 6)
    s = ember.tensor(rng.random((2, 3, 3)), device=device)
    m3 = nn.FractionalMaxPool3d((1, 2, 2), output_size=(3, 4, 4), _random_samples=s)
    assert repr(m3) == "FractionalMaxPool3d()" and list(m3.state_dict()) == ["_random_samples"]
    y = ember.tensor(rng.standard_normal((2, 3, 5, 7, 6)), device=device)
    want = F.fractional_max_pool3d(y, (1, 2, 2), output_size=(3, 4, 4), _random_samples=s)
    np.testing.assert_array_equal(m3(y).cpu().numpy(), want.cpu().numpy())


MODULE_ERRORS = [
    ("FractionalMaxPool2d", (2,), {}, "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio"),
    ("FractionalMaxPool3d", (2,), {}, "FractionalMaxPool3d requires specifying either an output size, or a pooling ratio"),
    ("FractionalMaxPool2d", (2, 3, 0.5), {}, "only one of output_size and output_ratio may be specified"),
    ("FractionalMaxPool2d", (2,), {"output_ratio": 1.0}, "output_ratio must be between 0 and 1 (got 1.0)"),
    ("FractionalMaxPool2d", (2,), {"output_ratio": [0.5, 0]}, "output_ratio must be between 0 and 1 (got [0.5, 0])"),
    ("FractionalMaxPool3d", (2,), {"output_ratio": (0.5, 0.5, 1)},
     "output_ratio must be between 0 and 1 (got (0.5, 0.5, 1))"),
    ("FractionalMaxPool3d", (0,), {"output_ratio": 0.5}, "kernel_size must be greater than 0, but got 0"),
    ("FractionalMaxPool3d", ((2, 0, 1),), {"output_ratio": 0.5}, "kernel_size must be greater than 0, but got (2, 0, 1)"),
]


@pytest.mark.parametrize("name,args,kwargs,msg", MODULE_ERRORS)
def test_module_errors(name, args, kwargs, msg):
    with pytest.raises(ValueError) as info:
        getattr(nn, name)(*args, **kwargs)
    assert str(info.value) == msg


# --- against torch -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("nd", [2, 3])
def test_matches_torch_with_given_samples(torch, nd, dtype):
    local = np.random.default_rng(nd)
    for trial in range(12):
        batch, planes = int(local.integers(1, 3)), int(local.integers(1, 4))
        sp = tuple(int(v) for v in local.integers(4, 13, nd))
        k = tuple(int(local.integers(1, min(4, n - 1) + 1)) for n in sp)
        out = tuple(int(local.integers(1, n - kk + 4 - nd)) for n, kk in zip(sp, k, strict=True))
        x = local.standard_normal((batch, planes) + sp)
        x = np.round(x) if trial % 3 == 0 else x  # ties
        x.flat[local.integers(0, x.size, 2 if trial % 4 == 0 else 0)] = np.nan
        s = local.random((batch, planes, nd))
        tx, ts = (torch.from_numpy(a).to(getattr(torch, dtype)) for a in (x, s))
        want = getattr(torch.nn.functional, f"fractional_max_pool{nd}d")(tx, k, output_size=out, return_indices=True,
                                                                          _random_samples=ts)
        ex, es = (ember.tensor(a.float().numpy()).to(getattr(ember, dtype)) for a in (tx, ts))
        got = pool_fn(nd)(ex, k, output_size=out, return_indices=True, _random_samples=es)
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        np.testing.assert_array_equal(got[0].float().numpy(), want[0].float().numpy())


@pytest.mark.parametrize("nd,shape", [(2, (2, 3, 9, 8)), (2, (3, 9, 8)), (3, (2, 2, 6, 7, 5)), (3, (2, 6, 7, 5))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_default_sampling_matches_torch(torch, nd, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    results = []
    for lib in (torch, ember):
        lib.manual_seed(7)
        module = getattr(lib.nn, f"FractionalMaxPool{nd}d")(2, output_ratio=0.5, return_indices=True)
        first = module(lib.tensor(x))
        second = getattr(lib.nn.functional, f"fractional_max_pool{nd}d")(lib.tensor(x), (2,) * nd, output_size=(2,) * nd)
        results.append([first[0].numpy(), first[1].numpy(), second.numpy()])
    for want, got in zip(*results, strict=True):
        np.testing.assert_array_equal(got, want)


def test_gradients_match_torch(torch):
    x = rng.standard_normal((2, 3, 9, 8))
    x[0, 0, :3, :3] = 1.0  # ties
    g = rng.standard_normal((2, 3, 6, 5))
    s = rng.random((2, 3, 2))
    grads = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.fractional_max_pool2d(xt, 3, output_size=(6, 5), _random_samples=lib.tensor(s))
        y.backward(lib.tensor(g))
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("nd,shape,dtype,args,kwargs,samples,exc,msg", ERRORS)
def test_error_table_matches_torch(torch, nd, shape, dtype, args, kwargs, samples, exc, msg):
    with pytest.raises(exc) as info:
        _error_call(torch, nd, shape, dtype, args, kwargs, samples)()
    assert str(info.value) == msg


@pytest.mark.parametrize("name,args,kwargs,msg", MODULE_ERRORS)
def test_module_error_table_matches_torch(torch, name, args, kwargs, msg):
    with pytest.raises(ValueError) as info:
        getattr(torch.nn, name)(*args, **kwargs)
    assert str(info.value) == msg
