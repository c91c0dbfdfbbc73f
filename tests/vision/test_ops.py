"""embervision.ops: box geometry, NMS and the focal loss against numpy references, on every device."""

import numpy as np
import pytest
from harness import Case, run

import ember
from embervision import ops


def _boxes(rng, n, size=50.0):
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(1, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def _np_iou(a, b):
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def _np_giou(a, b):
    iou = _np_iou(a, b)
    lt = np.minimum(a[:, None, :2], b[None, :, :2])
    rb = np.maximum(a[:, None, 2:], b[None, :, 2:])
    hull = np.prod(rb - lt, axis=-1)
    inter_union = _np_iou(a, b)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :]
    union = union / (1 + inter_union)  # union = (area_a + area_b) - inter and inter = iou * union
    return iou - (hull - union) / hull


RNG = np.random.default_rng(0)
A, B = _boxes(RNG, 5), _boxes(RNG, 4)


def _cxcywh(b):
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)


CASES = [
    Case("box_area", ops.box_area, lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), (A,)),
    Case("box_iou", ops.box_iou, _np_iou, (A, B)),
    Case("generalized_box_iou", ops.generalized_box_iou, _np_giou, (A, B)),
    Case("box_convert_xyxy_cxcywh", lambda b: ops.box_convert(b, "xyxy", "cxcywh"), _cxcywh, (A,)),
    Case("box_convert_xywh_xyxy", lambda b: ops.box_convert(b, "xywh", "xyxy"),
         lambda b: np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1), (A,)),
    Case("box_convert_cxcywh_xywh", lambda b: ops.box_convert(b, "cxcywh", "xywh"),
         lambda b: np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, 2:]], axis=1), (A,)),
    Case("focal_loss", lambda x, t: ops.sigmoid_focal_loss(x, t, reduction="none"),
         lambda x, t: _np_focal(x, t, 0.25, 2.0), (RNG.normal(size=(3, 4)), (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)),
         nondiff=(1,)),
    Case("focal_loss_mean", lambda x, t: ops.sigmoid_focal_loss(x, t, alpha=-1, gamma=1.5, reduction="mean"),
         lambda x, t: _np_focal(x, t, -1, 1.5).mean(), (RNG.normal(size=(6,)), (RNG.uniform(size=(6,)) > 0.5).astype(np.float64)),
         nondiff=(1,)),
]


def _np_focal(x, t, alpha, gamma):
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return loss


@pytest.mark.parametrize("case", CASES, ids=str)
def test_box_ops(case, device):
    run(case, device)


def _np_nms(boxes, scores, thr):
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if _np_iou(boxes[i:i + 1], boxes[j:j + 1])[0, 0] <= thr]
    return keep


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.7])
def test_nms_matches_reference(device, thr):
    rng = np.random.default_rng(1)
    boxes = _boxes(rng, 40, size=30.0).astype(np.float32)
    scores = rng.uniform(size=40).astype(np.float32)
    keep = ops.nms(ember.tensor(boxes, device=device), ember.tensor(scores, device=device), thr)
    assert keep.dtype is ember.int64 and keep.device.type == device
    assert keep.cpu().tolist() == _np_nms(boxes, scores, thr)


def test_batched_nms_only_suppresses_within_a_class(device):
    rng = np.random.default_rng(2)
    boxes = _boxes(rng, 30, size=20.0).astype(np.float32)
    scores = rng.uniform(size=30).astype(np.float32)
    idxs = rng.integers(0, 3, 30)
    keep = ops.batched_nms(ember.tensor(boxes, device=device), ember.tensor(scores, device=device),
                           ember.tensor(idxs, device=device), 0.4).cpu().tolist()
    want = []
    for c in range(3):
        sel = np.nonzero(idxs == c)[0]
        want += [int(sel[k]) for k in _np_nms(boxes[sel], scores[sel], 0.4)]
    assert keep == sorted(want, key=lambda i: -scores[i])
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64), 0.5).tolist() == []


def test_box_helpers_and_validation():
    b = ember.tensor([[-2.0, 1.0, 12.0, 5.0], [3.0, 3.0, 3.5, 9.0]])
    assert ops.clip_boxes_to_image(b, (6, 10)).tolist() == [[0.0, 1.0, 10.0, 5.0], [3.0, 3.0, 3.5, 6.0]]
    assert ops.remove_small_boxes(b, 1.0).tolist() == [0]
    assert ops.box_area(ember.tensor([[0, 0, 3, 4]], dtype=ember.int16)).dtype is ember.int32
    masks = ember.zeros(2, 5, 6, dtype=ember.bool)
    masks[0, 1:4, 2:5] = True
    masks[1, 0, 0] = True
    assert ops.masks_to_boxes(masks).tolist() == [[2.0, 1.0, 4.0, 3.0], [0.0, 0.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(b, "xyxy", "yxyx")
    with pytest.raises(ValueError, match=r"nms: boxes should have shape \(N, 4\), got \(2, 3\)"):
        ops.nms(ember.zeros(2, 3), ember.zeros(2), 0.5)
    with pytest.raises(ValueError, match="reduction"):
        ops.sigmoid_focal_loss(ember.zeros(1), ember.zeros(1), reduction="avg")
