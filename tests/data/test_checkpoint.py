"""ember.utils.checkpoint: the same gradients as without it, random draws replayed, activations dropped."""

import gc
import warnings
import weakref

import numpy as np
import pytest

import ember
from ember.utils.checkpoint import checkpoint, checkpoint_sequential


def _net(seed=0):
    ember.manual_seed(seed)
    return ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Dropout(0.5), ember.nn.Linear(8, 3))


def _grads(net, x):
    return [x.grad._host().copy()] + [p.grad._host().copy() for p in net.parameters()]


@pytest.mark.parametrize("reentrant", [True, False])
def test_gradients_equal_the_plain_run_with_the_same_dropout(reentrant):
    net, x = _net(), ember.randn(5, 4, dtype=ember.float32, requires_grad=True)
    state = ember.get_rng_state()
    (net(x) ** 2).sum().backward()
    plain, after_plain = _grads(net, x), ember.rand(3)
    net.zero_grad()
    x.grad = None
    ember.set_rng_state(state)
    (checkpoint(net, x, use_reentrant=reentrant) ** 2).sum().backward()
    for a, b in zip(plain, _grads(net, x)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert ember.equal(ember.rand(3), after_plain)  # the recomputation left the stream where it was


def test_non_reentrant_supports_autograd_grad_and_keyword_arguments():
    net, x = _net(), ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    net.double().eval()
    out = checkpoint(lambda a, scale: net(a) * scale, x, use_reentrant=False, scale=2.0)
    got = ember.autograd.grad(out.sum(), [x, net[0].weight])
    want = ember.autograd.grad((net(x) * 2.0).sum(), [x, net[0].weight])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a._host(), b._host(), rtol=1e-12)


def test_non_reentrant_reaches_parameters_when_no_input_requires_grad():
    lin = ember.nn.Linear(2, 2)
    checkpoint(lin, ember.ones(1, 2), use_reentrant=False).sum().backward()
    np.testing.assert_allclose(lin.weight.grad._host(), np.ones((2, 2)))


def test_reentrant_warns_and_gives_nothing_when_no_input_requires_grad():
    lin = ember.nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(lin, ember.ones(1, 2), use_reentrant=True)
    assert not out.requires_grad
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lin, ember.ones(1, 2), use_reentrant=True, scale=1.0)


def test_use_reentrant_must_be_given_explicitly_or_warns():
    x = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x).sum().backward()
    np.testing.assert_array_equal(x.grad._host(), [2.0, 2.0])


def test_activations_are_not_kept_between_forward_and_backward():
    inner = []

    def f(t):
        h = t.exp()
        inner.append(weakref.ref(h))
        return (h * 2).sum()

    x = ember.ones(1000, requires_grad=True)
    loss = checkpoint(f, x, use_reentrant=False)
    gc.collect()
    assert inner[0]() is None  # the intermediate is gone
    loss.backward()
    np.testing.assert_allclose(x.grad._host(), 2 * np.e * np.ones(1000), rtol=1e-6)


def test_checkpoint_sequential_matches_the_plain_model():
    net = _net()
    net.eval()
    x = ember.randn(6, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = checkpoint_sequential(net, 2, x, use_reentrant=False)
    np.testing.assert_allclose(out._host(), net(x)._host(), rtol=1e-6)
    out.sum().backward()
    plain = ember.autograd.grad(net(x).sum(), x)[0]
    np.testing.assert_allclose(x.grad._host(), plain._host(), rtol=1e-6)


@pytest.mark.parametrize("reentrant", [True, False])
def test_same_gradients_and_stream_as_torch(reentrant):
    torch = pytest.importorskip("torch")
    import torch.utils.checkpoint

    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Dropout(0.5), lib.nn.Linear(8, 3))
        x = lib.randn(5, 4, requires_grad=True)
        loss = (lib.utils.checkpoint.checkpoint(net, x, use_reentrant=reentrant) ** 2).sum()
        loss.backward()
        results.append([np.asarray(t.tolist()) for t in [loss, x.grad, net[0].weight.grad, lib.rand(2)]])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
