"""The performance paths: max pooling by tap selection, chunked stacked-tap convolution,
the identity phase grid, in-place Adam/SGD updates. Numpy loops and closed forms as references."""

import itertools

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(1)


def max_pool_ref(x, k, s, p):
    """2-D max pooling by loops: values, flat indices (first max, windows clipped to the input)."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    vals = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        pos = [(i * s - p + a, j * s - p + d) for a in range(k) for d in range(k)]
        pos = [q for q in pos if 0 <= q[0] < h and 0 <= q[1] < w]
        best = pos[0]
        for q in pos[1:]:
            if x[b, ch][q] > x[b, ch][best]:
                best = q
        vals[b, ch, i, j] = x[b, ch][best]
        idx[b, ch, i, j] = best[0] * w + best[1]
    return vals, idx


def route_ref(g, idx, shape):
    """The gradient of max pooling: each output's gradient added at its winner."""
    out = np.zeros(shape)
    n, c = shape[:2]
    for b, ch in itertools.product(range(n), range(c)):
        np.add.at(out[b, ch].reshape(-1), idx[b, ch].reshape(-1), g[b, ch].reshape(-1))
    return out


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_max_pool_routes_gradients_to_winners(device, k, s, p):
    x = rng.integers(0, 5, (2, 3, 7, 6)).astype(np.float64)  # many ties: the first maximum wins
    vals, idx = max_pool_ref(x, k, s, p)
    g = rng.standard_normal(vals.shape)
    xt = ember.tensor(x, device=device, requires_grad=True)
    y, i = F.max_pool2d(xt, k, s, p, return_indices=True)
    (y * ember.tensor(g, device=device)).sum().backward()
    np.testing.assert_array_equal(y.detach().cpu().numpy(), vals)
    np.testing.assert_array_equal(i.cpu().numpy(), idx)
    np.testing.assert_allclose(xt.grad.cpu().numpy(), route_ref(g, idx, x.shape), rtol=1e-12, atol=1e-12)


def test_max_pool_all_minus_inf_window_picks_first_tap_inside(device):
    x = np.full((1, 1, 4, 4), -np.inf)
    x[0, 0, 2, 2] = 1.0
    xt = ember.tensor(x, device=device, requires_grad=True)
    y, i = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    y.sum().backward()
    assert i.cpu().numpy().tolist() == [[[[0, 1], [4, 10]]]]  # as torch: the first position inside the input
    want = np.zeros((4, 4))
    want.flat[[0, 1, 4, 10]] = 1.0
    np.testing.assert_array_equal(xt.grad.cpu().numpy()[0, 0], want)


def test_max_pool_non_finite_gradient_stays_where_routed(device):
    x = ember.tensor(np.arange(16.0).reshape(1, 1, 4, 4), device=device, requires_grad=True)
    y = F.max_pool2d(x, 2)
    y.backward(ember.tensor([[[[np.inf, 1.0], [np.nan, 2.0]]]], device=device))
    g = x.grad.cpu().numpy()[0, 0]
    assert g[1, 1] == np.inf and np.isnan(g[3, 1]) and g[1, 3] == 1.0 and g[3, 3] == 2.0
    assert np.count_nonzero(g == 0) == 12  # zeros elsewhere, not NaN from 0 * inf


def test_max_pool_overlapping_gradcheck(device):
    x = ember.tensor(rng.standard_normal((1, 2, 5, 5)), device=device, requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 1, 1), (x,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, 3, 1, 1), (x,))


def conv_ref(x, w, pad):
    """Direct 2-D cross-correlation, stride 1."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    y = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for a, b in itertools.product(range(kh), range(kw)):
        y += np.einsum("oc,nchw->nohw", w[:, :, a, b], x[:, :, a:a + y.shape[2], b:b + y.shape[3]])
    return y


@pytest.mark.parametrize("pad", [0, 1])  # 0: the input is its own phase grid (no copy)
def test_conv_chunked_stacked_taps(device, pad):
    # 40 channels on 12x12: the stacked taps of a few samples fill a chunk, so several chunks run
    x = rng.standard_normal((7, 40, 12, 12))
    w = rng.standard_normal((8, 40, 3, 3))
    g = rng.standard_normal(conv_ref(x, w, pad).shape)
    xt = ember.tensor(x, device=device, requires_grad=True)
    wt = ember.tensor(w, device=device, requires_grad=True)
    y = F.conv2d(xt, wt, padding=pad)
    (y * ember.tensor(g, device=device)).sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), conv_ref(x, w, pad), rtol=1e-10, atol=1e-10)
    # adjoints: <g, conv(x, w)> is linear in x and in w
    gx = np.zeros_like(x)
    gw = np.zeros_like(w)
    xp_ = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    gxp = np.pad(gx, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = g.shape[2:]
    for a, b in itertools.product(range(3), range(3)):
        gxp[:, :, a:a + oh, b:b + ow] += np.einsum("oc,nohw->nchw", w[:, :, a, b], g)
        gw[:, :, a, b] = np.einsum("nohw,nchw->oc", g, xp_[:, :, a:a + oh, b:b + ow])
    gx = gxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    np.testing.assert_allclose(xt.grad.cpu().numpy(), gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad.cpu().numpy(), gw, rtol=1e-10, atol=1e-10)


def test_adam_in_place_update_matches_closed_form(device):
    p0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(3)]
    p = ember.tensor(p0, device=device, requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1, betas=(0.8, 0.9), eps=1e-6)
    ref, m, v = p0.copy(), np.zeros(5), np.zeros(5)
    for t, g in enumerate(grads, 1):
        p.grad = ember.tensor(g, device=device)
        opt.step()
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        ref = ref - 0.1 / (1 - 0.8 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.9 ** t) + 1e-6)
    np.testing.assert_allclose(p.detach().cpu().numpy(), ref, rtol=1e-12)


def test_sgd_momentum_without_dampening(device):
    p = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    for _ in range(2):
        p.grad = ember.tensor([1.0, -1.0], device=device)
        opt.step()
    # buffers: g, then 0.9 g + g; p = p0 - 0.5 g - 0.5 * 1.9 g
    np.testing.assert_allclose(p.detach().cpu().numpy(), [1.0 - 1.45, 2.0 + 1.45])


@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_fused_attention_matches_composed_and_gradchecks(device, mask):
    from ember.nn.functional._attention import _composed_attention

    q, k, v = (ember.tensor(rng.standard_normal((2, 3, 4, 5)), device=device, requires_grad=True) for _ in range(3))
    kw = {}
    if mask == "bool":
        m = rng.random((4, 4)) > 0.3
        m[:, 0] = True
        kw["attn_mask"] = ember.tensor(m, device=device)
    elif mask == "float":
        kw["attn_mask"] = ember.tensor(rng.standard_normal((4, 4)), device=device)
    elif mask == "causal":
        kw["is_causal"] = True
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    assert out.grad_fn.name() == "FusedAttentionBackward0"  # one node
    allowed = kw.get("attn_mask") if mask == "bool" else None
    additive = kw.get("attn_mask") if mask == "float" else None
    if mask == "causal":
        allowed = ember.ones(4, 4, dtype=ember.bool, device=device).tril()
    ref = _composed_attention(q, k, v, 1 / 5 ** 0.5, additive, allowed)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), ref.detach().cpu().numpy())
    g = ember.tensor(rng.standard_normal(out.shape), device=device)
    got = ember.autograd.grad([out], [q, k, v], [g])
    want = ember.autograd.grad([ref], [q, k, v], [g])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.cpu().numpy(), b.cpu().numpy(), rtol=1e-12, atol=1e-12)
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw)  # noqa: E731
    small = [t.detach()[:1, :2].requires_grad_() for t in (q, k, v)]
    assert gradcheck(fn, small)
    assert gradgradcheck(fn, small)
