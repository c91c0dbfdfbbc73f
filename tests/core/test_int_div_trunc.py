"""Integer division with rounding_mode='trunc' rounds towards zero, as C does (and torch)."""

import numpy as np
import pytest

import ember


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8"])
def test_trunc_division_of_integers(device, dtype):
    a = np.array([-7, 7, -7, 7, -6, 6, 0, -1, 1, -9], dtype=dtype)
    b = np.array([2, 2, -2, -2, 3, -3, 5, 4, -4, 9], dtype=dtype)
    expected = np.trunc(a / b).astype(dtype)
    got = ember.div(ember.tensor(a, device=device), ember.tensor(b, device=device), rounding_mode="trunc")
    assert got.dtype is getattr(ember, dtype)
    np.testing.assert_array_equal(got.cpu().numpy(), expected)
    scalar = ember.tensor(a, device=device).div(2, rounding_mode="trunc")
    np.testing.assert_array_equal(scalar.cpu().numpy(), np.trunc(a / 2).astype(dtype))
