"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016), with torchvision's module names."""

from __future__ import annotations

import ember
import ember.nn as nn

from ._registry import register_model
from ._utils import no_weights


class Fire(nn.Module):
    """A 1x1 squeeze convolution feeding parallel 1x1 and 3x3 expand convolutions (concatenated).

    Example:
        >>> import ember
        >>> from embervision.models.squeezenet import Fire
        >>> Fire(8, 2, 4, 4)(ember.zeros(1, 8, 5, 5)).shape
        ember.Size([1, 8, 5, 5])
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return ember.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


_STEMS = {"1_0": (96, 7), "1_1": (64, 3)}
# Fire (squeeze, expand) sizes per version, "M" for a 3x3/2 max-pool
_FIRES = {
    "1_0": [(16, 64), (16, 64), (32, 128), "M", (32, 128), (48, 192), (48, 192), (64, 256), "M", (64, 256)],
    "1_1": [(16, 64), (16, 64), "M", (32, 128), (32, 128), "M", (48, 192), (48, 192), (64, 256), (64, 256)],
}


class SqueezeNet(nn.Module):
    """Fire modules and a fully convolutional classifier (dropout, 1x1 conv, ReLU, global average).

    Args:
        version: ``"1_0"`` or ``"1_1"``.

    Example:
        >>> import ember
        >>> from embervision.models import SqueezeNet
        >>> SqueezeNet("1_1", num_classes=5)(ember.zeros(1, 3, 33, 33)).shape
        ember.Size([1, 5])
    """

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        if version not in _STEMS:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        self.num_classes = num_classes
        width, kernel = _STEMS[version]
        layers = [nn.Conv2d(3, width, kernel_size=kernel, stride=2), nn.ReLU(inplace=True),
                  nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)]
        channels = width
        for spec in _FIRES[version]:
            if spec == "M":
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True))
                continue
            squeeze, expand = spec
            layers.append(Fire(channels, squeeze, expand, expand))
            channels = 2 * expand
        self.features = nn.Sequential(*layers)
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return ember.flatten(self.classifier(self.features(x)), 1)


def _builder(version):
    name = f"squeezenet{version}"

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(name, weights)
        return SqueezeNet(version, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""SqueezeNet {version.replace('_', '.')}; keyword arguments go to :class:`SqueezeNet`.

    Example:
        >>> from embervision.models import {name}
        >>> {name}(num_classes=10).num_classes
        10
    """
    return register_model(build)


squeezenet1_0, squeezenet1_1 = _builder("1_0"), _builder("1_1")
