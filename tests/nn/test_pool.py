"""Pooling: max (indices, ties, ceil mode), average (padding rules), adaptive, unpool, Lp; numpy loops as references."""

import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(0)


def out_size(n, k, s, p, d, ceil):
    span = n + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil else span // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def pool_ref(x, nd, kind, k, s=None, p=0, d=1, ceil=False, count_include_pad=True, divisor=None):
    """Direct loops over windows: ``kind`` is 'max' (values, flat indices) or 'avg'."""
    k, s, p, d = (np.broadcast_to(v, (nd,)).tolist() for v in (k, k if s is None else s, p, d))
    sp = x.shape[-nd:]
    outs = [out_size(sp[i], k[i], s[i], p[i], d[i], ceil) for i in range(nd)]
    vals = np.zeros(x.shape[:-nd] + tuple(outs))
    idx = np.zeros(vals.shape, dtype=np.int64)
    for lead in itertools.product(*map(range, x.shape[:-nd])):
        for o in itertools.product(*map(range, outs)):
            pos, inside_pad = [], 1
            for kk in itertools.product(*map(range, k)):
                c = [o[i] * s[i] - p[i] + kk[i] * d[i] for i in range(nd)]
                if all(0 <= c[i] < sp[i] for i in range(nd)):
                    pos.append(tuple(c))
            if kind == "max":
                best = max(range(len(pos)), key=lambda j: (x[lead + pos[j]], -j))
                vals[lead + o] = x[lead + pos[best]]
                idx[lead + o] = np.ravel_multi_index(pos[best], sp)
            else:
                for i in range(nd):
                    start = o[i] * s[i] - p[i]
                    end = min(start + k[i], sp[i] + p[i])
                    inside_pad *= end - start
                total = sum(x[lead + q] for q in pos)
                div = divisor or (inside_pad if count_include_pad else len(pos))
                vals[lead + o] = total / div
    return (vals, idx) if kind == "max" else vals


def adaptive_ref(x, nd, out, kind):
    sp = x.shape[-nd:]
    res = np.zeros(x.shape[:-nd] + tuple(out))
    for o in itertools.product(*map(range, out)):
        sl = tuple(slice((o[i] * sp[i]) // out[i], -(-((o[i] + 1) * sp[i]) // out[i])) for i in range(nd))
        win = x[(Ellipsis,) + sl].reshape(x.shape[:-nd] + (-1,))
        res[(Ellipsis,) + o] = win.max(-1) if kind == "max" else win.mean(-1)
    return res


def r(*shape):
    # distinct values, so max pooling has no ties and finite differences stay inside one branch
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)


CASES = [
    Case("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1), lambda x: pool_ref(x, 1, "max", 3, 2, 1)[0], (r(2, 2, 7),)),
    Case("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: pool_ref(x, 2, "max", 2)[0], (r(1, 2, 4, 5),)),
    Case("max_pool2d_ceil_dil", lambda x: F.max_pool2d(x, (2, 3), (2, 1), (1, 1), dilation=(2, 1), ceil_mode=True),
         lambda x: pool_ref(x, 2, "max", (2, 3), (2, 1), (1, 1), (2, 1), True)[0], (r(1, 1, 6, 5),)),
    Case("max_pool2d_unbatched", lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: pool_ref(x, 2, "max", 3, 2, 1)[0], (r(2, 5, 5),)),
    Case("max_pool3d", lambda x: F.max_pool3d(x, 2, 1), lambda x: pool_ref(x, 3, "max", 2, 1)[0], (r(1, 1, 3, 3, 3),)),
    Case("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1), lambda x: pool_ref(x, 1, "avg", 3, 2, 1), (r(2, 2, 7),)),
    Case("avg_pool2d_ceil", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
         lambda x: pool_ref(x, 2, "avg", 3, 2, 1, ceil=True), (r(1, 2, 6, 5),)),
    Case("avg_pool2d_exclude_pad", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
         lambda x: pool_ref(x, 2, "avg", 3, 2, 1, ceil=True, count_include_pad=False), (r(1, 2, 6, 5),)),
    Case("avg_pool2d_divisor", lambda x: F.avg_pool2d(x, 2, divisor_override=3),
         lambda x: pool_ref(x, 2, "avg", 2, divisor=3), (r(1, 1, 4, 4),)),
    Case("avg_pool3d", lambda x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False),
         lambda x: pool_ref(x, 3, "avg", 2, 1, 1, count_include_pad=False), (r(1, 1, 2, 3, 2),)),
    Case("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3), lambda x: adaptive_ref(x, 1, (3,), "avg"), (r(2, 2, 7),)),
    Case("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), lambda x: adaptive_ref(x, 2, (3, 2), "avg"), (r(1, 2, 5, 7),)),
    Case("adaptive_avg_pool2d_up", lambda x: F.adaptive_avg_pool2d(x, (4, 5)), lambda x: adaptive_ref(x, 2, (4, 5), "avg"), (r(1, 1, 3, 2),)),
    Case("adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, 1), lambda x: x.mean((-3, -2, -1), keepdims=True), (r(1, 2, 2, 3, 2),)),
    Case("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3), lambda x: adaptive_ref(x, 1, (3,), "max"), (r(2, 2, 7),)),
    Case("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, 3)), lambda x: adaptive_ref(x, 2, (2, 3), "max"), (r(1, 2, 5, 7),)),
    Case("adaptive_max_pool3d", lambda x: F.adaptive_max_pool3d(x, (2, 1, 2)), lambda x: adaptive_ref(x, 3, (2, 1, 2), "max"), (r(1, 1, 3, 2, 3),)),
    Case("lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), lambda x: np.sqrt(pool_ref(x ** 2, 2, "avg", 2) * 4), (r(1, 1, 4, 4) + 0.5,)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pool_ops(case, device):
    run(case, device)


@pytest.mark.parametrize("nd, kw", [(1, dict(kernel_size=3, stride=2, padding=1)), (2, dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1), ceil_mode=True)),
                                    (3, dict(kernel_size=2, stride=1))])
def test_max_pool_indices(nd, kw, device):
    x = r(2, 2, *(5,) * nd)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    vals, idx = pool(ember.tensor(x, device=device), return_indices=True, **kw)
    ref_v, ref_i = pool_ref(x, nd, "max", kw["kernel_size"], kw["stride"], kw.get("padding", 0), kw.get("dilation", 1), kw.get("ceil_mode", False))
    assert idx.dtype == ember.int64
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_i)
    np.testing.assert_allclose(vals.cpu().numpy(), ref_v)


def test_max_pool_ties_go_to_first_and_grad(device):
    x = ember.tensor([[[1.0, 5.0, 5.0, 2.0, 5.0, 5.0]]], device=device, requires_grad=True)
    y, i = F.max_pool1d(x, 3, 1, return_indices=True)
    assert i.tolist() == [[[1, 1, 2, 4]]]
    y.sum().backward()
    assert x.grad.tolist() == [[[0.0, 2.0, 1.0, 0.0, 1.0, 0.0]]]


def test_max_pool_nan_propagates():
    y, i = F.max_pool1d(ember.tensor([[[float("nan"), 1.0, float("nan"), 2.0]]]), 4, return_indices=True)
    assert np.isnan(y.item()) and i.item() == 2


def test_adaptive_max_indices(device):
    x = r(1, 2, 5, 7)
    vals, idx = F.adaptive_max_pool2d(ember.tensor(x, device=device), (2, 3), return_indices=True)
    flat = x.reshape(1, 2, -1)
    np.testing.assert_allclose(np.take_along_axis(flat, idx.cpu().numpy().reshape(1, 2, -1), -1).reshape(vals.shape), vals.cpu().numpy())


def test_max_unpool_roundtrip(device):
    x = r(1, 2, 4, 4)
    y, i = F.max_pool2d(ember.tensor(x, device=device), 2, return_indices=True)
    u = F.max_unpool2d(y, i, 2).cpu().numpy()
    want = np.zeros_like(x)
    np.put_along_axis(want.reshape(1, 2, -1), i.cpu().numpy().reshape(1, 2, -1), y.cpu().numpy().reshape(1, 2, -1), -1)
    np.testing.assert_allclose(u, want)
    assert F.max_unpool2d(y, i, 2, output_size=(5, 5)).shape == (1, 2, 5, 5)
    yt = ember.tensor(y.cpu().numpy(), device=device, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: F.max_unpool2d(v, i, 2), (yt.double().detach().requires_grad_(),))


@pytest.mark.parametrize("call, msg", [
    (lambda: F.max_pool2d(ember.zeros(2, 3, 8, 8), 3, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.max_pool2d(ember.zeros(2, 3, 2, 2), 3), r"Given input size: \(3x2x2\). Calculated output size: \(3x0x0\). Output size is too small"),
    (lambda: F.adaptive_avg_pool2d(ember.zeros(2, 3, 8, 8), (2, 2, 2)), "adaptive_avg_pool2d: output_size must be 2"),
])
def test_pool_errors(call, msg):
    with pytest.raises(RuntimeError, match=msg):
        call()


def test_pool_modules_repr_and_values():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"
    assert repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert nn.AdaptiveAvgPool2d((2, None))(ember.zeros(1, 1, 5, 7)).shape == (1, 1, 2, 7)
    x = r(1, 2, 6, 6)
    y, i = nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    np.testing.assert_allclose(nn.MaxUnpool2d(2)(y, i).numpy().max(), x.max())
    np.testing.assert_allclose(nn.AvgPool3d(2)(ember.tensor(x[None])).numpy(), pool_ref(x[None], 3, "avg", 2))
    assert list(nn.MaxPool1d(2).parameters()) == []


def test_max_pool_float32_path(device):
    x = r(2, 3, 9, 9).astype(np.float32)
    y = F.max_pool2d(ember.tensor(x, device=device), 3, 2, 1)
    assert y.dtype == ember.float32
    np.testing.assert_allclose(y.cpu().numpy(), pool_ref(x, 2, "max", 3, 2, 1)[0].astype(np.float32))


@pytest.mark.torch
def test_pool_matches_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x = rng.standard_normal((2, 3, 7, 6))
    for name, kw in [("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)),
                     ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
                     ("adaptive_max_pool2d", dict(output_size=(4, 5), return_indices=True)),
                     ("adaptive_avg_pool2d", dict(output_size=(4, 5)))]:
        got = getattr(F, name)(ember.tensor(x), **kw)
        want = getattr(tF, name)(torch.tensor(x), **kw)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g.numpy(), w.numpy(), atol=1e-12)


def test_ops_on_a_device_without_host_checks_need_no_data_reads(monkeypatch):
    # a backend that sets host_checks = False (cuda) gets no data-dependent checks or fast paths: same values
    x = ember.tensor([[[[1.0, 5.0], [3.0, 2.0]]]], requires_grad=True)
    be = x._be
    monkeypatch.setattr(type(be), "host_checks", False)
    y = ember.nn.functional.max_pool2d(x, 2)
    y.backward(ember.tensor([[[[float("inf")]]]]))
    assert x.grad.tolist() == [[[[0.0, float("inf")], [0.0, 0.0]]]]  # the where path: no inf * 0 = nan
    logits = ember.tensor([[0.0, 1.0], [2.0, 0.0]])
    loss = ember.nn.functional.cross_entropy(logits, ember.tensor([1, 0]))
    assert abs(loss.item() - 0.2201) < 1e-4
    assert ember.nn.functional.embedding(ember.tensor([1]), ember.eye(2)).tolist() == [[0.0, 1.0]]
