"""autocast: torch's mixed-precision policy on the CPU (float16 and bfloat16), state, caching, backward."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _autocast

LOW = [ember.float16, ember.bfloat16]


def _x(*shape, dtype=ember.float32, requires_grad=False):
    a = np.random.default_rng(0).uniform(-1, 1, shape)
    return ember.tensor(a, dtype=dtype, requires_grad=requires_grad)


@pytest.mark.parametrize("low", LOW)
def test_matrix_products_run_in_the_low_dtype(low):
    a, b, v = _x(3, 4), _x(4, 5), _x(4)
    with ember.autocast("cpu", dtype=low):
        outs = [a @ b, ember.mm(a, b), ember.matmul(a, v), ember.bmm(_x(2, 3, 4), _x(2, 4, 5)),
                ember.addmm(_x(3, 5), a, b), ember.baddbmm(_x(2, 3, 5), _x(2, 3, 4), _x(2, 4, 5)),
                F.linear(a, _x(5, 4), _x(5)), F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), _x(3)),
                F.conv1d(_x(1, 2, 5), _x(3, 2, 3)), F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 3, 2, 2))]
    assert [o.dtype for o in outs] == [low] * len(outs)
    want = a.numpy().astype(np.float64) @ b.numpy().astype(np.float64)
    np.testing.assert_allclose(outs[0].float().numpy(), want, rtol=0.05, atol=0.05)


@pytest.mark.parametrize("low", LOW)
def test_losses_run_in_float32_everywhere(low):
    x, y = _x(3, 4, dtype=low), _x(3, 4, dtype=low)
    with ember.autocast("cpu", dtype=low):
        outs = [F.mse_loss(x, y), F.l1_loss(x, y), F.cross_entropy(x, ember.tensor([0, 1, 3])),
                F.nll_loss(x, ember.tensor([0, 1, 3])), F.binary_cross_entropy_with_logits(x, y.abs()),
                F.smooth_l1_loss(x, y), ember.prod(x)]
    assert [o.dtype for o in outs] == [ember.float32] * len(outs)
    want = np.mean((x.float().numpy() - y.float().numpy()) ** 2)
    np.testing.assert_allclose(outs[0].item(), want, rtol=1e-6)


def test_cpu_keeps_softmax_norms_and_exp_in_the_input_dtype_as_torch():
    x = _x(3, 4, dtype=ember.bfloat16)
    with ember.autocast("cpu"):
        outs = [ember.softmax(x, 1), ember.exp(x), ember.sum(x), F.layer_norm(x, (4,))]
    assert [o.dtype for o in outs] == [ember.bfloat16] * 4


def test_float32_policy_applies_to_non_cpu_devices(monkeypatch):
    # GPUs (any non-CPU device) also run softmax, exp, sums and norms in float32, as torch's CUDA policy
    casts = []
    monkeypatch.setattr(_autocast, "_cast", lambda t, dtype: casts.append(dtype) or t)
    monkeypatch.setattr(_autocast, "enabled", {"cpu": ember.float16, "gpu": ember.float16})

    class OnGpu:
        dtype = ember.float16
        _device = ember.device("gpu")

    _autocast.full("softmax", ember.ones(2).half())
    assert casts == []  # the CPU keeps softmax in float16
    _autocast.full("softmax", OnGpu())
    _autocast.full("mse_loss", ember.ones(2).half())
    assert casts == [ember.float32, ember.float32]


def test_float64_and_integers_are_left_alone():
    d, i = _x(2, 2, dtype=ember.float64), ember.ones(2, 2, dtype=ember.int64)
    with ember.autocast("cpu", dtype=ember.float16):
        assert (d @ d).dtype is ember.float64
        assert (i @ i).dtype is ember.int64
        assert F.mse_loss(d, d).dtype is ember.float64


def test_mixed_inputs_promote_to_the_widest():
    with ember.autocast("cpu", dtype=ember.float16):
        h = _x(2, 2) @ _x(2, 2)
        assert (h + _x(2, 2)).dtype is ember.float32
        assert ember.cat([h, _x(2, 2)]).dtype is ember.float32


def test_state_flags_nesting_and_restore():
    assert not _autocast.active and not ember.is_autocast_enabled("cpu")
    with ember.autocast("cpu", dtype=ember.float16):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
        assert ember.get_autocast_dtype("cpu") is ember.float16
        with ember.autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled("cpu")
            assert (_x(2, 2) @ _x(2, 2)).dtype is ember.float32
        with ember.autocast("cpu", dtype=ember.bfloat16):
            assert (_x(2, 2) @ _x(2, 2)).dtype is ember.bfloat16
        assert (_x(2, 2) @ _x(2, 2)).dtype is ember.float16
    assert not _autocast.active and _autocast.enabled == {}
    assert ember.get_autocast_dtype("cpu") is ember.bfloat16 and ember.get_autocast_dtype("cuda") is ember.float16


def test_state_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), ember.autocast("cpu"):
        1 / 0
    assert not _autocast.active


def test_decorator_and_aliases():
    @ember.autocast("cpu", dtype=ember.float16)
    def product(a, b):
        return a @ b

    assert product(_x(2, 2), _x(2, 2)).dtype is ember.float16
    assert product(_x(2, 2), _x(2, 2)).dtype is ember.float16  # reusable
    assert not _autocast.active
    assert ember.amp.autocast is ember.autocast
    assert issubclass(ember.cuda.amp.autocast, ember.amp.autocast)


def test_backward_gives_float32_gradients_and_runs_without_autocast():
    w = _x(4, 3, requires_grad=True)
    x = _x(2, 4)
    with ember.autocast("cpu", dtype=ember.float16):
        loss = F.mse_loss(x @ w, ember.zeros(2, 3))
        loss.backward()  # inside the region: backward still runs with autocast off
    assert w.grad.dtype is ember.float32
    xn, wn = x.numpy().astype(np.float64), w.detach().numpy().astype(np.float64)
    want = xn.T @ (2 * (xn @ wn) / 6)
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=2e-2, atol=2e-3)


def test_weights_are_cast_once_per_region():
    w = _x(3, 3, requires_grad=True)
    with ember.autocast("cpu", dtype=ember.float16):
        a, b = _x(2, 3) @ w, _x(2, 3) @ w
        assert a.grad_fn.next[1][0] is b.grad_fn.next[1][0]  # the same cast node
    with ember.autocast("cpu", dtype=ember.float16, cache_enabled=False):
        a, b = _x(2, 3) @ w, _x(2, 3) @ w
        assert a.grad_fn.next[1][0] is not b.grad_fn.next[1][0]
    assert _autocast._cache == {}


def test_cache_sees_in_place_updates():
    w = _x(2, 2, requires_grad=True)
    with ember.autocast("cpu", dtype=ember.float16):
        first = (ember.eye(2) @ w).detach()
        with ember.no_grad():
            w.add_(1.0)
        second = (ember.eye(2) @ w).detach()
    np.testing.assert_allclose(second.float().numpy() - first.float().numpy(), 1.0, atol=1e-2)


def test_errors_and_warnings():
    with pytest.raises(ValueError, match="device_type"):
        ember.autocast(0)
    with pytest.raises(RuntimeError, match="unsupported device_type 'xyz'"):
        ember.autocast("xyz")
    with pytest.warns(UserWarning, match="not supported. Disabling autocast"):
        ac = ember.autocast("cpu", dtype=ember.float32)
    with ac:
        assert not ember.is_autocast_enabled("cpu")
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available. Disabling autocast"):
            ac = ember.autocast("cuda")
        with ac:
            assert not _autocast.active


def test_unsupported_low_dtype_on_a_backend_is_a_clear_error():
    if "strict" not in ember.plugins.host().device_types():
        pytest.skip("needs the strict backend")
    with pytest.raises(RuntimeError, match="the 'strict' backend does not support ember.float16"):
        ember.autocast("strict", dtype=ember.float16)


def test_matches_torch_dtypes():
    torch = pytest.importorskip("torch")
    a = np.ones((2, 2), np.float32)
    with torch.autocast("cpu"):
        t = torch.tensor(a)
        want = [(t @ t).dtype, torch.nn.functional.mse_loss(t.bfloat16(), t.bfloat16()).dtype]
    with ember.autocast("cpu"):
        e = ember.tensor(a)
        got = [(e @ e).dtype, F.mse_loss(e.bfloat16(), e.bfloat16()).dtype]
    assert [str(d).split(".")[-1] for d in got] == [str(d).split(".")[-1] for d in want]
