"""Detection operators (``embervision.ops``): box geometry and losses, non-maximum suppression, focal loss,
RoI pooling, deformable convolution, feature pyramids, DropBlock and building blocks.

Example:
    >>> import ember
    >>> from embervision import ops
    >>> ops.box_area(ops.box_convert(ember.tensor([[0.0, 0.0, 2.0, 3.0]]), "xywh", "xyxy")).tolist()
    [6.0]
"""

from .boxes import (
    batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, complete_box_iou, distance_box_iou,
    generalized_box_iou, masks_to_boxes, nms, remove_small_boxes,
)
from .deform_conv import DeformConv2d, deform_conv2d
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .losses import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
from .misc import MLP, Conv2dNormActivation, Conv3dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .roi_align import PSRoIAlign, RoIAlign, ps_roi_align, roi_align
from .poolers import MultiScaleRoIAlign
from .roi_pool import PSRoIPool, RoIPool, ps_roi_pool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = [
    "batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image", "generalized_box_iou",
    "masks_to_boxes", "nms", "remove_small_boxes", "sigmoid_focal_loss",
    "MLP", "Conv2dNormActivation", "Conv3dNormActivation", "FrozenBatchNorm2d", "Permute", "SqueezeExcitation",
    "StochasticDepth", "stochastic_depth",
    "roi_align", "RoIAlign", "ps_roi_align", "PSRoIAlign", "roi_pool", "RoIPool", "ps_roi_pool", "PSRoIPool",
    "MultiScaleRoIAlign", "deform_conv2d", "DeformConv2d", "FeaturePyramidNetwork", "drop_block2d", "drop_block3d",
    "DropBlock2d", "DropBlock3d", "generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss",
    "distance_box_iou", "complete_box_iou",
]
