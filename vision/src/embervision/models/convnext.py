"""ConvNeXt (Liu et al. 2022), with torchvision's module names."""

from __future__ import annotations

from functools import partial

import ember
import ember.nn as nn
import ember.nn.functional as F

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._registry import register_model
from ._utils import no_weights


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` tensor.

    Example:
        >>> import ember
        >>> from embervision.models.convnext import LayerNorm2d
        >>> y = LayerNorm2d(3)(ember.arange(6.0).reshape(1, 3, 1, 2))
        >>> [round(v, 3) for v in y[0, :, 0, 0].tolist()]
        [-1.225, 0.0, 1.225]
    """

    def forward(self, x):
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """Depthwise 7x7 conv, LayerNorm, 4x MLP with GELU, a learned per-channel scale, stochastic depth, residual.

    Example:
        >>> import ember
        >>> from embervision.models.convnext import CNBlock
        >>> CNBlock(8, 1e-6, 0.0)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        return self.stochastic_depth(self.layer_scale * self.block(input)) + input


class CNBlockConfig:
    """One stage: its width, the width it downsamples to (None for the last stage), its number of blocks.

    Example:
        >>> from embervision.models.convnext import CNBlockConfig
        >>> CNBlockConfig(96, 192, 3)
        CNBlockConfig(input_channels=96, out_channels=192, num_layers=3)
    """

    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self):
        return (f"{type(self).__name__}(input_channels={self.input_channels}, out_channels={self.out_channels}, "
                f"num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """A 4x4 patchify stem, stages of :class:`CNBlock` with norm + 2x2-conv downsampling, a normed linear head.

    Args:
        block_setting: one :class:`CNBlockConfig` per stage.
        stochastic_depth_prob: the last block's drop probability (rising linearly from 0).
        layer_scale: initial value of each block's per-channel scale.
        num_classes: outputs of the head.
        block: the block class (default :class:`CNBlock`); norm_layer: default ``LayerNorm2d(eps=1e-6)``.

    Example:
        >>> import ember
        >>> from embervision.models import ConvNeXt
        >>> from embervision.models.convnext import CNBlockConfig
        >>> m = ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 1)], num_classes=3)
        >>> m(ember.zeros(2, 3, 16, 16)).shape
        ember.Size([2, 3])
    """

    def __init__(self, block_setting, stochastic_depth_prob=0.0, layer_scale=1e-6, num_classes=1000, block=None,
                 norm_layer=None, **kwargs):
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not all(isinstance(s, CNBlockConfig) for s in block_setting):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        block = block or CNBlock
        norm_layer = norm_layer or partial(LayerNorm2d, eps=1e-6)
        layers = [Conv2dNormActivation(3, block_setting[0].input_channels, kernel_size=4, stride=4, padding=0,
                                       norm_layer=norm_layer, activation_layer=None, bias=True)]
        total_blocks = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                stage.append(block(cnf.input_channels, layer_scale,
                                   stochastic_depth_prob * block_id / (total_blocks - 1.0)))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(norm_layer(cnf.input_channels),
                                            nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1), nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


_CONFIGS = {  # stage (width, blocks), default stochastic depth
    "convnext_tiny": ([(96, 3), (192, 3), (384, 9), (768, 3)], 0.1),
    "convnext_small": ([(96, 3), (192, 3), (384, 27), (768, 3)], 0.4),
    "convnext_base": ([(128, 3), (256, 3), (512, 27), (1024, 3)], 0.5),
    "convnext_large": ([(192, 3), (384, 3), (768, 27), (1536, 3)], 0.5),
}


def _builder(arch):
    stages, sd_prob = _CONFIGS[arch]

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(arch, weights)
        widths = [w for w, _ in stages] + [None]
        setting = [CNBlockConfig(w, widths[i + 1], n) for i, (w, n) in enumerate(stages)]
        return ConvNeXt(setting, stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", sd_prob), **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"""{arch}: :class:`ConvNeXt` with torchvision's stages (stochastic depth {sd_prob}).

    Keyword arguments (``num_classes``, ``stochastic_depth_prob``, ``layer_scale``, ...) go to :class:`ConvNeXt`.

    Example:
        >>> from embervision.models import {arch}
        >>> {arch}(num_classes=10).classifier[2].out_features
        10
    """
    return register_model(build)


convnext_tiny, convnext_small, convnext_base, convnext_large = (_builder(arch) for arch in _CONFIGS)
