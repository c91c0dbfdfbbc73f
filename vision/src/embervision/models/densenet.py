"""DenseNet-BC (Huang et al. 2017), with torchvision's module names."""

from __future__ import annotations

from collections import OrderedDict

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.checkpoint import checkpoint

from ._registry import register_model
from ._utils import no_weights


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (``bn_size * growth_rate`` wide), BN-ReLU-3x3 conv to ``growth_rate`` new channels.

    Takes one tensor or the list of every earlier feature map of its block (concatenated first).

    Example:
        >>> import ember
        >>> from embervision.models.densenet import _DenseLayer
        >>> _DenseLayer(8, growth_rate=4, bn_size=2, drop_rate=0.0)([ember.zeros(1, 5, 4, 4), ember.zeros(1, 3, 4, 4)]).shape
        ember.Size([1, 4, 4, 4])
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        """The bottleneck: concatenate ``inputs`` along channels, then BN, ReLU and the 1x1 convolution."""
        return self.conv1(self.relu1(self.norm1(ember.cat(list(inputs), 1))))

    def forward(self, input):
        prev_features = [input] if isinstance(input, ember.Tensor) else input
        if self.memory_efficient and any(t.requires_grad for t in prev_features):
            # recompute the concatenation and bottleneck in backward instead of keeping them
            bottleneck = checkpoint(lambda *inputs: self.bn_function(inputs), *prev_features, use_reentrant=False)
        else:
            bottleneck = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers, each fed every earlier feature map; returns all of them concatenated.

    Example:
        >>> import ember
        >>> from embervision.models.densenet import _DenseBlock
        >>> _DenseBlock(2, 8, bn_size=2, growth_rate=4, drop_rate=0.0)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 16, 4, 4])
    """

    _version = 2

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * growth_rate, growth_rate,
                                                             bn_size, drop_rate, memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN, ReLU, a 1x1 convolution to ``num_output_features`` and a 2x2 average pool.

    Example:
        >>> import ember
        >>> from embervision.models.densenet import _Transition
        >>> _Transition(8, 4)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 4, 2, 2])
    """

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: a 7x7 stem, dense blocks joined by halving transitions, a final BN and a linear head.

    Args:
        growth_rate: channels each dense layer adds (``k``).
        block_config: dense layers per block (four blocks).
        num_init_features: channels of the stem convolution.
        bn_size: the bottleneck is ``bn_size * growth_rate`` wide.
        drop_rate: dropout after each dense layer.
        num_classes: outputs of ``classifier``.
        memory_efficient: checkpoint the bottlenecks (less memory, slower backward).

    Example:
        >>> import ember
        >>> from embervision.models import DenseNet
        >>> DenseNet(8, (1, 1, 1, 1), 16, num_classes=3)(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size, growth_rate,
                                                                      drop_rate, memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        return self.classifier(ember.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1))


_CONFIGS = {  # growth rate, block config, stem width
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet161": (48, (6, 12, 36, 24), 96),
    "densenet169": (32, (6, 12, 32, 32), 64),
    "densenet201": (32, (6, 12, 48, 32), 64),
}


def _builder(name):
    growth_rate, block_config, num_init_features = _CONFIGS[name]

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(name, weights)
        return DenseNet(growth_rate, block_config, num_init_features, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""{name} (growth rate {growth_rate}, blocks {block_config}, stem {num_init_features}).

    Keyword arguments go to :class:`DenseNet` (``num_classes``, ``drop_rate``, ``memory_efficient``, ...).

    Example:
        >>> from embervision.models import {name}
        >>> {name}(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: {name}: no pretrained weights are bundled ...
    """
    return register_model(build)


densenet121, densenet161, densenet169, densenet201 = (_builder(n) for n in _CONFIGS)
