"""ShuffleNet V2 (Ma et al. 2018), with torchvision's module names."""

from __future__ import annotations

import ember
import ember.nn as nn

from ._registry import register_model
from ._utils import no_weights


def channel_shuffle(x, groups):
    """Interleave the channels of ``groups`` equal groups (``(N, g*c, H, W)``: channel ``i*c + j`` goes to ``j*g + i``).

    Example:
        >>> import ember
        >>> from embervision.models.shufflenetv2 import channel_shuffle
        >>> channel_shuffle(ember.arange(6.0).view(1, 6, 1, 1), 2).flatten()
        tensor([0., 3., 1., 4., 2., 5.])
    """
    batch, channels, height, width = x.size()
    x = ember.transpose(x.view(batch, groups, channels // groups, height, width), 1, 2).contiguous()
    return x.view(batch, channels, height, width)


class InvertedResidual(nn.Module):
    """ShuffleNet V2 unit: split (stride 1) or duplicate (stride > 1) the input, transform one half, shuffle.

    Example:
        >>> import ember
        >>> from embervision.models.shufflenetv2 import InvertedResidual
        >>> InvertedResidual(8, 16, 2)(ember.zeros(1, 8, 6, 6)).shape
        ember.Size([1, 16, 3, 3])
    """

    def __init__(self, inp, oup, stride):
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 "
                             "then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
        """A depthwise (``groups=i``) convolution."""
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet V2: a 3x3/2 stem and max pool, three stages of shuffle units, a 1x1 conv, global mean, linear.

    Args:
        stages_repeats: units in stages 2-4.
        stages_out_channels: channels of the stem, the three stages and ``conv5``.
        num_classes: outputs of ``fc``.
        inverted_residual: the unit class.

    Example:
        >>> import ember
        >>> from embervision.models import ShuffleNetV2
        >>> ShuffleNetV2([1, 1, 1], [8, 16, 32, 64, 128], num_classes=3)(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    def __init__(self, stages_repeats, stages_out_channels, num_classes=1000, inverted_residual=InvertedResidual):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, input_channels, 3, 2, 1, bias=False), nn.BatchNorm2d(input_channels),
                                   nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, (repeats, output_channels) in enumerate(zip(stages_repeats, stages_out_channels[1:4], strict=True)):
            units = [inverted_residual(input_channels, output_channels, 2)]
            units += [inverted_residual(output_channels, output_channels, 1) for _ in range(repeats - 1)]
            setattr(self, f"stage{i + 2}", nn.Sequential(*units))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        self.fc = nn.Linear(output_channels, num_classes)

    def _forward_impl(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))

    def forward(self, x):
        return self._forward_impl(x)


_CONFIGS = {  # stage repeats, stage output channels
    "shufflenet_v2_x0_5": ([4, 8, 4], [24, 48, 96, 192, 1024]),
    "shufflenet_v2_x1_0": ([4, 8, 4], [24, 116, 232, 464, 1024]),
    "shufflenet_v2_x1_5": ([4, 8, 4], [24, 176, 352, 704, 1024]),
    "shufflenet_v2_x2_0": ([4, 8, 4], [24, 244, 488, 976, 2048]),
}


def _builder(name):
    repeats, channels = _CONFIGS[name]

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(name, weights)
        return ShuffleNetV2(repeats, channels, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""{name} (stage channels {channels}); keyword arguments go to :class:`ShuffleNetV2`.

    Example:
        >>> from embervision.models import {name}
        >>> {name}(num_classes=10).fc.out_features
        10
    """
    return register_model(build)


shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0 = (_builder(n) for n in _CONFIGS)
