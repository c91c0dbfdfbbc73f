"""MobileNetV2 (Sandler et al. 2018) and MobileNetV3 (Howard et al. 2019), with torchvision's module names."""

from __future__ import annotations

from functools import partial

import ember
import ember.nn as nn

from ._registry import register_model
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._utils import init_conv_bn_linear, make_divisible, no_weights


# --- MobileNetV2 ------------------------------------------------------------------------------------
class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 linear projection; residual when shapes match.

    Example:
        >>> import ember
        >>> from embervision.models.mobilenet import InvertedResidual
        >>> InvertedResidual(8, 8, 1, 6)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        hidden = int(round(inp * expand_ratio))
        self.stride = stride
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2: a strided stem, 17 inverted residual blocks, a 1x1 conv to 1280 channels, a linear head.

    Args:
        num_classes: outputs of the classifier.
        width_mult: channel multiplier.
        inverted_residual_setting: rows of (expansion t, channels c, repeats n, stride s).
        round_nearest: channel counts are multiples of this.
        dropout: before the classifier.

    Example:
        >>> import ember
        >>> from embervision.models import MobileNetV2
        >>> MobileNetV2(num_classes=3, width_mult=0.25)(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = inverted_residual_setting or [
            [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
        ]
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, got {setting}")
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer, activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        init_conv_bn_linear(self)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(ember.flatten(x, 1))


@register_model
def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """MobileNetV2; keyword arguments go to :class:`MobileNetV2` (``num_classes``, ``width_mult``, ...).

    Example:
        >>> from embervision.models import mobilenet_v2
        >>> mobilenet_v2(num_classes=10).classifier[1].out_features
        10
    """
    no_weights("mobilenet_v2", weights)
    return MobileNetV2(**kwargs)


# --- MobileNetV3 ------------------------------------------------------------------------------------
class InvertedResidualConfig:
    """One MobileNetV3 block: channels (scaled by ``width_mult``), kernel, squeeze-excite, activation, stride."""

    def __init__(self, input_channels, kernel, expanded_channels, out_channels, use_se, activation, stride, dilation,
                 width_mult):
        self.input_channels = make_divisible(input_channels * width_mult, 8)
        self.kernel = kernel
        self.expanded_channels = make_divisible(expanded_channels * width_mult, 8)
        self.out_channels = make_divisible(out_channels * width_mult, 8)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride, self.dilation = stride, dilation


class InvertedResidualV3(nn.Module):
    """MobileNetV3 block: expand, depthwise, optional squeeze-excitation, project; residual when shapes match.

    Example:
        >>> import ember
        >>> from embervision.models.mobilenet import InvertedResidualConfig, InvertedResidualV3
        >>> cnf = InvertedResidualConfig(16, 3, 64, 16, True, "HS", 1, 1, 1.0)
        >>> InvertedResidualV3(cnf, ember.nn.BatchNorm2d)(ember.zeros(1, 16, 4, 4)).shape
        ember.Size([1, 16, 4, 4])
    """

    def __init__(self, cnf, norm_layer):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=activation))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel,
                                           stride=stride, dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=activation))
        if cnf.use_se:
            squeeze = make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(SqueezeExcitation(cnf.expanded_channels, squeeze, scale_activation=nn.Hardsigmoid))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, x):
        return x + self.block(x) if self.use_res_connect else self.block(x)


_V3_SETTINGS = {  # input, kernel, expanded, out, squeeze-excite, activation, stride
    "mobilenet_v3_large": ([
        (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
        (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
        (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
        (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
        (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1), (160, 5, 960, 160, True, "HS", 1),
    ], 1280),
    "mobilenet_v3_small": ([
        (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2), (24, 3, 88, 24, False, "RE", 1),
        (24, 5, 96, 40, True, "HS", 2), (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
        (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1), (48, 5, 288, 96, True, "HS", 2),
        (96, 5, 576, 96, True, "HS", 1), (96, 5, 576, 96, True, "HS", 1),
    ], 1024),
}


def mobilenet_v3_config(arch, width_mult=1.0, reduced_tail=False, dilated=False):
    """``(block configs, last_channel)`` of ``"mobilenet_v3_large"`` or ``"mobilenet_v3_small"``.

    ``reduced_tail`` halves the channels of the last three blocks (the first of them keeps its input and
    expansion widths); ``dilated`` dilates those three blocks instead of striding.

    Example:
        >>> from embervision.models.mobilenet import mobilenet_v3_config
        >>> cfg, last = mobilenet_v3_config("mobilenet_v3_small")
        >>> len(cfg), last
        (11, 1024)
    """
    rows, last = _V3_SETTINGS[arch]
    first_tail = len(rows) - 3  # the last three blocks form the tail
    divider = 2 if reduced_tail else 1
    dilation = 2 if dilated else 1
    configs = []
    for k, (i, kern, e, o, se, act, s) in enumerate(rows):
        in_tail = k >= first_tail
        if in_tail:  # the first tail block keeps its input and expansion widths
            if k > first_tail:
                i, e = i // divider, e // divider
            o = o // divider
        configs.append(InvertedResidualConfig(i, kern, e, o, se, act, s, dilation if in_tail else 1, width_mult))
    return configs, make_divisible(last // divider * width_mult, 8)


class MobileNetV3(nn.Module):
    """MobileNetV3: a Hardswish stem, the configured blocks, a 1x1 conv (6x), and a two-layer classifier.

    Example:
        >>> import ember
        >>> from embervision.models import MobileNetV3
        >>> from embervision.models.mobilenet import mobilenet_v3_config
        >>> cfg, last = mobilenet_v3_config("mobilenet_v3_small", width_mult=0.5)
        >>> MobileNetV3(cfg, last, num_classes=4)(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 4])
    """

    def __init__(self, inverted_residual_setting, last_channel, num_classes=1000, block=None, norm_layer=None,
                 dropout=0.2):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        block = block or InvertedResidualV3
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.Hardswish)]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(last_out, last_channel), nn.Hardswish(inplace=True),
                                        nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        init_conv_bn_linear(self)

    def forward(self, x):
        return self.classifier(ember.flatten(self.avgpool(self.features(x)), 1))


def _v3_builder(arch):
    def build(*, weights=None, progress=True, width_mult=1.0, reduced_tail=False, dilated=False, **kwargs):
        no_weights(arch, weights)
        cfg, last = mobilenet_v3_config(arch, width_mult, reduced_tail, dilated)
        return MobileNetV3(cfg, last, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"""{arch}; ``width_mult``, ``reduced_tail``, ``dilated`` shape the blocks, the rest goes to :class:`MobileNetV3`.

    Example:
        >>> from embervision.models import {arch}
        >>> {arch}(num_classes=10).classifier[-1].out_features
        10
    """
    return register_model(build)


mobilenet_v3_large, mobilenet_v3_small = _v3_builder("mobilenet_v3_large"), _v3_builder("mobilenet_v3_small")
