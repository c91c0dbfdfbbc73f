"""embervision.models.segmentation: torchvision 0.28's FCN, DeepLabV3 and LR-ASPP, their layout, init and outputs.

Without torchvision: parameter counts and state-dict layouts recorded from torchvision, output keys and
shapes, the heads against numpy references, the construction draw order replayed with Ember itself, and
finite-difference gradients. With torchvision: same seed -> same weights, and the same eval/train
outputs after loading its (perturbed) state dict.
"""

import functools
import hashlib
import math

import ember
import ember.nn as nn
import numpy as np
import pytest
from embervision import models
from embervision.models import segmentation
from embervision.models._utils import IntermediateLayerGetter
from embervision.models.segmentation import ASPP, FCN, DeepLabHead, FCNHead, LRASPPHead
from embervision.models.segmentation.deeplabv3 import ASPPPooling
from torchvision_oracle import torchvision_or_skip

# (builder, aux_loss) -> (parameter count, number of keys, sha256 of "key:shape:dtype" lines), from torchvision 0.28
TORCHVISION = {
    ("fcn_resnet50", False): (32957013, 326, "91635e8491e4ba9808b7a469614b45d9eb151b50b5df9ef7ad8fa1308f06f24a"),
    ("fcn_resnet101", True): (54314346, 640, "81db5dd1df95f1ab48a5180d15c3be35b4abbcac56f2142746d25fdcdf07e1f7"),
    ("deeplabv3_resnet50", True): (42004074, 370, "025150ec1779fdecdd5e283b4290a3c8c46916abbb536043595fdb545461c073"),
    ("deeplabv3_resnet101", False): (58630997, 668, "2b9ed9ab90c729a703e0b0fcaac4a092d9becb068745ae88f3a84258f0ab9b70"),
    ("deeplabv3_mobilenet_v3_large", True): (11029328, 360,
                                             "7de44255137f54705b750d09fa525c2b5fea596519832ce19433658cd3bcaa4e"),
    ("lraspp_mobilenet_v3_large", False): (3221538, 319,
                                           "be390d9454c8ef69967ee360bcc72b46e0c800b6de0962c7d3c64cd037011912"),
}


@functools.cache
def _model(name, aux_loss):
    """One shared default model per configuration (building a ResNet-101 costs seconds)."""
    kwargs = {"aux_loss": True} if aux_loss else {}
    return getattr(segmentation, name)(**kwargs)


def _digest(model):
    lines = [f"{k}:{list(v.shape)}:{str(v.dtype).replace('ember.', '')}" for k, v in model.state_dict().items()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("name, aux_loss", sorted(TORCHVISION))
def test_parameter_counts_and_state_dict_layout_match_torchvision(name, aux_loss):
    model = _model(name, aux_loss)
    params, keys, digest = TORCHVISION[name, aux_loss]
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(model.state_dict()) == keys and _digest(model) == digest


@pytest.mark.parametrize("name, aux_loss", [("fcn_resnet50", False), ("deeplabv3_resnet101", False),
                                            ("deeplabv3_resnet50", True), ("deeplabv3_mobilenet_v3_large", True),
                                            ("lraspp_mobilenet_v3_large", False)])
def test_eval_outputs_keys_and_shapes(name, aux_loss):
    model = _model(name, aux_loss).eval()
    with ember.no_grad():
        out = model(ember.rand(1, 3, 20, 12))
    assert isinstance(out, dict) and list(out) == (["out", "aux"] if aux_loss else ["out"])
    assert all(v.shape == (1, 21, 20, 12) and v.dtype == ember.float32 for v in out.values())
    assert all(np.isfinite(v.numpy()).all() for v in out.values())


@pytest.mark.parametrize("name", ["deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"])
def test_train_forward_backward(name):
    kwargs = {"aux_loss": True} if name.startswith("deeplab") else {}
    model = models.get_model(name, num_classes=4, **kwargs).train()
    out = model(ember.rand(2, 3, 16, 16))
    assert {k: tuple(v.shape) for k, v in out.items()} == {k: (2, 4, 16, 16) for k in out}
    sum(v.sum() for v in out.values()).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_builders_registry_and_options():
    assert models.list_models(segmentation) == sorted(
        ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
         "lraspp_mobilenet_v3_large"])
    assert set(models.list_models(segmentation)) <= set(models.list_models())
    model = models.get_model("lraspp_mobilenet_v3_large", num_classes=7)
    assert model.classifier.low_classifier.out_channels == model.classifier.high_classifier.out_channels == 7
    assert models.get_model_builder("deeplabv3_mobilenet_v3_large") is segmentation.deeplabv3_mobilenet_v3_large
    dl = _model("deeplabv3_resnet101", False)
    assert dl.aux_classifier is None and dl.classifier[4].out_channels == 21
    # layer3 and layer4 dilate instead of striding: output stride 8
    assert list(dl.backbone) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    assert dl.backbone.layer4[0].conv2.stride == (1, 1) and dl.backbone.layer4[1].conv2.dilation == (4, 4)
    assert dl.backbone.return_layers == {"layer4": "out"}
    assert list(dl.classifier[0].convs[1][0].dilation) == [12, 12]
    lr = _model("lraspp_mobilenet_v3_large", False)
    assert lr.backbone.return_layers == {"4": "low", "16": "high"} and len(lr.backbone) == 17
    assert _model("deeplabv3_mobilenet_v3_large", True).backbone.return_layers == {"16": "out", "4": "aux"}


@pytest.mark.parametrize("name", sorted({n for n, _ in TORCHVISION}))
def test_pretrained_weights_are_refused(name):
    builder = getattr(segmentation, name)
    with pytest.raises(ValueError, match=f"{name}: no pretrained weights are bundled"):
        builder(weights="DEFAULT")
    with pytest.raises(ValueError, match=rf"{name} \(weights_backbone\): no pretrained weights"):
        builder(weights_backbone="IMAGENET1K_V1")


def test_lraspp_has_no_aux_loss():
    with pytest.raises(NotImplementedError, match="does not use auxiliary loss"):
        segmentation.lraspp_mobilenet_v3_large(aux_loss=True)


# --- draw order, replayed with Ember itself ----------------------------------------------------------
def _same_tensors(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.detach().numpy(), y.detach().numpy())


def test_lraspp_initialisation_order_backbone_then_head():
    ember.manual_seed(5)
    model = segmentation.lraspp_mobilenet_v3_large()
    ember.manual_seed(5)
    backbone = models.mobilenet_v3_large(dilated=True)  # classifier drawn too, then dropped
    head = LRASPPHead(40, 960, 21, 128)
    _same_tensors(list(model.backbone.parameters()), list(backbone.features.parameters()))
    _same_tensors(list(model.classifier.parameters()), list(head.parameters()))
    for conv in [head.cbr[0], head.scale[1], head.low_classifier]:  # heads keep Conv2d's own init
        fan_in = conv.weight[0].numel()
        assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(fan_in)


def test_deeplabv3_mobilenet_initialisation_order_aux_head_before_classifier():
    ember.manual_seed(6)
    model = segmentation.deeplabv3_mobilenet_v3_large(num_classes=3, aux_loss=True)
    next_draw = ember.rand(3)
    ember.manual_seed(6)
    models.mobilenet_v3_large(dilated=True)
    aux, head = FCNHead(40, 3), DeepLabHead(960, 3)
    _same_tensors(list(model.aux_classifier.parameters()), list(aux.parameters()))
    _same_tensors(list(model.classifier.parameters()), list(head.parameters()))
    assert np.array_equal(ember.rand(3).numpy(), next_draw.numpy())  # nothing else drawn


# --- heads against numpy -------------------------------------------------------------------------------
def _bilinear(a, size):
    """numpy reference of bilinear resizing with align_corners=False over the last two axes."""
    for axis, out_len in zip((-2, -1), size, strict=True):
        in_len = a.shape[axis]
        src = np.maximum((np.arange(out_len) + 0.5) * in_len / out_len - 0.5, 0)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, in_len - 1)
        w = (src - lo).reshape([-1] + [1] * (-axis - 1))
        a = np.take(a, lo, axis=axis) * (1 - w) + np.take(a, hi, axis=axis) * w
    return a


def _conv1x1(w, b, x):
    y = np.einsum("oi,nihw->nohw", w[:, :, 0, 0], x)
    return y if b is None else y + b[None, :, None, None]


def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


def test_fcn_upsamples_both_heads_to_the_input(device):
    stem = nn.Sequential(nn.AvgPool2d(2), nn.AvgPool2d(2))
    backbone = IntermediateLayerGetter(stem, {"1": "out", "0": "aux"})
    model = FCN(backbone, nn.Conv2d(3, 2, 1), nn.Conv2d(3, 2, 1)).to(device)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 12)).astype(np.float32)
    out = model(ember.tensor(x, device=device))
    half = x.reshape(2, 3, 4, 2, 6, 2).mean((3, 5))
    quarter = half.reshape(2, 3, 2, 2, 3, 2).mean((3, 5))
    for key, feat, conv in [("out", quarter, model.classifier), ("aux", half, model.aux_classifier)]:
        want = _bilinear(_conv1x1(_np(conv.weight), _np(conv.bias), feat), (8, 12))
        np.testing.assert_allclose(_np(out[key]), want, rtol=1e-5, atol=1e-5)


def _randomize_norms(model, seed=1):
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            for t in (m.weight, m.bias, m.running_mean):
                t.data = ember.tensor(rng.standard_normal(t.shape).astype(np.float32))
            m.running_var.data = ember.tensor(rng.uniform(0.5, 2, m.running_var.shape).astype(np.float32))


def _bn(m, x):
    per_channel = lambda a: a[None, :, None, None]  # noqa: E731
    scale = _np(m.weight) / np.sqrt(_np(m.running_var) + m.eps)
    return (x - per_channel(_np(m.running_mean))) * per_channel(scale) + per_channel(_np(m.bias))


def test_lraspp_head_matches_numpy(device):
    head = LRASPPHead(3, 5, 4, 6)
    _randomize_norms(head)
    head = head.eval().to(device)
    rng = np.random.default_rng(2)
    low, high = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 5, 3, 2))
    got = head({"low": ember.tensor(low.astype(np.float32), device=device),
                "high": ember.tensor(high.astype(np.float32), device=device)})
    x = np.maximum(_bn(head.cbr[1], _conv1x1(_np(head.cbr[0].weight), None, high)), 0)
    s = 1 / (1 + np.exp(-_conv1x1(_np(head.scale[1].weight), None, high.mean((2, 3), keepdims=True))))
    x = _bilinear(x * s, (6, 5))
    want = (_conv1x1(_np(head.low_classifier.weight), _np(head.low_classifier.bias), low)
            + _conv1x1(_np(head.high_classifier.weight), _np(head.high_classifier.bias), x))
    np.testing.assert_allclose(_np(got), want, rtol=1e-4, atol=1e-5)


def test_aspp_branches_and_projection_match_numpy(device):
    aspp = ASPP(4, (2,), out_channels=3)
    _randomize_norms(aspp)
    aspp = aspp.eval().to(device)
    x = np.random.default_rng(3).standard_normal((1, 4, 5, 5))
    got = aspp(ember.tensor(x.astype(np.float32), device=device))
    c0, c1, pool, proj = aspp.convs[0], aspp.convs[1], aspp.convs[2], aspp.project
    b0 = np.maximum(_bn(c0[1], _conv1x1(_np(c0[0].weight), None, x)), 0)
    padded, w = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))), _np(c1[0].weight)  # 3x3, dilation 2, padding 2
    b1 = sum(np.einsum("oi,nihw->nohw", w[:, :, i, j], padded[:, :, 2 * i:2 * i + 5, 2 * j:2 * j + 5])
             for i in range(3) for j in range(3))
    b1 = np.maximum(_bn(c1[1], b1), 0)
    b2 = np.maximum(_bn(pool[2], _conv1x1(_np(pool[1].weight), None, x.mean((2, 3), keepdims=True))), 0)
    b2 = np.broadcast_to(b2, b0.shape)
    want = np.maximum(_bn(proj[1], _conv1x1(_np(proj[0].weight), None, np.concatenate([b0, b1, b2], 1))), 0)
    np.testing.assert_allclose(_np(got), want, rtol=1e-4, atol=1e-5)
    assert isinstance(aspp.convs[-1], ASPPPooling) and isinstance(proj[3], nn.Dropout) and proj[3].p == 0.5


def test_head_gradients_float64():
    head = LRASPPHead(2, 3, 2, 4).double().eval()
    rng = np.random.default_rng(4)
    low = ember.tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    high = ember.tensor(rng.standard_normal((1, 3, 2, 2)), requires_grad=True)
    fn = lambda lo, hi: head({"low": lo, "high": hi})  # noqa: E731
    assert ember.autograd.gradcheck(fn, (low, high))
    assert ember.autograd.gradgradcheck(fn, (low, high))


def test_intermediate_layer_getter():
    seq = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 5, 1), nn.Sigmoid())
    getter = IntermediateLayerGetter(seq, {"2": "b", "0": "a"})
    assert list(getter) == ["0", "1", "2"]  # stops after the last requested child
    assert list(getter.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = ember.rand(1, 3, 2, 2)
    out = getter(x)
    assert list(out) == ["a", "b"]
    assert ember.equal(out["a"], seq[0](x)) and ember.equal(out["b"], seq[2](seq[1](seq[0](x))))
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        IntermediateLayerGetter(seq, {"0.weight": "a"})


# --- against torchvision -----------------------------------------------------------------------------------


@pytest.fixture
def tv():
    """``(torch, torchvision)`` with torch on one thread (its pool only adds waiting on a busy 2-core machine)."""
    torch, torchvision = torchvision_or_skip()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch, torchvision
    torch.set_num_threads(threads)


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs, size", [
    ("fcn_resnet50", {"aux_loss": True, "num_classes": 3}, 24),
    ("deeplabv3_resnet50", {"aux_loss": True}, 16),
    ("deeplabv3_mobilenet_v3_large", {"aux_loss": True, "num_classes": 5}, 32),
    ("lraspp_mobilenet_v3_large", {}, 40),
])
def test_same_seed_same_weights_and_outputs_as_torchvision(tv, name, kwargs, size):
    torch, torchvision = tv
    torch.manual_seed(4)
    theirs = getattr(torchvision.models.segmentation, name)(weights_backbone=None, **kwargs)
    ember.manual_seed(4)
    ours = getattr(segmentation, name)(**kwargs)
    ts, es = theirs.state_dict(), ours.state_dict()
    assert list(es) == list(ts)
    for key in ts:
        assert np.array_equal(es[key].numpy(), ts[key].numpy()), key
    # load their state dict, norms perturbed so that eval() is not near the identity
    rng = np.random.default_rng(0)
    norms = {n for n, m in theirs.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
    with torch.no_grad():
        for key, t in ts.items():
            if "running_var" in key:
                t.copy_(torch.from_numpy(rng.uniform(0.5, 2, t.shape).astype(np.float32)))
            elif t.is_floating_point() and key.rsplit(".", 1)[0] in norms:
                t.copy_(torch.from_numpy(rng.standard_normal(t.shape).astype(np.float32) * 0.5))
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()}, strict=True)
    x = np.random.default_rng(1).standard_normal((2, 3, size, size - 8)).astype(np.float32)
    theirs.eval(), ours.eval()
    with torch.no_grad(), ember.no_grad():
        want, got = theirs(torch.from_numpy(x)), ours(ember.tensor(x))
    assert list(got) == list(want)
    for key in want:
        scale = np.abs(want[key].numpy()).max()
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-4, atol=1e-4 * scale, err_msg=key)
    if not name.startswith("deeplabv3_mobilenet"):
        return
    # train(): batch statistics and the dropout masks (classifier's, then the auxiliary head's)
    theirs.train().double(), ours.train().double()
    torch.manual_seed(11), ember.manual_seed(11)
    want, got = theirs(torch.from_numpy(x.astype(np.float64))), ours(ember.tensor(x.astype(np.float64)))
    for key in want:
        np.testing.assert_allclose(got[key].detach().numpy(), want[key].detach().numpy(), rtol=1e-6, atol=1e-8)
    assert np.array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())
