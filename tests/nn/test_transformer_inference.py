"""TransformerEncoder's inference path gives torch's numbers: where torch would run the stack on
nested tensors (eval, no grad, batch_first, even heads, a right-padded key padding mask, no
attention mask) the padded positions come out as zeros before the final norm."""

import numpy as np
import pytest

import ember
import ember.nn as nn

PAD = [[False, False, True, True], [False, False, False, True]]


def _encoder(nhead=2, batch_first=True, norm=None):
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, nhead, 16, batch_first=batch_first)
    return nn.TransformerEncoder(layer, 2, norm=norm).eval()


def _run(enc, x, pad, grad=False):
    with ember.set_grad_enabled(grad):
        return enc(x, src_key_padding_mask=pad).detach().numpy()


def test_inference_zeroes_padded_positions_and_keeps_the_rest():
    enc, x, pad = _encoder(), ember.randn(2, 4, 8), ember.tensor(PAD)
    fast, slow = _run(enc, x, pad), _run(enc, x, pad, grad=True)
    keep = ~np.array(PAD)
    np.testing.assert_allclose(fast[keep], slow[keep], rtol=1e-6)
    assert not fast[~keep].any() and slow[~keep].all()
    float_pad = ember.zeros(2, 4).masked_fill(pad, float("-inf"))
    np.testing.assert_array_equal(_run(enc, x, float_pad), fast)


def test_final_norm_sees_the_zeros():
    norm = nn.LayerNorm(8)
    with ember.no_grad():
        norm.bias.fill_(0.5)
    enc = _encoder(norm=norm)
    out = _run(enc, ember.randn(2, 4, 8), ember.tensor(PAD))
    np.testing.assert_allclose(out[np.array(PAD)], 0.5)


@pytest.mark.parametrize("case", ["left_padded", "odd_heads", "training", "attn_mask", "seq_first"])
def test_other_calls_compute_every_position(case):
    enc = _encoder(nhead=1 if case == "odd_heads" else 2, batch_first=case != "seq_first")
    x, pad = ember.randn(2, 4, 8), ember.tensor(PAD)
    if case == "left_padded":
        pad = pad.flip(1)
    if case == "training":
        enc.train()
        for m in enc.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
    if case == "seq_first":
        x = x.transpose(0, 1)
        out = _run(enc, x, pad).transpose(1, 0, 2)
    elif case == "attn_mask":
        with ember.no_grad():
            out = enc(x, mask=ember.zeros(4, 4, dtype=ember.bool), src_key_padding_mask=pad).numpy()
    else:
        out = _run(enc, x, pad)
    assert np.abs(out).sum(-1).all()


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's nested-tensor prototype warning
def test_matches_torch():
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        enc = lib.nn.TransformerEncoder(layer, 2).eval()
        x = lib.randn(2, 4, 8)
        with lib.no_grad():
            outs.append(np.asarray(enc(x, src_key_padding_mask=lib.tensor(PAD)).tolist()))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
