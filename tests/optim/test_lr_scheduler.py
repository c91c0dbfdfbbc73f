"""Learning-rate schedulers: lr sequences against explicit formulas (and torch when installed)."""

import copy
import math
from bisect import bisect_right

import pytest

import ember
from ember.optim import lr_scheduler as L


EPOCHS = 30


def make_opt(lib=ember, lrs=(0.1,), kind="SGD", **kw):
    params = [{"params": [lib.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(lib.optim, kind)(params, **kw)


def run(sched, opt, epochs=EPOCHS, metrics=None):
    """The lr of group 0 after construction and after each of ``epochs`` steps."""
    seq = [sched.get_last_lr()[0]]
    for e in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[e])
        seq.append(sched.get_last_lr()[0])
    assert seq[-1] == opt.param_groups[0]["lr"]
    return seq


def close(a, b, tol=1e-10):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert math.isclose(x, y, rel_tol=tol, abs_tol=tol), (i, x, y)


# --- explicit formulas ---------------------------------------------------------------------------
def test_lambda_lr():
    opt = make_opt(lrs=(0.1, 0.2))
    s = L.LambdaLR(opt, [lambda e: 0.9**e, lambda e: 1 / (1 + e)])
    close(run(s, opt), [0.1 * 0.9**e for e in range(EPOCHS + 1)])
    assert s.get_last_lr()[1] == pytest.approx(0.2 / (1 + EPOCHS))


def test_multiplicative_lr():
    opt = make_opt()
    s = L.MultiplicativeLR(opt, lambda e: 0.95 if e % 2 else 1.0)
    close(run(s, opt), [0.1 * 0.95 ** ((e + 1) // 2) for e in range(EPOCHS + 1)])


def test_step_lr():
    opt = make_opt()
    close(run(L.StepLR(opt, step_size=7, gamma=0.5), opt), [0.1 * 0.5 ** (e // 7) for e in range(EPOCHS + 1)])


def test_multi_step_lr():
    opt = make_opt()
    ms = [3, 10, 10, 22]
    close(run(L.MultiStepLR(opt, ms, gamma=0.3), opt), [0.1 * 0.3 ** bisect_right(ms, e) for e in range(EPOCHS + 1)])


def test_constant_lr():
    opt = make_opt()
    close(run(L.ConstantLR(opt, factor=0.25, total_iters=6), opt),
          [0.1 * (0.25 if e < 6 else 1.0) for e in range(EPOCHS + 1)])


def test_linear_lr():
    opt = make_opt()
    s = L.LinearLR(opt, start_factor=0.2, end_factor=0.9, total_iters=12)
    close(run(s, opt), [0.1 * (0.2 + 0.7 * min(e, 12) / 12) for e in range(EPOCHS + 1)])


def test_exponential_lr():
    opt = make_opt()
    close(run(L.ExponentialLR(opt, gamma=0.9), opt), [0.1 * 0.9**e for e in range(EPOCHS + 1)])


def test_polynomial_lr():
    opt = make_opt()
    close(run(L.PolynomialLR(opt, total_iters=20, power=2.0), opt),
          [0.1 * (1 - min(e, 20) / 20) ** 2 for e in range(EPOCHS + 1)], tol=1e-9)


def test_cosine_annealing_lr():
    opt = make_opt()
    s = L.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    close(run(s, opt), [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(EPOCHS + 1)], tol=1e-9)


def warm_restarts(e, T_0, T_mult):
    T_i, t = T_0, e
    while t >= T_i:
        t -= T_i
        T_i *= T_mult
    return t, T_i


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_annealing_warm_restarts(T_mult):
    opt = make_opt()
    s = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=0.001)
    want = []
    for e in range(EPOCHS + 1):
        t, T_i = warm_restarts(e, 3, T_mult)
        want.append(0.001 + 0.099 * (1 + math.cos(math.pi * t / T_i)) / 2)
    close(run(s, opt), want)


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_annealing_warm_restarts_fractional_epochs(T_mult):
    opt = make_opt()
    s = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=0.0)
    for epoch in [0.5, 1.25, 3.0, 4.5, 9.75, 20.1]:
        opt.step()
        s.step(epoch)  # no deprecation warning here: fractional epochs are this scheduler's feature
        whole = math.floor(epoch)
        t, T_i = warm_restarts(whole, 3, T_mult)
        t += epoch - whole
        assert s.get_last_lr()[0] == pytest.approx(0.05 * (1 + math.cos(math.pi * t / T_i)), rel=1e-12)
        assert s.last_epoch == whole
    with pytest.raises(ValueError, match="non-negative epoch"):
        s.step(-1)


def triangle(e, step):
    """The triangular wave of CyclicLR: 0 at cycle starts, 1 at the peak; and the cycle number."""
    cycle = math.floor(1 + e / (2 * step))
    x = abs(e / step - 2 * cycle + 1)
    return max(0.0, 1 - x), cycle


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_and_momentum(mode):
    opt = make_opt()
    s = L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, mode=mode, gamma=0.95, base_momentum=0.8,
                   max_momentum=0.9)
    lrs, moms = [s.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(EPOCHS):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    want_lr, want_mom = [], []
    for e in range(EPOCHS + 1):
        h, cycle = triangle(e, 4)
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": 0.95**e}[mode]
        want_lr.append(0.01 + 0.09 * h * scale)
        want_mom.append(0.9 - 0.1 * h * scale)
    close(lrs, want_lr)
    close(moms, want_mom)


def test_cyclic_lr_asymmetric_with_adam_betas_and_custom_scale():
    opt = make_opt(kind="Adam")
    s = L.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=2, step_size_down=6, scale_fn=lambda x: 0.5,
                   scale_mode="iterations", base_momentum=0.85, max_momentum=0.95)
    lrs = run(s, opt)
    for e, lr in enumerate(lrs):
        x = e % 8
        h = x / 2 if x <= 2 else (8 - x) / 6
        assert lr == pytest.approx(0.001 + 0.009 * h * 0.5, rel=1e-10)
    assert opt.param_groups[0]["betas"][1] == 0.999
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95 - 0.1 * ((8 - EPOCHS % 8) / 6 if EPOCHS % 8 > 2 else
                                                                          (EPOCHS % 8) / 2) * 0.5)


def one_cycle(e, total, max_lr, pct, div, final_div, strategy):
    initial = max_lr / div
    low = initial / final_div
    up = pct * total - 1

    def anneal(a, b, f):
        return b + (a - b) / 2 * (math.cos(math.pi * f) + 1) if strategy == "cos" else a + (b - a) * f

    if e <= up:
        return anneal(initial, max_lr, e / up), anneal(0.95, 0.85, e / up)
    f = (e - up) / (total - 1 - up)
    return anneal(max_lr, low, f), anneal(0.85, 0.95, f)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_lr(strategy):
    opt = make_opt(kind="Adam")
    s = L.OneCycleLR(opt, max_lr=0.5, total_steps=EPOCHS + 1, pct_start=0.25, anneal_strategy=strategy,
                     div_factor=10.0, final_div_factor=100.0)
    lrs, betas = [s.get_last_lr()[0]], [opt.param_groups[0]["betas"][0]]
    for _ in range(EPOCHS):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        betas.append(opt.param_groups[0]["betas"][0])
    want = [one_cycle(e, EPOCHS + 1, 0.5, 0.25, 10.0, 100.0, strategy) for e in range(EPOCHS + 1)]
    close(lrs, [w[0] for w in want])
    close(betas, [w[1] for w in want])
    assert lrs[0] == pytest.approx(0.05) and lrs[-1] == pytest.approx(0.0005)
    opt.step()
    s.step()  # step total_steps is still allowed (torch's off-by-one)
    with pytest.raises(ValueError, match="Tried to step"):
        s.step()


def test_one_cycle_three_phase_and_epochs():
    opt = make_opt()
    s = L.OneCycleLR(opt, max_lr=1.0, epochs=5, steps_per_epoch=4, pct_start=0.25, anneal_strategy="linear",
                     three_phase=True, div_factor=4.0, final_div_factor=10.0)
    lrs = run(s, opt, epochs=19)
    # phases end at steps 4 (peak), 8 (back to initial), 19 (min)
    assert lrs[0] == 0.25 and lrs[4] == 1.0 and lrs[8] == 0.25 and lrs[19] == pytest.approx(0.025)
    close(lrs[:5], [0.25 + 0.75 * e / 4 for e in range(5)])
    close(lrs[8:], [0.25 + (0.025 - 0.25) * (e - 8) / 11 for e in range(8, 20)])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_one_cycle_errors():
    opt = make_opt()
    with pytest.raises(ValueError, match="total_steps OR"):
        L.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        L.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="momentum or beta1"):
        L.OneCycleLR(make_opt(kind="Adagrad"), max_lr=1.0, total_steps=10)


@pytest.mark.parametrize("mode,threshold_mode,metrics,want", [
    # min/rel: improvements need < best * (1 - 0.1)
    # (patience 2: the third bad epoch reduces; cooldown 1: the epoch after a reduction never counts as bad)
    ("min", "rel", [10, 9.5, 9.5, 8.0], [1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]),
    # min/abs: improvements need < best - 0.6
    ("min", "abs", [10, 9.5, 9.5, 8.0], [1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]),
    # max/rel: improvements need > best * (1 + 0.1)
    ("max", "rel", [1, 2, 2.1, 2.1, 2.1, 5], [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]),
])
def test_reduce_lr_on_plateau(mode, threshold_mode, metrics, want):
    opt = make_opt(lrs=(1.0,))
    threshold = 0.1 if threshold_mode == "rel" else 0.6
    s = L.ReduceLROnPlateau(opt, mode=mode, factor=0.5, patience=2, threshold=threshold,
                            threshold_mode=threshold_mode, cooldown=1)
    metrics = metrics + [metrics[-1]] * (len(want) - len(metrics))
    assert run(s, opt, epochs=len(want) - 1, metrics=metrics) == want


def test_reduce_lr_on_plateau_min_lr_and_eps():
    opt = make_opt(lrs=(1.0, 0.1))
    s = L.ReduceLROnPlateau(opt, factor=0.1, patience=0, min_lr=[0.05, 0.0], eps=0.02)
    for _ in range(3):
        s.step(1.0)
    # group 0 stops at min_lr; group 1 stops once a reduction would be below eps
    assert s.get_last_lr() == [0.05, pytest.approx(0.01)]
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        L.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="mode up is unknown"):
        L.ReduceLROnPlateau(opt, mode="up")


def test_sequential_lr():
    opt = make_opt()
    s = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.5, total_iters=4), L.ExponentialLR(opt, gamma=0.9),
                             L.StepLR(opt, step_size=3, gamma=0.1)], milestones=[5, 12])
    want = [0.1 * (0.5 + 0.5 * min(e, 4) / 4) for e in range(5)]
    want += [0.1 * 0.9 ** (e - 5) for e in range(5, 12)]
    want += [0.1 * 0.1 ** ((e - 12) // 3) for e in range(12, EPOCHS + 1)]
    close(run(s, opt), want, tol=1e-9)


def test_chained_scheduler():
    opt = make_opt()
    s = L.ChainedScheduler([L.ConstantLR(opt, factor=0.5, total_iters=3), L.ExponentialLR(opt, gamma=0.9)])
    close(run(s, opt), [0.1 * (0.5 if e < 3 else 1.0) * 0.9**e for e in range(EPOCHS + 1)])


def test_composite_schedulers_reject_strangers():
    opt, other = make_opt(), make_opt()
    with pytest.raises(ValueError, match="same optimizer"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.StepLR(other, 2)])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(ValueError, match="number of milestone points"):
        L.SequentialLR(opt, [L.StepLR(opt, 2)], milestones=[2])


# --- the base class ----------------------------------------------------------------------------------
def test_initial_lr_and_base_lrs():
    opt = make_opt(lrs=(0.1, 0.3))
    s = L.StepLR(opt, 2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.3] and s.base_lrs == [0.1, 0.3]
    assert s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.3]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(make_opt(), 2, last_epoch=5)
    opt = make_opt()
    opt.param_groups[0]["initial_lr"] = 1.0
    s = L.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert s.last_epoch == 4 and s.base_lrs == [1.0]


def test_warnings_like_torch():
    opt = make_opt()
    s = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(4)
    assert s.get_last_lr() == [pytest.approx(0.001)]  # the closed form at epoch 4


@pytest.mark.parametrize("make", [
    lambda opt: L.StepLR(opt, 3, gamma=0.5),
    lambda opt: L.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    lambda opt: L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2),
    lambda opt: L.CyclicLR(opt, 0.01, 0.1, step_size_up=3),
    lambda opt: L.OneCycleLR(opt, max_lr=0.5, total_steps=30),
    lambda opt: L.SequentialLR(opt, [L.ConstantLR(opt, 0.5, 3), L.ExponentialLR(opt, 0.9)], [4]),
    lambda opt: L.ChainedScheduler([L.StepLR(opt, 2), L.ExponentialLR(opt, 0.9)]),
])
def test_state_dict_round_trip(make):
    opt = make_opt()
    s = make(opt)
    for _ in range(10):
        opt.step()
        s.step()
    saved_sched = copy.deepcopy(s.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved_sched
    opt2 = make_opt()
    s2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved_sched)
    assert run(s, opt, epochs=15) == run(s2, opt2, epochs=15)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt = make_opt()
    s = L.LambdaLR(opt, [Decay()])
    s.lr_lambdas[0].rate = 0.25
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.25}]
    s2 = L.LambdaLR(make_opt(), Decay())
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].rate == 0.25
    assert L.LambdaLR(make_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_tensor_lr_is_filled_in_place():
    p = ember.zeros(1, requires_grad=True)
    lr = ember.tensor(0.1)
    opt = ember.optim.SGD([p], lr=lr)
    s = L.ExponentialLR(opt, gamma=0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)


# --- against torch -----------------------------------------------------------------------------------
SCHEDULES = {
    "lambda": lambda M, o: M.LambdaLR(o, lambda e: 0.97**e),
    "multiplicative": lambda M, o: M.MultiplicativeLR(o, lambda e: 0.9),
    "step": lambda M, o: M.StepLR(o, step_size=4, gamma=0.3),
    "multistep": lambda M, o: M.MultiStepLR(o, milestones=[2, 7, 7, 15], gamma=0.5),
    "constant": lambda M, o: M.ConstantLR(o, factor=0.3, total_iters=5),
    "linear": lambda M, o: M.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=9),
    "exponential": lambda M, o: M.ExponentialLR(o, gamma=0.93),
    "polynomial": lambda M, o: M.PolynomialLR(o, total_iters=12, power=1.7),
    "cosine": lambda M, o: M.CosineAnnealingLR(o, T_max=8, eta_min=0.002),
    "warm_restarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01),
    "cyclic": lambda M, o: M.CyclicLR(o, 0.01, 0.2, step_size_up=3, step_size_down=5, mode="triangular2"),
    "cyclic_exp": lambda M, o: M.CyclicLR(o, [0.01, 0.02], 0.2, step_size_up=4, mode="exp_range", gamma=0.97),
    "one_cycle": lambda M, o: M.OneCycleLR(o, max_lr=[0.5, 0.3], total_steps=40),
    "one_cycle3": lambda M, o: M.OneCycleLR(o, max_lr=0.5, total_steps=31, three_phase=True, anneal_strategy="linear"),
    "sequential": lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.2, total_iters=5), M.CosineAnnealingLR(o, 10),
                                                  M.StepLR(o, 3)], milestones=[5, 15]),
    "chained": lambda M, o: M.ChainedScheduler([M.StepLR(o, 5, 0.5), M.CosineAnnealingLR(o, 6)]),
}


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_matches_torch(name, kind):
    torch = pytest.importorskip("torch")
    traces = []
    for lib, M in ((ember, L), (torch, torch.optim.lr_scheduler)):
        opt = make_opt(lib, lrs=(0.1, 0.05), kind=kind)
        s = SCHEDULES[name](M, opt)
        trace = []
        for _ in range(EPOCHS + 1):
            groups = opt.param_groups
            trace.append([g["lr"] for g in groups] + [g.get("momentum", g.get("betas", (0,))[0]) for g in groups])
            trace.append(list(s.get_last_lr()))
            opt.step()
            s.step()
        traces.append(trace)
    for a, b in zip(*traces):
        close(a, b, tol=1e-12)


@pytest.mark.torch
def test_reduce_lr_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [5, 4, 4, 4.1, 3.99, 3.99, 3.99, 3.99, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    traces = []
    for lib, M in ((ember, L), (torch, torch.optim.lr_scheduler)):
        opt = make_opt(lib, lrs=(0.1, 0.05))
        s = M.ReduceLROnPlateau(opt, patience=1, factor=0.3, threshold=0.01, cooldown=2, min_lr=[0.001, 0.01])
        traces.append(run(s, opt, epochs=len(metrics), metrics=metrics) + [s.num_bad_epochs, s.best])
    assert traces[0] == traces[1]
