"""Detection operators (``embervision.ops``): box geometry, non-maximum suppression, focal loss.

Example:
    >>> import ember
    >>> from embervision import ops
    >>> ops.box_area(ops.box_convert(ember.tensor([[0.0, 0.0, 2.0, 3.0]]), "xywh", "xyxy")).tolist()
    [6.0]
"""

from .boxes import (
    batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, generalized_box_iou, masks_to_boxes, nms,
    remove_small_boxes,
)
from .focal_loss import sigmoid_focal_loss

__all__ = [
    "batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image", "generalized_box_iou",
    "masks_to_boxes", "nms", "remove_small_boxes", "sigmoid_focal_loss",
]
