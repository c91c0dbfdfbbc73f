"""ember's host generator is torch's CPU generator: the same seed gives the same draws.

Without torch the draws are checked against a reference built here from numpy's legacy
Mersenne Twister (the same MT19937 stream torch seeds); with torch installed they are
compared with torch itself, call for call.
"""

import math

import numpy as np
import pytest

import ember
from ember.utils.data import RandomSampler

HOST_DEVICES = ["cpu", "strict"]


class Reference:
    """torch's samplers written out plainly over numpy's MT19937 words."""

    def __init__(self, seed):
        self.rs = np.random.RandomState(seed & 0xFFFFFFFF)

    def words(self, n):
        return [int(w) for w in self.rs.randint(0, 2 ** 32, size=n, dtype=np.uint64)]

    def word64(self):
        hi, lo = self.words(2)
        return hi << 32 | lo

    def floats(self, n):
        return np.array([(w & 0xFFFFFF) * 2.0 ** -24 for w in self.words(n)], dtype=np.float32)

    def doubles(self, n):
        return np.array([(self.word64() & (2 ** 53 - 1)) * 2.0 ** -53 for _ in range(n)])

    def scalar_normals(self, n, cache=None):
        out = []
        while len(out) < n:
            if cache is not None:
                out.append(cache)
                cache = None
                continue
            u1, u2 = self.doubles(2)
            r, theta = math.sqrt(-2 * math.log1p(-u2)), 2 * math.pi * u1
            cache = r * math.sin(theta)
            out.append(r * math.cos(theta))
        return np.array(out), cache

    def block_normals(self, n, draw):
        def convert(u):
            u = u.reshape(-1, 16).astype(np.float64)
            r, theta = np.sqrt(-2 * np.log(1 - u[:, :8])), 2 * math.pi * u[:, 8:]
            return np.concatenate([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)

        out = convert(draw(n)[:n - n % 16])  # all n are drawn first
        if n % 16:
            out = np.concatenate([out[:n - 16], convert(draw(16))])
        return out


@pytest.fixture(params=HOST_DEVICES)
def host_device(request):
    if request.param not in ember.plugins.host().device_types():
        pytest.skip(f"{request.param} backend not installed")
    return request.param


def test_uniform_draws_follow_the_mersenne_words(host_device):
    ember.manual_seed(7)
    a = ember.rand(5, device=host_device)
    b = ember.rand(3, dtype=ember.float64, device=host_device)
    ref = Reference(7)
    np.testing.assert_array_equal(a._host(), ref.floats(5))
    np.testing.assert_array_equal(b._host(), ref.doubles(3))


def test_uniform_bounds_are_cast_to_the_dtype_first():
    ember.manual_seed(3)
    got = ember.empty(6).uniform_(-1 / 3, 2 / 3)._host()
    lo, hi = np.float32(-1 / 3), np.float32(2 / 3)  # the width, too, is taken in float32
    want = (Reference(3).floats(6).astype(np.float64) * float(hi - lo) + float(lo)).astype(np.float32)
    np.testing.assert_array_equal(got, want)


def test_integers_use_one_word_below_two_to_the_32_and_two_above():
    ember.manual_seed(1)
    small = ember.randint(-5, 9, (4,)).tolist()
    big = ember.randint(0, 2 ** 40, (2,)).tolist()
    ref = Reference(1)
    assert small == [w % 14 - 5 for w in ref.words(4)]
    assert big == [ref.word64() % 2 ** 40 for _ in range(2)]


def test_random_without_bounds_covers_torchs_ranges():
    ember.manual_seed(2)
    ints = ember.empty(3, dtype=ember.int64).random_().tolist()
    floats = ember.empty(3).random_().tolist()
    bytes_ = ember.empty(3, dtype=ember.uint8).random_().tolist()
    below = ember.empty(3).random_(7).tolist()
    ref = Reference(2)
    assert ints == [ref.word64() % 2 ** 63 for _ in range(3)]
    assert floats == [float(w % (2 ** 24 + 1)) for w in ref.words(3)]
    assert bytes_ == [w % 256 for w in ref.words(3)]
    assert below == [float(w % 7) for w in ref.words(3)]


def test_randperm_is_fisher_yates_on_words():
    ember.manual_seed(4)
    got = ember.randperm(50).tolist()
    order, words = list(range(50)), Reference(4).words(49)
    for i, w in enumerate(words):
        z = i + w % (50 - i)
        order[i], order[z] = order[z], order[i]
    assert got == order


def test_small_normals_pair_up_and_keep_the_second_value_for_the_next_draw():
    ember.manual_seed(5)
    first = ember.randn(3, dtype=ember.float64)._host()
    second = ember.randn(2, dtype=ember.float64)._host()
    ref = Reference(5)
    want1, cache = ref.scalar_normals(3)
    want2, _ = ref.scalar_normals(2, cache)
    np.testing.assert_array_equal(first, want1)
    np.testing.assert_array_equal(second, want2)


def test_block_normals_redraw_the_last_sixteen():
    ember.manual_seed(6)
    got = ember.randn(40, dtype=ember.float64)._host()
    ref = Reference(6)
    np.testing.assert_allclose(got, ref.block_normals(40, ref.doubles), rtol=0, atol=1e-15)
    ember.manual_seed(6)
    got32 = ember.randn(40)._host()
    ref = Reference(6)
    np.testing.assert_allclose(got32, ref.block_normals(40, ref.floats), rtol=0, atol=5e-6)  # float roundings
    after = ember.rand(1).item()  # 40 floats plus 16 redrawn: 56 words used
    ref = Reference(6)
    ref.words(56)
    assert after == float(ref.floats(1)[0])


def test_bernoulli_compares_double_uniforms_for_a_scalar_and_floats_for_a_float_tensor():
    ember.manual_seed(8)
    scalar = ember.empty(20).bernoulli_(0.3).tolist()
    tensor_p = ember.bernoulli(ember.full((20,), 0.3)).tolist()
    ref = Reference(8)
    assert scalar == [float(u < 0.3) for u in ref.doubles(20)]
    assert tensor_p == [float(u < np.float32(0.3)) for u in ref.floats(20)]


def test_dropout_keeps_an_element_when_its_double_uniform_is_below_one_minus_p():
    ember.manual_seed(9)
    out = ember.nn.functional.dropout(ember.ones(12), 0.25).tolist()
    keep = Reference(9).doubles(12) < 0.75
    assert out == [float(np.float32(1) / np.float32(0.75)) if k else 0.0 for k in keep]


def test_exponential_cauchy_and_geometric_use_double_uniforms():
    ember.manual_seed(10)
    e = ember.empty(4, dtype=ember.float64).exponential_(2.0)._host()
    c = ember.empty(4, dtype=ember.float64).cauchy_(1.0, 3.0)._host()
    g = ember.empty(4, dtype=ember.float64).geometric_(0.25)._host()
    u = Reference(10).doubles(12)
    np.testing.assert_allclose(e, -np.log1p(-u[:4]) / 2.0, rtol=1e-15)
    np.testing.assert_allclose(c, 1.0 + 3.0 * np.tan(math.pi * (u[4:8] - 0.5)), rtol=1e-12)
    np.testing.assert_array_equal(g, np.ceil(np.log(u[8:]) / math.log1p(-0.25)))


def test_multinomial_without_replacement_is_the_exponential_race():
    probs = ember.tensor([0.1, 0.2, 0.3, 0.4])
    ember.manual_seed(11)
    got = ember.multinomial(probs, 3).tolist()
    q = (-np.log1p(-Reference(11).doubles(4))).astype(np.float32)
    assert got == list(np.argsort(-(probs._host() / q), kind="stable")[:3])


def test_multinomial_with_replacement_searches_the_running_sum():
    probs = ember.tensor([[1.0, 3.0, 0.0, 4.0]])
    ember.manual_seed(12)
    got = ember.multinomial(probs, 6, replacement=True).tolist()
    cdf = np.cumsum([1.0, 3.0, 0.0, 4.0]) / 8.0
    assert got == [list(np.searchsorted(cdf, Reference(12).doubles(6), side="left"))]


def test_generator_state_round_trips_with_the_cached_normal():
    g = ember.Generator().manual_seed(13)
    ember.randn(1, generator=g)  # leaves the pair's second value cached
    state = g.get_state()
    a = ember.randn(3, generator=g)
    g.set_state(state)
    assert ember.equal(ember.randn(3, generator=g), a)


def test_seeds_use_their_low_32_bits_like_torch():
    a = ember.Generator().manual_seed(5)
    b = ember.Generator().manual_seed(5 + 2 ** 32)
    assert ember.equal(ember.rand(4, generator=a), ember.rand(4, generator=b))
    assert ember.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1


def test_random_sampler_draws_its_seed_then_one_permutation_per_pass():
    ember.manual_seed(14)
    got = list(RandomSampler(range(6), num_samples=9))
    ref = Reference(14)
    seed = ref.word64() % 2 ** 63
    inner = Reference(seed)

    def perm(n):
        order = list(range(n))
        for i, w in enumerate(inner.words(n - 1)):
            z = i + w % (n - i)
            order[i], order[z] = order[z], order[i]
        return order

    assert got == perm(6) + perm(6)[:3]


# --- against torch itself ----------------------------------------------------------------------
CASES = {
    "rand": lambda m: m.rand(5, 7),
    "rand float64": lambda m: m.rand(9, dtype=m.float64),
    "rand float16": lambda m: m.rand(9, dtype=m.float16),
    "randn small twice": lambda m: m.cat([m.randn(5), m.randn(3)]),
    "randn float64": lambda m: m.randn(10, 10, dtype=m.float64),
    "randn complex": lambda m: m.view_as_real(m.randn(20, dtype=m.complex64)),
    "rand complex128": lambda m: m.view_as_real(m.rand(3, dtype=m.complex128)),
    "randint": lambda m: m.randint(-3, 9, (4, 5)),
    "randint int32": lambda m: m.randint(0, 5, (6,), dtype=m.int32),
    "randperm": lambda m: m.randperm(1000),
    "bernoulli tensor": lambda m: m.bernoulli(m.full((30,), 0.4)),
    "bernoulli scalar": lambda m: m.bernoulli(m.zeros(30), 0.4),
    "bernoulli_ float64 p": lambda m: m.zeros(30).bernoulli_(m.full((30,), 0.4, dtype=m.float64)),
    "dropout": lambda m: m.nn.functional.dropout(m.ones(6, 7), 0.3),
    "dropout2d": lambda m: m.nn.functional.dropout2d(m.ones(2, 6, 3, 3), 0.3),
    "rrelu": lambda m: m.nn.functional.rrelu(m.tensor([-1.0, 2.0, 0.0, -3.0, 4.0]), training=True),
    "exponential_": lambda m: m.empty(20).exponential_(2.0),
    "cauchy_": lambda m: m.empty(20).cauchy_(),
    "geometric_": lambda m: m.empty(20).geometric_(0.3),
    "random_": lambda m: m.empty(5, dtype=m.int64).random_(),
    "multinomial": lambda m: m.multinomial(m.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 1.0, 1.0, 0.0]]), 3),
    "multinomial replacement": lambda m: m.multinomial(m.tensor([0.1, 0.2, 0.3, 0.4]), 7, replacement=True),
    "Linear": lambda m: m.nn.Linear(20, 30).weight.detach(),
    "Conv2d": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.Conv2d(3, 8, 3).parameters()]),
    "ConvTranspose2d": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.ConvTranspose2d(3, 4, 3).parameters()]),
    "LSTM": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.LSTM(5, 7, 2).parameters()]),
    "GRU bidirectional": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.GRU(5, 7, bidirectional=True).parameters()]),
    "Transformer": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.Transformer(8, 2, 1, 1, 16, batch_first=True).parameters()]),
    "randn large": lambda m: m.randn(100, 100),
    "normal_": lambda m: m.empty(50).normal_(2, 3),
    "normal_ float64": lambda m: m.empty(50, dtype=m.float64).normal_(2, 3),
    "normal_ float64 small": lambda m: m.empty(7, dtype=m.float64).normal_(2, 3),
    "uniform_ float64": lambda m: m.empty(500, dtype=m.float64).uniform_(-0.3, 0.7),
    "Linear float64": lambda m: m.nn.init.kaiming_uniform_(m.empty(40, 30, dtype=m.float64), a=5 ** 0.5),
    "normal float": lambda m: m.normal(2.0, 3.0, size=(40,)),
    "normal tensor mean": lambda m: m.normal(m.arange(40.0), 3.0),
    "normal tensor std": lambda m: m.normal(1.5, m.arange(40.0)),
    "Embedding": lambda m: m.nn.Embedding(10, 4).weight.detach(),
    "LSTM projections": lambda m: m.cat([p.detach().reshape(-1) for p in m.nn.LSTM(3, 6, proj_size=2).parameters()]),
    "MultiheadAttention kdim vdim": lambda m: m.cat(
        [p.detach().reshape(-1) for p in m.nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True).parameters()]),
    "xavier_normal_": lambda m: m.nn.init.xavier_normal_(m.empty(5, 6)),
    "trunc_normal_ rejection": lambda m: m.nn.init.trunc_normal_(m.empty(5)),
    "trunc_normal_ narrow": lambda m: m.nn.init.trunc_normal_(m.empty(5), 0, 1, 0.5, 0.6),
    "Categorical": lambda m: m.distributions.Categorical(logits=m.zeros(4, 3)).sample((2, 5)),
    "Exponential": lambda m: m.distributions.Exponential(m.ones(10) * 2).sample(),
    "Cauchy": lambda m: m.distributions.Cauchy(m.zeros(10), m.ones(10)).sample(),
    "random_split": lambda m: m.tensor(list(m.utils.data.random_split(range(10), [0.3, 0.7])[0].indices)),
    "RandomSampler": lambda m: m.tensor(list(m.utils.data.RandomSampler(range(10), num_samples=25))),
    "RandomSampler replacement": lambda m: m.tensor(
        list(m.utils.data.RandomSampler(range(10), replacement=True, num_samples=40))),
    "WeightedRandomSampler": lambda m: m.tensor(list(m.utils.data.WeightedRandomSampler([0.1, 0.5, 0.4], 10))),
    "DataLoader two epochs": lambda m: m.cat([b[0] for _ in range(2) for b in m.utils.data.DataLoader(
        m.utils.data.TensorDataset(m.arange(20)), batch_size=6, shuffle=True)]),
    "state after a DataLoader": lambda m: ([b for b in m.utils.data.DataLoader(
        m.utils.data.TensorDataset(m.arange(20)), batch_size=6, shuffle=True)], m.rand(3))[1],
}

def _both(case):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    want = case(torch).numpy()
    ember.manual_seed(0)
    got = case(ember)._host()
    assert got.shape == want.shape
    return got, want


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_draws_as_torch(name):
    got, want = _both(CASES[name])
    np.testing.assert_array_equal(got, want)


def test_a_training_run_matches_torch_from_the_seed():
    """Same seed, same model code, same data order: the losses agree step for step."""
    torch = pytest.importorskip("torch")

    def run(m):
        m.manual_seed(0)
        x, y = m.randn(64, 10, dtype=m.float64), m.randint(0, 3, (64,))
        model = m.nn.Sequential(m.nn.Linear(10, 16), m.nn.ReLU(), m.nn.Dropout(0.2), m.nn.Linear(16, 3)).double()
        opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for xb, yb in m.utils.data.DataLoader(m.utils.data.TensorDataset(x, y), batch_size=16, shuffle=True):
            opt.zero_grad()
            loss = m.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-12)


def test_a_transformer_layer_drops_the_same_units_as_torchs():
    """batch_first attention returns a transposed view, as torch's, and dropout follows memory order."""
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, batch_first=True)
        x = lib.arange(80.0).reshape(2, 5, 8) / 80
        outs.append(np.asarray(layer(x).tolist()))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)



class _Draws:
    """A data set whose items are draws from ember-or-torch, numpy's global RNG and Python's random."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        import random

        return self.lib.tensor([self.lib.rand(1).item(), float(np.random.rand()), random.random()])


def test_workers_are_seeded_like_torchs():
    """Each worker seeds all three generators the way torch's workers do (numpy by a SeedSequence hash)."""
    torch = pytest.importorskip("torch")
    got, want = [], []
    for lib, out in ((ember, got), (torch, want)):
        lib.manual_seed(0)
        out.extend(b.tolist() for b in lib.utils.data.DataLoader(_Draws(lib), batch_size=2, num_workers=2))
    assert got == want


def test_fork_rng_restores_the_streams():
    ember.manual_seed(0)
    with ember.random.fork_rng():
        inside = ember.randn(3)
    assert ember.equal(ember.randn(3), inside)
    assert ember.random.default_generator is ember.default_generator
    assert ember.random.initial_seed() == 0


@pytest.mark.parametrize("blob", [b"\x01\x02\x03", b'{"seed": 1}', b'{"seed": 1, "state": {"key": [1, 2], "pos": 0}}'])
def test_a_malformed_state_is_refused_and_leaves_the_generator_alone(blob):
    ember.manual_seed(3)
    state = ember.get_rng_state()
    with pytest.raises(RuntimeError, match="expected a uint8 tensor returned by Generator.get_state"):
        ember.set_rng_state(ember.tensor(list(blob), dtype=ember.uint8))
    after = ember.rand(2)
    ember.set_rng_state(state)
    assert ember.equal(ember.rand(2), after)
