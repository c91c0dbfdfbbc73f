"""Transformer encoder/decoder layers, stacks and the full Transformer: numpy references, causality, gradients, torch."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from harness import Case, run

rng = np.random.default_rng(5)
D, HEADS, FF = 4, 2, 6


def np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def np_attention(q_in, kv_in, p, prefix, mask=None):
    """Multi-head attention of sequence-major inputs with the parameters ``p[prefix + ...]``."""
    wq, wk, wv = np.split(p[prefix + "in_proj_weight"], 3)
    bq, bk, bv = np.split(p[prefix + "in_proj_bias"], 3)
    hd = D // HEADS

    def heads(x):
        return x.reshape(x.shape[0], x.shape[1], HEADS, hd).transpose(1, 2, 0, 3)

    s = heads(q_in @ wq.T + bq) @ heads(kv_in @ wk.T + bk).transpose(0, 1, 3, 2) / math.sqrt(hd)
    if mask is not None:
        s = s + mask
    e = np.exp(s - s.max(-1, keepdims=True))
    ctx = (e / e.sum(-1, keepdims=True)) @ heads(kv_in @ wv.T + bv)
    out = ctx.transpose(2, 0, 1, 3).reshape(q_in.shape[0], q_in.shape[1], D)
    return out @ p[prefix + "out_proj.weight"].T + p[prefix + "out_proj.bias"]


def np_ff(x, p, act):
    h = x @ p["linear1.weight"].T + p["linear1.bias"]
    return act(h) @ p["linear2.weight"].T + p["linear2.bias"]


def _norm(p, k):
    return lambda x: np_layer_norm(x, p[f"norm{k}.weight"], p[f"norm{k}.bias"])


def np_encoder_layer(x, p, norm_first=False, mask=None, act=lambda h: np.maximum(h, 0)):
    n1, n2 = _norm(p, 1), _norm(p, 2)
    if norm_first:
        x = x + np_attention(n1(x), n1(x), p, "self_attn.", mask)
        return x + np_ff(n2(x), p, act)
    x = n1(x + np_attention(x, x, p, "self_attn.", mask))
    return n2(x + np_ff(x, p, act))


def np_decoder_layer(x, mem, p, tgt_mask=None):
    n1, n2, n3 = _norm(p, 1), _norm(p, 2), _norm(p, 3)
    x = n1(x + np_attention(x, x, p, "self_attn.", tgt_mask))
    x = n2(x + np_attention(x, mem, p, "multihead_attn."))
    return n3(x + np_ff(x, p, lambda h: np.maximum(h, 0)))


def _params(module):
    return {n: t.detach().cpu().numpy() for n, t in module.named_parameters()}


def _layer(cls, **kw):
    ember.manual_seed(0)
    return cls(D, HEADS, FF, dropout=0.0, **kw).double()


def _gelu(h):
    from math import erf

    return 0.5 * h * (1 + np.vectorize(erf)(h / math.sqrt(2)))


@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu")])
def test_encoder_layer_matches_numpy(device, norm_first, activation):
    layer = _layer(nn.TransformerEncoderLayer, norm_first=norm_first, activation=activation).to(device)
    x = rng.standard_normal((5, 2, D))
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    got = layer(ember.tensor(x, device=device), src_mask=ember.tensor(mask, device=device))
    act = _gelu if activation == "gelu" else (lambda h: np.maximum(h, 0))
    want = np_encoder_layer(x, _params(layer), norm_first, mask, act)
    np.testing.assert_allclose(got.detach().cpu().numpy(), want, atol=1e-10)


def test_decoder_layer_matches_numpy(device):
    layer = _layer(nn.TransformerDecoderLayer).to(device)
    x, mem = rng.standard_normal((4, 2, D)), rng.standard_normal((3, 2, D))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    got = layer(ember.tensor(x, device=device), ember.tensor(mem, device=device), tgt_mask=mask.to(device))
    want = np_decoder_layer(x, mem, _params(layer), mask.numpy())
    np.testing.assert_allclose(got.detach().cpu().numpy(), want, atol=1e-10)


def test_stacks_and_state_dict_names():
    enc = nn.TransformerEncoder(_layer(nn.TransformerEncoderLayer), 2, norm=nn.LayerNorm(D).double())
    names = list(enc.state_dict())
    assert names[:4] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias",
                         "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias"]
    assert names[-2:] == ["norm.weight", "norm.bias"] and "layers.1.linear2.weight" in names
    x = rng.standard_normal((3, 2, D))
    p = {n: t.detach().numpy() for n, t in enc.named_parameters()}
    want = x
    for k in range(2):
        want = np_encoder_layer(want, {n[len(f"layers.{k}."):]: v for n, v in p.items() if n.startswith(f"layers.{k}.")})
    want = np_layer_norm(want, p["norm.weight"], p["norm.bias"])
    np.testing.assert_allclose(enc(ember.tensor(x)).detach().numpy(), want, atol=1e-10)
    dec_layer = nn.TransformerDecoderLayer(D, HEADS, FF)
    assert list(dec_layer.state_dict())[4:8] == ["multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                                                 "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias"]


def test_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == ember.float32
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_transformer_is_causal_in_the_target(device):
    ember.manual_seed(0)
    model = nn.Transformer(D, HEADS, 1, 2, FF, dropout=0.0, batch_first=True).to(device)
    src = ember.randn(2, 3, D, device=device)
    tgt = ember.randn(2, 5, D, device=device)
    mask = nn.Transformer.generate_square_subsequent_mask(5, device=device)
    out = model(src, tgt, tgt_mask=mask)
    changed = tgt.clone()
    changed[:, 3:] = ember.randn(2, 2, D, device=device)
    out2 = model(src, changed, tgt_mask=mask)
    np.testing.assert_allclose(out[:, :3].detach().cpu().numpy(), out2[:, :3].detach().cpu().numpy(), atol=1e-5)
    assert not np.allclose(out[:, 3:].detach().cpu().numpy(), out2[:, 3:].detach().cpu().numpy())
    for p in model.parameters():  # xavier-uniform for matrices
        if p.ndim > 1:
            assert p.abs().max().item() <= math.sqrt(6 / (p.shape[0] + p.shape[1])) + 1e-6


def test_key_padding_ignores_padded_positions():
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0)
    x = ember.randn(4, 2, D)
    kpm = ember.tensor([[False, False, True, True], [False, False, False, False]])
    out = layer(x, src_key_padding_mask=kpm)
    changed = x.clone()
    changed[2:, 0] = 100.0
    out2 = layer(changed, src_key_padding_mask=kpm)
    np.testing.assert_allclose(out[:2, 0].detach().numpy(), out2[:2, 0].detach().numpy(), atol=1e-5)


def _layer_case():
    layer = _layer(nn.TransformerEncoderLayer, norm_first=True)
    names = [n for n, _ in layer.named_parameters()]
    x = rng.standard_normal((2, 1, D))

    def fn(x, *ws):
        saved = dict()
        for n, w in zip(names, ws):
            owner, attr = layer.get_submodule(n.rpartition(".")[0]), n.rpartition(".")[2]
            saved[(owner, attr)] = owner._parameters[attr]
            owner._parameters[attr] = w
        try:
            return layer(x)
        finally:
            for (owner, attr), p in saved.items():
                owner._parameters[attr] = p

    ref = lambda x, *ws: np_encoder_layer(x, dict(zip(names, ws)), norm_first=True)  # noqa: E731
    return Case("encoder_layer_grad", fn, ref, (x,) + tuple(p.detach().numpy() for _, p in layer.named_parameters()),
                gradgrad=False)


def test_encoder_layer_gradcheck(device):
    run(_layer_case(), device)


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(3, 2, 8), ember.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(ember.randn(3, 2, 8), ember.randn(4, 2, 6))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")])
def test_torch_state_dict_transfer(kw):
    torch = pytest.importorskip("torch")
    tt = torch.nn.Transformer(16, 4, 2, 2, 32, dropout=0.0, **kw)
    et = nn.Transformer(16, 4, 2, 2, 32, dropout=0.0, **kw)
    et.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tt.state_dict().items()})
    src, tgt = rng.standard_normal((5, 3, 16)).astype(np.float32), rng.standard_normal((7, 3, 16)).astype(np.float32)
    if kw.get("batch_first"):
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[1, 3:] = True
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(7)
    want = tt(torch.tensor(src), torch.tensor(tgt), tgt_mask=t_mask, src_key_padding_mask=torch.tensor(kpm),
              memory_key_padding_mask=torch.tensor(kpm))
    got = et(ember.tensor(src), ember.tensor(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(7),
             src_key_padding_mask=ember.tensor(kpm), memory_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), atol=1e-5)
