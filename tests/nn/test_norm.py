"""Normalisation: batch (running stats, eval, momentum None), instance, layer, group, RMS, local response."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)


def norm_ref(x, axes, eps=1e-5):
    m = x.mean(axes, keepdims=True)
    v = x.var(axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def r(*shape):
    return rng.standard_normal(shape)


def bn_train(x, w, b):
    rm, rv = ember.zeros(x.shape[1], dtype=x.dtype, device=x.device), ember.ones(x.shape[1], dtype=x.dtype, device=x.device)
    return F.batch_norm(x, rm, rv, w, b, training=True)


def chan(v, nd):
    return v.reshape((1, -1) + (1,) * nd)


def group_ref(x, g, w, b):
    n, c = x.shape[:2]
    y = norm_ref(x.reshape(n, g, -1), (2,)).reshape(x.shape)
    return y * chan(w, x.ndim - 2) + chan(b, x.ndim - 2)


def lrn_ref(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x ** 2
    div = np.zeros_like(x)
    for i in range(c):
        lo, hi = i - size // 2, i + (size - 1) // 2
        div[:, i] = sq[:, max(lo, 0):min(hi, c - 1) + 1].sum(1) / size
    return x / (k + alpha * div) ** beta


CASES = [
    Case("batch_norm_train", bn_train, lambda x, w, b: norm_ref(x, (0, 2, 3)) * chan(w, 2) + chan(b, 2), (r(3, 2, 2, 3), r(2), r(2))),
    Case("batch_norm_1d", lambda x: F.batch_norm(x, None, None, training=True), lambda x: norm_ref(x, (0,)), (r(4, 3),)),
    Case("batch_norm_eval", lambda x, w, b: F.batch_norm(x, ember.tensor([0.5, -1.0], dtype=x.dtype, device=x.device),
                                                         ember.tensor([2.0, 0.5], dtype=x.dtype, device=x.device), w, b),
         lambda x, w, b: (x - chan(np.array([0.5, -1.0]), 1)) / np.sqrt(chan(np.array([2.0, 0.5]), 1) + 1e-5) * chan(w, 1) + chan(b, 1),
         (r(3, 2, 4), r(2), r(2))),
    Case("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
         lambda x, w, b: norm_ref(x, (2,)) * chan(w, 1) + chan(b, 1), (r(2, 3, 5), r(3), r(3))),
    Case("layer_norm", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
         lambda x, w, b: norm_ref(x, (1, 2), 1e-3) * w + b, (r(2, 3, 4), r(3, 4), r(3, 4))),
    Case("layer_norm_plain", lambda x: F.layer_norm(x, (4,)), lambda x: norm_ref(x, (-1,)), (r(3, 4),)),
    Case("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: group_ref(x, 2, w, b), (r(2, 4, 3), r(4), r(4))),
    Case("rms_norm", lambda x, w: F.rms_norm(x, (4,), w, eps=1e-6),
         lambda x, w: x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6) * w, (r(3, 4), r(4))),
    Case("local_response_norm", lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5),
         lambda x: lrn_ref(x, 3, 0.5, 0.75, 1.5), (r(2, 4, 3),)),
    Case("local_response_norm_even", lambda x: F.local_response_norm(x, 2, alpha=0.3), lambda x: lrn_ref(x, 2, 0.3), (r(1, 3, 2, 2),)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_norm_ops(case, device):
    run(case, device)


def test_batch_norm_running_stats_formula(device):
    x = r(6, 3, 4)
    rm, rv = ember.zeros(3, dtype=ember.float64, device=device), ember.ones(3, dtype=ember.float64, device=device)
    F.batch_norm(ember.tensor(x, device=device), rm, rv, training=True, momentum=0.3)
    mean, var = x.mean((0, 2)), x.var((0, 2), ddof=1)  # the running variance is unbiased
    np.testing.assert_allclose(rm.cpu().numpy(), 0.3 * mean)
    np.testing.assert_allclose(rv.cpu().numpy(), 0.7 + 0.3 * var)


def test_batchnorm_module_training_and_eval(device):
    bn = nn.BatchNorm2d(3, momentum=0.2, device=device, dtype=ember.float64)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == ember.int64
    xs = [r(4, 3, 2, 2) for _ in range(2)]
    m, v = np.zeros(3), np.ones(3)
    for x in xs:
        y = bn(ember.tensor(x, device=device))
        np.testing.assert_allclose(y.detach().cpu().numpy(), norm_ref(x, (0, 2, 3)), atol=1e-12)
        m, v = 0.8 * m + 0.2 * x.mean((0, 2, 3)), 0.8 * v + 0.2 * x.var((0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.cpu().numpy(), m)
    np.testing.assert_allclose(bn.running_var.cpu().numpy(), v)
    assert bn.num_batches_tracked.item() == 2
    bn.eval()
    x = r(2, 3, 2, 2)
    np.testing.assert_allclose(bn(ember.tensor(x, device=device)).detach().cpu().numpy(),
                               (x - chan(m, 2)) / np.sqrt(chan(v, 2) + 1e-5), atol=1e-12)
    assert bn.num_batches_tracked.item() == 2


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=ember.float64)
    xs = [r(5, 2) for _ in range(3)]
    for x in xs:
        bn(ember.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0))
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in xs], 0))


def test_batchnorm_without_tracking_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False, dtype=ember.float64).eval()
    assert bn.running_mean is None and list(bn.parameters()) == []
    x = r(5, 2)
    np.testing.assert_allclose(bn(ember.tensor(x)).numpy(), norm_ref(x, (0,)), atol=1e-12)


def test_norm_module_reprs_and_defaults():
    assert repr(nn.BatchNorm2d(3)) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)")
    inst = nn.InstanceNorm2d(3)
    assert repr(inst) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    assert list(inst.state_dict()) == []
    assert list(nn.InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(nn.LayerNorm((3, 4))) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert [n for n, _ in nn.LayerNorm(3, bias=False).named_parameters()] == ["weight"]
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.RMSNorm([3], eps=1e-3)) == "RMSNorm((3,), eps=0.001, elementwise_affine=True)"
    assert repr(nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    assert nn.BatchNorm2d(3).weight.tolist() == [1.0, 1.0, 1.0] and nn.GroupNorm(2, 4).bias.tolist() == [0.0] * 4


def test_instance_norm_running_stats_and_unbatched():
    m = nn.InstanceNorm1d(2, track_running_stats=True, dtype=ember.float64)
    x = r(3, 2, 5)
    m(ember.tensor(x))
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * x.mean(2).mean(0))
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * x.var(2, ddof=1).mean(0))
    np.testing.assert_allclose(nn.InstanceNorm1d(2)(ember.tensor(x[0])).numpy(), norm_ref(x[0], (1,)), atol=1e-12)


def test_half_precision_is_normalised_in_float32():
    x = (r(4, 8) * 100 + 1000).astype(np.float16)
    y = F.layer_norm(ember.tensor(x), (8,))
    assert y.dtype == ember.float16
    np.testing.assert_allclose(y.numpy().astype(np.float64), norm_ref(x.astype(np.float64), (-1,)), atol=2e-2)


def test_variance_is_stable_with_large_offset():
    x = r(64, 4).astype(np.float32) + 1e4
    y = F.batch_norm(ember.tensor(x), None, None, training=True)
    np.testing.assert_allclose(y.numpy(), norm_ref(x.astype(np.float64), (0,)), atol=2e-3)


@pytest.mark.parametrize("call, err, msg", [
    (lambda: F.batch_norm(ember.zeros(2, 3, 4), ember.zeros(3), ember.ones(3), ember.ones(4)), RuntimeError, "weight should contain 3 elements not 4"),
    (lambda: F.batch_norm(ember.zeros(2, 3, 4), None, None), RuntimeError, "running_mean must be defined in evaluation mode"),
    (lambda: F.batch_norm(ember.zeros(1, 3), ember.zeros(3), ember.ones(3), training=True), ValueError, "Expected more than 1 value per channel when training"),
    (lambda: F.layer_norm(ember.zeros(2, 3, 8, 8), (4,)), RuntimeError, r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[2, 3, 8, 8\]"),
    (lambda: F.group_norm(ember.zeros(2, 6, 8, 8), 4), RuntimeError, "Expected number of channels in input to be divisible by num_groups"),
    (lambda: nn.BatchNorm2d(3)(ember.zeros(2, 3, 4)), ValueError, r"expected 4D input \(got 3D input\)"),
    (lambda: nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 5)), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
])
def test_norm_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


@pytest.mark.torch
def test_norms_match_torch():
    torch = pytest.importorskip("torch")
    x = r(4, 6, 3, 3)
    e_bn, t_bn = nn.BatchNorm2d(6, dtype=ember.float64), torch.nn.BatchNorm2d(6, dtype=torch.float64)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (e_bn(xe) ** 3).sum().backward()
    (t_bn(xt) ** 3).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(e_bn.running_var.numpy(), t_bn.running_var.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(F.group_norm(ember.tensor(x), 3).numpy(), torch.nn.functional.group_norm(torch.tensor(x), 3).numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [lambda: (ember.nn.BatchNorm1d(3), ember.ones(4, 3, dtype=ember.float64)),
                                  lambda: (ember.nn.LayerNorm(3), ember.ones(2, 3, dtype=ember.float64)),
                                  lambda: (ember.nn.GroupNorm(1, 3), ember.ones(2, 3, 2, dtype=ember.float64)),
                                  lambda: (ember.nn.InstanceNorm1d(3, affine=True), ember.ones(2, 3, 4, dtype=ember.float64))])
def test_a_float64_input_to_float32_parameters_is_refused_like_torch(make):
    layer, x = make()
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): all inputs must share same datatype\."):
        layer(x)


def test_float32_input_to_float64_parameters_and_low_precision_inputs():
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"):
        ember.nn.BatchNorm1d(3).double()(ember.ones(4, 3))
    out = ember.nn.LayerNorm(3)(ember.ones(2, 3, dtype=ember.bfloat16))  # float32 parameters under bfloat16: allowed
    assert out.dtype is ember.bfloat16
