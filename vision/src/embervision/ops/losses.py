"""Box-regression losses on matched pairs of xyxy boxes: generalised, distance and complete IoU losses."""

from __future__ import annotations

import math

import ember


def _float(t):
    return t if t.is_floating_point() else t.float()


def _parts(boxes1, boxes2, eps):
    """``(iou, pieces)`` of matched boxes, where ``pieces`` holds the coordinates and the enclosing box's corners."""
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    ix1, iy1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    ix2, iy2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    overlap = (iy2 > iy1) & (ix2 > ix1)
    inter = ember.where(overlap, (ix2 - ix1) * (iy2 - iy1), ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    iou = inter / (union + eps)
    hull = (ember.minimum(x1, x1g), ember.minimum(y1, y1g), ember.maximum(x2, x2g), ember.maximum(y2, y2g))
    return iou, union, (x1, y1, x2, y2, x1g, y1g, x2g, y2g), hull


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', 'mean', 'sum'")


def generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - GIoU`` of matched boxes ``(N, 4)`` (or ``(4,)``): IoU plus a penalty that grows with their enclosing box.

    Example:
        >>> import ember
        >>> from embervision.ops import generalized_box_iou_loss
        >>> round(generalized_box_iou_loss(ember.tensor([0.0, 0, 1, 1]), ember.tensor([2.0, 0, 3, 1])).item(), 4)
        1.3333
    """
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    iou, union, _, (xc1, yc1, xc2, yc2) = _parts(boxes1, boxes2, eps)
    area = (xc2 - xc1) * (yc2 - yc1)
    return _reduce(1 - (iou - (area - union) / (area + eps)), reduction)


def _diou_loss(boxes1, boxes2, eps):
    iou, _, (x1, y1, x2, y2, x1g, y1g, x2g, y2g), (xc1, yc1, xc2, yc2) = _parts(boxes1, boxes2, eps)
    diagonal = (xc2 - xc1) ** 2 + (yc2 - yc1) ** 2 + eps
    centres = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + ((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + centres / diagonal, iou


def distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - DIoU`` of matched boxes: IoU loss plus the squared centre distance over the enclosing diagonal squared.

    Example:
        >>> import ember
        >>> from embervision.ops import distance_box_iou_loss
        >>> round(distance_box_iou_loss(ember.tensor([[0.0, 0, 1, 1]]), ember.tensor([[2.0, 0, 3, 1]])).item(), 4)
        1.4
    """
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    return _reduce(_diou_loss(boxes1, boxes2, eps)[0], reduction)


def complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - CIoU`` of matched boxes: the distance-IoU loss plus a penalty on differing aspect ratios.

    The penalty's weight ``alpha`` is a constant in backward, as in torchvision (whose ``eps`` for the
    IoU here is always 1e-7).

    Example:
        >>> import ember
        >>> from embervision.ops import complete_box_iou_loss
        >>> round(complete_box_iou_loss(ember.tensor([[0.0, 0, 2, 1]]), ember.tensor([[0.0, 0, 1, 2]])).item(), 4)
        0.7629
    """
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    diou, iou = _diou_loss(boxes1, boxes2, 1e-7)
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    v = (4 / math.pi ** 2) * (((x2g - x1g) / (y2g - y1g)).atan() - ((x2 - x1) / (y2 - y1)).atan()) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou + alpha * v, reduction)
