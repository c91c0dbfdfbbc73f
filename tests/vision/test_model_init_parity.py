"""embervision models initialise and run like torchvision's.

ember's host generator is torch's CPU generator and ember's layers draw like torch's, so a model
that builds its submodules in torchvision's order and runs torchvision's init loops holds, after
``ember.manual_seed(s)``, exactly the weights torchvision's holds after ``torch.manual_seed(s)``.

Without torchvision the initialisations are checked against their closed forms (Kaiming fan-out
normals, Kaiming/Xavier uniform bounds, constants) and the seeding and dropout draws against
themselves; where torchvision imports, every tensor, the outputs in eval() and train() (dropout
masks included) and the generator state afterwards are compared with torchvision itself.
"""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from embervision import models
from embervision.models import mobilenet, resnet, squeezenet, vision_transformer
from torchvision_oracle import assert_same_state, torchvision_or_skip

SEED = 3


def _build_both(builder, args, kwargs):
    torch, torchvision = torchvision_or_skip()
    torch.manual_seed(SEED)
    theirs = getattr(torchvision.models, builder)(*args, **kwargs)
    ember.manual_seed(SEED)
    ours = getattr(models, builder)(*args, **kwargs)
    return torch, theirs, ours


def _case(builder, kwargs=None, size=None, args=(), slow=False):
    """One comparison: ``builder(*args, **kwargs)``, run on ``size`` x ``size`` inputs (None: weights only)."""
    kwargs = kwargs or {}
    name = "-".join([builder, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(builder, args, kwargs, size, id=name, marks=[pytest.mark.slow] if slow else [])


VIT_SMALL = (32, 16, 2, 2, 8, 16)  # image, patch, layers, heads, hidden, mlp (torchvision's builders fix the sizes)
CASES = [
    _case("resnet18", size=32),
    _case("resnet18", {"zero_init_residual": True, "num_classes": 10}, 32),
    _case("resnet50", {"zero_init_residual": True, "num_classes": 7}, 32),
    _case("resnext50_32x4d"),
    _case("alexnet", {"num_classes": 10, "dropout": 0.3}, 64),
    _case("squeezenet1_0", size=48),
    _case("squeezenet1_1", {"num_classes": 10, "dropout": 0.2}, 48),
    _case("mobilenet_v2", size=32),
    _case("mobilenet_v2", {"width_mult": 0.5, "num_classes": 10, "dropout": 0.4}, 32),
    _case("mobilenet_v3_small", size=32),
    _case("mobilenet_v3_large", {"width_mult": 0.75, "reduced_tail": True, "dilated": True, "dropout": 0.5}, 32),
    _case("mobilenet_v3_small", {"reduced_tail": True, "dilated": True, "num_classes": 10}, 64),
    _case("vgg11_bn", {"num_classes": 10, "dropout": 0.2}, 32, slow=True),  # a 100M-weight classifier: seconds
    _case("vit_b_32"),
    _case("VisionTransformer", {"num_classes": 5}, 32, VIT_SMALL),
    _case("VisionTransformer", {"num_classes": 5, "dropout": 0.1, "attention_dropout": 0.2}, 32, VIT_SMALL),
    _case("VisionTransformer", {"num_classes": 5, "representation_size": 12, "dropout": 0.3}, 32, VIT_SMALL),
]


@pytest.mark.torch
@pytest.mark.parametrize("builder, args, kwargs, size", CASES)
def test_same_seed_same_weights_and_outputs_as_torchvision(builder, args, kwargs, size):
    torch, theirs, ours = _build_both(builder, args, kwargs)
    assert_same_state(theirs, ours)
    if size is None:
        return
    x = np.random.default_rng(0).standard_normal((2, 3, size, size))
    theirs.eval(), ours.eval()
    with torch.no_grad(), ember.no_grad():
        expected = theirs(torch.from_numpy(x.astype(np.float32))).numpy()
        got = ours(ember.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # train(): batch statistics and dropout masks. With BatchNorm in float64: its 2-sample batches at
    # 1x1 resolution would amplify float32 rounding (the dropout draws are the same in both dtypes)
    if _modules(ours, nn.BatchNorm2d):
        theirs.double(), ours.double()
    else:
        x = x.astype(np.float32)
    theirs.train(), ours.train()
    torch.manual_seed(11), ember.manual_seed(11)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    got = ours(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert_same_state(theirs, ours, exact=False)  # running statistics updated alike
    assert np.array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())  # as many draws consumed


# --- closed forms: no torchvision needed -------------------------------------------------------------
def _fan(weight):
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _assert_normal(w, std, mean=0.0):
    """Sample mean and std of ``w`` within five standard errors of a normal(mean, std)'s."""
    a = w.detach().numpy().astype(np.float64).ravel()
    n = a.size
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(n) + 1e-12
    assert abs(a.std() - std) < 5 * std / math.sqrt(2 * n)


def _assert_uniform(w, bound):
    """Within ``[-bound, bound]`` with a uniform's std ``bound / sqrt(3)`` (five standard errors)."""
    a = w.detach().numpy().astype(np.float64).ravel()
    assert np.abs(a).max() <= bound
    std = bound / math.sqrt(3)
    assert abs(a.std() - std) < 5 * std / math.sqrt(a.size) + 1e-12


def _assert_const(t, value):
    assert np.array_equal(t.detach().numpy(), np.full(t.shape, value, dtype=np.float32))


def _modules(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


@pytest.mark.parametrize("block, layers", [(resnet.BasicBlock, [1, 2, 1, 1]), (resnet.Bottleneck, [1, 1, 2, 1])])
@pytest.mark.parametrize("zero_init_residual", [False, True])
def test_resnet_init_closed_form(block, layers, zero_init_residual):
    model = models.ResNet(block, layers, num_classes=10, zero_init_residual=zero_init_residual)
    for conv in _modules(model, nn.Conv2d):
        _assert_normal(conv.weight, math.sqrt(2 / _fan(conv.weight)[1]))  # kaiming_normal_, fan_out, relu
    last = "bn2" if block is resnet.BasicBlock else "bn3"
    for name, bn in model.named_modules():
        if isinstance(bn, nn.BatchNorm2d):
            _assert_const(bn.weight, 0.0 if zero_init_residual and name.endswith(last) else 1.0)
            _assert_const(bn.bias, 0.0)
    bound = 1 / math.sqrt(model.fc.in_features)  # the head keeps nn.Linear's own init
    _assert_uniform(model.fc.weight, bound)
    assert np.abs(model.fc.bias.detach().numpy()).max() <= bound


def test_init_conv_bn_linear_closed_form():
    # the loop VGG and MobileNet V2/V3 run (a whole VGG would spend seconds on its 100M-weight classifier)
    from embervision.models._utils import init_conv_bn_linear
    from embervision.models.vgg import CFGS, make_layers

    model = nn.Sequential(make_layers(CFGS["A"][:4], batch_norm=True), nn.Flatten(), nn.Linear(512, 300))
    init_conv_bn_linear(model)
    for conv in _modules(model, nn.Conv2d):
        _assert_normal(conv.weight, math.sqrt(2 / _fan(conv.weight)[1]))
        _assert_const(conv.bias, 0.0)
    for bn in _modules(model, nn.BatchNorm2d):
        _assert_const(bn.weight, 1.0), _assert_const(bn.bias, 0.0)
    _assert_normal(model[2].weight, 0.01)
    _assert_const(model[2].bias, 0.0)


@pytest.mark.parametrize("build", [lambda: models.mobilenet_v2(width_mult=0.5, num_classes=300),
                                   lambda: models.mobilenet_v3_small(num_classes=300)])
def test_mobilenet_init_closed_form(build):
    model = build()
    for conv in _modules(model, nn.Conv2d):
        _assert_normal(conv.weight, math.sqrt(2 / _fan(conv.weight)[1]))
        if conv.bias is not None:
            _assert_const(conv.bias, 0.0)
    for bn in _modules(model, nn.BatchNorm2d):
        _assert_const(bn.weight, 1.0), _assert_const(bn.bias, 0.0)
    for linear in _modules(model, nn.Linear):
        _assert_normal(linear.weight, 0.01)
        _assert_const(linear.bias, 0.0)
    stem_norm = _modules(model, mobilenet.Conv2dNormActivation)[0][1]
    assert stem_norm.eps == (1e-5 if isinstance(model, models.MobileNetV2) else 1e-3)


@pytest.mark.parametrize("arch, tail, last", [
    ("mobilenet_v3_small", [(48, 288, 48), (48, 288, 48), (48, 288, 48)], 512),
    ("mobilenet_v3_large", [(112, 672, 80), (80, 480, 80), (80, 480, 80)], 640),
])
def test_mobilenet_v3_reduced_dilated_tail_is_the_last_three_blocks(arch, tail, last):
    # torchvision's tables: reduced_tail halves the last three blocks' widths (the first keeps its
    # input and expansion), dilated gives those three blocks dilation 2
    configs, last_channel = mobilenet.mobilenet_v3_config(arch, reduced_tail=True, dilated=True)
    assert [(c.input_channels, c.expanded_channels, c.out_channels) for c in configs[-3:]] == tail
    assert [c.dilation for c in configs] == [1] * (len(configs) - 3) + [2, 2, 2]
    assert last_channel == last
    model = models.get_model(arch, reduced_tail=True, dilated=True, num_classes=3)
    assert model.features[-1][0].in_channels == tail[-1][-1]
    assert model(ember.rand(1, 3, 64, 64)).shape == (1, 3)


def test_squeezenet_init_closed_form():
    model = models.squeezenet1_1(num_classes=300)
    final = model.classifier[1]
    _assert_normal(final.weight, 0.01)
    for conv in _modules(model.features, nn.Conv2d):
        _assert_uniform(conv.weight, math.sqrt(6 / _fan(conv.weight)[0]))  # kaiming_uniform_, fan_in, a=0
    for conv in _modules(model, nn.Conv2d):
        _assert_const(conv.bias, 0.0)
    assert isinstance(model.features[3], squeezenet.Fire)


def test_alexnet_keeps_torch_default_init():
    model = models.alexnet(num_classes=10)
    for m in _modules(model, (nn.Conv2d, nn.Linear)):
        bound = 1 / math.sqrt(_fan(m.weight)[0])  # kaiming_uniform_(a=sqrt(5)) and its bias bound
        _assert_uniform(m.weight, bound)
        assert np.abs(m.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("representation_size", [None, 24])
def test_vit_init_closed_form(representation_size):
    hidden, mlp, patch = 32, 64, 8
    model = models.VisionTransformer(32, patch, 2, 2, hidden, mlp, num_classes=5,
                                     representation_size=representation_size)
    _assert_normal(model.conv_proj.weight, math.sqrt(1 / (3 * patch * patch)))  # trunc_normal_ cuts at +-2
    _assert_const(model.conv_proj.bias, 0.0)
    _assert_const(model.class_token, 0.0)
    _assert_normal(model.encoder.pos_embedding, 0.02)
    for block in _modules(model, vision_transformer.MLPBlock):
        for linear in _modules(block, nn.Linear):
            _assert_uniform(linear.weight, math.sqrt(6 / sum(_fan(linear.weight))))  # xavier_uniform_
            assert 0 < np.abs(linear.bias.detach().numpy()).max() < 1e-5  # normal_(std=1e-6)
    _assert_const(model.heads.head.weight, 0.0), _assert_const(model.heads.head.bias, 0.0)
    if representation_size:
        _assert_normal(model.heads.pre_logits.weight, math.sqrt(1 / hidden))
        _assert_const(model.heads.pre_logits.bias, 0.0)


def _state(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_seeding_reproduces_weights_and_dropout_masks():
    def build(seed):
        ember.manual_seed(seed)
        return models.squeezenet1_1(num_classes=10, dropout=0.5)

    a, b, c = _state(build(SEED)), _state(build(SEED)), _state(build(SEED + 1))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["classifier.1.weight"], c["classifier.1.weight"])
    model, x = build(SEED), ember.rand(2, 3, 48, 48)

    def run(seed):
        ember.manual_seed(seed)
        return model(x).detach().numpy()

    assert np.array_equal(run(11), run(11)) and not np.array_equal(run(11), run(12))
    model.eval()
    with ember.no_grad():
        assert np.array_equal(model(x).numpy(), model(x).numpy())
