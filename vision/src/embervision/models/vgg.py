"""VGG (Simonyan and Zisserman 2014), with and without batch norm, with torchvision's module names."""

from __future__ import annotations

import ember
import ember.nn as nn

from ._registry import register_model
from ._utils import init_conv_bn_linear, no_weights

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False):
    """The convolutional trunk: 3x3 convs (optionally with BatchNorm) and 2x2 max-pools ("M").

    Example:
        >>> from embervision.models.vgg import make_layers
        >>> len(make_layers([8, "M"], batch_norm=True))
        4
    """
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Convolutional ``features``, 7x7 adaptive pooling and a three-layer ``classifier``.

    The classifier alone holds over 100M parameters (its first layer takes 512 x 7 x 7 inputs).

    Example:
        >>> import ember
        >>> from embervision.models.vgg import CFGS, make_layers
        >>> sum(isinstance(m, ember.nn.Conv2d) for m in make_layers(CFGS["A"]))  # VGG-11: 8 convs + 3 linears
        8
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            init_conv_bn_linear(self)

    def forward(self, x):
        return self.classifier(ember.flatten(self.avgpool(self.features(x)), 1))


def _builder(name, cfg, batch_norm):
    def build(*, weights=None, progress=True, **kwargs):
        no_weights(name, weights)
        return VGG(make_layers(CFGS[cfg], batch_norm), **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""{name}: VGG configuration {cfg}{' with batch norm' if batch_norm else ''}.

    Keyword arguments go to :class:`VGG` (``num_classes``, ``dropout``, ``init_weights``).

    Example:
        >>> from embervision.models import {name}
        >>> {name}(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: {name}: no pretrained weights are bundled ...
    """
    return register_model(build)


vgg11, vgg11_bn = _builder("vgg11", "A", False), _builder("vgg11_bn", "A", True)
vgg13, vgg13_bn = _builder("vgg13", "B", False), _builder("vgg13_bn", "B", True)
vgg16, vgg16_bn = _builder("vgg16", "D", False), _builder("vgg16_bn", "D", True)
vgg19, vgg19_bn = _builder("vgg19", "E", False), _builder("vgg19_bn", "E", True)
