"""The host generator's remaining torch streams: reduced types, strided fills, libm math, wide integers.

Without torch the draws are checked against references written here over numpy's MT19937 words
(the stream torch seeds) and the C library's math (Python's ``math``); with torch installed a
table of calls is compared with torch value for value, and the generator's position after each.
"""

import math

import numpy as np
import pytest

import ember
from ember.backends import _host_random
from ember.backends._box_muller import box_muller16_float

SEED = 123


def words(n, skip=0):
    """torch's ``random()`` outputs after ``manual_seed(SEED)``."""
    return np.random.RandomState(SEED).randint(0, 2 ** 32, size=skip + n, dtype=np.uint64)[skip:]


def floats(n, skip=0):
    return ((words(n, skip) & 0xFFFFFF) * 2.0 ** -24).astype(np.float32)


def doubles(n, skip=0):
    w = words(2 * n, 2 * skip)
    return (((w[0::2] << np.uint64(32)) | w[1::2]) & np.uint64(2 ** 53 - 1)).astype(np.float64) * 2.0 ** -53


def scalar_normals(n):
    """torch's per-element normals: a pair of double uniforms makes ``cos`` then ``sin``."""
    u = doubles(2 * ((n + 1) // 2))
    out = []
    for u1, u2 in zip(u[0::2], u[1::2]):
        r, theta = math.sqrt(-2.0 * math.log1p(-u2)), 2.0 * math.pi * u1
        out += [r * math.cos(theta), r * math.sin(theta)]
    return np.array(out[:n])


def bfloat16_values(x):
    """float32 values rounded to bfloat16 (ties to even), by plain arithmetic on the exponent."""
    x = np.asarray(x, dtype=np.float64)
    ulp = 2.0 ** (np.floor(np.log2(np.abs(x))) - 7)
    return np.round(x / ulp) * ulp  # numpy rounds halves to even


def host(t):
    return np.asarray(t.float()._host() if t.dtype in (ember.bfloat16, ember.float16) else t._host(), dtype=np.float64)


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(SEED)


# --- without torch: the algorithm ----------------------------------------------------------------
def test_libm_is_the_c_library():
    x = np.concatenate([np.linspace(-0.999, 30, 20001), [0.0, 1e-300, 5e-324]])
    for name, fn in (("log1p", math.log1p), ("exp", math.exp), ("sin", math.sin), ("cos", math.cos), ("tan", math.tan)):
        np.testing.assert_array_equal(_host_random._libm(name, x), [fn(v) for v in x.tolist()])
    positive = np.abs(x[x != 0])
    np.testing.assert_array_equal(_host_random._libm("log", positive), [math.log(v) for v in positive.tolist()])


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_reduced_uniforms_round_the_float_draws(dtype):
    got = host(ember.rand(3000, dtype=dtype))
    want = floats(3000).astype(np.float16) if dtype is ember.float16 else bfloat16_values(floats(3000))
    want = np.where(want == 1.0, 0.0, want)  # a draw that rounds up to `to` becomes `from`
    np.testing.assert_array_equal(got, want)


def test_bfloat16_samples_are_stored_as_bfloat16():
    x = ember.randn(20, dtype=ember.bfloat16)
    assert x.dtype is ember.bfloat16 and x._data.dtype == x._be.native_dtype(ember.bfloat16)
    np.testing.assert_array_equal(host(x), bfloat16_values(host(x)))


@pytest.mark.parametrize("dtype, top", [(ember.float32, 1 + 2.0 ** -10), (ember.float64, 1 + 2.0 ** -40)])
def test_a_uniform_that_rounds_to_the_upper_bound_becomes_the_lower(dtype, top):
    got = host(ember.empty(100000, dtype=dtype).uniform_(1, top))
    if dtype is ember.float32:
        raw = (floats(100000).astype(np.float64) * float(np.float32(top) - 1) + 1).astype(np.float32)
    else:
        raw = _host_random.fma64(doubles(100000), top - 1, 1.0)
    assert (raw == top).sum() > 0 and not (got == top).any()
    np.testing.assert_array_equal(got, np.where(raw == top, 1.0, raw))


@pytest.mark.parametrize("n", [16, 37, 1000])
@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_reduced_normals_round_float_blocks_drawn_block_by_block(n, dtype):
    """Only the whole blocks' uniforms are drawn before the last 16 (float32 draws all n first)."""
    got = host(ember.empty(n, dtype=dtype).normal_(0.5, 2.0))
    full = n - n % 16
    z = box_muller16_float(floats(full).reshape(-1, 16), 0.5, 2.0).reshape(-1)
    if n % 16:
        z = np.concatenate([z[:n - 16], box_muller16_float(floats(16, full).reshape(1, 16), 0.5, 2.0).reshape(-1)])
    want = z.astype(np.float16) if dtype is ember.float16 else bfloat16_values(z)
    np.testing.assert_array_equal(got, want)
    ember.manual_seed(SEED)
    ember.empty(n, dtype=dtype).normal_()
    assert ember.randint(0, 2 ** 20, (1,)).item() == int(words(1, full + 16 * bool(n % 16))[0]) % 2 ** 20


def test_small_and_strided_normals_take_the_per_element_path():
    a = host(ember.empty(9, dtype=ember.float64).normal_(1.0, 3.0))
    b = ember.empty(8, 6, dtype=ember.float64)
    b[:, ::2].normal_()  # 24 values, not contiguous: per element, the cache carries over from a's odd count
    want = scalar_normals(34)
    np.testing.assert_array_equal(a, _host_random.fma64(want[:9], 3.0, 1.0))
    np.testing.assert_array_equal(host(b[:, ::2]).reshape(-1), want[9:33])
    assert float(ember.randn(1, dtype=ember.float64)) == want[33]  # the cached sine


def test_log_normal_is_exp_of_per_element_normals():
    got = host(ember.empty(40, dtype=ember.float64).log_normal_(0.5, 0.7))
    want = [math.exp(v) for v in _host_random.fma64(scalar_normals(40), 0.7, 0.5).tolist()]
    np.testing.assert_array_equal(got, want)


def test_exponential_cauchy_geometric_use_libm_on_double_uniforms():
    u = doubles(3000)
    got = [host(ember.empty(1000, dtype=ember.float64).exponential_(2.0)),
           host(ember.empty(1000, dtype=ember.float64).cauchy_(1.0, 2.0)),
           host(ember.empty(1000, dtype=ember.float64).geometric_(0.3))]
    np.testing.assert_array_equal(got[0], [-1.0 / 2.0 * math.log1p(-v) for v in u[:1000]])
    np.testing.assert_array_equal(got[1], [1.0 + 2.0 * math.tan(math.pi * (v - 0.5)) for v in u[1000:2000]])
    np.testing.assert_array_equal(got[2], [math.ceil(math.log(v) / math.log1p(-0.3)) for v in u[2000:]])


@pytest.mark.parametrize("fill", ["uniform_()", "exponential_()", "random_(0, 1000)", "bernoulli_(0.5)", "cauchy_()",
                                  "geometric_(0.4)", "log_normal_()"])
def test_a_strided_tensor_is_filled_in_memory_order(fill):
    base = ember.zeros(4, 5, 6, dtype=ember.float64)
    eval(f"base.permute(2, 0, 1)[:, 1:, ::2].{fill}")  # the elements base[1:, ::2, :], walked in memory order
    ember.manual_seed(SEED)
    want = ember.zeros(3, 3, 6, dtype=ember.float64)
    eval(f"want.{fill}")
    np.testing.assert_array_equal(base[1:, ::2, :]._host(), want._host())


def test_like_samplers_keep_the_input_layout():
    x = ember.zeros(5, 7).t()
    a = ember.rand_like(x, requires_grad=True)
    ember.manual_seed(SEED)
    assert a.stride() == x.stride() and a.requires_grad and a.is_leaf
    np.testing.assert_array_equal(a.detach()._host(), ember.rand(5, 7).t()._host())
    ember.manual_seed(SEED)
    b = ember.randn_like(x.double())  # a transposed tensor takes the per-element normals
    np.testing.assert_array_equal(b._host().T.reshape(-1), scalar_normals(35))
    with pytest.raises(RuntimeError, match="less than"):
        ember.randint_like(x, 3, 3)


def test_bernoulli_probabilities_follow_a_transposed_target():
    p = ember.linspace(0, 1, 30, dtype=ember.float64).reshape(6, 5)
    x = ember.zeros(5, 6, dtype=ember.float64)
    x.t().bernoulli_(p)
    np.testing.assert_array_equal(x._host(), (doubles(30).reshape(5, 6) < p._host().T).astype(np.float64))


def test_integers_take_two_words_from_a_range_of_two_to_the_28():
    small = ember.randint(0, 2 ** 28 - 1, (4,)).tolist()
    wide = ember.randint(0, 2 ** 28, (4,)).tolist()
    w = words(12)
    assert small == [int(v) % (2 ** 28 - 1) for v in w[:4]]
    assert wide == [((int(w[4 + 2 * i]) << 32) | int(w[5 + 2 * i])) % 2 ** 28 for i in range(4)]


def test_random_without_bounds_takes_two_words_only_for_64_bit_types():
    a = ember.empty(3, dtype=ember.int32).random_().tolist()
    b = ember.empty(2, dtype=ember.float64).random_().tolist()
    w = [int(v) for v in words(7)]
    assert a == [v % 2 ** 31 for v in w[:3]]
    assert b == [((w[3 + 2 * i] << 32) | w[4 + 2 * i]) % (2 ** 53 + 1) for i in range(2)]


def test_random_from_without_to_runs_to_the_maximum():
    x = ember.empty(50, dtype=ember.int8).random_(-5, None)
    assert x.tolist() == [int(v) % 133 - 5 for v in words(50)]
    ember.manual_seed(SEED)
    full = ember.empty(3, dtype=ember.int64).random_(-2 ** 63, None).tolist()
    w = words(6)
    assert full == [int(np.array([(int(w[2 * i]) << 32) | int(w[2 * i + 1])], dtype=np.uint64).view(np.int64)[0])
                    for i in range(3)]
    assert ember.empty(4, dtype=ember.int64).random_(7).max() < 7  # one argument is still `to`


def test_long_dirichlet_rows_are_normalised_by_a_cascaded_sum():
    from ember.distributions.dirichlet import _torch_row_sum

    g = np.random.default_rng(0).gamma(0.7, size=(3, 5003))
    total = _torch_row_sum(np, g)[:, 0]
    exact = np.array([math.fsum(row) for row in g])
    assert (np.abs(total - exact) <= 2 * np.spacing(exact)).all()
    short = g[:, :7]  # under one vector group: the scalars first, then the four lanes
    assert _torch_row_sum(np, short)[:, 0].tolist() == (((short[:, 4] + short[:, 5]) + short[:, 6]) + short[:, 0]
                                                        + short[:, 1] + short[:, 2] + short[:, 3]).tolist()


# --- every device: reproducible, sound statistics ------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_reduced_and_strided_draws_are_reproducible_and_sound(device, dtype):
    d = getattr(ember, dtype)
    try:
        ember.empty(1, dtype=d, device=device)
    except TypeError:
        pytest.skip(f"{device} has no {dtype}")

    def draw():
        ember.manual_seed(7)
        z = ember.empty(200, 100, dtype=d, device=device).t().normal_(1.0, 2.0)
        ln = ember.empty(20000, dtype=d, device=device).log_normal_(0.0, 0.25)
        u = ember.empty(50, 40, dtype=d, device=device)[:, ::2].uniform_(-1, 3)
        return [host(t) for t in (z, ln, u)]

    first, second = draw(), draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    z, ln, u = first
    assert abs(z.mean() - 1.0) < 0.05 and abs(z.std() - 2.0) < 0.05
    assert abs(ln.mean() - math.exp(0.25 ** 2 / 2)) < 0.01
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1.0) < 0.1


# --- with torch: value for value -----------------------------------------------------------------
def _linspace(m, n, dtype):
    return m.linspace(0, 1, n).to(getattr(m, dtype))


TORCH_CASES = {}
for _dt in ("float16", "bfloat16", "float32", "float64"):
    TORCH_CASES.update({
        f"rand {_dt}": lambda m, d=_dt: m.rand(1000, dtype=getattr(m, d)),
        f"randn 37 {_dt}": lambda m, d=_dt: m.randn(37, dtype=getattr(m, d)),
        f"randn 1000 {_dt}": lambda m, d=_dt: m.randn(1000, dtype=getattr(m, d)),
        f"normal_ 5 {_dt}": lambda m, d=_dt: m.empty(5, dtype=getattr(m, d)).normal_(0.5, 2.0),
        f"uniform_ edges {_dt}": lambda m, d=_dt: m.empty(20000, dtype=getattr(m, d)).uniform_(0.1, 0.7),
        f"uniform_ upper bound {_dt}": lambda m, d=_dt: m.empty(20000, dtype=getattr(m, d)).uniform_(1, 1 + 2 ** -10),
        f"log_normal_ {_dt}": lambda m, d=_dt: m.empty(100, dtype=getattr(m, d)).log_normal_(0.5, 0.7),
        f"exponential_ {_dt}": lambda m, d=_dt: m.empty(1000, dtype=getattr(m, d)).exponential_(2.0),
        f"cauchy_ {_dt}": lambda m, d=_dt: m.empty(1000, dtype=getattr(m, d)).cauchy_(1.0, 2.0),
        f"geometric_ {_dt}": lambda m, d=_dt: m.empty(100, dtype=getattr(m, d)).geometric_(0.3),
        f"bernoulli tensor p {_dt}": lambda m, d=_dt: m.bernoulli(_linspace(m, 100, d)),
        f"normal tensor mean {_dt}": lambda m, d=_dt: m.normal(_linspace(m, 37, d), 2.0),
        f"random_() {_dt}": lambda m, d=_dt: m.empty(20, dtype=getattr(m, d)).random_(),
        f"random_(-5, None) {_dt}": lambda m, d=_dt: m.empty(10, dtype=getattr(m, d)).random_(-5, None),
    })
    for _fill in ("normal_(0.5, 2.0)", "uniform_(-1, 2)", "exponential_()", "bernoulli_(0.5)", "random_(0, 100)",
                  "log_normal_()", "cauchy_()", "geometric_(0.4)"):
        for _view in (".t()", "[:, ::2]", ".permute(2, 0, 1)[1:]"):
            TORCH_CASES[f"{_view} {_fill} {_dt}"] = lambda m, d=_dt, v=_view, f=_fill: (
                lambda b: (eval(f"b{v}.{f}"), b)[1])(m.zeros(6, 8, 3, dtype=getattr(m, d)) if "permute" in v
                                                      else m.zeros(20, 24, dtype=getattr(m, d)))
for _it in ("uint8", "int8", "int16", "int32", "int64", "bool"):
    TORCH_CASES[f"random_() {_it}"] = lambda m, d=_it: m.empty(50, dtype=getattr(m, d)).random_()
for _hi in (2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 40):
    TORCH_CASES[f"randint {_hi}"] = lambda m, h=_hi: m.randint(0, h, (20,))
TORCH_CASES["random_ int64 full 64 bits"] = lambda m: m.empty(10, dtype=m.int64).random_(-2 ** 63, None)
TORCH_CASES["bernoulli_ tensor p transposed"] = lambda m: (lambda b: (b.t().bernoulli_(
    m.linspace(0, 1, 480).reshape(24, 20)), b)[1])(m.zeros(20, 24))
for _k in (256, 1000):
    TORCH_CASES[f"_sample_dirichlet float64 {_k}"] = lambda m, k=_k: m._sample_dirichlet(
        m.linspace(0.5, 3, k, dtype=m.float64).expand(2, k).contiguous())
TORCH_CASES["rand_like transposed"] = lambda m: m.rand_like(m.zeros(20, 24).t())
TORCH_CASES["randn_like transposed"] = lambda m: m.randn_like(m.zeros(20, 24, dtype=m.float64).t())
TORCH_CASES["randint_like transposed"] = lambda m: m.randint_like(m.zeros(20, 24).t(), 3, 90)
TORCH_CASES["the cache across samplers"] = lambda m: m.cat([m.randn(1, dtype=m.float64), m.empty(5, dtype=m.float64).log_normal_(),
                                                             m.empty(4, 4, dtype=m.float64).t().normal_().reshape(-1),
                                                             m.randn(3, dtype=m.float64)])


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_same_draws_as_torch(name):
    torch = pytest.importorskip("torch")
    results = []
    for m in (torch, ember):
        m.manual_seed(SEED)
        out = TORCH_CASES[name](m)
        results.append([_numpy(t) for t in (out, m.rand(4, dtype=m.float64))])
    (want, want_after), (got, got_after) = results
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_after, want_after)


def _numpy(t):
    """Values of a torch or ember tensor (reduced floats widened to float32)."""
    if str(t.dtype).endswith(("float16", "bfloat16")):
        t = t.float()
    return t.numpy() if hasattr(t, "numpy") and not isinstance(t, ember.Tensor) else t._host()
