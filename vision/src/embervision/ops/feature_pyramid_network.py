"""The Feature Pyramid Network (Lin et al. 2017) and its extra top levels (a max-pooled level, RetinaNet's P6/P7)."""

from __future__ import annotations

from collections import OrderedDict

import ember.nn.functional as F
from ember import nn

from .misc import Conv2dNormActivation


class ExtraFPNBlock(nn.Module):
    """Base class of the blocks that add levels on top of an FPN: ``forward(results, x, names)`` returns both lists extended.

    Example:
        >>> from embervision.ops.feature_pyramid_network import ExtraFPNBlock, LastLevelMaxPool
        >>> issubclass(LastLevelMaxPool, ExtraFPNBlock)
        True
    """

    def forward(self, results, x, names):
        raise NotImplementedError


class FeaturePyramidNetwork(nn.Module):
    """Top-down pathway with lateral 1x1 convolutions and 3x3 output convolutions over a dict of feature maps.

    Args:
        in_channels_list: channels of each input level, highest resolution first.
        out_channels: channels of every output level.
        extra_blocks: an :class:`ExtraFPNBlock` adding levels on top (e.g. :class:`LastLevelMaxPool`).
        norm_layer: normalisation after each convolution (none by default).

    The convolutions start Kaiming-uniform (``a=1``) with zero biases, drawn in torchvision's order.

    Example:
        >>> import ember
        >>> from collections import OrderedDict
        >>> from embervision.ops import FeaturePyramidNetwork
        >>> from embervision.ops.feature_pyramid_network import LastLevelMaxPool
        >>> fpn = FeaturePyramidNetwork([4, 8], 5, extra_blocks=LastLevelMaxPool())
        >>> out = fpn(OrderedDict(a=ember.rand(1, 4, 8, 8), b=ember.rand(1, 8, 4, 4)))
        >>> [(k, tuple(v.shape)) for k, v in out.items()]
        [('a', (1, 5, 8, 8)), ('b', (1, 5, 4, 4)), ('pool', (1, 5, 2, 2))]
    """

    _version = 2

    def __init__(self, in_channels_list, out_channels, extra_blocks=None, norm_layer=None):
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(in_channels, out_channels, kernel_size=1, padding=0,
                                                          norm_layer=norm_layer, activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(out_channels, out_channels, kernel_size=3,
                                                          norm_layer=norm_layer, activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not {type(extra_blocks)}")
        self.extra_blocks = extra_blocks

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if version is None or version < 2:  # version 1 had bare convolutions: ``inner_blocks.0.weight``
            for block in ("inner_blocks", "layer_blocks"):
                for i in range(len(self.inner_blocks)):
                    for kind in ("weight", "bias"):
                        old = f"{prefix}{block}.{i}.{kind}"
                        if old in state_dict:
                            state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def get_result_from_inner_blocks(self, x, idx):
        """``self.inner_blocks[idx](x)`` (torchvision's scripting-friendly spelling).

        Example:
            >>> import ember
            >>> from embervision.ops import FeaturePyramidNetwork
            >>> FeaturePyramidNetwork([2], 3).get_result_from_inner_blocks(ember.rand(1, 2, 4, 4), -1).shape
            ember.Size([1, 3, 4, 4])
        """
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x, idx):
        """``self.layer_blocks[idx](x)`` (torchvision's scripting-friendly spelling).

        Example:
            >>> import ember
            >>> from embervision.ops import FeaturePyramidNetwork
            >>> FeaturePyramidNetwork([2], 3).get_result_from_layer_blocks(ember.rand(1, 3, 4, 4), 0).shape
            ember.Size([1, 3, 4, 4])
        """
        return self.layer_blocks[idx](x)

    def forward(self, x):
        names = list(x.keys())
        feats = list(x.values())
        last_inner = self.get_result_from_inner_blocks(feats[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.get_result_from_inner_blocks(feats[idx], idx)
            top_down = F.interpolate(last_inner, size=tuple(lateral.shape[-2:]), mode="nearest")
            last_inner = lateral + top_down
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results))


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a ``"pool"`` level: the last level subsampled by 2 (a 1x1 max pool with stride 2).

    Example:
        >>> import ember
        >>> from embervision.ops.feature_pyramid_network import LastLevelMaxPool
        >>> res, names = LastLevelMaxPool()([ember.rand(1, 2, 5, 5)], [], ["p5"])
        >>> names, res[-1].shape
        (['p5', 'pool'], ember.Size([1, 2, 3, 3]))
    """

    def forward(self, x, y, names):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's extra levels: ``p6`` = stride-2 3x3 conv of P5 (or of C5 when channels differ), ``p7`` = one more on ReLU(p6).

    Example:
        >>> import ember
        >>> from embervision.ops.feature_pyramid_network import LastLevelP6P7
        >>> res, names = LastLevelP6P7(4, 4)([ember.rand(1, 4, 8, 8)], [ember.rand(1, 4, 8, 8)], ["p5"])
        >>> names, [tuple(r.shape) for r in res]
        (['p5', 'p6', 'p7'], [(1, 4, 8, 8), (1, 4, 4, 4), (1, 4, 2, 2)])
    """

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p, c, names):
        x = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
