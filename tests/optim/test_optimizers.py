"""Optimizers against numpy implementations of torch's documented algorithms (and torch itself when installed)."""

import copy
import math

import numpy as np
import pytest

import ember
from ember import optim


# --- the problem: fixed parameters, a nonlinear gradient field --------------------------------
SHAPES = [(3, 2), (2,), ()]


def initial_params():
    rng = np.random.default_rng(1)
    return [rng.normal(size=s) for s in SHAPES]


TARGETS = [np.random.default_rng(2).normal(size=s) for s in SHAPES]


def grad_of(p, i):
    """The gradient of sum((p - target)^2 + 0.025 p^4)."""
    return 2 * (p - TARGETS[i]) + 0.1 * p**3


# --- numpy references: one function per algorithm, the pseudo-code of torch's docs ----------------
def lerp(m, g, w):
    return m + w * (g - m)


def regularize(p, g, lr, wd, maximize, decoupled=False):
    """Negate for maximize; apply L2 (to g) or decoupled (to p) weight decay."""
    g = -g if maximize else g
    if wd:
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
    return p, g


def ref_sgd(p, g, s, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    p, g = regularize(p, g, lr, weight_decay, maximize)
    if momentum:
        s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return p - lr * g


def ref_adam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled_weight_decay=False):
    b1, b2 = betas
    p, g = regularize(p, g, lr, weight_decay, maximize, decoupled_weight_decay)
    s["m"] = lerp(s.get("m", 0 * p), g, 1 - b1)
    s["v"] = b2 * s.get("v", 0 * p) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = v = np.maximum(s.get("vmax", 0 * p), v)
    return p - lr / (1 - b1**t) * (s["m"] / (np.sqrt(v) / math.sqrt(1 - b2**t) + eps))


def ref_adamw(p, g, s, t, weight_decay=1e-2, **kw):
    return ref_adam(p, g, s, t, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def ref_rmsprop(p, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    p, g = regularize(p, g, lr, weight_decay, maximize)
    s["v"] = alpha * s.get("v", 0 * p) + (1 - alpha) * g * g
    v = s["v"]
    if centered:
        s["a"] = lerp(s.get("a", 0 * p), g, 1 - alpha)
        v = v - s["a"] ** 2
    avg = np.sqrt(v) + eps
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0 * p) + g / avg
        return p - lr * s["b"]
    return p - lr * g / avg


def ref_adagrad(p, g, s, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    p, g = regularize(p, g, lr, weight_decay, maximize)
    s["sum"] = s.get("sum", 0 * p + initial_accumulator_value) + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


def ref_adadelta(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    p, g = regularize(p, g, lr, weight_decay, maximize)
    s["v"] = rho * s.get("v", 0 * p) + (1 - rho) * g * g
    delta = np.sqrt(s.get("u", 0 * p) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0 * p) + (1 - rho) * delta * delta
    return p - lr * delta


def ref_adamax(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    p, g = regularize(p, g, lr, weight_decay, maximize)
    s["m"] = b1 * s.get("m", 0 * p) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0 * p), np.abs(g) + eps)
    return p - lr / (1 - b1**t) * s["m"] / s["u"]


def ref_nadam(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, g = regularize(p, g, lr, weight_decay, maximize, decoupled_weight_decay)

    def mu(k):
        return b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay))

    # the running product of the mu's is a float32 step-counter-like tensor, as in torch
    s["prod"] = np.float32(s.get("prod", np.float32(1.0)) * np.float32(mu(t)))
    prod = float(s["prod"])
    s["m"] = lerp(s.get("m", 0 * p), g, 1 - b1)
    s["v"] = b2 * s.get("v", 0 * p) + (1 - b2) * g * g
    denom = np.sqrt(s["v"] / (1 - b2**t)) + eps
    return p - lr * (1 - mu(t)) / (1 - prod) * g / denom - lr * mu(t + 1) / (1 - prod * mu(t + 1)) * s["m"] / denom


def ref_radam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
              maximize=False):
    b1, b2 = betas
    p, g = regularize(p, g, lr, weight_decay, maximize, decoupled_weight_decay)
    s["m"] = lerp(s.get("m", 0 * p), g, 1 - b1)
    s["v"] = b2 * s.get("v", 0 * p) + (1 - b2) * g * g
    m_hat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t > 5:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return p - lr * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps) * rect
    return p - lr * m_hat


CASES = [
    ("SGD", ref_sgd, dict(lr=0.1)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.9)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", ref_adam, dict(lr=0.1)),
    ("Adam", ref_adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    ("Adam", ref_adam, dict(lr=0.05, betas=(0.3, 0.9), maximize=True)),
    ("Adam", ref_adam, dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True, eps=1e-3)),
    ("AdamW", ref_adamw, dict(lr=0.1)),
    ("AdamW", ref_adamw, dict(lr=0.1, weight_decay=0.3, amsgrad=True, maximize=True)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, centered=True, alpha=0.9)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, momentum=0.5, centered=True, maximize=True, eps=1e-3)),
    ("Adagrad", ref_adagrad, dict(lr=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.5, initial_accumulator_value=0.3, weight_decay=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, maximize=True, eps=1e-3)),
    ("Adadelta", ref_adadelta, dict()),
    ("Adadelta", ref_adadelta, dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("Adamax", ref_adamax, dict(lr=0.1)),
    ("Adamax", ref_adamax, dict(lr=0.1, betas=(0.4, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", ref_nadam, dict(lr=0.1)),
    ("NAdam", ref_nadam, dict(lr=0.1, weight_decay=0.1, momentum_decay=0.1)),
    ("NAdam", ref_nadam, dict(lr=0.1, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", ref_radam, dict(lr=0.1, betas=(0.9, 0.9))),
    ("RAdam", ref_radam, dict(lr=0.1, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", ref_radam, dict(lr=0.1, betas=(0.9, 0.9), weight_decay=0.2, decoupled_weight_decay=True,
                              maximize=True)),
    ("RAdam", ref_radam, dict(lr=0.1)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]
STEPS = 8


def reference_run(ref, kw, steps=STEPS):
    params = initial_params()
    states = [{} for _ in params]
    for t in range(1, steps + 1):
        params = [ref(p, grad_of(p, i), s, t, **kw) for i, (p, s) in enumerate(zip(params, states))]
    return params


def make_params(device, dtype=ember.float64):
    return [ember.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in initial_params()]


def set_grads(params):
    for i, p in enumerate(params):
        p.grad = ember.tensor(grad_of(np.asarray(p.detach().cpu().numpy(), dtype=np.float64), i), dtype=p.dtype,
                              device=p.device)


def ember_run(name, kw, device, steps=STEPS, dtype=ember.float64):
    params = make_params(device, dtype)
    opt = getattr(optim, name)(params, **kw)
    for _ in range(steps):
        set_grads(params)
        opt.step()
    return params, opt


def values(params):
    return [np.asarray(p.detach().cpu().numpy(), dtype=np.float64) for p in params]


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_reference(name, ref, kw, device):
    params, _ = ember_run(name, kw, device)
    for got, want in zip(values(params), reference_run(ref, kw)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=3)
    saved = copy.deepcopy(opt.state_dict())
    clones = [ember.tensor(v, device=device, requires_grad=True) for v in values(params)]
    resumed = getattr(optim, name)(clones, **kw)
    resumed.load_state_dict(saved)
    for _ in range(4):
        for ps, o in ((params, opt), (clones, resumed)):
            set_grads(ps)
            o.step()
    for a, b in zip(values(params), values(clones)):
        if name == "NAdam":  # loading casts the float32 mu_product to the parameters' float64, like torch
            np.testing.assert_allclose(a, b, rtol=1e-7)
        else:
            np.testing.assert_array_equal(a, b)
    for a, b in zip(values(params), reference_run(ref, kw, steps=7)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,ref,kw", CASES[::3], ids=IDS[::3])
def test_float32_params_keep_their_dtype(name, ref, kw, device):
    params, opt = ember_run(name, kw, device, steps=3, dtype=ember.float32)
    for p in params:
        assert p.dtype is ember.float32
    for st in opt.state.values():
        for key, v in st.items():
            if isinstance(v, ember.Tensor) and key not in ("step", "mu_product"):
                assert v.dtype is ember.float32
    for got, want in zip(values(params), reference_run(ref, kw, steps=3)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_state_dict_layout():
    a, b, c = make_params("cpu")
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], amsgrad=True)
    a.grad, c.grad = ember.ones_like(a), ember.ones_like(c)  # b gets no gradient: no state
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 2]
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][1]["params"] == [2]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["lr"] == 1e-3
    assert set(sd["param_groups"][0]) == {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach",
                                          "capturable", "differentiable", "fused", "decoupled_weight_decay", "params"}
    st = sd["state"][0]
    assert set(st) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert st["step"].shape == () and st["step"].dtype is ember.float32 and st["step"].item() == 1.0
    assert st["exp_avg"] is opt.state[a]["exp_avg"]  # like torch: the live tensors, not copies


def test_sgd_without_momentum_keeps_no_state():
    params = make_params("cpu")
    opt = optim.SGD(params, lr=0.1)
    set_grads(params)
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_adagrad_creates_state_up_front():
    p = ember.zeros(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.5)
    assert opt.state[p]["sum"].tolist() == [0.5, 0.5] and opt.state[p]["step"].item() == 0.0


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    p = ember.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ember.ones(2)
    opt.step()
    q = ember.ones(2, dtype=ember.float64, requires_grad=True)
    opt2 = optim.Adam([q])
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert opt2.state[q]["exp_avg"].dtype is ember.float64
    assert opt2.state[q]["step"].dtype is ember.float32


def test_load_state_dict_checks_the_groups():
    a, b, c = make_params("cpu")
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a, b, c], lr=0.1).load_state_dict(sd)


def test_load_state_dict_restores_hyperparameters():
    a, = make_params("cpu")[:1]
    src = optim.SGD([a], lr=0.3, momentum=0.5)
    dst = optim.SGD([ember.zeros(3, 2, requires_grad=True)], lr=0.1)
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["lr"] == 0.3 and dst.param_groups[0]["momentum"] == 0.5


def test_param_groups_with_different_lr(device):
    a, b, c = make_params(device)
    opt = optim.SGD([{"params": [a, c], "lr": 0.1}, {"params": [b]}], lr=0.01, momentum=0.9)
    for _ in range(5):
        set_grads([a, b, c])
        opt.step()
    fast = reference_run(ref_sgd, dict(lr=0.1, momentum=0.9), steps=5)
    slow = reference_run(ref_sgd, dict(lr=0.01, momentum=0.9), steps=5)
    for got, want in zip(values([a, b, c]), [fast[0], slow[1], fast[2]]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_closure_is_evaluated_with_grad_enabled():
    p = ember.tensor([2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and loss.item() == 4.0 and p.tolist() == [1.0]
    assert ember.is_grad_enabled()


def test_training_with_autograd_reduces_the_loss(device):
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=(32, 3)), device=device)
    w_true = np.array([[1.0], [-2.0], [0.5]])
    y = x @ ember.tensor(w_true, device=device)
    w = ember.zeros(3, 1, dtype=ember.float64, device=device, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(values([w])[0], w_true, atol=1e-2)


def test_step_bumps_the_version_so_stale_graphs_fail():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    loss = (p * p).sum()
    p.grad = ember.ones(2)
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_zero_grad():
    p = ember.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and g.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_parameters_without_grad_are_skipped():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and b not in opt.state and a.tolist() != [1.0, 1.0]


def test_named_parameters():
    a = ember.zeros(1, requires_grad=True)
    opt = optim.SGD([("weight", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight"] and opt.param_groups[0]["params"][0] is a


def test_add_param_group_and_its_errors():
    a, b = ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "momentum": 0.5})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.5
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="duplicate"):
        opt.add_param_group({"params": [ember.zeros(1, requires_grad=True)] * 2})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {ember.zeros(1, requires_grad=True)}})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])


def test_constructor_errors():
    p = ember.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        optim.optimizer.Optimizer([p], {"lr": optim.optimizer.required})


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD([p], momentum=-0.1), "Invalid momentum value"),
    (lambda p: optim.SGD([p], nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam([p], betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda p: optim.Adam([p], eps=-1), "Invalid epsilon value"),
    (lambda p: optim.AdamW([p], weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: optim.RMSprop([p], alpha=-1), "Invalid alpha value"),
    (lambda p: optim.Adagrad([p], lr_decay=-1), "Invalid lr_decay value"),
    (lambda p: optim.Adagrad([p], initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    (lambda p: optim.Adadelta([p], rho=1.5), "Invalid rho value"),
    (lambda p: optim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value"),
    (lambda p: optim.LBFGS([p], lr=-1), "Invalid learning rate"),
])
def test_invalid_options(make, message):
    with pytest.raises(ValueError, match=message):
        make(ember.zeros(1, requires_grad=True))


def test_unsupported_features_fail_loudly():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([ember.zeros(1, requires_grad=True)], differentiable=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [ember.zeros(1, requires_grad=True)]}, {"params": [ember.zeros(1, requires_grad=True)]}])


def test_tensor_lr():
    p = ember.tensor([1.0], requires_grad=True)
    p.grad = ember.tensor([1.0])
    optim.SGD([p], lr=ember.tensor(0.5)).step()
    assert p.tolist() == [0.5]


def test_step_hooks():
    p = ember.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt)))
    g = optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global", True)))
    opt.step()
    assert calls == [("global", True), ("pre", True), ("post", True)]
    for h in (h1, h2, g):
        h.remove()
    opt.step()
    assert len(calls) == 3


def test_pre_hook_can_replace_arguments():
    p = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((closure,), {}))
    assert opt.step().item() == 1.0 and p.tolist() == [0.0]


def test_state_dict_hooks():
    p = ember.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd-pre"))
    opt.register_state_dict_post_hook(lambda o, sd: calls.append("sd-post"))
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"), prepend=True)
    opt.load_state_dict(opt.state_dict())
    assert calls == ["sd-pre", "sd-post", "load-pre", "load-post"]


def test_repr():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text and text.endswith(")")


def test_custom_optimizer_subclass():
    class Sign(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.sub_(p.grad.sign() * group["lr"])

    p = ember.tensor([1.0, -1.0], requires_grad=True)
    opt = Sign([p], lr=0.5)
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(1))
    (p * 3).sum().backward()
    opt.step()
    assert p.tolist() == [0.5, -1.5] and seen == [1]


# --- LBFGS -----------------------------------------------------------------------------------
A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic_closure(opt, x):
    a, b = ember.tensor(A, device=x.device), ember.tensor(B, device=x.device)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (a @ x)).sum() - (b * x).sum()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_solves_a_quadratic(line_search_fn, device):
    x = ember.zeros(3, dtype=ember.float64, device=device, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn, max_iter=50, tolerance_grad=1e-12, tolerance_change=1e-14)
    opt.step(quadratic_closure(opt, x))
    np.testing.assert_allclose(values([x])[0], np.linalg.solve(A, B), rtol=1e-6, atol=1e-8)


def test_lbfgs_first_iteration_is_a_scaled_gradient_step():
    x = ember.tensor([1.0, 1.0, 1.0], dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([x], lr=0.5, max_iter=1)
    loss = opt.step(quadratic_closure(opt, x))
    g = A @ np.ones(3) - B
    np.testing.assert_allclose(values([x])[0], 1 - 0.5 * min(1, 1 / np.abs(g).sum()) * g, rtol=1e-12)
    assert loss.item() == pytest.approx(0.5 * np.ones(3) @ A @ np.ones(3) - B.sum())
    state = opt.state[x]
    assert state["func_evals"] == 1 and state["n_iter"] == 1 and state["d"].shape == (3,)


def test_lbfgs_resumes_from_its_state():
    x = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=2, history_size=2, tolerance_change=1e-14)
    closure = quadratic_closure(opt, x)
    for _ in range(15):
        opt.step(closure)
    assert opt.state[x]["n_iter"] > 2 and len(opt.state[x]["old_dirs"]) <= 2
    np.testing.assert_allclose(values([x])[0], np.linalg.solve(A, B), rtol=1e-6)


def test_lbfgs_stops_at_a_stationary_point():
    x = ember.tensor(np.linalg.solve(A, B), requires_grad=True)
    opt = optim.LBFGS([x])
    opt.step(quadratic_closure(opt, x))
    assert opt.state[x]["func_evals"] == 1 and opt.state[x]["n_iter"] == 0


# --- against torch ---------------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_torch(name, ref, kw):
    torch = pytest.importorskip("torch")
    params, opt = ember_run(name, kw, "cpu", dtype=ember.float32)
    tparams = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in initial_params()]
    topt = getattr(torch.optim, name)(tparams, **kw)
    for _ in range(STEPS):
        for i, p in enumerate(tparams):
            p.grad = torch.tensor(grad_of(p.detach().numpy().astype(np.float64), i), dtype=torch.float32)
        topt.step()
    for got, want in zip(values(params), tparams):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-6, atol=1e-6)
    theirs, ours = topt.state_dict(), opt.state_dict()
    assert set(ours["param_groups"][0]) == set(theirs["param_groups"][0])
    assert {k: set(v) for k, v in ours["state"].items()} == {k: set(v) for k, v in theirs["state"].items()}


@pytest.mark.torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 2])
def test_lbfgs_matches_torch(line_search_fn, history_size):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ember, torch):
        x = lib.tensor([1.5, -0.5, 0.3], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.LBFGS([x], lr=0.8, line_search_fn=line_search_fn, history_size=history_size, max_iter=7)

        def closure(opt=opt, x=x):
            opt.zero_grad()
            loss = ((x - 2.0) ** 2).sum() + (x[0] * x[1]) ** 2 + (x[2] ** 2 * x[1]) ** 2
            loss.backward()
            return loss

        losses = [float(opt.step(closure).detach()) for _ in range(3)]
        results.append((losses, x.detach().tolist(), opt.state[x]["func_evals"], opt.state[x]["n_iter"]))
    (l1, x1, e1, n1), (l2, x2, e2, n2) = results
    np.testing.assert_allclose(l1, l2, rtol=1e-10)
    np.testing.assert_allclose(x1, x2, rtol=1e-10)
    assert (e1, n1) == (e2, n2)
