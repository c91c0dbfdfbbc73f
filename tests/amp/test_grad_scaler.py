"""GradScaler on the CPU: scaling, unscaling, skipped steps, the scale schedule, state and errors."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.amp import GradScaler


def _setup(init_scale=8.0, **kw):
    w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
    opt = ember.optim.SGD([w], lr=0.1)
    return w, opt, GradScaler("cpu", init_scale=init_scale, **kw)


def test_scale_multiplies_tensors_and_nested_sequences():
    s = GradScaler("cpu", init_scale=4.0)
    out = s.scale(ember.tensor(3.0))
    assert out.item() == 12.0 and out.dtype is ember.float32 and out.shape == ()
    a, (b,) = s.scale([ember.ones(2), (ember.ones(1),)])
    assert a.tolist() == [4.0, 4.0] and b.tolist() == [4.0]
    # as torch: the 0-d float32 scale promotes a 0-d float16 loss, not a 1-d one
    assert s.scale(ember.tensor(1.0, dtype=ember.float16)).dtype is ember.float32
    assert s.scale(ember.ones(1, dtype=ember.float16)).dtype is ember.float16


def test_unscale_then_step_applies_the_true_gradient():
    w, opt, s = _setup()
    s.scale((w * w).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [16.0, -32.0])  # 2w * 8
    s.unscale_(opt)
    np.testing.assert_allclose(w.grad.numpy(), [2.0, -4.0])
    ember.nn.utils.clip_grad_norm_([w], 100.0)
    s.step(opt)
    s.update()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_step_is_skipped_and_scale_backs_off_on_inf_or_nan(bad):
    w, opt, s = _setup()
    s.scale((w * bad).sum()).backward()
    assert s.step(opt) is None
    s.update()
    assert w.tolist() == [1.0, -2.0]
    assert s.get_scale() == 4.0 and s._get_growth_tracker() == 0


def test_scale_grows_after_growth_interval_clean_steps():
    w, opt, s = _setup(growth_interval=2)
    scales = []
    for _ in range(5):
        opt.zero_grad()
        s.scale(w.sum()).backward()
        s.step(opt)
        s.update()
        scales.append(s.get_scale())
    assert scales == [8.0, 16.0, 16.0, 32.0, 32.0]


def test_update_with_an_explicit_scale():
    _, _, s = _setup()
    s.scale(ember.ones(1))
    s.update(2.0)
    assert s.get_scale() == 2.0
    s.update(ember.tensor(0.5))
    assert s.get_scale() == 0.5


def test_step_returns_the_optimizer_result_and_passes_arguments():
    w, opt, s = _setup()
    calls = []
    opt.step = lambda *a, **k: calls.append((a, k)) or "done"
    s.scale(w.sum()).backward()
    assert s.step(opt, 1, flag=True) == "done" and calls == [((1,), {"flag": True})]


def test_errors_follow_torch():
    w, opt, s = _setup()
    with pytest.raises(RuntimeError, match="Attempted unscale_ but _scale is None"):
        s.unscale_(opt)
    s.scale(w.sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer since the last update\(\)"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update\(\)"):
        s.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        s.step(opt, closure=lambda: 0)
    with pytest.raises(ValueError, match="growth factor"):
        GradScaler("cpu", growth_factor=1.0)
    h = ember.nn.Parameter(ember.ones(2, dtype=ember.float16))
    hopt = ember.optim.SGD([h], lr=0.1)
    s2 = GradScaler("cpu")
    s2.scale(h.sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
        s2.unscale_(hopt)


def test_state_dict_round_trip():
    w, opt, s = _setup(growth_interval=3)
    s.scale(w.sum()).backward()
    s.step(opt)
    s.update()
    sd = s.state_dict()
    assert sd == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3, "_growth_tracker": 1}
    t = GradScaler("cpu")
    t.load_state_dict(sd)
    assert t.state_dict() == sd
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        t.load_state_dict({})


def test_disabled_scaler_is_a_pass_through():
    w, opt, _ = _setup()
    s = GradScaler("cpu", enabled=False)
    loss = w.sum()
    assert s.scale(loss) is loss and s.get_scale() == 1.0 and s.state_dict() == {} and not s.is_enabled()
    loss.backward()
    s.unscale_(opt)
    s.step(opt)
    s.update()
    np.testing.assert_allclose(w.detach().numpy(), [0.9, -2.1], rtol=1e-6)


def test_cuda_scaler_without_a_gpu_disables_itself():
    if ember.cuda.is_available():
        pytest.skip("a GPU is usable here")
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
        s = ember.cuda.amp.GradScaler()
    assert not s.is_enabled()


@pytest.mark.parametrize("low", [ember.float16, ember.bfloat16])
def test_mixed_precision_training_loop_learns(low):
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=(64, 3)), dtype=ember.float32)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5]])
    model = ember.nn.Linear(3, 1)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    scaler = GradScaler("cpu", init_scale=2.0**10)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        with ember.autocast("cpu", dtype=low):
            out = model(x)
            assert out.dtype is low
            loss = F.mse_loss(out, y)
            assert loss.dtype is ember.float32
        scaler.scale(loss).backward()
        assert model.weight.grad.dtype is ember.float32
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


def test_matches_torch_schedule():
    torch = pytest.importorskip("torch")
    grads = [1.0, math.inf, 1.0, 1.0, 1.0, math.nan, 1.0]
    ts = torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=2)
    tw = torch.nn.Parameter(torch.ones(1))
    topt = torch.optim.SGD([tw], lr=0.1)
    es = GradScaler("cpu", init_scale=16.0, growth_interval=2)
    ew = ember.nn.Parameter(ember.ones(1))
    eopt = ember.optim.SGD([ew], lr=0.1)
    for g in grads:
        for s, w, opt in ((ts, tw, topt), (es, ew, eopt)):
            opt.zero_grad()
            s.scale((w * g).sum()).backward()
            s.step(opt)
            s.update()
        assert es.get_scale() == ts.get_scale()
        np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-6)
