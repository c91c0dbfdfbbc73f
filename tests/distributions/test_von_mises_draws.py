"""VonMises.sample consumes the generator like torch: the same seed gives torch's angles."""

import math

import numpy as np
import pytest

import ember
from ember.distributions import VonMises


def _reference(loc, kappa, n, seed):
    """torch's rejection loop over ember's float64 uniforms: each round redraws every element
    and a later acceptance replaces an earlier one."""
    ember.manual_seed(seed)
    tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
    r = (1 + rho ** 2) / (2 * rho)
    shape = (n, len(kappa))
    x, done = np.zeros(shape), np.zeros(shape, dtype=bool)
    while not done.all():
        u1, u2, u3 = ember.rand((3,) + shape, dtype=ember.float64).numpy()
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = (c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)
        x, done = np.where(accept, np.sign(u3 - 0.5) * np.arccos(f), x), done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


def test_sample_follows_torchs_draw_order():
    loc, kappa = np.array([0.0, 1.0, -2.0]), np.array([0.5, 3.0, 20.0])
    expected = _reference(loc, kappa, 50, seed=3)
    ember.manual_seed(3)
    got = VonMises(ember.tensor(loc), ember.tensor(kappa)).sample((50,))
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)


def test_sample_matches_torch():
    torch = pytest.importorskip("torch")
    draws = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        d = lib.distributions.VonMises(lib.tensor([0.0, 1.0, 3.0]), lib.tensor([0.5, 2.0, 1e-6]))
        draws.append(np.asarray(d.sample((6,)).tolist()))
    np.testing.assert_allclose(draws[0], draws[1], rtol=1e-6, atol=1e-6)
