"""ember.backends._box_muller: torch's float32 Box-Muller, bit for bit.

Without torch: torch's bits stored as constants, closed forms (u2 = 0 gives the radius; a u1
whose radius is exactly 1 gives cos and sin), float64 references and exact rational FMAs.
With torch (importorskip): whole streams, and chosen uniforms fed through a crafted generator.
"""
import math
from fractions import Fraction

import numpy as np
import pytest
from ember.backends import _box_muller as bm

F32 = np.float32


def uniforms(seed, n):
    """torch's float32 uniforms for ``torch.manual_seed(seed)``: (word & 0xFFFFFF) * 2**-24."""
    words = np.random.RandomState(seed).randint(0, 2**32, size=n, dtype=np.uint64)
    return (words & 0xFFFFFF).astype(F32) * F32(2**-24)


def bits(x):
    return np.asarray(x, F32).view(np.uint32)


def from_hex(words):
    return np.array([int(w, 16) for w in words.split()], np.uint32)


# torch.manual_seed(0); torch.randn(32)
TORCH_RANDN_SEED0 = from_hex("""
    bf901b85 bf93808a be804bd6 bede255d 3f594515 3f312783 bea1cc6d c0075fc1
    3ea50138 bfa1b4f4 3eb330ff 3e9dc3bb 3df56f77 3f9e6b93 3f8ef28e be7d367c
    bfad23c2 bfd91446 3f111004 3f4b235d 3f194d8b bfc70d5b beaec6ca 3fed2f4e
    3f400c6b bf15e32b be318eeb 3e3be1a4 3fb1d6c0 3fcb0d00 3f72409c bf57fb33""")
# torch.manual_seed(3); torch.empty(32).normal_(2.5, 0.3)
TORCH_NORMAL_SEED3 = from_hex("""
    401e8747 4026e8e4 4010fc3b 40215f93 402cc3d2 401a7e6b 403f1d55 400157dc
    401f01fa 401a2011 4024c570 401bba12 40318853 4023ec61 402b0540 4027fe5a
    40250555 4031e0aa 40161f51 400049bc 40341569 402a06a7 401ccc19 402104ab
    402ad302 404b536e 4043e3ca 40090d2f 403328fd 4028d0f7 404ec761 401d2e69""")
RADIUS_ONE_WORD = 0x64BA68  # u = word / 2**24: its u1 = 1 - u has radius exactly 1


def round_to_f32(x):
    """A Fraction rounded to the nearest float32, ties to even (the reference rounding)."""
    guess = F32(float(x))
    candidates = [guess, np.nextafter(guess, F32(np.inf)), np.nextafter(guess, F32(-np.inf))]

    def key(c):
        return abs(Fraction(float(c)) - x), int(bits(c)) & 1

    return min(candidates, key=key)


# --- against torch's stored bits ------------------------------------------------------------------

def test_torch_randn_bits():
    out = bm.box_muller16_float(uniforms(0, 32).reshape(2, 16), 0.0, 1.0)
    np.testing.assert_array_equal(bits(out).reshape(-1), TORCH_RANDN_SEED0)


def test_torch_normal_mean_std_bits():
    out = bm.box_muller16_float(uniforms(3, 32).reshape(2, 16), 2.5, 0.3)
    np.testing.assert_array_equal(bits(out).reshape(-1), TORCH_NORMAL_SEED3)


# --- closed forms and references ------------------------------------------------------------------

def test_radius_when_theta_is_zero():
    """u2 = 0: cos = 1 and sin = 0 exactly, so the outputs are the radius and zeros."""
    k = np.arange(0, 2**24, 97, dtype=np.int64)[: (2**24 // 97) // 8 * 8]
    u = np.zeros((len(k) // 8, 16), F32)
    u[:, :8] = (k.astype(F32) * F32(2**-24)).reshape(-1, 8)
    out = bm.box_muller16_float(u, 0.0, 1.0)
    assert not bits(out[:, 8:]).any()  # +0.0 everywhere
    u1 = (F32(1) - u[:, :8]).astype(np.float64)
    reference = np.sqrt(-2 * np.log(u1))
    ulp = np.spacing(reference.astype(F32)).astype(np.float64)
    assert np.all(np.abs(out[:, :8] - reference) <= 2 * ulp)


def test_cos_sin_when_radius_is_one():
    """A u1 with radius exactly 1: the outputs are cos and sin of theta = float(2pi) * u2."""
    u1 = F32(1) - F32(RADIUS_ONE_WORD * 2**-24)
    assert bm.cephes_logf(np.array([u1])) == F32(-0.5)
    u2 = np.arange(0, 2**24, 101, dtype=np.int64)[: (2**24 // 101) // 8 * 8].astype(F32) * F32(2**-24)
    u = np.empty((len(u2) // 8, 16), F32)
    u[:, :8], u[:, 8:] = RADIUS_ONE_WORD * 2**-24, u2.reshape(-1, 8)
    out = bm.box_muller16_float(u, 0.0, 1.0)
    theta = (u2 * bm._TWO_PI).astype(np.float64).reshape(-1, 8)
    assert np.abs(out[:, :8] - np.cos(theta)).max() < 2.5e-7
    assert np.abs(out[:, 8:] - np.sin(theta)).max() < 2.5e-7


def test_close_to_float64_box_muller():
    u = uniforms(5, 16 * 5000).reshape(-1, 16)
    out = bm.box_muller16_float(u, 0.0, 1.0).astype(np.float64)
    u1, u2 = 1 - u[:, :8].astype(np.float64), u[:, 8:].astype(np.float64)
    radius, theta = np.sqrt(-2 * np.log(u1)), 2 * math.pi * u2
    reference = np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    assert np.abs(out - reference).max() < 5e-6  # the error grows with the radius (up to ~5.7)
    assert np.abs(out - reference).mean() < 2e-7  # mostly theta rounded to float32


def test_logf_and_sincosf_against_numpy():
    x = np.geomspace(2**-24, 1, 10001, dtype=np.float64).astype(F32)
    log = bm.cephes_logf(x)
    assert log.dtype == F32
    np.testing.assert_allclose(log, np.log(x.astype(np.float64)), rtol=2.5e-7, atol=1e-7)
    theta = np.linspace(0, 2 * math.pi, 10001).astype(F32)
    sin, cos = bm.cephes_sincosf(theta)
    np.testing.assert_allclose(sin, np.sin(theta.astype(np.float64)), atol=1.5e-7)
    np.testing.assert_allclose(cos, np.cos(theta.astype(np.float64)), atol=1.5e-7)
    assert (bits(bm.cephes_sincosf(np.float32([0]))[0]) == 0).all()  # sin 0 = +0


def test_affine_mean_std():
    u = uniforms(6, 16 * 64).reshape(-1, 16)
    standard = bm.box_muller16_float(u, 0.0, 1.0)
    np.testing.assert_array_equal(bm.box_muller16_float(u, 0.0, 2.0), standard * 2)  # exact scaling
    np.testing.assert_array_equal(bm.box_muller16_float(u, 3.0, 1.0), standard + F32(3))
    out = bm.box_muller16_float(u[:2], 0.1, 0.3)  # one rounding of standard * 0.3f + 0.1f
    for n, o in zip(standard[:2].reshape(-1), out.reshape(-1)):
        exact = Fraction(float(n)) * Fraction(float(F32(0.3))) + Fraction(float(F32(0.1)))
        assert bits(o) == bits(round_to_f32(exact))


def test_shapes_and_chunks():
    assert bm.box_muller16_float(np.zeros((0, 16), F32), 0.0, 1.0).shape == (0, 16)
    u = uniforms(7, 16 * (bm._ROWS + 3)).reshape(-1, 16)
    out = bm.box_muller16_float(u, 0.5, 2.0)
    assert out.shape == u.shape and out.dtype == F32
    np.testing.assert_array_equal(out[-3:], bm.box_muller16_float(u[-3:], 0.5, 2.0))


# --- the float32 FMA ------------------------------------------------------------------------------

def test_fma_exact_double_rounding_tie():
    """a*b + c just below a float32 tie whose double rounding lands on the tie itself."""
    a, b, c = F32(2**-24 * (1 + 2**-20)), F32(1 - 2**-20), F32(1 + 2**-23)
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))  # 1 + 3*2**-24 - 2**-64
    assert float(bm._fma_exact(a, b, c)) == 1 + 2**-23 == float(round_to_f32(exact))
    assert float(bm._fma(a, b, c)) == 1 + 2**-22  # what the plain double evaluation gives


def test_fma_exact_against_rationals():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 300)).astype(F32)
    c = np.concatenate([-(a[:150] * b[:150]), rng.standard_normal(150).astype(F32)])  # cancellations too
    tiny = F32(1e-39)  # float32 subnormal results
    a, b, c = np.append(a, [tiny, F32(3)]), np.append(b, [F32(0.75), F32(1e-40)]), np.append(c, [F32(0), tiny])
    out = bm._fma_exact(a, b, c)
    for x, y, z, o in zip(a, b, c, out):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        assert bits(o) == bits(round_to_f32(exact))


# --- against torch itself -------------------------------------------------------------------------

def test_torch_streams():
    torch = pytest.importorskip("torch")
    for seed in range(3):
        torch.manual_seed(seed)
        expected = torch.randn(16 * 2000).numpy()
        out = bm.box_muller16_float(uniforms(seed, 16 * 2000).reshape(-1, 16), 0.0, 1.0)
        np.testing.assert_array_equal(bits(out).reshape(-1), bits(expected))
    torch.manual_seed(9)
    expected = torch.empty(16 * 500).normal_(-1.5, 0.7).numpy()
    out = bm.box_muller16_float(uniforms(9, 16 * 500).reshape(-1, 16), -1.5, 0.7)
    np.testing.assert_array_equal(bits(out).reshape(-1), bits(expected))


def _untemper(y):
    """Inverse of mt19937's output tempering (32-bit words in uint64)."""
    y = y ^ (y >> 18)
    y ^= (y << 15) & 0xEFC60000
    r = y.copy()
    for _ in range(4):
        r = y ^ ((r << 7) & 0x9D2C5680)
    y = r & 0xFFFFFFFF
    r = y.copy()
    for _ in range(2):
        r = y ^ (r >> 11)
    return r


def test_torch_chosen_uniforms():
    """Feed chosen words through a crafted generator state (no twist for the next 623 words)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    state = torch.get_rng_state().numpy().copy()
    state[8:12].view(np.int32)[0] = 624  # words left before the next twist
    state[16:24].view(np.uint64)[0] = 0  # next word index
    mt = state[24:24 + 624 * 8].view(np.uint64)
    k = np.arange(0, 2**24, 2**10, dtype=np.uint64)  # 16384 u1 values and u2 values
    words = np.empty((len(k) // 8, 16), np.uint64)
    words[:, :8], words[:, 8:] = k.reshape(-1, 8), k[::-1].reshape(-1, 8)
    words[:2, 8:] = 0  # theta = 0
    words[2:4, :8] = RADIUS_ONE_WORD
    words = words.reshape(-1, 32 * 16)
    for row in words:
        mt[:len(row)] = _untemper(row)
        torch.set_rng_state(torch.from_numpy(state))
        expected = torch.randn(len(row)).numpy()
        u = (row & 0xFFFFFF).astype(F32) * F32(2**-24)
        out = bm.box_muller16_float(u.reshape(-1, 16), 0.0, 1.0)
        np.testing.assert_array_equal(bits(out).reshape(-1), bits(expected))
