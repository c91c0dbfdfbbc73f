"""Bounding-box operations on (N, 4) tensors, composed from Ember ops (differentiable where torchvision's are)."""

from __future__ import annotations

import math

import numpy as np

import ember

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _upcast(t):
    """Float boxes below 32 bits go to float32 and small ints to int32, so areas do not overflow."""
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def box_convert(boxes, in_fmt, out_fmt):
    """Convert boxes between ``"xyxy"`` (corners), ``"xywh"`` (corner + size) and ``"cxcywh"`` (centre + size).

    Example:
        >>> import ember
        >>> from embervision.ops import box_convert
        >>> box_convert(ember.tensor([[1.0, 2.0, 5.0, 4.0]]), "xyxy", "cxcywh").tolist()
        [[3.0, 3.0, 4.0, 2.0]]
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return ember.stack([a, b, c, d], dim=-1)


def box_area(boxes):
    """Areas of ``(N, 4)`` xyxy boxes.

    Example:
        >>> import ember
        >>> from embervision.ops import box_area
        >>> box_area(ember.tensor([[0, 0, 2, 3], [1, 1, 2, 2]])).tolist()
        [6, 1]
    """
    boxes = _upcast(boxes)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _inter_union(boxes1, boxes2):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rb = ember.minimum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., :, None] + area2[..., None, :] - inter


def box_iou(boxes1, boxes2):
    """The ``(N, M)`` intersection-over-union matrix of two sets of xyxy boxes.

    Example:
        >>> import ember
        >>> from embervision.ops import box_iou
        >>> box_iou(ember.tensor([[0.0, 0, 2, 2]]), ember.tensor([[1.0, 1, 3, 3], [0.0, 0, 2, 2]])).tolist()
        [[0.1428571492433548, 1.0]]
    """
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    """Generalised IoU: IoU minus the fraction of the enclosing box not covered by the union.

    Example:
        >>> import ember
        >>> from embervision.ops import generalized_box_iou
        >>> generalized_box_iou(ember.tensor([[0.0, 0, 1, 1]]), ember.tensor([[2.0, 0, 3, 1]])).tolist()
        [[-0.3333333432674408]]
    """
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    lt = ember.minimum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rb = ember.maximum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    area = wh[..., 0] * wh[..., 1]
    return iou - (area - union) / area


def _diou_iou(boxes1, boxes2, eps):
    """``(distance IoU, IoU)`` matrices: the IoU less the squared centre distance over the enclosing box's diagonal."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    iou = box_iou(boxes1, boxes2)
    lt = ember.minimum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rb = ember.maximum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    diagonal = wh[..., 0] ** 2 + wh[..., 1] ** 2 + eps
    c1 = (boxes1[..., :2] + boxes1[..., 2:]) / 2
    c2 = (boxes2[..., :2] + boxes2[..., 2:]) / 2
    d = _upcast(c1[..., :, None, :] - c2[..., None, :, :])
    return iou - (d[..., 0] ** 2 + d[..., 1] ** 2) / diagonal, iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Distance IoU (Zheng et al. 2019) of every pair of xyxy boxes: IoU less the normalised squared centre distance.

    Takes ``(..., N, 4)`` and ``(..., M, 4)`` boxes; returns ``(..., N, M)``.

    Example:
        >>> import ember
        >>> from embervision.ops import distance_box_iou
        >>> round(distance_box_iou(ember.tensor([[0.0, 0, 1, 1]]), ember.tensor([[2.0, 0, 3, 1]])).item(), 4)
        -0.4
    """
    return _diou_iou(boxes1, boxes2, eps)[0]


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Complete IoU (Zheng et al. 2019) of every pair of xyxy boxes: distance IoU less an aspect-ratio penalty.

    The penalty's weight ``alpha`` is treated as a constant in backward, as in torchvision.

    Example:
        >>> import ember
        >>> from embervision.ops import complete_box_iou
        >>> round(complete_box_iou(ember.tensor([[0.0, 0, 2, 1]]), ember.tensor([[0.0, 0, 1, 2]])).item(), 4)
        0.2371
    """
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    b1, b2 = _upcast(boxes1), _upcast(boxes2)
    ratio1 = ((b1[..., 2] - b1[..., 0]) / (b1[..., 3] - b1[..., 1]))[..., :, None]
    ratio2 = ((b2[..., 2] - b2[..., 0]) / (b2[..., 3] - b2[..., 1]))[..., None, :]
    v = (4 / math.pi ** 2) * (ratio1.atan() - ratio2.atan()) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def clip_boxes_to_image(boxes, size):
    """Clip xyxy boxes to an image of ``size`` = (height, width).

    Example:
        >>> import ember
        >>> from embervision.ops import clip_boxes_to_image
        >>> clip_boxes_to_image(ember.tensor([[-1.0, 2.0, 9.0, 3.0]]), (4, 5)).tolist()
        [[0.0, 2.0, 5.0, 3.0]]
    """
    h, w = size
    x = boxes[..., 0::2].clamp(min=0, max=w)
    y = boxes[..., 1::2].clamp(min=0, max=h)
    return ember.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], dim=-1)


def remove_small_boxes(boxes, min_size):
    """Indices of the boxes whose sides are both at least ``min_size``.

    Example:
        >>> import ember
        >>> from embervision.ops import remove_small_boxes
        >>> remove_small_boxes(ember.tensor([[0.0, 0, 1, 1], [0.0, 0, 5, 5]]), 2).tolist()
        [1]
    """
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ember.where((ws >= min_size) & (hs >= min_size))[0]


def _check_nms(boxes, scores, op):
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{op}: boxes should have shape (N, 4), got {tuple(boxes.shape)}")
    if scores.ndim != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"{op}: scores should have shape (N,) matching boxes {tuple(boxes.shape)}, "
                         f"got {tuple(scores.shape)}")


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression: the indices of the boxes kept, by decreasing score.

    A box is dropped when its IoU with a higher-scoring kept box exceeds ``iou_threshold``.

    Example:
        >>> import ember
        >>> from embervision.ops import nms
        >>> boxes = ember.tensor([[0.0, 0, 10, 10], [1.0, 1, 10, 10], [20.0, 20, 30, 30]])
        >>> nms(boxes, ember.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    _check_nms(boxes, scores, "nms")
    b = np.asarray(boxes.detach().cpu().numpy(), dtype=np.float64)
    order = np.argsort(-scores.detach().cpu().numpy().astype(np.float64), kind="stable")
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed = np.zeros(len(b), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        if rest.size == 0:
            continue
        wh = np.clip(np.minimum(b[i, 2:], b[rest, 2:]) - np.maximum(b[i, :2], b[rest, :2]), 0, None)
        inter = wh[:, 0] * wh[:, 1]
        iou = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[iou > iou_threshold]] = True
    return ember.tensor(np.asarray(keep, dtype=np.int64), device=boxes.device)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """:func:`nms` independently within each category ``idxs``; indices kept, by decreasing score.

    Example:
        >>> import ember
        >>> from embervision.ops import batched_nms
        >>> boxes = ember.tensor([[0.0, 0, 10, 10], [1.0, 1, 10, 10]])
        >>> batched_nms(boxes, ember.tensor([0.9, 0.8]), ember.tensor([0, 1]), 0.5).tolist()
        [0, 1]
    """
    _check_nms(boxes, scores, "batched_nms")
    if boxes.numel() == 0:
        return ember.empty(0, dtype=ember.int64, device=boxes.device)
    span = boxes.max().to(boxes.dtype) + 1 if boxes.is_floating_point() else boxes.max() + 1
    offsets = idxs.to(boxes.dtype) * span
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def masks_to_boxes(masks):
    """The tight xyxy box around each of ``(N, H, W)`` boolean masks.

    Example:
        >>> import ember
        >>> from embervision.ops import masks_to_boxes
        >>> m = ember.zeros(1, 4, 5, dtype=ember.bool); m[0, 1:3, 2:4] = True
        >>> masks_to_boxes(m).tolist()
        [[2.0, 1.0, 3.0, 2.0]]
    """
    if masks.numel() == 0:
        return ember.zeros(0, 4, device=masks.device)
    out = []
    for m in masks:
        ys, xs = ember.where(m)
        out.append(ember.stack([xs.min(), ys.min(), xs.max(), ys.max()]).float())
    return ember.stack(out)
