"""DenseNet, GoogLeNet, Inception v3, ShuffleNet V2, MNASNet and ResNeXt-101: torchvision 0.28's models.

Without torchvision: parameter counts and state-dict layouts against recorded digests of torchvision's,
the initialisations against their closed forms, the building blocks against numpy, the auxiliary outputs.
With torchvision: the same weights after the same seed, the same outputs in eval() and train() (dropout
and auxiliary heads included), the same generator state afterwards, and torchvision's state dicts loaded.
"""

import hashlib
import importlib
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from embervision import models
from embervision.models import densenet, inception, mnasnet, shufflenetv2
from torchvision_oracle import assert_same_state, torchvision_or_skip

googlenet = importlib.import_module("embervision.models.googlenet")  # the package's ``googlenet`` is the builder

SEED = 5

# name -> parameter count, number of state-dict keys, sha256 of its "key:shape:dtype" lines (torchvision 0.28)
TORCHVISION = {
    "densenet121": (7978856, 727, "4f02c15bda3cea018f718f3f01d86022501a0dfe75181dbdf9707de50200b677"),
    "densenet161": (28681000, 967, "75d6c2dd32e0fe9913ea2b96346a27904fab6913662c9c95e9b64ccc4fc97200"),
    "densenet169": (14149480, 1015, "03a84a6470242f3320d6f3cd819cf6227439500f1a33c4a2ae1d7f3bfbf2ee9b"),
    "densenet201": (20013928, 1207, "fc8cd18c0eb80f479b86916070d13ddbe5a418f2487de0812e92ba6016334a43"),
    "googlenet": (13004888, 364, "0ae6b06550fe2c2ab5ee416e298421a74ba8f953276ef3c3a43a31511fd5273b"),
    "inception_v3": (27161264, 580, "138b46c83e747f09ce0302ff187a82975a355d7a8ac8655416ac70a124dd3d83"),
    "mnasnet0_5": (2218512, 314, "46a65c78004cac966e311aabc062d85032b079971791433e7db86b768a0289d6"),
    "mnasnet0_75": (3170208, 314, "0ade571c1feff65269da1877ad113ae62d5e1beb014785f40eca40fee772c3c9"),
    "mnasnet1_0": (4383312, 314, "bb3601a24d005b35fb125764adf6656b2378fa8772733601dc48791337617a90"),
    "mnasnet1_3": (6282256, 314, "d8f276b80337dcec257cde41ac3b2965286a73885abd0df0072ab6e1f7302f0d"),
    "resnext101_32x8d": (88791336, 626, "691036078eb1c40989cea5a04c28b84b2cd10736b5ceb238bed7747b72b62a05"),
    "resnext101_64x4d": (83455272, 626, "0ee51a1d8f2680670877ec78d475608c2050d5d63d07a5e6575d89b4e92ebc46"),
    "shufflenet_v2_x0_5": (1366792, 338, "f4ada2fe776e655c372d7d49de79ccffee53bece9d0c96935c2367aa59023f3a"),
    "shufflenet_v2_x1_0": (2278604, 338, "7833479b49177bce4a27d4daabee8cdceeb3b3dfa7d5e38763edbc1e70c95a0a"),
    "shufflenet_v2_x1_5": (3503624, 338, "7901f789873f162fbb7863d49b5cfd512b0aa1d07e2b6dff132090e8ecef57a1"),
    "shufflenet_v2_x2_0": (7393996, 338, "39ccac8351e03a2ab8db1e04e8ea1b0b30cdfb07067c6e5c96ae2b043e27f25d"),
}
NO_INIT_WARNING = {"init_weights": True}  # GoogLeNet and Inception3 warn when init_weights is left None


def _init_kwargs(name):
    return NO_INIT_WARNING if name in ("googlenet", "inception_v3") else {}


@pytest.fixture
def no_random_init(monkeypatch):
    """Skip the random fills (the layouts do not depend on them; the 80M-weight ResNeXts would take seconds)."""
    for fill in ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_"):
        monkeypatch.setattr(nn.init, fill, lambda tensor, *args, **kwargs: tensor)


def _digest(model):
    lines = [f"{k}:{list(v.shape)}:{str(v.dtype).replace('ember.', '')}" for k, v in model.state_dict().items()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_parameter_counts_and_state_dict_layout_match_torchvision(name, no_random_init):
    model = models.get_model(name, **_init_kwargs(name))
    params, keys, digest = TORCHVISION[name]
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(model.state_dict()) == keys and _digest(model) == digest


def test_registry_and_weights():
    names = models.list_models()
    assert set(TORCHVISION) <= set(names)
    assert models.list_models(densenet) == ["densenet121", "densenet161", "densenet169", "densenet201"]
    assert models.list_models(mnasnet) == ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]
    assert models.get_model_builder("GoogLeNet") is models.googlenet
    for name in ("densenet121", "googlenet", "inception_v3", "mnasnet0_5", "shufflenet_v2_x0_5", "resnext101_64x4d"):
        with pytest.raises(ValueError, match=f"{name}: no pretrained weights"):
            models.get_model(name, weights="DEFAULT")


@pytest.mark.parametrize("cls", [models.GoogLeNet, models.Inception3])
def test_init_weights_none_warns_like_torchvision(cls, no_random_init):
    with pytest.warns(FutureWarning, match="default weight initialization"):
        cls()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cls(init_weights=False)


# --- building blocks against numpy -------------------------------------------------------------------
def test_channel_shuffle_interleaves_groups():
    x = np.random.default_rng(0).standard_normal((2, 6, 3, 4)).astype(np.float32)
    got = shufflenetv2.channel_shuffle(ember.tensor(x), 3).numpy()
    expected = x.reshape(2, 3, 2, 3, 4).transpose(0, 2, 1, 3, 4).reshape(2, 6, 3, 4)
    np.testing.assert_array_equal(got, expected)
    for g in range(3):  # group g (channels 2g, 2g+1) lands on channels g and g + 3
        np.testing.assert_array_equal(got[:, [g, g + 3]], x[:, 2 * g:2 * g + 2])


def test_transform_input_maps_imagenet_normalisation_to_unit_range():
    # an image in [0, 1], ImageNet-normalised, comes out as 2 * image - 1
    img = np.random.default_rng(1).random((2, 3, 4, 4)).astype(np.float32)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    normalised = ((img - mean[:, None, None]) / std[:, None, None]).astype(np.float32)
    got = googlenet.transform_imagenet_input(ember.tensor(normalised)).numpy()
    np.testing.assert_allclose(got, 2 * img - 1, atol=1e-6)


def test_mnasnet_depths_and_residuals():
    assert mnasnet._get_depths(1.0) == [32, 16, 24, 40, 80, 96, 192, 320]
    assert mnasnet._get_depths(1.3) == [40, 24, 32, 56, 104, 128, 248, 416]
    assert [mnasnet._round_to_multiple_of(v, 8) for v in (3, 20, 83, 84)] == [8, 24, 80, 88]
    with pytest.raises(ValueError, match="round_up_bias"):
        mnasnet._round_to_multiple_of(8, 8, 1.0)
    model = models.mnasnet0_5()
    assert [len(model.layers[i]) for i in range(8, 14)] == [3, 3, 3, 2, 4, 1]
    assert [b.apply_residual for b in model.layers[8]] == [False, True, True]
    with pytest.raises(ValueError, match="alpha should be greater than 0.0"):
        models.MNASNet(0.0)


def test_shufflenet_validates_its_configuration():
    with pytest.raises(ValueError, match="stages_repeats as list of 3"):
        models.ShuffleNetV2([1, 1], [8, 16, 32, 64, 128])
    with pytest.raises(ValueError, match="stages_out_channels as list of 5"):
        models.ShuffleNetV2([1, 1, 1], [8, 16, 32, 64])
    with pytest.raises(ValueError, match="Invalid combination of stride 1, inp 8 and oup 12"):
        shufflenetv2.InvertedResidual(8, 12, 1)
    unit = shufflenetv2.InvertedResidual(8, 8, 1)
    assert len(unit.branch1) == 0
    # stride 1: the first half passes through untouched to the even channels
    x = ember.randn(1, 8, 5, 5)
    np.testing.assert_array_equal(unit(x).detach().numpy()[:, 0::2], x.numpy()[:, :4])


def test_inception_aux_stddev_attributes_as_torchvision():
    aux = inception.InceptionAux(768, 10)
    assert aux.conv1.stddev == 0.01 and aux.fc.stddev == 0.001 and not hasattr(aux.conv1.conv, "stddev")


# --- initialisation: closed forms ---------------------------------------------------------------------
def _fan(weight):
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _values(t):
    return t.detach().numpy().astype(np.float64).ravel()


def _assert_normal(t, std):
    """Sample mean and std within five standard errors of normal(0, std)'s."""
    a = _values(t)
    assert abs(a.mean()) < 5 * std / math.sqrt(a.size)
    assert abs(a.std() - std) < 5 * std / math.sqrt(2 * a.size)


def _assert_uniform(t, bound):
    a = _values(t)
    assert np.abs(a).max() <= bound
    assert abs(a.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(3 * a.size)


def _assert_const(t, value):
    assert np.array_equal(t.detach().numpy(), np.full(t.shape, value, dtype=np.float32))


def _of(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


def _assert_unit_norms(model):
    for bn in _of(model, nn.BatchNorm2d):
        _assert_const(bn.weight, 1.0), _assert_const(bn.bias, 0.0)


def test_densenet_init_closed_form():
    model = models.DenseNet(16, (2, 2, 2, 2), 32, num_classes=500)
    for conv in _of(model, nn.Conv2d):
        _assert_normal(conv.weight, math.sqrt(2 / _fan(conv.weight)[0]))  # kaiming_normal_, fan_in
    _assert_unit_norms(model)
    _assert_uniform(model.classifier.weight, 1 / math.sqrt(model.classifier.in_features))  # nn.Linear's own
    _assert_const(model.classifier.bias, 0.0)


def test_googlenet_and_inception_truncated_normal_init():
    model = models.GoogLeNet(num_classes=10, aux_logits=False, init_weights=True)
    for m in _of(model, (nn.Conv2d, nn.Linear)):
        _assert_normal(m.weight, 0.01)
    _assert_unit_norms(model)
    assert all(bn.eps == 1e-3 for bn in _of(model, nn.BatchNorm2d))
    # Inception3's init loop, on its auxiliary head and a mixed block (the whole model takes seconds)
    head = nn.Sequential(inception.InceptionE(64), inception.InceptionAux(32, 200))
    googlenet.init_truncated_normal(head, 0.1)
    _assert_normal(head[1].fc.weight, 0.001)  # the Linear's stddev
    _assert_normal(head[1].conv1.conv.weight, 0.1)  # the stddev sits on the BasicConv2d, not on its conv
    for conv in _of(head[0], nn.Conv2d):
        _assert_normal(conv.weight, 0.1)
    _assert_unit_norms(head)


def test_truncated_normal_init_cuts_at_two():
    layer = nn.Linear(100, 200)
    googlenet.init_truncated_normal(layer, 1.5)
    w = _values(layer.weight)
    assert np.abs(w).max() <= 2 and (np.abs(w) > 1.9).any()


def test_mnasnet_init_closed_form():
    model = models.mnasnet0_5(num_classes=300)
    for conv in _of(model, nn.Conv2d):
        _assert_normal(conv.weight, math.sqrt(2 / _fan(conv.weight)[1]))  # kaiming_normal_, fan_out, relu
    _assert_unit_norms(model)
    linear = model.classifier[1]
    _assert_uniform(linear.weight, math.sqrt(3 / 300))  # kaiming_uniform_, fan_out, gain 1
    _assert_const(linear.bias, 0.0)
    assert all(bn.momentum == pytest.approx(3e-4) for bn in _of(model, nn.BatchNorm2d))


def test_shufflenet_keeps_torch_default_init():
    model = models.shufflenet_v2_x0_5(num_classes=300)
    for m in _of(model, (nn.Conv2d, nn.Linear)):
        _assert_uniform(m.weight, 1 / math.sqrt(_fan(m.weight)[0]))  # kaiming_uniform_(a=sqrt(5))
    _assert_unit_norms(model)


# --- forward, backward and auxiliary outputs ---------------------------------------------------------
SMALL = {  # name -> (builder kwargs, input size)
    "densenet": (lambda: models.DenseNet(8, (2, 2, 2, 2), 16, num_classes=5, drop_rate=0.1), 32),
    "googlenet": (lambda: models.googlenet(num_classes=5, init_weights=False, aux_logits=False), 32),
    "mnasnet": (lambda: models.mnasnet0_5(num_classes=5), 32),
    "shufflenet": (lambda: models.shufflenet_v2_x0_5(num_classes=5), 32),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_backward_shapes(name):
    build, size = SMALL[name]
    model = build()
    out = model(ember.rand(2, 3, size, size))
    assert isinstance(out, ember.Tensor) and out.shape == (2, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with ember.no_grad():
        assert model.eval()(ember.rand(1, 3, size, size)).shape == (1, 5)


def test_googlenet_aux_outputs_in_training_only():
    model = models.googlenet(num_classes=4, init_weights=False)
    out = model(ember.rand(2, 3, 32, 32))
    assert isinstance(out, models.GoogLeNetOutputs)
    assert [t.shape for t in out] == [(2, 4)] * 3
    (out.logits.sum() + 0.3 * (out.aux_logits1.sum() + out.aux_logits2.sum())).backward()
    assert model.aux1.fc2.weight.grad is not None and model.aux2.fc2.weight.grad is not None
    with ember.no_grad():
        assert isinstance(model.eval()(ember.rand(2, 3, 32, 32)), ember.Tensor)
    model = models.googlenet(num_classes=4, init_weights=False, aux_logits=False)
    assert model.aux1 is None and model.aux2 is None and "aux1.conv.conv.weight" not in model.state_dict()
    assert isinstance(model(ember.rand(2, 3, 32, 32)), ember.Tensor)


class _PooledAux(inception.InceptionAux):
    """Inception3's head, pooled to the 17x17 it sees at 299 px (so a 75 px test can reach it)."""

    def forward(self, x):
        return super().forward(nn.functional.interpolate(x, size=(17, 17)))


def test_inception_aux_outputs_in_training_only():
    blocks = [googlenet.BasicConv2d, inception.InceptionA, inception.InceptionB, inception.InceptionC,
              inception.InceptionD, inception.InceptionE, _PooledAux]
    model = models.Inception3(num_classes=3, init_weights=False, inception_blocks=blocks)
    with ember.no_grad():  # a backward pass through Inception3 takes seconds: GoogLeNet's test covers the heads'
        out = model(ember.rand(2, 3, 75, 75))
        assert isinstance(out, models.InceptionOutputs) and [t.shape for t in out] == [(2, 3), (2, 3)]
        model.aux_logits = False
        assert isinstance(model(ember.rand(2, 3, 75, 75)), ember.Tensor)
    model = models.Inception3(num_classes=3, init_weights=False, aux_logits=False)
    assert model.AuxLogits is None and not any(k.startswith("AuxLogits") for k in model.state_dict())
    with pytest.raises(ValueError, match="length of inception_blocks should be 7 instead of 2"):
        models.Inception3(inception_blocks=blocks[:2], init_weights=False)


def test_densenet_memory_efficient_gives_the_same_gradients():
    def grads(memory_efficient):
        ember.manual_seed(0)
        model = models.DenseNet(8, (2, 3, 2, 2), 16, num_classes=3, memory_efficient=memory_efficient)
        x = ember.rand(2, 3, 32, 32, requires_grad=True)
        loss = model(x).square().sum()
        loss.backward()
        return loss.item(), x.grad.numpy(), [p.grad.numpy() for p in model.parameters()]

    (l0, x0, p0), (l1, x1, p1) = grads(False), grads(True)
    assert l0 == pytest.approx(l1, rel=1e-6)
    np.testing.assert_allclose(x1, x0, rtol=1e-5, atol=1e-7)
    for a, b in zip(p1, p0, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mnasnet_loads_a_version_1_checkpoint():
    # torchvision's first MNASNet kept the stem at alpha 1: such checkpoints rebuild it, with a warning
    old = models.MNASNet(0.5, num_classes=4)
    for idx, layer in enumerate(mnasnet._stem([32, 16, mnasnet._get_depths(0.5)[2]], 32)):
        old.layers[idx] = layer
    old._version = 1
    state = old.state_dict()
    assert state._metadata[""]["version"] == 1 and state["layers.0.weight"].shape == (32, 3, 3, 3)
    new = models.MNASNet(0.5, num_classes=4)
    with pytest.warns(UserWarning, match="new version of MNASNet"):
        new.load_state_dict(state)
    assert new._version == 1 and new.layers[0].out_channels == 32
    x = ember.rand(2, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(new.eval()(x).numpy(), old.eval()(x).numpy())
    fresh = models.MNASNet(0.5, num_classes=4)  # a current-version dict without metadata loads as is
    fresh.load_state_dict(dict(models.MNASNet(0.5, num_classes=4).state_dict()))
    assert fresh.layers[0].out_channels == 16


TINY_ON_DEVICE = {
    "densenet": lambda: models.DenseNet(4, (1, 1, 1, 1), 8, num_classes=3),
    "googlenet_inception": lambda: googlenet.Inception(8, 2, 2, 4, 2, 4, 2),
    "inception_e": lambda: inception.InceptionE(8),
    "mnasnet_block": lambda: mnasnet._InvertedResidual(8, 8, 5, 1, 3),
    "shufflenet": lambda: models.ShuffleNetV2([1, 2, 1], [8, 16, 32, 64, 64], num_classes=3),
}


@pytest.mark.parametrize("name", sorted(TINY_ON_DEVICE))
def test_blocks_run_on_every_device(name, device):
    ember.manual_seed(0)
    model = TINY_ON_DEVICE[name]().eval()
    x = ember.rand(2, 3, 32, 32) if name in ("densenet", "shufflenet") else ember.rand(2, 8, 9, 9)
    with ember.no_grad():
        expected = model(x).numpy()
        got = model.to(device)(x.to(device)).cpu().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


# --- against torchvision ------------------------------------------------------------------------------


def _assert_same_state(theirs, ours, exact=True):
    assert_same_state(theirs, ours, exact, rtol=1e-06, atol=1e-10)


def _case(builder, kwargs=None, size=None, train_size=None, slow=False):
    """``builder(**kwargs)`` compared after the same seed; eval() on ``size`` px, train() on ``train_size`` px."""
    kwargs = kwargs or {}
    name = "-".join([builder, *(f"{k}={v}" for k, v in kwargs.items())])
    return pytest.param(builder, kwargs, size, train_size, id=name, marks=[pytest.mark.slow] if slow else [])


CASES = [
    _case("shufflenet_v2_x0_5", size=32, train_size=32),
    _case("shufflenet_v2_x1_5", {"num_classes": 10}),
    _case("mnasnet0_5", {"dropout": 0.4}, 32, 32),
    _case("mnasnet1_3", {"num_classes": 10}),
    _case("DenseNet", {"growth_rate": 8, "block_config": (2, 2, 2, 2), "num_init_features": 16, "drop_rate": 0.2,
                       "num_classes": 5}, 32, 32),
    _case("densenet121"),
    _case("densenet161", {"num_classes": 10}),
    _case("googlenet", {"init_weights": True}, 32, 32),
    _case("googlenet", {"init_weights": True, "aux_logits": False, "transform_input": True, "dropout": 0.3}, 32, 32),
    _case("GoogLeNet", {"init_weights": False, "num_classes": 7, "dropout_aux": 0.5}, None, 40),
    _case("inception_v3", {"init_weights": True, "num_classes": 10}),
    _case("inception_v3", {"init_weights": True, "aux_logits": False, "transform_input": True}),
    _case("inception_v3", {"init_weights": True}, train_size=299, slow=True),  # ~20 s: the aux head needs 299 px
    _case("resnext101_64x4d", {"num_classes": 10}, slow=True),  # 83M weights: seconds of init on each side
]


def _outputs(out):
    return [t.detach().numpy() for t in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.torch
@pytest.mark.parametrize("builder, kwargs, size, train_size", CASES)
def test_same_seed_same_weights_and_outputs_as_torchvision(builder, kwargs, size, train_size):
    torch, torchvision = torchvision_or_skip()
    torch.manual_seed(SEED)
    theirs = getattr(torchvision.models, builder)(**kwargs)
    ember.manual_seed(SEED)
    ours = getattr(models, builder)(**kwargs)
    _assert_same_state(theirs, ours)
    rng = np.random.default_rng(0)
    if size:
        x = rng.standard_normal((2, 3, size, size)).astype(np.float32)
        theirs.eval(), ours.eval()
        with torch.no_grad(), ember.no_grad():
            expected, got = theirs(torch.from_numpy(x)).numpy(), ours(ember.tensor(x)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    if train_size:
        # train(): batch statistics, dropout masks and auxiliary heads, in float64 (2-sample batches at 1x1
        # resolution would amplify float32 rounding; the dropout draws are the same in both dtypes)
        x = rng.standard_normal((2, 3, train_size, train_size))
        theirs.double().train(), ours.double().train()
        torch.manual_seed(11), ember.manual_seed(11)
        with torch.no_grad(), ember.no_grad():
            expected, got = _outputs(theirs(torch.from_numpy(x))), _outputs(ours(ember.tensor(x)))
        assert len(got) == len(expected)  # the auxiliary outputs too
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)
        _assert_same_state(theirs, ours, exact=False)  # running statistics updated alike
        assert np.array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())  # as many draws consumed


def _randomised_state(torch, model):
    """``model``'s state dict with every float entry redrawn (running variances positive)."""
    gen = torch.Generator().manual_seed(0)
    state = model.state_dict()  # keeps its metadata (torchvision's MNASNet requires the version)
    for key, value in state.items():
        if value.is_floating_point():
            value = torch.rand(value.shape, generator=gen) + 0.5 if key.endswith("running_var") else \
                torch.randn(value.shape, generator=gen) * 0.1
        state[key] = value
    return state


LOAD_CASES = {  # builder -> (kwargs, input size)
    "DenseNet": ({"growth_rate": 12, "block_config": (3, 4, 5, 3), "num_init_features": 24}, 32),
    "googlenet": ({"init_weights": False, "transform_input": True}, 32),
    "inception_v3": ({"init_weights": False}, 75),
    "mnasnet0_75": ({}, 32),
    "shufflenet_v2_x1_0": ({}, 32),
}


@pytest.mark.torch
@pytest.mark.parametrize("builder", sorted(LOAD_CASES))
def test_torchvision_state_dicts_load_and_give_torchvision_outputs(builder):
    torch, torchvision = torchvision_or_skip()
    kwargs, size = LOAD_CASES[builder]
    theirs = getattr(torchvision.models, builder)(**kwargs)
    theirs.load_state_dict(_randomised_state(torch, theirs))
    ours = getattr(models, builder)(**kwargs)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()}, strict=True)
    x = np.random.default_rng(2).standard_normal((2, 3, size, size)).astype(np.float32)
    theirs.eval(), ours.eval()
    with torch.no_grad(), ember.no_grad():
        expected, got = theirs(torch.from_numpy(x)).numpy(), ours(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
