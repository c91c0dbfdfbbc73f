"""FCN (Long et al. 2015) on dilated ResNets, with torchvision's module names."""

from __future__ import annotations

import ember.nn as nn

from .._registry import register_model
from .._utils import IntermediateLayerGetter
from ..resnet import resnet50, resnet101
from ._utils import _SimpleSegmentationModel, segmentation_num_classes


class FCN(_SimpleSegmentationModel):
    """Fully convolutional network: ``backbone`` features {"out", "aux"}, ``classifier``, optional ``aux_classifier``.

    Example:
        >>> import ember
        >>> from embervision.models._utils import IntermediateLayerGetter
        >>> from embervision.models.segmentation import FCN, FCNHead
        >>> stem = ember.nn.Sequential(ember.nn.Conv2d(3, 8, 3, stride=4, padding=1))
        >>> model = FCN(IntermediateLayerGetter(stem, {"0": "out"}), FCNHead(8, 3)).eval()
        >>> model(ember.rand(1, 3, 16, 16))["out"].shape
        ember.Size([1, 3, 16, 16])
    """


class FCNHead(nn.Sequential):
    """3x3 conv to ``in_channels // 4``, BatchNorm, ReLU, dropout 0.1, 1x1 conv to ``channels``.

    Example:
        >>> import ember
        >>> from embervision.models.segmentation import FCNHead
        >>> FCNHead(16, 3)(ember.rand(2, 16, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        )


def _dilated_resnet_segmentation(name, model_cls, head_cls, resnet, weights, weights_backbone, num_classes,
                                 aux_loss):
    """``model_cls`` on ``resnet`` dilated to output stride 8: ``head_cls(2048)`` on layer4, an FCN head on layer3.

    The backbone is built (and initialised) first, then the auxiliary head, then the classifier, as in torchvision.
    """
    num_classes = segmentation_num_classes(name, weights, weights_backbone, num_classes)
    backbone = resnet(replace_stride_with_dilation=[False, True, True])
    return_layers = {"layer4": "out", **({"layer3": "aux"} if aux_loss else {})}
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)
    aux_classifier = FCNHead(1024, num_classes) if aux_loss else None
    return model_cls(backbone, head_cls(2048, num_classes), aux_classifier)


@register_model
def fcn_resnet50(*, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs):
    """FCN on a dilated ResNet-50 (layer3 and layer4 dilate instead of striding).

    ``num_classes`` defaults to 21; ``aux_loss=True`` adds an FCN head on layer3 (output "aux").
    ``weights`` and ``weights_backbone`` must be None (no pretrained weights are bundled); other
    keyword arguments are ignored, as in torchvision.

    Example:
        >>> from embervision.models.segmentation import fcn_resnet50
        >>> fcn_resnet50(weights_backbone="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: fcn_resnet50 (weights_backbone): no pretrained weights are bundled ...
    """
    return _dilated_resnet_segmentation("fcn_resnet50", FCN, FCNHead, resnet50, weights,
                                        weights_backbone, num_classes, aux_loss)


@register_model
def fcn_resnet101(*, weights=None, progress=True, num_classes=None, aux_loss=None, weights_backbone=None, **kwargs):
    """FCN on a dilated ResNet-101 (layer3 and layer4 dilate instead of striding).

    ``num_classes`` defaults to 21; ``aux_loss=True`` adds an FCN head on layer3 (output "aux").
    ``weights`` and ``weights_backbone`` must be None (no pretrained weights are bundled); other
    keyword arguments are ignored, as in torchvision.

    Example:
        >>> from embervision.models.segmentation import fcn_resnet101
        >>> fcn_resnet101(weights_backbone="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: fcn_resnet101 (weights_backbone): no pretrained weights are bundled ...
    """
    return _dilated_resnet_segmentation("fcn_resnet101", FCN, FCNHead, resnet101, weights,
                                        weights_backbone, num_classes, aux_loss)
