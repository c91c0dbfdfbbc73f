"""What the segmentation models share: the backbone-plus-heads model and the builders' plumbing."""

from __future__ import annotations

from collections import OrderedDict

import ember.nn as nn
import ember.nn.functional as F

from .._utils import no_weights


def upsample_to(x, size):
    """Bilinear resize of ``x`` to the spatial ``size`` (``align_corners=False``, as every head here uses)."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class _SimpleSegmentationModel(nn.Module):
    """A backbone returning ``{"out", "aux"}`` features, a classifier on "out" and an optional one on "aux".

    Both predictions are resized bilinearly to the input's height and width.

    Example:
        >>> import ember
        >>> from embervision.models._utils import IntermediateLayerGetter
        >>> from embervision.models.segmentation._utils import _SimpleSegmentationModel
        >>> stem = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3, stride=2, padding=1))
        >>> model = _SimpleSegmentationModel(IntermediateLayerGetter(stem, {"0": "out"}), ember.nn.Conv2d(4, 5, 1))
        >>> {k: tuple(v.shape) for k, v in model(ember.rand(1, 3, 8, 8)).items()}
        {'out': (1, 5, 8, 8)}
    """

    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        size = x.shape[-2:]
        features = self.backbone(x)
        result = OrderedDict(out=upsample_to(self.classifier(features["out"]), size))
        if self.aux_classifier is not None:
            result["aux"] = upsample_to(self.aux_classifier(features["aux"]), size)
        return result


def segmentation_num_classes(name, weights, weights_backbone, num_classes):
    """Reject pretrained weights (none are bundled) and return ``num_classes`` (21, Pascal VOC's, by default)."""
    no_weights(name, weights)
    no_weights(f"{name} (weights_backbone)", weights_backbone)
    return 21 if num_classes is None else num_classes


def mobilenet_stage_ends(features):
    """Indices of the blocks ending each stage of a MobileNetV3 ``features``: the stem, each strided block, the last."""
    return [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
