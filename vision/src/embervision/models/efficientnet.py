"""EfficientNet (Tan & Le 2019) and EfficientNetV2 (Tan & Le 2021), with torchvision's module names."""

from __future__ import annotations

import copy
import math
from functools import partial

import ember
import ember.nn as nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._registry import register_model
from ._utils import make_divisible, no_weights


class _MBConvConfig:
    """One stage: expansion ratio, kernel, stride, channels in/out, number of blocks, block class."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block):
        self.expand_ratio, self.kernel, self.stride = expand_ratio, kernel, stride
        self.input_channels, self.out_channels, self.num_layers, self.block = (
            input_channels, out_channels, num_layers, block)

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        """``channels * width_mult`` rounded to a multiple of 8."""
        return make_divisible(channels * width_mult, 8, min_value)

    def __repr__(self):
        return (f"{type(self).__name__}(expand_ratio={self.expand_ratio}, kernel={self.kernel}, stride={self.stride}, "
                f"input_channels={self.input_channels}, out_channels={self.out_channels}, "
                f"num_layers={self.num_layers})")


class MBConvConfig(_MBConvConfig):
    """An MBConv stage, its widths scaled by ``width_mult`` and its depth by ``depth_mult`` (rounded up).

    Example:
        >>> from embervision.models.efficientnet import MBConvConfig
        >>> c = MBConvConfig(6, 3, 2, 40, 80, 3, width_mult=1.1, depth_mult=1.2)
        >>> c.input_channels, c.out_channels, c.num_layers
        (48, 88, 4)
    """

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0, block=None):
        super().__init__(expand_ratio, kernel, stride, self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult), self.adjust_depth(num_layers, depth_mult),
                         block or MBConv)

    @staticmethod
    def adjust_depth(num_layers, depth_mult):
        """``ceil(num_layers * depth_mult)``."""
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A Fused-MBConv stage (EfficientNetV2).

    Example:
        >>> from embervision.models.efficientnet import FusedMBConvConfig
        >>> FusedMBConvConfig(4, 3, 2, 24, 48, 4).block.__name__
        'FusedMBConv'
    """

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None):
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block or FusedMBConv)


class _Residual(nn.Module):
    """``block(x)``, plus ``x`` after stochastic depth when the block keeps the shape."""

    def _finish(self, cnf, layers, stochastic_depth_prob):
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


def _check_stride(cnf):
    if not 1 <= cnf.stride <= 2:
        raise ValueError("illegal stride value")


class MBConv(_Residual):
    """1x1 expansion, depthwise conv, squeeze-excitation, 1x1 projection (SiLU activations).

    Example:
        >>> import ember
        >>> from embervision.models.efficientnet import MBConv, MBConvConfig
        >>> MBConv(MBConvConfig(6, 3, 1, 16, 16, 1), 0.0, ember.nn.BatchNorm2d)(ember.zeros(1, 16, 4, 4)).shape
        ember.Size([1, 16, 4, 4])
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        _check_stride(cnf)
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers += [
            Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride, groups=expanded,
                                 norm_layer=norm_layer, activation_layer=nn.SiLU),
            se_layer(expanded, max(1, cnf.input_channels // 4), activation=partial(nn.SiLU, inplace=True)),
            Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                 activation_layer=None),
        ]
        self._finish(cnf, layers, stochastic_depth_prob)


class FusedMBConv(_Residual):
    """A full conv doing expansion and striding at once, then a 1x1 projection (or one conv when not expanding).

    Example:
        >>> import ember
        >>> from embervision.models.efficientnet import FusedMBConv, FusedMBConvConfig
        >>> FusedMBConv(FusedMBConvConfig(4, 3, 2, 8, 16, 1), 0.0, ember.nn.BatchNorm2d)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 16, 2, 2])
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        _check_stride(cnf)
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU),
                      Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None)]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self._finish(cnf, layers, stochastic_depth_prob)


class EfficientNet(nn.Module):
    """A SiLU stem, the configured MBConv/Fused-MBConv stages, a 1x1 conv, average pooling and a linear head.

    Args:
        inverted_residual_setting: one :class:`MBConvConfig` / :class:`FusedMBConvConfig` per stage.
        dropout: before the classifier.
        stochastic_depth_prob: the last block's drop probability (rising linearly from 0 over the blocks).
        num_classes: outputs of the classifier.
        norm_layer: default ``BatchNorm2d``.
        last_channel: width of the last conv (default 4x the last stage's).

    Example:
        >>> import ember
        >>> from embervision.models import EfficientNet
        >>> from embervision.models.efficientnet import MBConvConfig
        >>> m = EfficientNet([MBConvConfig(1, 3, 1, 8, 8, 1), MBConvConfig(6, 3, 2, 8, 16, 2)], 0.2, num_classes=3)
        >>> m(ember.zeros(2, 3, 16, 16)).shape
        ember.Size([2, 3])
    """

    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
                                       norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels, block_cnf.stride = block_cnf.out_channels, 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(ember.flatten(self.avgpool(self.features(x)), 1))


_V1_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
              (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
_V2_STAGES = {  # (fused?, expand, kernel, stride, in, out, blocks)
    "efficientnet_v2_s": [(1, 1, 3, 1, 24, 24, 2), (1, 4, 3, 2, 24, 48, 4), (1, 4, 3, 2, 48, 64, 4),
                          (0, 4, 3, 2, 64, 128, 6), (0, 6, 3, 1, 128, 160, 9), (0, 6, 3, 2, 160, 256, 15)],
    "efficientnet_v2_m": [(1, 1, 3, 1, 24, 24, 3), (1, 4, 3, 2, 24, 48, 5), (1, 4, 3, 2, 48, 80, 5),
                          (0, 4, 3, 2, 80, 160, 7), (0, 6, 3, 1, 160, 176, 14), (0, 6, 3, 2, 176, 304, 18),
                          (0, 6, 3, 1, 304, 512, 5)],
    "efficientnet_v2_l": [(1, 1, 3, 1, 32, 32, 4), (1, 4, 3, 2, 32, 64, 7), (1, 4, 3, 2, 64, 96, 7),
                          (0, 4, 3, 2, 96, 192, 10), (0, 6, 3, 1, 192, 224, 19), (0, 6, 3, 2, 224, 384, 25),
                          (0, 6, 3, 1, 384, 640, 7)],
}
_V1_SCALES = {  # width_mult, depth_mult, dropout
    "efficientnet_b0": (1.0, 1.0, 0.2), "efficientnet_b1": (1.0, 1.1, 0.2), "efficientnet_b2": (1.1, 1.2, 0.3),
    "efficientnet_b3": (1.2, 1.4, 0.3), "efficientnet_b4": (1.4, 1.8, 0.4), "efficientnet_b5": (1.6, 2.2, 0.4),
    "efficientnet_b6": (1.8, 2.6, 0.5), "efficientnet_b7": (2.0, 3.1, 0.5),
}
_V2_DROPOUT = {"efficientnet_v2_s": 0.2, "efficientnet_v2_m": 0.3, "efficientnet_v2_l": 0.4}


def efficientnet_config(arch):
    """``(stage configs, last_channel)`` of a torchvision EfficientNet architecture name.

    Example:
        >>> from embervision.models.efficientnet import efficientnet_config
        >>> cfg, last = efficientnet_config("efficientnet_v2_s")
        >>> len(cfg), type(cfg[0]).__name__, last
        (6, 'FusedMBConvConfig', 1280)
    """
    if arch in _V1_SCALES:
        width, depth, _ = _V1_SCALES[arch]
        return [MBConvConfig(*row, width_mult=width, depth_mult=depth) for row in _V1_STAGES], None
    if arch in _V2_STAGES:
        return [(FusedMBConvConfig if fused else MBConvConfig)(*row) for fused, *row in _V2_STAGES[arch]], 1280
    raise ValueError(f"Unsupported model type {arch}")


def _builder(arch):
    if arch in _V1_SCALES:
        dropout = _V1_SCALES[arch][2]
        # b5-b7 were trained with TensorFlow's batch-norm settings
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01) if arch[-1] in "567" else None
    else:
        dropout, norm_layer = _V2_DROPOUT[arch], partial(nn.BatchNorm2d, eps=1e-03)

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(arch, weights)
        setting, last_channel = efficientnet_config(arch)
        fixed = {} if norm_layer is None else {"norm_layer": norm_layer}  # as torchvision: not overridable
        return EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel, **fixed, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"""{arch}: :class:`EfficientNet` with torchvision's configuration (dropout {dropout}).

    Keyword arguments (``num_classes``, ``dropout``, ``stochastic_depth_prob``, ...) go to :class:`EfficientNet`.

    Example:
        >>> from embervision.models import {arch}
        >>> {arch}(num_classes=10).classifier[1].out_features
        10
    """
    return register_model(build)


(efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5,
 efficientnet_b6, efficientnet_b7) = (_builder(f"efficientnet_b{i}") for i in range(8))
efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l = (_builder(f"efficientnet_v2_{s}") for s in "sml")
