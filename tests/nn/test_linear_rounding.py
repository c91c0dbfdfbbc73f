"""A bfloat16 linear layer rounds once, after the bias is added (torch's addmm), also under autocast."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F


def _rounded(a):
    return ember.tensor(a).bfloat16().float().numpy()


@pytest.mark.parametrize("autocast", [False, True])
def test_bfloat16_linear_rounds_once(autocast):
    rng = np.random.default_rng(0)
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in ((8, 6), (16, 6), (16,)))
    expected = _rounded(_rounded(x) @ _rounded(w).T + _rounded(b))
    twice = _rounded(_rounded(_rounded(x) @ _rounded(w).T) + _rounded(b))
    assert (expected != twice).any()  # the data tell the two roundings apart
    if autocast:
        with ember.autocast("cpu", dtype=ember.bfloat16):
            out = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b))
    else:
        out = F.linear(*(ember.tensor(a).bfloat16() for a in (x, w, b)))
    assert out.dtype is ember.bfloat16
    np.testing.assert_array_equal(out.float().numpy(), expected)


def test_float32_linear_unchanged():
    rng = np.random.default_rng(1)
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in ((3, 5), (4, 5), (4,)))
    out = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-6)
