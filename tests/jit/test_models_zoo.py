"""Every registered embervision model (and embertext's GPT) traces with a symbolic batch and each graph pass
keeps its outputs equal to eager mode. The builders here are shared with ``tests/onnx/test_models_zoo.py``."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.jit import _passes as P

vm = pytest.importorskip("embervision.models")

VIT_SMALL = dict(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64)
# (near) the smallest input each family accepts: AlexNet's strides need 63 px, VGG's five pools 32 px
IMAGE = {"lenet5": (1, 28, 28), "alexnet": (3, 63, 63), "vgg": (3, 32, 32), "squeezenet": (3, 24, 24), "vit": (3, 32, 32),
         "densenet": (3, 32, 32), "inception": (3, 75, 75), "convnext": (3, 32, 32), "efficientnet": (3, 32, 32),
         "regnet": (3, 32, 32), "swin": (3, 32, 32)}
# variants that only repeat or widen the blocks of a tested sibling take too long for the suite
_VGG = "builds a 130M-parameter classifier (~5 s of random init); vgg11_bn has the family's ops"
TOO_SLOW = {"resnet34": "resnet18's BasicBlock, deeper", "resnet101": "resnet50's Bottleneck, deeper",
            "resnet152": "resnet50's Bottleneck, deeper", "wide_resnet50_2": "resnet50 with wider Bottlenecks",
            "wide_resnet101_2": "resnet50 deeper and wider", "resnext101_32x8d": "resnext50_32x4d deeper and wider",
            "resnext101_64x4d": "resnext50_32x4d deeper and wider",
            **{f"densenet{n}": "densenet121's layers, deeper and wider" for n in (161, 169, 201)},
            **{f"mnasnet{a}": "mnasnet0_5 wider" for a in ("0_75", "1_0", "1_3")},
            **{f"shufflenet_v2_x{w}": "shufflenet_v2_x0_5 wider" for w in ("1_0", "1_5", "2_0")},
            **{name: _VGG for name in ("vgg11", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn")},
            **{f"convnext_{s}": "convnext_tiny's blocks, wider and deeper" for s in ("small", "base", "large")},
            **{f"efficientnet_{v}": "efficientnet_b0's blocks, wider and deeper"
               for v in ("b1", "b2", "b3", "b4", "b5", "b6", "b7", "v2_s", "v2_m", "v2_l")},
            **{n: "regnet_x_400mf / regnet_y_400mf's blocks, wider" for n in vm.list_models()
               if n.startswith("regnet_") and not n.endswith("400mf")},
            **{n: "swin_t / swin_v2_t's blocks, wider and deeper" for n in ("swin_s", "swin_b", "swin_v2_s", "swin_v2_b")},
            "maxvit_t": "its window and grid partitions need 224 px inputs (tested in tests/vision)",
            **{n: "dict outputs; covered by tests/vision/test_segmentation.py" for n in vm.list_models()
               if n.startswith(("fcn_", "deeplabv3_", "lraspp_"))}}


def narrow_classifier(classifier, width=64):
    """The same Linear / ReLU / Dropout stack with hidden widths ``width`` (VGG's and AlexNet's 4096-wide
    classifiers hold over 50M parameters: the ops are the same, only the weights shrink)."""
    linears = [m for m in classifier if isinstance(m, nn.Linear)]
    layers, prev = [], None
    for m in classifier:
        if isinstance(m, nn.Linear):
            out = m.out_features if m is linears[-1] else width
            m, prev = nn.Linear(m.in_features if prev is None else prev, out), out
        layers.append(m)
    return nn.Sequential(*layers)


def build(name):
    """``(model in eval mode, example input shape without the batch)`` for a small configuration of ``name``
    (a registered embervision model, or ``"gpt"`` for embertext's GPT on 8 tokens)."""
    ember.manual_seed(0)
    if name == "gpt":
        from embertext.models import GPT, GPTConfig

        return GPT(GPTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=16)).eval(), (8,)
    kwargs = dict(num_classes=10, **(VIT_SMALL if name.startswith("vit") else {}))
    if name in ("googlenet", "inception_v3"):
        kwargs["init_weights"] = False  # left None, torchvision's builders warn (and spend seconds on the init)
    model = getattr(vm, name)(**kwargs)
    if name.startswith(("vgg", "alexnet")):
        model.classifier = narrow_classifier(model.classifier)
    family = next((k for k in IMAGE if name.startswith(k)), None)
    return model.eval(), IMAGE.get(family, (3, 16, 16))


def example(name, shape, batch):
    """A batch of inputs for ``build(name)``: token ids for the GPT, images otherwise."""
    if name == "gpt":
        return ember.randint(0, 30, (batch, *shape))
    return ember.randn(batch, *shape)


def close(got, want):
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", vm.list_models() + ["gpt"])
def test_traces_with_a_symbolic_batch_and_every_pass_keeps_outputs(name):
    if name in TOO_SLOW:
        pytest.skip(f"{name}: {TOO_SLOW[name]} (the family is covered by its smaller variants)")
    model, shape = build(name)
    x1, x2 = example(name, shape, 1), example(name, shape, 2)
    traced = ember.jit.trace(model, x1, check_trace=False)
    assert traced.graph.symbols, traced.graph.fixed_reason
    with ember.no_grad():
        want = model(x2)
        close(traced(x2), want)
        m = ember.jit.freeze(traced)
        close(m(x2), want)
        for step in P.PASSES:  # the passes of optimize_for_inference, one at a time
            m = P.run_passes(m, [step])
            close(m(x2), want)


def test_batch_one_shortcut_is_retraced_at_batch_two():
    """``expand`` to the same shape records nothing at batch 1 (ViT's class token): the graph comes from batch 2."""

    class ClassToken(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Parameter(ember.ones(1, 1, 3))

        def forward(self, x):
            return ember.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)

    traced = ember.jit.trace(ClassToken(), ember.zeros(1, 2, 3))
    assert traced.graph.symbols and "Expand" in [n.short for n in traced.graph.nodes]
    out = traced(ember.zeros(4, 2, 3))
    assert out.shape == (4, 3, 3) and out[:, 0].tolist() == [[1.0] * 3] * 4 and out[:, 1:].abs().sum().item() == 0
    assert traced(ember.zeros(1, 2, 3)).shape == (1, 3, 3)


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "vit_b_16", "gpt"])
def test_optimized_graph_matches_eager_on_every_device(name, device):
    model, shape = build(name)
    model = model.to(device)
    x1, x2 = example(name, shape, 1).to(device), example(name, shape, 2).to(device)
    fast = ember.jit.optimize_for_inference(ember.jit.trace(model, x1, check_trace=False))
    with ember.no_grad():
        np.testing.assert_allclose(fast(x2).cpu().numpy(), model(x2).cpu().numpy(), rtol=1e-4, atol=1e-5)
