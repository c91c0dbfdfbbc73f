"""scaled_dot_product_attention and MultiheadAttention against numpy softmax(QK^T/sqrt(d))V references."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from harness import Case, run

rng = np.random.default_rng(4)


def np_softmax(s):
    """Row softmax where a row of only -inf gives zeros (torch's attention behaviour)."""
    m = s.max(-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    den = e.sum(-1, keepdims=True)
    return e / np.where(den == 0, 1, den)


def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return np_softmax(s) @ v


Q = rng.standard_normal((2, 2, 3, 4))
K = rng.standard_normal((2, 2, 4, 4))
V = rng.standard_normal((2, 2, 4, 2))
BOOL = rng.random((3, 4)) > 0.4
BOOL[:, 0] = True
BOOL_ROW_OFF = BOOL.copy()
BOOL_ROW_OFF[2] = False  # a query that may attend nowhere: zeros out
FLOAT = rng.standard_normal((2, 1, 3, 4))
FLOAT_INF = FLOAT.copy()
FLOAT_INF[..., 1, :] = -np.inf
FLOAT_INF[..., 0, 3] = -np.inf

SDPA_CASES = [
    Case("plain", F.scaled_dot_product_attention, np_sdpa, (Q, K, V)),
    Case("causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
         lambda q, k, v: np_sdpa(q, k, v, causal=True), (Q, K, V)),
    Case("bool_mask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), np_sdpa, (Q, K, V, BOOL)),
    Case("bool_mask_dead_row", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), np_sdpa,
         (Q, K, V, BOOL_ROW_OFF)),
    Case("float_mask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), np_sdpa, (Q, K, V, FLOAT)),
    Case("float_mask_inf_row", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), np_sdpa,
         (Q, K, V, FLOAT_INF), nondiff=(3,)),
    Case("scale", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.3),
         lambda q, k, v: np_sdpa(q, k, v, scale=0.3), (Q, K, V)),
    Case("gqa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
         lambda q, k, v: np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)), (Q, K[:, :1], V[:, :1])),
    Case("unbatched", F.scaled_dot_product_attention, np_sdpa, (Q[0, 0], K[0, 0], V[0, 0])),
]


@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa(case, device):
    run(case, device)


def test_sdpa_errors():
    q = ember.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3, dtype=ember.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype"):
        F.scaled_dot_product_attention(q, q, q.double())
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3, dtype=ember.int64))


def test_sdpa_dropout_keeps_expectation():
    q = ember.zeros(1, 1, 2000, 4)
    v = ember.ones(1, 1, 8, 3)
    out = F.scaled_dot_product_attention(q, ember.zeros(1, 1, 8, 4), v, dropout_p=0.5)
    assert abs(out.mean().item() - 1) < 0.05 and out.std().item() > 0.1


# --- multi-head attention ---------------------------------------------------------------------------
def np_mha(q_in, k_in, v_in, w, b, wo, bo, heads, mask=None):
    """Sequence-major (L, N, E) multi-head attention; ``mask`` is additive, broadcast to (N, H, L, S)."""
    e = q_in.shape[-1]
    wq, wk, wv = np.split(w, 3)
    bq, bk, bv = np.split(b, 3)

    def split(x, wt, bias):
        y = x @ wt.T + bias
        return y.reshape(y.shape[0], y.shape[1], heads, e // heads).transpose(1, 2, 0, 3)

    q, k, v = split(q_in, wq, bq), split(k_in, wk, bk), split(v_in, wv, bv)
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(e // heads)
    if mask is not None:
        s = s + mask
    p = np_softmax(s)
    out = (p @ v).transpose(2, 0, 1, 3).reshape(q_in.shape[0], q_in.shape[1], e)
    return out @ wo.T + bo, p.mean(1)


E_, H_, L_, S_, N_ = 4, 2, 3, 4, 2
XQ = rng.standard_normal((L_, N_, E_))
XK = rng.standard_normal((S_, N_, E_))
W_IN = rng.standard_normal((3 * E_, E_)) * 0.5
B_IN = rng.standard_normal(3 * E_)
W_OUT = rng.standard_normal((E_, E_)) * 0.5
B_OUT = rng.standard_normal(E_)
KPM = np.zeros((N_, S_), dtype=bool)
KPM[1, 3:] = True
AM = rng.random((L_, S_)) > 0.7
AM[:, 0] = False


def _mha(q, k, w, b, wo, bo, **kw):
    return F.multi_head_attention_forward(q, k, k, E_, H_, w, b, None, None, False, 0.0, wo, bo, **kw)


def _additive(mask):
    return np.where(mask, -np.inf, 0.0)


MHA_CASES = [
    Case("mha", lambda q, k, w, b, wo, bo: _mha(q, k, w, b, wo, bo),
         lambda q, k, w, b, wo, bo: np_mha(q, k, k, w, b, wo, bo, H_), (XQ, XK, W_IN, B_IN, W_OUT, B_OUT)),
    Case("mha_masks", lambda q, k, w, b, wo, bo, kpm, am: _mha(q, k, w, b, wo, bo, key_padding_mask=kpm, attn_mask=am),
         lambda q, k, w, b, wo, bo, kpm, am: np_mha(q, k, k, w, b, wo, bo, H_,
                                                    _additive(kpm)[:, None, None, :] + _additive(am)),
         (XQ, XK, W_IN, B_IN, W_OUT, B_OUT, KPM, AM), gradgrad=False),
    Case("mha_self_no_weights", lambda q, w, b, wo, bo: _mha(q, q, w, b, wo, bo, need_weights=False)[0],
         lambda q, w, b, wo, bo: np_mha(q, q, q, w, b, wo, bo, H_)[0], (XQ, W_IN, B_IN, W_OUT, B_OUT), gradgrad=False),
]


@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multi_head_attention_forward(case, device):
    run(case, device)


def _mha_module(**kw):
    ember.manual_seed(0)
    return nn.MultiheadAttention(E_, H_, **kw).double()


def _np(t):
    return t.detach().cpu().numpy()


def test_module_layouts_agree(device):
    m = _mha_module().to(device)
    q, k = ember.tensor(XQ, device=device), ember.tensor(XK, device=device)
    out, w = m(q, k, k)
    want, want_w = np_mha(XQ, XK, XK, _np(m.in_proj_weight), _np(m.in_proj_bias), _np(m.out_proj.weight),
                          _np(m.out_proj.bias), H_)
    np.testing.assert_allclose(_np(out), want, atol=1e-12)
    np.testing.assert_allclose(_np(w), want_w, atol=1e-12)
    per_head = m(q, k, k, average_attn_weights=False)[1]
    assert per_head.shape == (N_, H_, L_, S_)
    m.batch_first = True
    out_bf, _ = m(q.transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1), need_weights=False)
    np.testing.assert_allclose(_np(out_bf), want.transpose(1, 0, 2), atol=1e-12)
    m.batch_first = False
    out_u, w_u = m(q[:, 0], k[:, 0], k[:, 0])
    np.testing.assert_allclose(_np(out_u), want[:, 0], atol=1e-12)
    assert w_u.shape == (L_, S_)


def test_module_bias_kv_zero_attn_and_kdim(device):
    m = _mha_module(add_bias_kv=True, add_zero_attn=True).to(device)
    q, k = ember.tensor(XQ, device=device), ember.tensor(XK, device=device)
    out, _ = m(q, k, k)
    w, b = _np(m.in_proj_weight), _np(m.in_proj_bias)
    # the extra keys: bias_k/bias_v after projection, then an all-zero key and value
    wq, wk, wv = np.split(w, 3)
    bq, bk, bv = np.split(b, 3)
    kp = np.concatenate([XK @ wk.T + bk, np.broadcast_to(_np(m.bias_k), (1, N_, E_))])
    vp = np.concatenate([XK @ wv.T + bv, np.broadcast_to(_np(m.bias_v), (1, N_, E_))])
    heads = lambda x: x.reshape(x.shape[0], N_, H_, E_ // H_).transpose(1, 2, 0, 3)  # noqa: E731
    zero = np.zeros((N_, H_, 1, E_ // H_))
    qh = heads(XQ @ wq.T + bq)
    kh, vh = np.concatenate([heads(kp), zero], 2), np.concatenate([heads(vp), zero], 2)
    ctx = np_softmax(qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(E_ // H_)) @ vh
    want = ctx.transpose(2, 0, 1, 3).reshape(L_, N_, E_) @ _np(m.out_proj.weight).T + _np(m.out_proj.bias)
    np.testing.assert_allclose(_np(out), want, atol=1e-12)
    sep = nn.MultiheadAttention(E_, H_, kdim=3, vdim=5)
    assert [n for n, _ in sep.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                                       "out_proj.weight", "out_proj.bias"]
    assert sep(ember.randn(L_, N_, E_), ember.randn(S_, N_, 3), ember.randn(S_, N_, 5))[0].shape == (L_, N_, E_)


def test_fully_masked_rows_follow_torch():
    m = _mha_module()
    x = ember.tensor(XQ)
    kpm = ember.ones(N_, L_, dtype=ember.bool)
    assert m(x, x, x, key_padding_mask=kpm)[0].isnan().all()  # need_weights: plain softmax, NaN as in torch
    assert (m(x, x, x, key_padding_mask=kpm, need_weights=False)[0] == m.out_proj.bias).all()  # sdpa: zeros


def test_module_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    m = nn.MultiheadAttention(4, 2)
    x = ember.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*, but should be \(3, 3\)."):
        m(x, x, x, attn_mask=ember.zeros(2, 2))
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 3, dtype=ember.bool), attn_mask=ember.zeros(3, 3))


@pytest.mark.torch
@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True, add_bias_kv=True), dict(kdim=3, vdim=5, bias=False)])
def test_torch_state_dict_transfer(kw):
    torch = pytest.importorskip("torch")
    tm = torch.nn.MultiheadAttention(8, 2, **kw)
    em = nn.MultiheadAttention(8, 2, **kw)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    shape = (lambda l, e: (2, l, e)) if kw.get("batch_first") else (lambda l, e: (l, 2, e))
    q = rng.standard_normal(shape(4, 8)).astype(np.float32)
    k = rng.standard_normal(shape(6, kw.get("kdim", 8))).astype(np.float32)
    v = rng.standard_normal(shape(6, kw.get("vdim", 8))).astype(np.float32)
    kpm = np.zeros((2, 6), dtype=bool)
    kpm[0, 4:] = True
    t_out, t_w = tm(*map(torch.tensor, (q, k, v)), key_padding_mask=torch.tensor(kpm))
    e_out, e_w = em(*map(ember.tensor, (q, k, v)), key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(_np(e_out), t_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(_np(e_w), t_w.detach().numpy(), atol=1e-5)
