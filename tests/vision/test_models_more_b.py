"""EfficientNet, RegNet, ConvNeXt and Swin Transformer: torchvision's structure, configurations, init and outputs.

Without torchvision: parameter counts and state-dict digests recorded from torchvision 0.28, its stage tables,
init statistics by closed form, window attention against numpy. With torchvision: small configurations of each
class built after the same seed hold the same weights and give the same eval and train outputs (dropout and
stochastic-depth draws included), and loading torchvision's state dict reproduces its outputs.
"""

import hashlib
import math
from functools import partial

import ember
import ember.nn as nn
import numpy as np
import pytest
from embervision import models
from embervision.models import convnext, efficientnet, maxvit, regnet, swin_transformer
from torchvision_oracle import assert_same_state, torchvision_or_skip

# name -> (parameters, state-dict keys, sha256 of "key:shape:dtype" lines) of torchvision 0.28's default model
TORCHVISION = {
    "efficientnet_b0": (5288548, 360, "f1d9178be2a83f73b8237c28171063bf0d4e77f9d1a57dc2dfe5ae73586365fc"),
    "regnet_x_400mf": (5495976, 428, "1d6b815fc14a5b1b29703f66f470a2176d66185ac2e9f55ffb8cedc6c5f209fa"),
    "regnet_y_400mf": (4344144, 384, "40cde3231791ad5bb9b775bcb143aa7cc53392e1c423a62d8b22ee3dfa5c42c5"),
    "efficientnet_v2_s": (21458488, 782, "23c9b35c977d930c1d1046c7476c5199af978e5d4c2e1b9823bc52d4eeed45e5"),
    "convnext_tiny": (28589128, 182, "dc9c054744be804a659034a2880de270d1e6acf72e2fb662b28e6b06804d12b6"),
    "swin_t": (28288354, 185, "473eb03310a2aa952d33459628c76e2d526d130eb212e00b6d92db56a358f1ef"),
    "swin_v2_t": (28351570, 233, "f9e652fc4ce4d5fbea6f4116734fa5f1f6e2be69fd37cb08888e0714598f758e"),
    "maxvit_t": (30919624, 582, "30f49621bc5a4c7ebf8cd128f4b698691cc51ed645cde96bd8bd19f2deff593f"),
}
HEAVY = {"efficientnet_v2_s", "convnext_tiny", "swin_t", "swin_v2_t", "maxvit_t"}  # seconds each to initialise


def _digest(model):
    lines = [f"{k}:{list(v.shape)}:{str(v.dtype).replace('ember.', '')}" for k, v in model.state_dict().items()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in HEAVY else []) for n in TORCHVISION])
def test_parameter_counts_and_state_dict_keys_match_torchvision(name):
    model = models.get_model(name)
    params, keys, digest = TORCHVISION[name]
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(model.state_dict()) == keys and _digest(model) == digest


FAMILIES = {
    "efficientnet": [f"efficientnet_b{i}" for i in range(8)] + [f"efficientnet_v2_{s}" for s in "sml"],
    "regnet": [f"regnet_{k}_{s}" for k in "yx" for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")]
    + ["regnet_y_128gf"],
    "convnext": [f"convnext_{s}" for s in ("tiny", "small", "base", "large")],
    "swin": ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"],
    "maxvit": ["maxvit_t"],
}


def test_every_variant_is_registered_and_rejects_weights():
    names = [n for family in FAMILIES.values() for n in family]
    assert set(names) <= set(models.list_models())
    for name in names:
        assert models.get_model_builder(name).__name__ == name
        with pytest.raises(ValueError, match=f"{name}: no pretrained weights are bundled"):
            models.get_model(name, weights="DEFAULT")


# torchvision 0.28's stage tables: (input channels, output channels, blocks) per stage, last channel
EFFICIENTNET_STAGES = {
    "efficientnet_b0": ([(32, 16, 1), (16, 24, 2), (24, 40, 2), (40, 80, 3), (80, 112, 3), (112, 192, 4), (192, 320, 1)], None),
    "efficientnet_b1": ([(32, 16, 2), (16, 24, 3), (24, 40, 3), (40, 80, 4), (80, 112, 4), (112, 192, 5), (192, 320, 2)], None),
    "efficientnet_b2": ([(32, 16, 2), (16, 24, 3), (24, 48, 3), (48, 88, 4), (88, 120, 4), (120, 208, 5), (208, 352, 2)], None),
    "efficientnet_b3": ([(40, 24, 2), (24, 32, 3), (32, 48, 3), (48, 96, 5), (96, 136, 5), (136, 232, 6), (232, 384, 2)], None),
    "efficientnet_b4": ([(48, 24, 2), (24, 32, 4), (32, 56, 4), (56, 112, 6), (112, 160, 6), (160, 272, 8), (272, 448, 2)], None),
    "efficientnet_b5": ([(48, 24, 3), (24, 40, 5), (40, 64, 5), (64, 128, 7), (128, 176, 7), (176, 304, 9), (304, 512, 3)], None),
    "efficientnet_b6": ([(56, 32, 3), (32, 40, 6), (40, 72, 6), (72, 144, 8), (144, 200, 8), (200, 344, 11), (344, 576, 3)], None),
    "efficientnet_b7": ([(64, 32, 4), (32, 48, 7), (48, 80, 7), (80, 160, 10), (160, 224, 10), (224, 384, 13), (384, 640, 4)], None),
    "efficientnet_v2_s": ([(24, 24, 2), (24, 48, 4), (48, 64, 4), (64, 128, 6), (128, 160, 9), (160, 256, 15)], 1280),
    "efficientnet_v2_m": ([(24, 24, 3), (24, 48, 5), (48, 80, 5), (80, 160, 7), (160, 176, 14), (176, 304, 18), (304, 512, 5)], 1280),
    "efficientnet_v2_l": ([(32, 32, 4), (32, 64, 7), (64, 96, 7), (96, 192, 10), (192, 224, 19), (224, 384, 25), (384, 640, 7)], 1280),
}


@pytest.mark.parametrize("arch", sorted(EFFICIENTNET_STAGES))
def test_efficientnet_stage_tables(arch):
    cfg, last = efficientnet.efficientnet_config(arch)
    assert ([(c.input_channels, c.out_channels, c.num_layers) for c in cfg], last) == EFFICIENTNET_STAGES[arch]
    fused = [c.block is efficientnet.FusedMBConv for c in cfg]
    assert fused == [arch.startswith("efficientnet_v2") and i < 3 for i in range(len(cfg))]


# torchvision 0.28's stages (float32 design-space arithmetic): depths, widths, group widths
REGNET_STAGES = {
    "regnet_y_400mf": ([1, 3, 6, 6], [48, 104, 208, 440], [8, 8, 8, 8]),
    "regnet_y_800mf": ([1, 3, 8, 2], [64, 144, 320, 784], [16, 16, 16, 16]),
    "regnet_y_1_6gf": ([2, 6, 17, 2], [48, 120, 336, 888], [24, 24, 24, 24]),
    "regnet_y_3_2gf": ([2, 5, 13, 1], [72, 216, 576, 1512], [24, 24, 24, 24]),
    "regnet_y_8gf": ([2, 4, 10, 1], [224, 448, 896, 2016], [56, 56, 56, 56]),
    "regnet_y_16gf": ([2, 4, 11, 1], [224, 448, 1232, 3024], [112, 112, 112, 112]),
    "regnet_y_32gf": ([2, 5, 12, 1], [232, 696, 1392, 3712], [232, 232, 232, 232]),
    "regnet_y_128gf": ([2, 7, 17, 1], [528, 1056, 2904, 7392], [264, 264, 264, 264]),
    "regnet_x_400mf": ([1, 2, 7, 12], [32, 64, 160, 400], [16, 16, 16, 16]),
    "regnet_x_800mf": ([1, 3, 7, 5], [64, 128, 288, 672], [16, 16, 16, 16]),
    "regnet_x_1_6gf": ([2, 4, 10, 2], [72, 168, 408, 912], [24, 24, 24, 24]),
    "regnet_x_3_2gf": ([2, 6, 15, 2], [96, 192, 432, 1008], [48, 48, 48, 48]),
    "regnet_x_8gf": ([2, 5, 15, 1], [80, 240, 720, 1920], [80, 120, 120, 120]),
    "regnet_x_16gf": ([2, 6, 13, 1], [256, 512, 896, 2048], [128, 128, 128, 128]),
    "regnet_x_32gf": ([2, 7, 13, 1], [336, 672, 1344, 2520], [168, 168, 168, 168]),
}


@pytest.mark.parametrize("arch", sorted(REGNET_STAGES))
def test_regnet_stage_tables(arch):
    p = regnet.regnet_config(arch)
    assert (p.depths, p.widths, p.group_widths) == REGNET_STAGES[arch]
    assert p.strides == [2] * 4 and p.se_ratio == (0.25 if arch.startswith("regnet_y") else None)


def test_regnet_rejects_invalid_settings():
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        regnet.BlockParams.from_init_params(depth=4, w_0=12, w_a=8.0, w_m=2.0, group_width=8)


# --- small configurations of each class ----------------------------------------------------------------
def _efficientnet(lib, nnl):
    m = lib.efficientnet
    setting = [m.MBConvConfig(1, 3, 1, 16, 8, 1), m.FusedMBConvConfig(4, 3, 2, 8, 16, 2),
               m.FusedMBConvConfig(1, 3, 1, 16, 16, 1), m.MBConvConfig(6, 5, 2, 16, 24, 2, width_mult=1.1)]
    return m.EfficientNet(setting, 0.3, stochastic_depth_prob=0.5, num_classes=5,
                          norm_layer=partial(nnl.BatchNorm2d, eps=1e-3), last_channel=40)


def _regnet(lib, nnl):
    m = lib.regnet
    params = m.BlockParams.from_init_params(depth=5, w_0=16, w_a=12.0, w_m=2.0, group_width=8, se_ratio=0.25)
    return m.RegNet(params, num_classes=5, stem_width=16)


def _convnext(lib, nnl):
    m = lib.convnext
    return m.ConvNeXt([m.CNBlockConfig(8, 16, 2), m.CNBlockConfig(16, None, 2)], stochastic_depth_prob=0.4,
                      layer_scale=0.5, num_classes=5)


def _swin(lib, nnl):
    return lib.swin_transformer.SwinTransformer([4, 4], 8, [2, 2], [2, 4], [2, 2], dropout=0.1, attention_dropout=0.1,
                                                stochastic_depth_prob=0.3, num_classes=5)


def _swin_v2(lib, nnl):
    m = lib.swin_transformer
    return m.SwinTransformer([4, 4], 8, [2, 2], [2, 4], [3, 3], dropout=0.1, stochastic_depth_prob=0.3, num_classes=5,
                             block=m.SwinTransformerBlockV2, downsample_layer=m.PatchMergingV2)


def _maxvit(lib, nnl):
    return lib.maxvit.MaxVit((32, 32), 8, 2, [8, 16], [1, 2], 4, 0.3, mlp_dropout=0.1, attention_dropout=0.1,
                             num_classes=5)


SMALL = {"efficientnet": (_efficientnet, 32), "regnet": (_regnet, 32), "convnext": (_convnext, 32),
         "swin": (_swin, 20), "swin_v2": (_swin_v2, 24), "maxvit": (_maxvit, 32)}


@pytest.mark.parametrize("family", sorted(SMALL))
def test_small_models_forward_backward(family):
    build, size = SMALL[family]
    model = build(models, nn)
    out = model(ember.rand(2, 3, size, size))
    assert out.shape == (2, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    with ember.no_grad():
        assert model(ember.rand(1, 3, size, size)).shape == (1, 5)


def _torchvision():
    """``torchvision_or_skip()`` with the submodules the builders above name imported."""
    torch, _ = torchvision_or_skip()
    import torchvision.models.convnext  # noqa: F401  the submodules the builders above name
    import torchvision.models.efficientnet  # noqa: F401
    import torchvision.models.maxvit  # noqa: F401
    import torchvision.models.regnet  # noqa: F401
    import torchvision.models.swin_transformer  # noqa: F401
    return torch, torchvision


@pytest.mark.torch
@pytest.mark.parametrize("family", sorted(SMALL))
def test_same_seed_same_weights_and_outputs_as_torchvision(family):
    torch, torchvision = _torchvision()
    build, size = SMALL[family]
    torch.manual_seed(3)
    theirs = build(torchvision.models, torch.nn)
    ember.manual_seed(3)
    ours = build(models, nn)
    assert_same_state(theirs, ours)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size))
    theirs.eval(), ours.eval()
    with torch.no_grad(), ember.no_grad():
        expected = theirs(torch.from_numpy(x.astype(np.float32))).numpy()
        got = ours(ember.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # train(): batch statistics, dropout and stochastic-depth draws (float64: BatchNorm on tiny batches)
    theirs.double(), ours.double()
    theirs.train(), ours.train()
    torch.manual_seed(11), ember.manual_seed(11)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    got = ours(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    assert_same_state(theirs, ours, exact=False)
    assert np.array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())  # as many draws consumed


@pytest.mark.torch
@pytest.mark.parametrize("family", sorted(SMALL))
def test_loading_torchvision_state_dict_reproduces_its_outputs(family):
    torch, torchvision = _torchvision()
    build, size = SMALL[family]
    torch.manual_seed(5)
    theirs = build(torchvision.models, torch.nn).eval()
    with torch.no_grad():  # non-trivial statistics and scales
        for name, t in theirs.state_dict().items():
            if t.is_floating_point() and ("running" in name or "layer_scale" in name):
                t.uniform_(0.5, 1.5)
    ours = build(models, nn).eval()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(ours(ember.tensor(x)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["efficientnet_b0", "regnet_y_400mf"])
def test_default_builders_match_torchvision(name):
    torch, torchvision = _torchvision()
    torch.manual_seed(3)
    theirs = getattr(torchvision.models, name)(num_classes=10).eval()
    ember.manual_seed(3)
    ours = getattr(models, name)(num_classes=10).eval()
    assert_same_state(theirs, ours)
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(ours(ember.tensor(x)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)


# --- closed forms: no torchvision needed -------------------------------------------------------------------
def _modules(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


def _assert_normal(w, std, mean=0.0):
    a = w.detach().numpy().astype(np.float64).ravel()
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(a.size) + 1e-12
    assert abs(a.std() - std) < 5 * std / math.sqrt(2 * a.size)


def _assert_const(t, value):
    assert np.array_equal(t.detach().numpy(), np.full(t.shape, value, dtype=np.float32))


def _fan_out(w):
    return w.shape[0] * math.prod(w.shape[2:])


def test_efficientnet_init_and_stochastic_depth_schedule():
    model = _efficientnet(models, nn)
    for conv in _modules(model, nn.Conv2d):
        if conv.weight.numel() >= 500:
            _assert_normal(conv.weight, math.sqrt(2 / _fan_out(conv.weight)))  # kaiming_normal_, fan_out
        if conv.bias is not None:
            _assert_const(conv.bias, 0.0)
    head = model.classifier[1]
    bound = 1 / math.sqrt(head.out_features)
    assert np.abs(head.weight.detach().numpy()).max() <= bound and np.abs(head.weight.detach().numpy()).max() > bound / 2
    _assert_const(head.bias, 0.0)
    blocks = [b for stage in model.features[1:-1] for b in stage]
    assert [b.stochastic_depth.p for b in blocks] == [0.5 * i / 6 for i in range(6)]
    assert [b.use_res_connect for b in blocks] == [False, False, True, True, False, True]
    assert model.features[0][1].eps == 1e-3 and model.features[-1][0].out_channels == 40


def test_regnet_init_and_structure():
    model = models.regnet_y_400mf(num_classes=300)
    for conv in _modules(model, nn.Conv2d):
        if conv.weight.numel() >= 1000:
            _assert_normal(conv.weight, math.sqrt(2 / _fan_out(conv.weight)))
    _assert_normal(model.fc.weight, 0.01), _assert_const(model.fc.bias, 0.0)
    first = model.trunk_output.block1[0]
    assert list(first.f._modules) == ["a", "b", "se", "c"] and first.proj is not None
    assert first.f.b[0].groups == 48 // 8 and first.f.se.fc1.out_channels == round(0.25 * 32)
    assert model.trunk_output.block2[1].proj is None


def test_convnext_init_and_layer_scale():
    model = _convnext(models, nn)
    for m in _modules(model, (nn.Conv2d, nn.Linear)):
        if m.weight.numel() >= 200:
            _assert_normal(m.weight, 0.02)  # trunc_normal_(std=0.02) cuts at +-2: a plain normal in effect
        if m.bias is not None:
            _assert_const(m.bias, 0.0)
    _assert_const(model.features[1][0].layer_scale, 0.5)
    _assert_const(convnext.CNBlock(8, 1e-6, 0.0).layer_scale, 1e-6)
    probs = [b.stochastic_depth.p for stage in model.features[1::2] for b in stage]
    np.testing.assert_allclose(probs, [0.4 * i / 3 for i in range(4)])
    assert isinstance(model.features[0][1], convnext.LayerNorm2d) and model.features[0][1].eps == 1e-6


def test_swin_relative_positions_and_init():
    model = _swin(models, nn)
    attn = model.features[1][1].attn
    assert attn.shift_size == [1, 1] and model.features[1][0].attn.shift_size == [0, 0]
    coords = np.stack(np.meshgrid(np.arange(2), np.arange(2), indexing="ij")).reshape(2, -1)
    rel = coords[:, :, None] - coords[:, None, :] + 1
    np.testing.assert_array_equal(attn.relative_position_index.numpy(), (rel[0] * 3 + rel[1]).ravel())
    assert attn.relative_position_index.dtype is ember.int64
    for linear in _modules(model, nn.Linear):
        if linear.weight.numel() >= 200:
            _assert_normal(linear.weight, 0.02)
        if linear.bias is not None:
            _assert_const(linear.bias, 0.0)
    v2 = swin_transformer.ShiftedWindowAttentionV2(6, [8, 8], [0, 0], 3)  # swin_v2's 8x8 windows
    np.testing.assert_allclose(v2.logit_scale.detach().numpy(), np.full((3, 1, 1), np.log(10.0)), rtol=1e-6)
    r = np.arange(-7, 8, dtype=np.float32) / 7 * 8
    t = np.sign(r) * np.log2(np.abs(r) + 1) / 3
    np.testing.assert_allclose(v2.relative_coords_table.numpy()[0, :, 0, 0], t, rtol=1e-6)
    np.testing.assert_allclose(v2.relative_coords_table.numpy()[0, 0, :, 1], t, rtol=1e-6)


def _np_window_attention(x, wqkv, bqkv, wproj, bproj, bias, window, heads):
    """Unshifted window attention on an (H, W, C) image, windows padded with zeros."""
    h, w, c = x.shape
    ph, pw = -h % window, -w % window
    xp = np.pad(x, ((0, ph), (0, pw), (0, 0)))
    out = np.zeros_like(xp)
    d = c // heads
    for i in range(0, h + ph, window):
        for j in range(0, w + pw, window):
            tok = xp[i:i + window, j:j + window].reshape(-1, c)
            q, k, v = np.split(tok @ wqkv.T + bqkv, 3, axis=-1)
            res = []
            for hd in range(heads):
                s = q[:, hd * d:(hd + 1) * d] @ k[:, hd * d:(hd + 1) * d].T / math.sqrt(d) + bias[hd]
                s = np.exp(s - s.max(-1, keepdims=True))
                res.append(s / s.sum(-1, keepdims=True) @ v[:, hd * d:(hd + 1) * d])
            out[i:i + window, j:j + window] = (np.concatenate(res, -1) @ wproj.T + bproj).reshape(window, window, c)
    return out[:h, :w]


def test_window_attention_matches_numpy(device):
    rng = np.random.default_rng(0)
    attn = swin_transformer.ShiftedWindowAttention(8, [3, 3], [0, 0], 2).to(device).eval()
    x = rng.standard_normal((1, 5, 7, 8)).astype(np.float32)
    with ember.no_grad():
        got = attn(ember.tensor(x, device=device)).cpu().numpy()
        bias = attn.get_relative_position_bias().cpu().numpy()[0]
    p = {k: v.cpu().numpy() for k, v in attn.state_dict().items()}
    want = _np_window_attention(x[0], p["qkv.weight"], p["qkv.bias"], p["proj.weight"], p["proj.bias"], bias, 3, 2)
    np.testing.assert_allclose(got[0], want, rtol=1e-4, atol=1e-5)


def test_shifted_windows_only_mix_tokens_of_one_region():
    # a shift by s moves the last s rows/columns next to the first ones: the mask must keep them apart, so
    # changing a token in the top-left region leaves the bottom-right tokens' outputs unchanged
    attn = swin_transformer.ShiftedWindowAttention(4, [2, 2], [1, 1], 1).eval()
    x = ember.randn(1, 4, 4, 4)
    y = x.clone()
    y[0, 0, 0] += 5.0
    with ember.no_grad():
        a, b = attn(x).numpy(), attn(y).numpy()
    assert np.allclose(a[0, 3, 3], b[0, 3, 3], atol=1e-6) and np.allclose(a[0, 2, 2], b[0, 2, 2], atol=1e-6)
    assert not np.allclose(a[0, 0, 0], b[0, 0, 0])


def test_maxvit_partitions_init_and_size_check():
    x = ember.arange(2 * 3 * 4 * 6.0).reshape(2, 3, 4, 6)
    parts = maxvit.WindowPartition()(x, 2)
    np.testing.assert_array_equal(parts.numpy(), x.numpy().reshape(2, 3, 2, 2, 3, 2).transpose(0, 2, 4, 3, 5, 1)
                                  .reshape(2, 6, 4, 3))
    np.testing.assert_array_equal(maxvit.WindowDepartition()(parts, 2, 2, 3).numpy(), x.numpy())
    model = _maxvit(models, nn)
    for m in _modules(model, (nn.Conv2d, nn.Linear)):
        if m.weight.numel() >= 200:
            _assert_normal(m.weight, 0.02)
        if m.bias is not None:
            _assert_const(m.bias, 0.0)
    layers = [layer for block in model.blocks for layer in block.layers]
    np.testing.assert_allclose([layer.layers.MBconv.stochastic_depth.p if hasattr(layer.layers.MBconv.stochastic_depth,
                                "p") else 0.0 for layer in layers], [0.0, 0.15, 0.3])
    assert model.blocks[0].grid_size == (8, 8) and model.blocks[1].grid_size == (4, 4)
    with pytest.raises(ValueError, match="is not divisible by partition size 7"):
        models.maxvit_t(input_size=(64, 64))
