"""DeepLabV3 (Chen et al. 2017) on dilated ResNets and MobileNetV3, with torchvision's module names."""

from __future__ import annotations

import ember
import ember.nn as nn

from .._registry import register_model
from .._utils import IntermediateLayerGetter
from ..mobilenet import mobilenet_v3_large
from ..resnet import resnet50, resnet101
from ._utils import _SimpleSegmentationModel, mobilenet_stage_ends, segmentation_num_classes, upsample_to
from .fcn import FCNHead, _dilated_resnet_segmentation


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3: ``backbone`` features {"out", "aux"}, an ASPP ``classifier`` and an optional ``aux_classifier``.

    Example:
        >>> import ember
        >>> from embervision.models._utils import IntermediateLayerGetter
        >>> from embervision.models.segmentation import DeepLabHead, DeepLabV3
        >>> stem = ember.nn.Sequential(ember.nn.Conv2d(3, 8, 3, stride=4, padding=1))
        >>> model = DeepLabV3(IntermediateLayerGetter(stem, {"0": "out"}), DeepLabHead(8, 3, (2, 4))).eval()
        >>> model(ember.rand(1, 3, 16, 16))["out"].shape
        ember.Size([1, 3, 16, 16])
    """


class ASPPConv(nn.Sequential):
    """3x3 convolution dilated by ``dilation`` (padding keeps the size), BatchNorm, ReLU.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation.deeplabv3 import ASPPConv
        >>> ASPPConv(4, 6, dilation=3)(ember.rand(1, 4, 7, 7)).shape
        ember.Size([1, 6, 7, 7])
    """

    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    """Image-level features: global average pool, 1x1 conv, BatchNorm, ReLU, upsampled back to the input size.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation.deeplabv3 import ASPPPooling
        >>> y = ASPPPooling(4, 6).eval()(ember.rand(1, 4, 5, 3))
        >>> y.shape, bool(ember.allclose(y, y[:, :, :1, :1].expand_as(y)))  # constant over the image
        (ember.Size([1, 6, 5, 3]), True)
    """

    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for module in self:
            x = module(x)
        return upsample_to(x, size)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 branch, one dilated 3x3 branch per rate and an image-pooling branch,
    concatenated and projected to ``out_channels`` (with dropout 0.5).

    Example:
        >>> import ember
        >>> from embervision.models.segmentation.deeplabv3 import ASPP
        >>> ASPP(8, (2, 4), out_channels=16).eval()(ember.rand(2, 8, 6, 6)).shape
        ember.Size([2, 16, 6, 6])
    """

    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                  nn.ReLU())]
        branches += [ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates)]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(ember.cat([conv(x) for conv in self.convs], dim=1))


class DeepLabHead(nn.Sequential):
    """ASPP (256 channels), a 3x3 conv, BatchNorm, ReLU and a 1x1 conv to ``num_classes``.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation import DeepLabHead
        >>> DeepLabHead(8, 3, atrous_rates=(2, 4)).eval()(ember.rand(1, 8, 5, 5)).shape
        ember.Size([1, 3, 5, 5])
    """

    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


@register_model
def deeplabv3_resnet50(*, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None,
                       **kwargs):
    """DeepLabV3 on a dilated ResNet-50 (layer3 and layer4 dilate instead of striding).

    ``num_classes`` defaults to 21; ``aux_loss=True`` adds an FCN head on layer3 (output "aux").
    ``weights`` and ``weights_backbone`` must be None (no pretrained weights are bundled); other
    keyword arguments are ignored, as in torchvision.

    Example:
        >>> from embervision.models.segmentation import deeplabv3_resnet50
        >>> deeplabv3_resnet50(weights_backbone="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: deeplabv3_resnet50 (weights_backbone): no pretrained weights are bundled ...
    """
    return _dilated_resnet_segmentation("deeplabv3_resnet50", DeepLabV3, DeepLabHead, resnet50, weights,
                                        weights_backbone, num_classes, aux_loss)


@register_model
def deeplabv3_resnet101(*, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None,
                        **kwargs):
    """DeepLabV3 on a dilated ResNet-101 (layer3 and layer4 dilate instead of striding).

    ``num_classes`` defaults to 21; ``aux_loss=True`` adds an FCN head on layer3 (output "aux").
    ``weights`` and ``weights_backbone`` must be None (no pretrained weights are bundled); other
    keyword arguments are ignored, as in torchvision.

    Example:
        >>> from embervision.models.segmentation import deeplabv3_resnet101
        >>> deeplabv3_resnet101(weights_backbone="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: deeplabv3_resnet101 (weights_backbone): no pretrained weights are bundled ...
    """
    return _dilated_resnet_segmentation("deeplabv3_resnet101", DeepLabV3, DeepLabHead, resnet101, weights,
                                        weights_backbone, num_classes, aux_loss)


@register_model
def deeplabv3_mobilenet_v3_large(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                                 weights_backbone=None, **kwargs):
    """DeepLabV3 on a dilated MobileNetV3-Large: the head reads the last block (output stride 16).

    ``num_classes`` defaults to 21; ``aux_loss=True`` adds an FCN head on the output-stride-8 block
    (output "aux"). ``weights`` and ``weights_backbone`` must be None; other keyword arguments are
    ignored, as in torchvision.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation import deeplabv3_mobilenet_v3_large
        >>> model = deeplabv3_mobilenet_v3_large(num_classes=3, aux_loss=True).eval()
        >>> {k: tuple(v.shape) for k, v in model(ember.rand(1, 3, 32, 32)).items()}
        {'out': (1, 3, 32, 32), 'aux': (1, 3, 32, 32)}
    """
    num_classes = segmentation_num_classes("deeplabv3_mobilenet_v3_large", weights, weights_backbone, num_classes)
    features = mobilenet_v3_large(dilated=True).features
    ends = mobilenet_stage_ends(features)
    out_pos, aux_pos = ends[-1], ends[-4]  # output strides 16 and 8
    return_layers = {str(out_pos): "out", **({str(aux_pos): "aux"} if aux_loss else {})}
    backbone = IntermediateLayerGetter(features, return_layers=return_layers)
    aux_classifier = FCNHead(features[aux_pos].out_channels, num_classes) if aux_loss else None
    return DeepLabV3(backbone, DeepLabHead(features[out_pos].out_channels, num_classes), aux_classifier)
