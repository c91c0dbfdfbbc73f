"""RegNet (Radosavovic et al. 2020): RegNetX and RegNetY, with torchvision's module names."""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import ember
import ember.nn as nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._registry import register_model
from ._utils import make_divisible, no_weights


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: a stride-2 3x3 conv, norm, activation.

    Example:
        >>> import ember
        >>> from embervision.models.regnet import SimpleStemIN
        >>> SimpleStemIN(3, 8, ember.nn.BatchNorm2d, ember.nn.ReLU)(ember.zeros(1, 3, 8, 8)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, width_in, width_out, norm_layer, activation_layer):
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """1x1 conv ``a``, grouped 3x3 conv ``b``, optional squeeze-excitation ``se``, 1x1 conv ``c``.

    Example:
        >>> import ember
        >>> from embervision.models.regnet import BottleneckTransform
        >>> f = BottleneckTransform(8, 16, 2, ember.nn.BatchNorm2d, ember.nn.ReLU, 8, 1.0, 0.25)
        >>> list(f._modules), f(ember.zeros(1, 8, 4, 4)).shape
        (['a', 'b', 'se', 'c'], ember.Size([1, 16, 2, 2]))
    """

    def __init__(self, width_in, width_out, stride, norm_layer, activation_layer, group_width, bottleneck_multiplier,
                 se_ratio):
        w_b = int(round(width_out * bottleneck_multiplier))
        layers = OrderedDict()
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride, groups=w_b // group_width,
                                           norm_layer=norm_layer, activation_layer=activation_layer)
        if se_ratio:
            layers["se"] = SqueezeExcitation(input_channels=w_b, squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1, norm_layer=norm_layer,
                                           activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(proj(x) + f(x))``; ``proj`` (1x1 conv + norm) only when the width or the stride changes.

    Example:
        >>> import ember
        >>> from embervision.models.regnet import ResBottleneckBlock
        >>> ResBottleneckBlock(8, 8, 1, ember.nn.BatchNorm2d, ember.nn.ReLU, 8)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, width_in, width_out, stride, norm_layer, activation_layer, group_width=1,
                 bottleneck_multiplier=1.0, se_ratio=None):
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride, norm_layer=norm_layer,
                                             activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer, group_width,
                                     bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        shortcut = x if self.proj is None else self.proj(x)
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """``depth`` blocks named ``block{stage_index}-{i}``; the first one strides and changes the width.

    Example:
        >>> import ember
        >>> from embervision.models.regnet import AnyStage, ResBottleneckBlock
        >>> s = AnyStage(8, 16, 2, 2, ResBottleneckBlock, ember.nn.BatchNorm2d, ember.nn.ReLU, 8, 1.0, stage_index=1)
        >>> list(s._modules)
        ['block1-0', 'block1-1']
    """

    def __init__(self, width_in, width_out, stride, depth, block_constructor, norm_layer, activation_layer,
                 group_width, bottleneck_multiplier, se_ratio=None, stage_index=0):
        super().__init__()
        for i in range(depth):
            self.add_module(f"block{stage_index}-{i}", block_constructor(
                width_in if i == 0 else width_out, width_out, stride if i == 0 else 1, norm_layer, activation_layer,
                group_width, bottleneck_multiplier, se_ratio))


class BlockParams:
    """Per-stage depths, widths, group widths, bottleneck multipliers, strides, and the squeeze-excite ratio.

    Example:
        >>> from embervision.models.regnet import BlockParams
        >>> p = BlockParams.from_init_params(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25)
        >>> p.depths, p.widths
        ([1, 3, 6, 6], [48, 104, 208, 440])
    """

    def __init__(self, depths, widths, group_widths, bottleneck_multipliers, strides, se_ratio=None):
        self.depths, self.widths, self.group_widths = depths, widths, group_widths
        self.bottleneck_multipliers, self.strides, self.se_ratio = bottleneck_multipliers, strides, se_ratio

    @classmethod
    def from_init_params(cls, depth, w_0, w_a, w_m, group_width, bottleneck_multiplier=1.0, se_ratio=None,
                         **kwargs):
        """The stages of the RegNet design space's quantized linear widths ``w_0 + w_a * j`` (float32, as torchvision).

        Block ``j``'s width is ``w_0 * w_m ** round(log(u_j / w_0) / log(w_m))`` rounded to a multiple of 8;
        consecutive blocks of equal width form a stage. Extra keyword arguments are ignored.
        """
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        quant = 8
        widths_cont = ember.arange(depth) * w_a + w_0
        block_capacity = ember.round(ember.log(widths_cont / w_0) / math.log(w_m))
        block_widths = (ember.round(ember.divide(w_0 * ember.pow(w_m, block_capacity), quant)) * quant).int().tolist()
        starts = [j for j in range(depth) if j == 0 or block_widths[j] != block_widths[j - 1]]
        stage_widths = [block_widths[j] for j in starts]
        stage_depths = [b - a for a, b in zip(starts, starts[1:] + [depth], strict=True)]
        num_stages = len(stage_widths)
        multipliers = [bottleneck_multiplier] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(stage_widths, multipliers,
                                                                            [group_width] * num_stages)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=multipliers, strides=[2] * num_stages, se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths, self.bottleneck_multipliers, strict=False)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths, bottleneck_ratios, group_widths):
        """Widths whose bottlenecks are multiples of their (capped) group widths."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios, strict=False)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths, strict=False)]
        ws_bot = [make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min, strict=True)]
        return [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios, strict=True)], group_widths_min


class RegNet(nn.Module):
    """A stem, the stages of ``block_params`` (``trunk_output.block1...``), average pooling and a linear head.

    Example:
        >>> import ember
        >>> from embervision.models import RegNet
        >>> from embervision.models.regnet import BlockParams
        >>> p = BlockParams([1, 1], [16, 32], [8, 8], [1.0, 1.0], [2, 2])
        >>> RegNet(p, num_classes=3, stem_width=8)(ember.zeros(2, 3, 16, 16)).shape
        ember.Size([2, 3])
    """

    def __init__(self, block_params, num_classes=1000, stem_width=32, stem_type=None, block_type=None,
                 norm_layer=None, activation=None):
        super().__init__()
        stem_type = stem_type or SimpleStemIN
        norm_layer = norm_layer or nn.BatchNorm2d
        block_type = block_type or ResBottleneckBlock
        activation = activation or nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, multiplier) in enumerate(block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(current_width, width_out, stride, depth, block_type, norm_layer,
                                                     activation, group_width, multiplier, block_params.se_ratio,
                                                     stage_index=i + 1)))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


_CONFIGS = {  # depth, w_0, w_a, w_m, group_width (RegNetY adds squeeze-excitation with ratio 0.25)
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8), "regnet_y_800mf": (14, 56, 38.84, 2.4, 16),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24), "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56), "regnet_y_16gf": (18, 200, 106.23, 2.48, 112),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232), "regnet_y_128gf": (27, 456, 160.83, 2.52, 264),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16), "regnet_x_800mf": (16, 56, 35.73, 2.28, 16),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24), "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120), "regnet_x_16gf": (22, 216, 55.59, 2.1, 128),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168),
}


def regnet_config(arch):
    """The :class:`BlockParams` of a torchvision RegNet architecture name.

    Example:
        >>> from embervision.models.regnet import regnet_config
        >>> p = regnet_config("regnet_x_400mf")
        >>> p.depths, p.widths, p.se_ratio
        ([1, 2, 7, 12], [32, 64, 160, 400], None)
    """
    depth, w_0, w_a, w_m, group_width = _CONFIGS[arch]
    return BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m, group_width=group_width,
                                        se_ratio=0.25 if arch.startswith("regnet_y") else None)


def _builder(arch):
    def build(*, weights=None, progress=True, **kwargs):
        no_weights(arch, weights)
        params = regnet_config(arch)
        norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
        return RegNet(params, norm_layer=norm_layer, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"""{arch}: :class:`RegNet` with torchvision's design-space parameters.

    Keyword arguments (``num_classes``, ``stem_width``, ``norm_layer``, ...) go to :class:`RegNet`.

    Example:
        >>> from embervision.models import {arch}
        >>> {arch}(num_classes=10).fc.out_features
        10
    """
    return register_model(build)


(regnet_y_400mf, regnet_y_800mf, regnet_y_1_6gf, regnet_y_3_2gf, regnet_y_8gf, regnet_y_16gf, regnet_y_32gf,
 regnet_y_128gf, regnet_x_400mf, regnet_x_800mf, regnet_x_1_6gf, regnet_x_3_2gf, regnet_x_8gf, regnet_x_16gf,
 regnet_x_32gf) = (_builder(arch) for arch in _CONFIGS)
