"""ASGD and Rprop against numpy implementations of torch's documented algorithms (and torch when installed)."""

import copy

import numpy as np
import pytest

import ember
from ember import optim

SHAPES = [(3, 2), (4,), ()]
STEPS = 9


def initial_params():
    rng = np.random.default_rng(3)
    return [rng.normal(size=s) for s in SHAPES]


TARGETS = [np.random.default_rng(4).normal(size=s) for s in SHAPES]


def grad_of(p, i):
    """The gradient of sum((p - target)^2 + 0.025 p^4): changes sign along the way (Rprop's interesting case)."""
    return 2 * (p - TARGETS[i]) + 0.1 * p**3


def f32(x):
    """Rounded like a float32 state scalar (ASGD's eta and mu)."""
    return float(np.float32(x))


def ref_asgd(p, g, s, t, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    eta, mu = s.get("eta", f32(lr)), s.get("mu", 1.0)
    g = -g if maximize else g
    g = g + weight_decay * p
    p = p * (1 - lambd * eta) - eta * g
    s["ax"] = p.copy() if mu == 1 else s["ax"] + mu * (p - s["ax"])
    s["eta"] = f32(lr / (1 + lambd * lr * t) ** alpha)
    s["mu"] = f32(1 / max(1, t - t0))
    return p


def ref_rprop(p, g, s, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    prev, size = s.get("prev", 0 * p), s.get("size", 0 * p + lr)
    prod = g * prev
    size = np.clip(np.where(prod > 0, size * etas[1], np.where(prod < 0, size * etas[0], size)), *step_sizes)
    g = np.where(prod < 0, 0.0, g)
    s["prev"], s["size"] = g, size
    return p - np.sign(g) * size


CASES = [
    ("ASGD", ref_asgd, dict()),
    ("ASGD", ref_asgd, dict(lr=0.05, t0=3, lambd=0.1)),
    ("ASGD", ref_asgd, dict(lr=0.05, t0=2, alpha=0.5, weight_decay=0.1, maximize=True)),
    ("Rprop", ref_rprop, dict()),
    ("Rprop", ref_rprop, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", ref_rprop, dict(lr=0.05, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]


def reference_run(ref, kw, steps=STEPS):
    params = initial_params()
    states = [{} for _ in params]
    for t in range(1, steps + 1):
        params = [ref(p, grad_of(p, i), s, t, **kw) for i, (p, s) in enumerate(zip(params, states))]
    return params, states


def set_grads(params):
    for i, p in enumerate(params):
        p.grad = ember.tensor(grad_of(values([p])[0], i), dtype=p.dtype, device=p.device)


def ember_run(name, kw, device, steps=STEPS, dtype=ember.float64):
    params = [ember.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in initial_params()]
    opt = getattr(optim, name)(params, **kw)
    for _ in range(steps):
        set_grads(params)
        opt.step()
    return params, opt


def values(params):
    return [np.asarray(p.detach().cpu().numpy(), dtype=np.float64) for p in params]


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_reference(name, ref, kw, device):
    params, opt = ember_run(name, kw, device)
    want, states = reference_run(ref, kw)
    for got, w in zip(values(params), want):
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-14)
    for p, s in zip(params, states):
        st = opt.state[p]
        assert st["step"].item() == STEPS and st["step"].dtype is ember.float32
        if name == "ASGD":
            np.testing.assert_allclose(values([st["ax"]])[0], s["ax"], rtol=1e-12, atol=1e-14)
            assert st["eta"].item() == s["eta"] and st["mu"].item() == s["mu"]
        else:
            np.testing.assert_allclose(values([st["step_size"]])[0], s["size"], rtol=1e-12)
            np.testing.assert_allclose(values([st["prev"]])[0], s["prev"], rtol=1e-12)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=4)
    saved = copy.deepcopy(opt.state_dict())
    clones = [ember.tensor(v, device=device, requires_grad=True) for v in values(params)]
    resumed = getattr(optim, name)(clones, **kw)
    resumed.load_state_dict(saved)
    for _ in range(5):
        for ps, o in ((params, opt), (clones, resumed)):
            set_grads(ps)
            o.step()
    for a, b, want in zip(values(params), values(clones), reference_run(ref, kw)[0]):
        if name == "ASGD":  # loading casts the float32 eta and mu to the parameters' float64, like torch
            np.testing.assert_allclose(a, b, rtol=1e-6)
        else:
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,ref,kw", CASES[::3], ids=IDS[::3])
def test_float32_params_keep_their_dtype(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=3, dtype=ember.float32)
    for p in params:
        assert p.dtype is ember.float32
        assert all(v.dtype is ember.float32 for v in opt.state[p].values())
    for got, want in zip(values(params), reference_run(ref, kw, steps=3)[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_state_layout_and_defaults():
    p = ember.zeros(2, requires_grad=True)
    asgd = optim.ASGD([p])
    assert {k: v for k, v in asgd.defaults.items()} == dict(
        lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False, differentiable=False,
        capturable=False)
    rprop = optim.Rprop([p])
    assert rprop.defaults["etas"] == (0.5, 1.2) and rprop.defaults["step_sizes"] == (1e-6, 50)
    p.grad = ember.ones(2)
    asgd.step()
    rprop.step()
    assert set(asgd.state[p]) == {"step", "eta", "mu", "ax"} and asgd.state[p]["eta"].shape == ()
    assert set(rprop.state[p]) == {"step", "prev", "step_size"}


def test_invalid_arguments():
    p = ember.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.ASGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -0.1"):
        optim.ASGD([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="Invalid eta values: 1.5, 2"):
        optim.Rprop([p], etas=(1.5, 2))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Rprop([p], lr=-0.5)
    for cls in (optim.ASGD, optim.Rprop):
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([p], differentiable=True)


@pytest.mark.parametrize("name", ["ASGD", "Rprop"])
def test_training_reduces_the_loss(name, device):
    w = ember.tensor([3.0, -2.0], dtype=ember.float64, device=device, requires_grad=True)
    opt = getattr(optim, name)([w], lr=0.1)
    for _ in range(60):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert (w * w).sum().item() < 1e-2


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_against_torch(name, ref, kw):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(p, requires_grad=True) for p in initial_params()]
    topt = getattr(torch.optim, name)(tparams, **kw)
    eparams = [ember.tensor(p, requires_grad=True) for p in initial_params()]
    eopt = getattr(optim, name)(eparams, **kw)
    for _ in range(STEPS):
        for i, (tp, ep) in enumerate(zip(tparams, eparams)):
            g = grad_of(tp.detach().numpy(), i)
            tp.grad, ep.grad = torch.tensor(g), ember.tensor(g)
        topt.step()
        eopt.step()
    for tp, ep in zip(tparams, eparams):
        np.testing.assert_allclose(values([ep])[0], tp.detach().numpy(), rtol=1e-12, atol=1e-14)
    for tp, ep in zip(tparams, eparams):
        for key, tv in topt.state[tp].items():
            np.testing.assert_allclose(values([eopt.state[ep][key]])[0], tv.numpy(), rtol=1e-12, atol=1e-14)
