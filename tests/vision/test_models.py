"""embervision.models: torchvision's parameter counts, state-dict keys and outputs."""

import hashlib
import json
import os

import numpy as np
import pytest

import ember
from embervision import models

DATA = os.path.join(os.path.dirname(__file__), "data")
# name -> parameter count, number of keys and sha256 of "key:shape:dtype" lines of torchvision 0.28's default model
with open(os.path.join(os.path.dirname(__file__), "torchvision_state_dicts.json")) as _f:
    TORCHVISION = json.load(_f)


def _digest(model):
    lines = [f"{k}:{list(v.shape)}:{str(v.dtype).replace('ember.', '')}" for k, v in model.state_dict().items()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# the very large ones (vgg*, wide/101) cost seconds to initialise: checked once each, the VGGs without init
@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_parameter_counts_and_state_dict_keys_match_torchvision(name):
    model = models.get_model(name, **({"init_weights": False} if name.startswith("vgg") else {}))
    ref = TORCHVISION[name]
    assert sum(p.numel() for p in model.parameters()) == ref["params"]
    assert len(model.state_dict()) == ref["keys"] and _digest(model) == ref["sha256"]


def test_resnet18_headline_count():
    assert sum(p.numel() for p in models.resnet18().parameters()) == 11_689_512
    assert sum(p.numel() for p in models.resnet18(num_classes=10).parameters()) == 11_181_642


SMALL = {  # builder -> (kwargs, input size)
    "resnet18": ({}, 32), "resnet50": ({}, 32), "resnext50_32x4d": ({}, 32), "mobilenet_v2": ({"width_mult": 0.5}, 32),
    "mobilenet_v3_small": ({}, 32), "mobilenet_v3_large": ({"width_mult": 0.5}, 32), "squeezenet1_0": ({}, 48),
    "squeezenet1_1": ({}, 48), "alexnet": ({}, 63), "lenet5": ({"image_size": 28, "in_channels": 3}, 28),
    "vit_b_16": ({"image_size": 32, "patch_size": 8, "num_layers": 2, "num_heads": 2, "hidden_dim": 16, "mlp_dim": 32}, 32),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_backward_shapes(name):
    kwargs, size = SMALL[name]
    model = models.get_model(name, num_classes=5, **kwargs)
    x = ember.rand(2, 3, size, size)
    out = model(x)
    assert out.shape == (2, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    with ember.no_grad():
        assert model(x[:1]).shape == (1, 5)


def test_vgg_structure_without_the_big_classifier():
    from embervision.models.vgg import CFGS, make_layers

    convs = {"A": 8, "B": 10, "D": 13, "E": 16}
    for cfg, n in convs.items():
        layers = make_layers(CFGS[cfg], batch_norm=True)
        assert sum(isinstance(m, ember.nn.Conv2d) for m in layers) == n
        assert sum(isinstance(m, ember.nn.BatchNorm2d) for m in layers) == n


def test_registry():
    names = models.list_models()
    for n in ("alexnet", "lenet5", "mobilenet_v2", "mobilenet_v3_small", "resnet18", "resnet34", "resnet50", "resnet101",
              "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vit_b_16", "wide_resnet50_2"):
        assert n in names
    assert models.get_model_builder("ResNet18") is models.resnet18
    assert "resnet18" in models.list_models(models.resnet) and "vgg11" not in models.list_models(models.resnet)
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        models.get_model("nope")
    with pytest.raises(ValueError, match="no pretrained weights"):
        models.resnet18(weights="IMAGENET1K_V1")


def test_resnet_options():
    m = models.resnet18(zero_init_residual=True)
    assert float(m.layer1[0].bn2.weight.abs().sum()) == 0.0
    dilated = models.resnet50(replace_stride_with_dilation=[False, True, True], num_classes=3)
    assert dilated.layer3[0].conv2.dilation == (1, 1) and dilated.layer3[1].conv2.dilation == (2, 2)
    assert dilated.layer4[0].conv2.dilation == (2, 2) and dilated.layer4[1].conv2.dilation == (4, 4)
    dilated.eval()
    with ember.no_grad():
        assert dilated(ember.rand(1, 3, 32, 32)).shape == (1, 3)


def test_vit_rejects_wrong_image_size():
    vit = models.vit_b_16(image_size=32, patch_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=8)
    with pytest.raises(ValueError, match="wrong image size"):
        vit(ember.rand(1, 3, 48, 48))


def test_torchvision_weights_give_torchvision_outputs():
    # a tiny VisionTransformer built and run by torchvision 0.28; its state dict saved with safetensors
    vit = models.VisionTransformer(32, 16, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=7)
    models.load_torchvision_weights(vit, os.path.join(DATA, "torchvision_vit_tiny.safetensors"))
    io = np.load(os.path.join(DATA, "torchvision_vit_tiny_io.npz"))
    vit.eval()
    with ember.no_grad():
        out = vit(ember.from_numpy(io["x"]))
    np.testing.assert_allclose(out.numpy(), io["y"], rtol=1e-4, atol=1e-4)


def test_load_torchvision_weights_round_trips_and_checks(tmp_path):
    src, dst = models.squeezenet1_1(num_classes=4), models.squeezenet1_1(num_classes=4)
    state = src.state_dict()
    ember.save_safetensors({f"module.{k}": v for k, v in state.items()}, tmp_path / "w.safetensors")
    models.load_torchvision_weights(dst, tmp_path / "w.safetensors")
    x = ember.rand(1, 3, 40, 40)
    src.eval(), dst.eval()
    assert np.array_equal(src(x).detach().numpy(), dst(x).detach().numpy())
    ember.save({"state_dict": state}, tmp_path / "w.ember")
    models.load_torchvision_weights(models.squeezenet1_1(num_classes=4), tmp_path / "w.ember")
    ember.save_safetensors({k: v for k, v in state.items() if "features.0" not in k}, tmp_path / "partial.safetensors")
    with pytest.raises(ValueError, match="missing keys: features.0.bias, features.0.weight"):
        models.load_torchvision_weights(models.squeezenet1_1(num_classes=4), tmp_path / "partial.safetensors")
    with pytest.raises(ValueError, match=r"classifier.1.weight: file \(4, 512, 1, 1\) vs model \(9, 512, 1, 1\)"):
        models.load_torchvision_weights(models.squeezenet1_1(num_classes=9), tmp_path / "w.safetensors")
