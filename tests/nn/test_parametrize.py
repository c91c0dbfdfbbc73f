"""nn.utils.parametrize: register/remove parametrizations, chaining, right_inverse, caching, state dicts."""

import copy
import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import parametrize


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, X):
        return X * self.factor

    def right_inverse(self, Y):
        return Y / self.factor


class SumOfTwo(nn.Module):
    """Parametrized by two tensors: right_inverse splits a weight into halves."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, W):
        return W / 2, W / 2


def host(t):
    return t.detach().cpu().numpy()


def symmetric_np(x):
    return np.triu(x) + np.triu(x, 1).T


def linear(device, n=3, dtype=ember.float64):
    m = nn.Linear(n, n).to(device=device, dtype=dtype)
    return m, host(m.weight).copy()


def test_register_swaps_class_and_moves_parameter(device):
    m, w = linear(device)
    weight = m.weight
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert m.parametrizations.weight.original is weight  # the same Parameter object: optimizers keep working
    np.testing.assert_allclose(host(m.weight), symmetric_np(w))
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias") and not parametrize.is_parametrized(nn.Linear(2, 2))
    assert "ParametrizedLinear(" in repr(m) and "(0): Symmetric()" in repr(m)
    assert type(nn.Linear(2, 2)) is nn.Linear  # only this instance's class changed


def test_gradients_flow_to_original(device):
    m, w = linear(device)
    parametrize.register_parametrization(m, "weight", Symmetric())
    x = ember.tensor(np.arange(6.0).reshape(2, 3), dtype=ember.float64, device=device)
    m(x).sum().backward()
    gw = np.tile(np.arange(6.0).reshape(2, 3).sum(0), (3, 1))  # d sum(x @ W.T) / dW
    want = np.triu(gw) + np.tril(gw, -1).T  # Symmetric: the upper triangle receives both mirrored entries
    np.testing.assert_allclose(host(m.parametrizations.weight.original.grad), want)
    plist = m.parametrizations.weight
    xs = ember.tensor(w, device=device, requires_grad=True)
    assert ember.autograd.gradcheck(lambda X: x @ plist[0](X).mT, (xs,))


def test_chaining_applies_in_registration_order(device):
    m, w = linear(device)
    parametrize.register_parametrization(m, "weight", Symmetric())
    parametrize.register_parametrization(m, "weight", Scale(3.0))
    assert len(m.parametrizations.weight) == 2
    np.testing.assert_allclose(host(m.weight), 3.0 * symmetric_np(w))
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(host(m.weight), w)


def test_right_inverse_on_registration_and_assignment(device):
    m, w = linear(device)
    parametrize.register_parametrization(m, "weight", Scale(2.0))
    np.testing.assert_allclose(host(m.parametrizations.weight.original), w / 2)
    np.testing.assert_allclose(host(m.weight), w)  # the value is unchanged by registration
    m.weight = ember.ones(3, 3, dtype=ember.float64, device=device)
    np.testing.assert_allclose(host(m.parametrizations.weight.original), np.full((3, 3), 0.5))
    with pytest.raises(KeyError, match="already exists"):
        m.weight = nn.Parameter(ember.ones(3, 3, dtype=ember.float64, device=device))


def test_sequence_right_inverse_registers_original0_original1(device):
    m, w = linear(device)
    parametrize.register_parametrization(m, "weight", SumOfTwo())
    plist = m.parametrizations.weight
    assert not hasattr(plist, "original") and plist.ntensors == 2
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original0",
                                                      "parametrizations.weight.original1"]
    np.testing.assert_allclose(host(plist.original0), w / 2)
    np.testing.assert_allclose(host(m.weight), w)
    m.weight = ember.full((3, 3), 4.0, dtype=ember.float64, device=device)
    np.testing.assert_allclose(host(plist.original1), np.full((3, 3), 2.0))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(host(m.weight), np.full((3, 3), 4.0))


def test_remove_leaves_a_plain_parameter(device):
    m, w = linear(device)
    weight = m.weight
    parametrize.register_parametrization(m, "weight", Scale(5.0))
    parametrize.register_parametrization(m, "bias", Scale(2.0))
    parametrize.remove_parametrizations(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear"  # bias is still parametrized
    assert m.weight is weight and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(host(m.weight), w)
    parametrize.remove_parametrizations(m, "bias")
    assert type(m) is nn.Linear and "parametrizations" not in m._modules
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")


def test_buffers_can_be_parametrized(device):
    m = nn.Module()
    m.register_buffer("scale", ember.tensor([1.0, 2.0], device=device))
    parametrize.register_parametrization(m, "scale", Scale(10.0))
    assert list(m.state_dict()) == ["parametrizations.scale.original"] and not list(m.parameters())
    np.testing.assert_allclose(host(m.parametrizations.scale.original), [0.1, 0.2], rtol=1e-6)
    parametrize.remove_parametrizations(m, "scale")
    assert list(m.buffers())[0] is m.scale and type(m) is nn.Module


def test_unsafe_checks_shape_and_dtype():
    class Flatten(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    class ToDouble(nn.Module):
        def forward(self, X):
            return X.double()

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten())
    with pytest.raises(ValueError, match="may not change the dtype"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", ToDouble())
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten(), unsafe=True)
    assert m.weight.shape == (4,)
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(m, "weight", Flatten())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name 'w'"):
        parametrize.register_parametrization(nn.Linear(2, 2), "w", nn.Identity())


def test_cached_computes_once_per_block():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1.0

    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with parametrize.cached():
        a, b = m.weight, m.weight
        with parametrize.cached():
            assert m.weight is a
    assert a is b and len(calls) == 1
    assert m.weight is not a and len(calls) == 2


def test_training_mode_follows_module_and_optimizer_updates_original():
    m = nn.Linear(2, 2).train(False)
    p = Scale(2.0)
    parametrize.register_parametrization(m, "weight", p)
    assert not p.training
    before = host(m.parametrizations.weight.original).copy()
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m(ember.ones(1, 2)).sum().backward()
    opt.step()
    np.testing.assert_allclose(host(m.parametrizations.weight.original), before - 0.1 * 2.0, rtol=1e-6)


def test_to_dtype_deepcopy_and_no_pickle():
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Scale(2.0)).double()
    assert m.parametrizations.weight.original.dtype == ember.float64 and m.weight.dtype == ember.float64
    c = copy.deepcopy(m)
    assert type(c) is type(m) and c.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_allclose(host(c.weight), host(m.weight))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)


def test_state_dict_round_trip():
    a = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Symmetric())
    b = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Symmetric())
    assert str(b.load_state_dict(a.state_dict())) == "<All keys matched successfully>"
    np.testing.assert_array_equal(host(a.weight), host(b.weight))


def test_transfer_parametrizations_and_params():
    a = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Scale(2.0))
    b = parametrize.transfer_parametrizations_and_params(a, nn.Linear(2, 2))
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    np.testing.assert_array_equal(host(b.weight), host(a.weight))


def test_matches_torch_names_and_values():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Linear(3, 3).double()

    class TSym(torch.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

    torch.nn.utils.parametrize.register_parametrization(tm, "weight", TSym())
    em = parametrize.register_parametrization(nn.Linear(3, 3).double(), "weight", Symmetric())
    assert type(em).__name__ == type(tm).__name__
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    np.testing.assert_allclose(host(em.weight), tm.weight.detach().numpy())
