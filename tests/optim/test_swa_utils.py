"""Weight averaging (AveragedModel, the avg functions, update_bn) and the SWALR schedule."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.optim import swa_utils as S


RNG = np.random.default_rng(3)
SNAPSHOTS = [(RNG.normal(size=(2, 3)), RNG.normal(size=2)) for _ in range(5)]


def model_at(model, weight, bias):
    with ember.no_grad():
        model.weight.copy_(ember.tensor(weight, dtype=model.weight.dtype, device=model.weight.device))
        model.bias.copy_(ember.tensor(bias, dtype=model.bias.dtype, device=model.bias.device))


def averaged(make_avg, device):
    model = nn.Linear(3, 2, dtype=ember.float64, device=device)
    avg = make_avg(model)
    for w, b in SNAPSHOTS:
        model_at(model, w, b)
        avg.update_parameters(model)
    return avg


def np_params(avg):
    return avg.module.weight.detach().cpu().numpy(), avg.module.bias.detach().cpu().numpy()


def test_swa_is_the_running_mean(device):
    avg = averaged(lambda m: S.AveragedModel(m), device)
    w, b = np_params(avg)
    np.testing.assert_allclose(w, np.mean([s[0] for s in SNAPSHOTS], axis=0), rtol=1e-12)
    np.testing.assert_allclose(b, np.mean([s[1] for s in SNAPSHOTS], axis=0), rtol=1e-12)
    assert avg.n_averaged.item() == 5 and avg.n_averaged.dtype is ember.int64


@pytest.mark.parametrize("style", ["multi", "single"])
def test_ema(style, device):
    decay = 0.8
    fn = dict(multi_avg_fn=S.get_ema_multi_avg_fn(decay)) if style == "multi" else dict(avg_fn=S.get_ema_avg_fn(decay))
    avg = averaged(lambda m: S.AveragedModel(m, **fn), device)
    want_w, want_b = SNAPSHOTS[0]
    for w, b in SNAPSHOTS[1:]:
        want_w, want_b = decay * want_w + (1 - decay) * w, decay * want_b + (1 - decay) * b
    w, b = np_params(avg)
    np.testing.assert_allclose(w, want_w, rtol=1e-12)
    np.testing.assert_allclose(b, want_b, rtol=1e-12)


def test_swa_avg_fn_matches_the_multi_version():
    single = averaged(lambda m: S.AveragedModel(m, avg_fn=S.get_swa_avg_fn()), "cpu")
    multi = averaged(lambda m: S.AveragedModel(m), "cpu")
    for a, b in zip(np_params(single), np_params(multi)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_averaged_model_runs_the_copy_and_leaves_the_model_alone():
    model = nn.Linear(3, 2)
    avg = S.AveragedModel(model)
    assert avg.module is not model and avg.module.weight is not model.weight
    x = ember.ones(4, 3)
    np.testing.assert_allclose(avg(x).detach().numpy(), model(x).detach().numpy())
    with pytest.raises(AssertionError):
        S.AveragedModel(model, avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn())


def test_buffers_are_copied_or_averaged():
    class WithBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(ember.zeros(1))
            self.register_buffer("stat", ember.zeros(1))

    model = WithBuffer()
    copied, averaged_too = S.AveragedModel(model), S.AveragedModel(model, use_buffers=True)
    for v in (2.0, 4.0):
        with ember.no_grad():
            model.weight.fill_(v)
            model.stat.fill_(10 * v)
        copied.update_parameters(model)
        averaged_too.update_parameters(model)
    assert copied.module.weight.item() == 3.0 and copied.module.stat.item() == 40.0
    assert averaged_too.module.weight.item() == 3.0 and averaged_too.module.stat.item() == 30.0


def test_invalid_decay():
    with pytest.raises(ValueError, match="Invalid decay value"):
        S.get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value"):
        S.get_ema_multi_avg_fn(-0.1)


@pytest.mark.skipif(not hasattr(nn, "BatchNorm1d"), reason="needs nn.BatchNorm1d")
def test_update_bn_recomputes_the_statistics():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    data = [ember.tensor(RNG.normal(size=(8, 3)) * 2 + 1, dtype=ember.float32) for _ in range(3)]
    model.eval()
    S.update_bn(data, model)
    with ember.no_grad():
        hidden = np.concatenate([model[0](x).numpy() for x in data])
    np.testing.assert_allclose(model[1].running_mean.numpy(), hidden.mean(0), rtol=1e-4, atol=1e-5)
    assert not model.training and model[1].momentum == 0.1


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr(strategy):
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    s = S.SWALR(opt, swa_lr=0.05, anneal_epochs=5, anneal_strategy=strategy)
    lrs = [s.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    anneal = (lambda t: (1 - math.cos(math.pi * t)) / 2) if strategy == "cos" else (lambda t: t)
    want = [0.05 * anneal(min(e, 5) / 5) + 1.0 * (1 - anneal(min(e, 5) / 5)) for e in range(11)]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)
    with pytest.raises(ValueError, match="anneal_strategy"):
        S.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        S.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)


def test_swalr_state_dict_round_trip():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    s = S.SWALR(opt, swa_lr=0.05, anneal_epochs=6)
    opt.step()
    s.step()
    sd = s.state_dict()
    assert "anneal_func" not in sd and "optimizer" not in sd
    s2 = S.SWALR(ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0), swa_lr=0.5, anneal_strategy="linear")
    s2.load_state_dict(sd)
    assert s2.anneal_func(0.5) == pytest.approx(0.5) and s2._anneal_strategy == "cos"


@pytest.mark.torch
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_matches_torch(anneal_epochs):
    torch = pytest.importorskip("torch")
    traces = []
    for lib, M in ((ember, S), (torch, torch.optim.swa_utils)):
        opt = lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)], "lr": lr} for lr in (1.0, 0.3)], lr=0.1)
        s = M.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs)
        trace = [s.get_last_lr()]
        for _ in range(8):
            opt.step()
            s.step()
            trace.append(s.get_last_lr())
        traces.append(trace)
    np.testing.assert_allclose(traces[0], traces[1], rtol=1e-12)
