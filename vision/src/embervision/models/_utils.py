"""Helpers shared by the architectures (the layers themselves are in ``embervision.ops.misc``)."""

from __future__ import annotations

from collections import OrderedDict

import ember.nn as nn


def make_divisible(v, divisor=8, min_value=None):
    """Round ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), never more than 10% down.

    Example:
        >>> from embervision.models._utils import make_divisible
        >>> make_divisible(37.5), make_divisible(10)
        (40, 16)
    """
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def init_conv_bn_linear(model):
    """torchvision's VGG/MobileNet initialisation, module by module in ``model.modules()`` order.

    Convolutions: Kaiming normal over ``fan_out`` (std ``sqrt(2 / fan_out)``), bias zero; norms: weight
    one, bias zero; linears: normal with std 0.01, bias zero. The order of the draws is torchvision's,
    so after the same seed the weights are torchvision's.

    Example:
        >>> import ember
        >>> from embervision.models._utils import init_conv_bn_linear
        >>> m = ember.nn.Sequential(ember.nn.Conv2d(3, 8, 3), ember.nn.BatchNorm2d(8), ember.nn.Linear(8, 2))
        >>> init_conv_bn_linear(m)
        >>> float(m[0].bias.abs().sum()), float(m[1].weight.sum()), float(m[2].bias.abs().sum())
        (0.0, 8.0, 0.0)
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def no_weights(name, weights):
    """Reject pretrained ``weights`` (none are bundled); say how to load converted ones."""
    if weights is not None:
        raise ValueError(f"{name}: no pretrained weights are bundled (weights={weights!r}); build the model with "
                         f"weights=None and load a converted torchvision state dict with "
                         f"embervision.models.load_torchvision_weights(model, path)")


class IntermediateLayerGetter(nn.ModuleDict):
    """Run a model's direct children in order and return the outputs of ``return_layers`` by their new names.

    The children up to the last one named in ``return_layers`` are kept (under their own names, so the
    state-dict keys are the model's); the model's own ``forward`` is not used, so this fits models whose
    forward calls its children one after the other, each once.

    Example:
        >>> import ember
        >>> from embervision.models import resnet18
        >>> from embervision.models._utils import IntermediateLayerGetter
        >>> getter = IntermediateLayerGetter(resnet18(), {"layer1": "feat1", "layer3": "feat2"})
        >>> [(k, tuple(v.shape)) for k, v in getter(ember.rand(1, 3, 64, 64)).items()]
        [('feat1', (1, 64, 16, 16)), ('feat2', (1, 256, 4, 4))]
    """

    def __init__(self, model, return_layers):
        children = OrderedDict(model.named_children())
        if not set(return_layers).issubset(children):
            raise ValueError("return_layers are not present in model")
        wanted = {str(k) for k in return_layers}
        layers = OrderedDict()
        for name, module in children.items():
            layers[name] = module
            wanted.discard(name)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
