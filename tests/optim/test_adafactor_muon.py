"""Adafactor and Muon against numpy implementations of torch's documented algorithms (and torch when installed)."""

import copy

import numpy as np
import pytest

import ember
from ember import optim
from ember.optim.muon import NS_COEFFICIENTS, _bfloat16, orthogonalize

STEPS = 6
ADAFACTOR_SHAPES = [(3, 4), (2, 3, 5), (4,), ()]
MUON_SHAPES = [(4, 6), (7, 3), (5, 5)]


def problem(shapes, seed=3):
    """Initial values and targets of the loss sum((p - target)^2 + 0.025 p^4)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes], [rng.normal(size=s) for s in shapes]


def grad_of(p, target):
    return 2 * (p - target) + 0.1 * p**3


def rms(a):
    return float(np.sqrt(np.sum(a * a) / a.size))


# --- references (float64; Muon's Newton-Schulz rounds to bfloat16 through the bit pattern) -------------


def ref_adafactor(p, g, s, t, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False):
    eps1 = np.finfo(np.float64).eps if eps[0] is None else eps[0]
    g = -g if maximize else g
    w = t**beta2_decay
    alpha = max(eps[1], rms(p)) * min(lr, t**-0.5)
    p = p * (1 - lr * weight_decay)
    if p.ndim >= 2:
        s["row"] = (1 - w) * s.get("row", 0) + w * np.mean(g * g, axis=-1, keepdims=True)
        s["col"] = (1 - w) * s.get("col", 0) + w * np.mean(g * g, axis=-2, keepdims=True)
        v = s["row"] * s["col"] / np.maximum(np.mean(s["row"], axis=-2, keepdims=True), eps1)
    else:
        v = s["var"] = (1 - w) * s.get("var", 0) + w * g * g
    u = g / np.sqrt(np.maximum(v, eps1**2))
    return p - alpha / max(1.0, rms(u) / d) * u


def bf16(x):
    """Float32 values rounded to bfloat16 (to nearest, ties to even) on their bit pattern, as float32."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def ref_newton_schulz(u, coefficients=NS_COEFFICIENTS, steps=5, eps=1e-7):
    """torch's bfloat16 iteration: float32 arithmetic, every result rounded to bfloat16."""
    a, b, c = coefficients
    x = bf16(u.astype(np.float32))
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = bf16(x / max(bf16(np.sqrt(np.sum(x * x))), bf16(np.float32(eps))))
    for _ in range(steps):
        gram = bf16(x @ x.T)
        x = bf16(bf16(c * (gram @ gram) + b * gram) @ x + a * x)
    return x.T if tall else x


def ref_muon(p, g, s, t, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_coefficients=NS_COEFFICIENTS,
             eps=1e-7, ns_steps=5, adjust_lr_fn=None):
    buf = s["buf"] = s.get("buf", 0 * g) + (1 - momentum) * (g - s.get("buf", 0 * g))
    u = g + momentum * (buf - g) if nesterov else buf
    o = ref_newton_schulz(u, ns_coefficients, ns_steps, eps).astype(np.float64)
    rows, cols = p.shape
    ratio = 0.2 * max(rows, cols) ** 0.5 if adjust_lr_fn == "match_rms_adamw" else max(1, rows / cols) ** 0.5
    return p * (1 - lr * weight_decay) - lr * ratio * o


CASES = [
    ("Adafactor", ref_adafactor, dict()),
    ("Adafactor", ref_adafactor, dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1)),
    ("Adafactor", ref_adafactor, dict(lr=0.2, maximize=True, eps=(1e-3, 1e-3))),
    ("Muon", ref_muon, dict()),
    ("Muon", ref_muon, dict(lr=0.02, weight_decay=0.0, nesterov=False, momentum=0.5, adjust_lr_fn="match_rms_adamw")),
    ("Muon", ref_muon, dict(lr=0.05, ns_coefficients=(2.0, -1.5, 0.5), ns_steps=3, adjust_lr_fn="original")),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]
SHAPES = {"Adafactor": ADAFACTOR_SHAPES, "Muon": MUON_SHAPES}


def reference_run(name, ref, kw, steps=STEPS):
    params, targets = problem(SHAPES[name])
    states = [{} for _ in params]
    for t in range(1, steps + 1):
        params = [ref(p, grad_of(p, y), s, t, **kw) for p, y, s in zip(params, targets, states)]
    return params, states


def values(tensors):
    return [np.asarray(t.detach().cpu().numpy(), dtype=np.float64) for t in tensors]


def set_grads(params, targets):
    for p, y, v in zip(params, targets, values(params)):
        p.grad = ember.tensor(grad_of(v, y), dtype=p.dtype, device=p.device)


def ember_run(name, kw, device, steps=STEPS, dtype=ember.float64):
    init, targets = problem(SHAPES[name])
    params = [ember.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in init]
    opt = getattr(optim, name)(params, **kw)
    for _ in range(steps):
        set_grads(params, targets)
        opt.step()
    return params, opt


def tolerance(name, kw, device):
    """Exact to float64 rounding; on CUDA, Muon's bfloat16 products may round a few elements the other way."""
    if name == "Muon" and device == "cuda":
        return dict(rtol=0, atol=0.05 * kw.get("lr", 1e-3) * STEPS)
    return dict(rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_reference(name, ref, kw, device):
    params, opt = ember_run(name, kw, device)
    want, states = reference_run(name, ref, kw)
    for got, w in zip(values(params), want):
        np.testing.assert_allclose(got, w, **tolerance(name, kw, device))
    for p, s in zip(params, states):
        st = opt.state[p]
        if name == "Muon":
            assert set(st) == {"momentum_buffer"}
            np.testing.assert_allclose(values([st["momentum_buffer"]])[0], s["buf"], rtol=1e-12, atol=1e-14)
            continue
        assert st["step"].item() == STEPS and st["step"].dtype is ember.float32 and st["step"].device.type == "cpu"
        if p.ndim >= 2:
            assert set(st) == {"step", "row_var", "col_var"}
            assert st["row_var"].shape == p.shape[:-1] + (1,) and st["col_var"].shape == p.shape[:-2] + (1, p.shape[-1])
            np.testing.assert_allclose(values([st["row_var"]])[0], s["row"], rtol=1e-12)
            np.testing.assert_allclose(values([st["col_var"]])[0], s["col"], rtol=1e-12)
        else:
            assert set(st) == {"step", "variance"} and st["variance"].shape == p.shape
            np.testing.assert_allclose(values([st["variance"]])[0], s["var"], rtol=1e-12)


@pytest.mark.parametrize("name,ref,kw", CASES[::3], ids=IDS[::3])
def test_state_dict_round_trip_continues_identically(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=3)
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["params"] == list(range(len(params)))
    clones = [ember.tensor(v, device=device, requires_grad=True) for v in values(params)]
    resumed = getattr(optim, name)(clones, **kw)
    resumed.load_state_dict(saved)
    _, targets = problem(SHAPES[name])
    for _ in range(STEPS - 3):
        for ps, o in ((params, opt), (clones, resumed)):
            set_grads(ps, targets)
            o.step()
    for a, b, want in zip(values(params), values(clones), reference_run(name, ref, kw)[0]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, want, **tolerance(name, kw, device))


@pytest.mark.parametrize("name,ref,kw", CASES[::3], ids=IDS[::3])
def test_float32_params_keep_their_dtype(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=3, dtype=ember.float32)
    for p in params:
        assert p.dtype is ember.float32
        assert all(v.dtype is ember.float32 for v in opt.state[p].values())
    for got, want in zip(values(params), reference_run(name, ref, kw, steps=3)[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- Adafactor details ------------------------------------------------------------------------------------


def test_adafactor_defaults_and_eps1_from_the_parameter_dtype(device):
    p32 = ember.ones(4, device=device, requires_grad=True)
    p64 = ember.ones(4, dtype=ember.float64, device=device, requires_grad=True)
    opt = optim.Adafactor([p32, p64])
    assert opt.defaults == dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, foreach=None,
                                maximize=False)
    for p in (p32, p64):
        p.grad = ember.full((4,), 1e-10, dtype=p.dtype, device=p.device)
    opt.step()
    # step 1: v = g^2, u = g / max(|g|, eps1); alpha = rms(p) * lr = 0.01; eps1 comes from the first parameter (float32)
    u = 1e-10 / np.finfo(np.float32).eps
    np.testing.assert_allclose(values([p32, p64]), [[1 - 0.01 * u] * 4] * 2, rtol=1e-6)
    q = ember.ones(4, dtype=ember.float64, device=device, requires_grad=True)
    q.grad = ember.full((4,), 1e-10, dtype=ember.float64, device=device)
    optim.Adafactor([q]).step()  # alone, the float64 epsilon: u = 1, a full relative step
    np.testing.assert_allclose(values([q])[0], [0.99] * 4, rtol=1e-14)


def test_adafactor_clips_large_updates(device):
    # one step on a matrix whose gradient is 1 except for a single 100: the factored estimate
    # underrates the outlier, RMS(u) > d, and the step is scaled down to RMS d * alpha
    p = ember.zeros(2, 2, dtype=ember.float64, device=device, requires_grad=True)
    g = np.array([[100.0, 1.0], [1.0, 1.0]])
    p.grad = ember.tensor(g, device=device)
    optim.Adafactor([p], lr=0.5).step()
    row, col = np.mean(g * g, axis=1, keepdims=True), np.mean(g * g, axis=0, keepdims=True)
    u = g / np.sqrt(row * col / row.mean())
    assert rms(u) > 1
    np.testing.assert_allclose(values([p])[0], -1e-3 * 0.5 * u / rms(u), rtol=1e-12)


# --- Muon details ------------------------------------------------------------------------------------------


def test_bfloat16_rounding_matches_the_bit_pattern_rule():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    bits = np.concatenate([bits, (bits & 0xFFFF0000) | 0x8000])  # exact ties: both parities
    x = bits.view(np.float32)
    normal = np.isfinite(x) & (np.abs(x) < 5e33) & (np.abs(x) >= np.finfo(np.float32).tiny)
    np.testing.assert_array_equal(_bfloat16(x[normal]), bf16(x[normal]))
    tiny = x[np.abs(x) < np.finfo(np.float32).tiny]  # subnormals round relative to their own scale: under 1e-40 off
    np.testing.assert_allclose(_bfloat16(tiny), bf16(tiny), rtol=0, atol=1e-40)


@pytest.mark.parametrize("shape", [(6, 9), (9, 6), (5, 5)])
def test_newton_schulz_follows_the_quintic_on_singular_values(shape, device):
    # NS acts on each singular value s of G / ||G||_F as s -> a s + b s^3 + c s^5, leaving U and V alone
    rng = np.random.default_rng(1)
    k = min(shape)
    u, _ = np.linalg.qr(rng.normal(size=(shape[0], k)))
    v, _ = np.linalg.qr(rng.normal(size=(shape[1], k)))
    s = np.linspace(0.1, 2.0, k)
    g = (u * s) @ v.T
    a, b, c = NS_COEFFICIENTS
    sv = s / np.linalg.norm(s)
    for _ in range(5):
        sv = a * sv + b * sv**3 + c * sv**5
    be = ember.zeros(1, device=device)._be
    got = np.asarray(be.to_host(orthogonalize(be, be.from_host(g.astype(np.float32)))), dtype=np.float64)
    np.testing.assert_allclose(got, (u * sv) @ v.T, atol=0.03)  # bfloat16 arithmetic
    np.testing.assert_array_equal(got, ref_newton_schulz(g))  # the same numpy products, the same roundings


def test_muon_defaults_and_errors():
    w = ember.zeros(2, 3, requires_grad=True)
    assert optim.Muon([w]).defaults == dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                                            ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                                            adjust_lr_fn=None)
    for kw, msg in [(dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
                    (dict(momentum=-0.1), "momentum should be >= 0 but is: -0.1"),
                    (dict(weight_decay=-1), "weight decay should be >= 0 but is: -1"),
                    (dict(adjust_lr_fn="nope"), "Adjust learning rate function nope is not supported")]:
        with pytest.raises(ValueError, match=msg):
            optim.Muon([w], **kw)
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters whereas we found a parameter with size: "
                                         r"ember.Size\(\[3\]\)"):
        optim.Muon([w, ember.zeros(3, requires_grad=True)])
    w.grad = ember.ones(2, 3)
    for kw, msg in [(dict(ns_steps=100), "Number of steps must be less than 100 for computational efficiency"),
                    (dict(ns_coefficients=(1.0, 2.0)), "Coefficients must be a tuple of exactly 3 values")]:
        with pytest.raises(ValueError, match=msg):
            optim.Muon([w], **kw).step()
    opt = optim.Muon([w])
    b = ember.zeros(3, requires_grad=True)
    opt.add_param_group({"params": [b]})  # torch checks the shapes only in the constructor, then at the step
    b.grad = ember.ones(3)
    with pytest.raises(ValueError, match="Param gradient must be a 2D matrix"):
        opt.step()
    z = ember.zeros(2, 2, dtype=ember.complex64, requires_grad=True)
    z.grad = ember.ones(2, 2, dtype=ember.complex64)
    with pytest.raises(RuntimeError, match="Muon does not support complex parameters"):
        optim.Muon([z]).step()


def test_adafactor_errors():
    p = ember.zeros(2, requires_grad=True)
    for kw, msg in [(dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
                    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
                    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
                    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
                    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
                    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1")]:
        with pytest.raises(ValueError, match=msg):
            optim.Adafactor([p], **kw)
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.Adafactor([p], lr=ember.ones(2))
    z = ember.zeros(2, dtype=ember.complex64, requires_grad=True)
    z.grad = ember.ones(2, dtype=ember.complex64)
    with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
        optim.Adafactor([z]).step()


# --- torch ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_against_torch(name, ref, kw, dtype):
    torch = pytest.importorskip("torch")
    init, targets = problem(SHAPES[name])
    runs = []
    for lib in (torch, ember):
        params = [lib.tensor(p, dtype=getattr(lib, dtype), requires_grad=True) for p in init]
        opt = getattr(lib.optim, name)(params, **kw)
        for _ in range(STEPS):
            for p, y in zip(params, targets):
                p.grad = lib.tensor(grad_of(p.detach().numpy().astype(np.float64), y), dtype=getattr(lib, dtype))
            opt.step()
        runs.append(([p.detach().numpy() for p in params], opt))
    (want, topt), (got, eopt) = runs
    if name == "Muon":  # the bfloat16 products may round a few elements the other way (summation order)
        tol = dict(rtol=0, atol=0.05 * kw.get("lr", 1e-3) * STEPS)
    else:
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, **tol)
    for (tp, ep) in zip(topt.param_groups[0]["params"], eopt.param_groups[0]["params"]):
        tst, est = topt.state[tp], eopt.state[ep]
        assert set(tst) == set(est)
        for key in tst:
            assert tuple(tst[key].shape) == tuple(est[key].shape)
            assert str(tst[key].dtype).split(".")[-1] == est[key].dtype.name
    assert topt.defaults == eopt.defaults
