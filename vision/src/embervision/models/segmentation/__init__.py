"""Semantic segmentation models (``embervision.models.segmentation``): FCN, DeepLabV3 and Lite R-ASPP.

Each returns ``{"out": ...}`` (and ``"aux"`` with ``aux_loss=True``): per-class scores at the input's
height and width.

Example:
    >>> from embervision.models import list_models, segmentation
    >>> list_models(segmentation)  # doctest: +NORMALIZE_WHITESPACE
    ['deeplabv3_mobilenet_v3_large', 'deeplabv3_resnet101', 'deeplabv3_resnet50', 'fcn_resnet101',
     'fcn_resnet50', 'lraspp_mobilenet_v3_large']
"""

from .deeplabv3 import (
    ASPP,
    DeepLabHead,
    DeepLabV3,
    deeplabv3_mobilenet_v3_large,
    deeplabv3_resnet50,
    deeplabv3_resnet101,
)
from .fcn import FCN, FCNHead, fcn_resnet50, fcn_resnet101
from .lraspp import LRASPP, LRASPPHead, lraspp_mobilenet_v3_large

__all__ = [
    "ASPP", "DeepLabHead", "DeepLabV3", "FCN", "FCNHead", "LRASPP", "LRASPPHead", "deeplabv3_mobilenet_v3_large",
    "deeplabv3_resnet50", "deeplabv3_resnet101", "fcn_resnet50", "fcn_resnet101", "lraspp_mobilenet_v3_large",
]
