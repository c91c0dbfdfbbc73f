"""Lite R-ASPP (Howard et al. 2019) on a dilated MobileNetV3-Large, with torchvision's module names."""

from __future__ import annotations

from collections import OrderedDict

import ember.nn as nn

from .._registry import register_model
from .._utils import IntermediateLayerGetter
from ..mobilenet import mobilenet_v3_large
from ._utils import mobilenet_stage_ends, segmentation_num_classes, upsample_to


class LRASPP(nn.Module):
    """Lite R-ASPP: a backbone giving {"low", "high"} features and an :class:`LRASPPHead`; output {"out"}.

    Example:
        >>> import ember
        >>> from embervision.models._utils import IntermediateLayerGetter
        >>> from embervision.models.segmentation import LRASPP
        >>> conv = ember.nn.Conv2d
        >>> stem = ember.nn.Sequential(conv(3, 4, 3, stride=2, padding=1), conv(4, 8, 3, stride=2, padding=1))
        >>> model = LRASPP(IntermediateLayerGetter(stem, {"0": "low", "1": "high"}), 4, 8, 3, 16).eval()
        >>> model(ember.rand(1, 3, 16, 16))["out"].shape
        ember.Size([1, 3, 16, 16])
    """

    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        out = self.classifier(self.backbone(input))
        return OrderedDict(out=upsample_to(out, input.shape[-2:]))


class LRASPPHead(nn.Module):
    """The high features through 1x1 conv-BN-ReLU, gated by a pooled sigmoid scale, upsampled to the low
    features' size; each side classified by a 1x1 conv and summed.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation import LRASPPHead
        >>> head = LRASPPHead(4, 8, 3, 16).eval()
        >>> head({"low": ember.rand(1, 4, 8, 8), "high": ember.rand(1, 8, 4, 4)}).shape
        ember.Size([1, 3, 8, 8])
    """

    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                 nn.BatchNorm2d(inter_channels), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                   nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        x = upsample_to(self.cbr(high) * self.scale(high), low.shape[-2:])
        return self.low_classifier(low) + self.high_classifier(x)


@register_model
def lraspp_mobilenet_v3_large(*, weights=None, progress=True, num_classes=None, weights_backbone=None, **kwargs):
    """Lite R-ASPP on a dilated MobileNetV3-Large (low: output stride 8, high: the last block, stride 16).

    ``num_classes`` defaults to 21. ``aux_loss=True`` raises NotImplementedError (the model has no
    auxiliary head); ``weights`` and ``weights_backbone`` must be None; other keyword arguments are
    ignored, as in torchvision.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation import lraspp_mobilenet_v3_large
        >>> model = lraspp_mobilenet_v3_large(num_classes=3).eval()
        >>> model(ember.rand(1, 3, 32, 32))["out"].shape
        ember.Size([1, 3, 32, 32])
    """
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    num_classes = segmentation_num_classes("lraspp_mobilenet_v3_large", weights, weights_backbone, num_classes)
    features = mobilenet_v3_large(dilated=True).features
    ends = mobilenet_stage_ends(features)
    low_pos, high_pos = ends[-4], ends[-1]  # output strides 8 and 16
    backbone = IntermediateLayerGetter(features, return_layers={str(low_pos): "low", str(high_pos): "high"})
    return LRASPP(backbone, features[low_pos].out_channels, features[high_pos].out_channels, num_classes)
