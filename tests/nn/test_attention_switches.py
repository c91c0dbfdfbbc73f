"""ember.nn.attention (SDPA backend switches) and ember.utils.hooks, under torch's names."""

import warnings

import numpy as np
import pytest

import ember
from ember.nn.attention import SDPBackend, current_backends, sdpa_kernel
from ember.utils.hooks import RemovableHandle, unserializable_hook, warn_if_has_hooks


def test_sdpa_kernel_scopes_the_backends_and_leaves_results_alone():
    q = ember.randn(2, 3, 5, 4)
    plain = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel(SDPBackend.MATH):
        assert current_backends() == [SDPBackend.MATH]
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
            assert current_backends() == [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]
        inside = ember.nn.functional.scaled_dot_product_attention(q, q, q)
    assert SDPBackend.MATH in current_backends() and len(current_backends()) == 4
    np.testing.assert_array_equal(inside._host(), plain._host())
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
        with sdpa_kernel(["math"]):
            pass


def test_backend_values_are_torchs():
    torch = pytest.importorskip("torch")
    import torch.nn.attention

    theirs = torch.nn.attention.SDPBackend.__members__
    assert {m.name: int(m) for m in SDPBackend} == {name: int(v.value) for name, v in theirs.items()}


def test_hook_helpers():
    handle = ember.nn.Linear(1, 1).register_forward_pre_hook(lambda m, i: None)
    assert isinstance(handle, RemovableHandle)
    x = ember.ones(2, requires_grad=True)
    x.register_hook(unserializable_hook(lambda g: g))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_has_hooks(x)  # marked: silent
    y = x * 2
    y.register_hook(lambda g: g)
    with pytest.warns(UserWarning, match="will not be serialized"):
        warn_if_has_hooks(y)
