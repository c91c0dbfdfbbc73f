"""A small single-stage, centre-based object detector (CenterNet style) for rectangles and circles.

Generated 48x48 images hold one to three shapes with their boxes. The network predicts, on a 12x12
grid, a heat map per class (trained with ``embervision.ops.sigmoid_focal_loss``) and at each centre
the sub-cell offset and box size. Detections are the heat-map peaks, decoded to boxes and filtered
with ``embervision.ops.batched_nms``; the script reports mAP@0.5 (``box_iou`` matching) on held-out
images and draws some predictions with ``draw_bounding_boxes`` (``out/detections.png``).

Run: python examples/vision/detect_shapes.py [--epochs N] [--train N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from embervision import io, ops
from embervision.ops import Conv2dNormActivation
from embervision.transforms import InterpolationMode
from embervision.transforms.functional import resize
from embervision.utils import draw_bounding_boxes, make_grid

SIZE, STRIDE = 48, 4
GRID = SIZE // STRIDE
CLASSES = ("rectangle", "circle")
SCALE = 16.0  # box sizes are regressed in units of 16 pixels


def make_scene(rng):
    """``(image 3xSxS uint8, boxes (n, 4) xyxy float, labels (n,))`` with 1-3 barely overlapping shapes."""
    img = rng.integers(0, 60, (3, SIZE, SIZE)).astype(np.uint8)
    yy, xx = np.mgrid[:SIZE, :SIZE] + 0.5
    boxes, labels = [], []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):
            w, h = rng.uniform(8, 20, 2)
            label = int(rng.integers(0, 2))
            if label == 1:
                h = w
            x0, y0 = rng.uniform(0, SIZE - w), rng.uniform(0, SIZE - h)
            box = np.array([x0, y0, x0 + w, y0 + h])
            if all(float(ops.box_iou(ember.tensor([box]), ember.tensor([b]))[0, 0]) < 0.05 for b in boxes):
                break
        else:
            continue
        if label == 0:
            mask = (xx >= box[0]) & (xx < box[2]) & (yy >= box[1]) & (yy < box[3])
        else:
            mask = (xx - (box[0] + box[2]) / 2) ** 2 + (yy - (box[1] + box[3]) / 2) ** 2 < (w / 2) ** 2
        img[:, mask] = rng.integers(120, 256, (3, 1))
        boxes.append(box)
        labels.append(label)
    return img, np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(labels, dtype=np.int64)


def targets(boxes, labels):
    """Heat map (2, G, G), regression targets (4, G, G) = (offset x, offset y, w, h) and the positive mask (G, G)."""
    heat = np.zeros((len(CLASSES), GRID, GRID), np.float32)
    reg = np.zeros((4, GRID, GRID), np.float32)
    mask = np.zeros((GRID, GRID), np.float32)
    for (x0, y0, x1, y1), label in zip(boxes, labels):
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        i, j = min(int(cy), GRID - 1), min(int(cx), GRID - 1)
        heat[label, i, j] = 1.0
        reg[:, i, j] = (cx - j, cy - i, (x1 - x0) / SCALE, (y1 - y0) / SCALE)
        mask[i, j] = 1.0
    return heat, reg, mask


class CenterNet(nn.Module):
    """A stride-4 convolutional trunk with a heat-map head and a box head."""

    def __init__(self, width=32):
        super().__init__()
        self.backbone = nn.Sequential(
            Conv2dNormActivation(3, width // 2), Conv2dNormActivation(width // 2, width, stride=2),
            Conv2dNormActivation(width, width), Conv2dNormActivation(width, 2 * width, stride=2),
            Conv2dNormActivation(2 * width, 2 * width, dilation=2), Conv2dNormActivation(2 * width, 2 * width),
        )
        self.heat = nn.Conv2d(2 * width, len(CLASSES), 1)
        self.box = nn.Conv2d(2 * width, 4, 1)
        nn.init.constant_(self.heat.bias, -2.19)  # start every cell at a 10% object probability

    def forward(self, x):
        features = self.backbone(x)
        return self.heat(features), self.box(features)


def decode(heat_logits, box, threshold=0.1, max_det=10):
    """Detections per image: ``[(boxes (k, 4), scores (k,), labels (k,))]`` from heat-map peaks after NMS."""
    scores = heat_logits.sigmoid()
    peaks = scores == F.max_pool2d(scores, 3, stride=1, padding=1)
    results = []
    for b in range(scores.shape[0]):
        cls, i, j = ember.where(peaks[b] & (scores[b] > threshold))
        s = scores[b][cls, i, j]
        off_x, off_y, w, h = (box[b, k][i, j] for k in range(4))
        cx, cy = (j.float() + off_x) * STRIDE, (i.float() + off_y) * STRIDE
        w, h = w.clamp(min=0) * SCALE, h.clamp(min=0) * SCALE
        boxes = ember.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)
        keep = ops.batched_nms(boxes, s, cls, 0.5)[:max_det]
        results.append((boxes[keep], s[keep], cls[keep]))
    return results


def average_precision(detections, truths, label, iou=0.5):
    """VOC-style AP (area under the precision envelope) of one class over a set of images."""
    records, n_true = [], 0
    for (boxes, scores, labels), (t_boxes, t_labels) in zip(detections, truths):
        gt = t_boxes[t_labels == label]
        n_true += len(gt)
        mine = labels.numpy() == label
        d_boxes, d_scores = boxes.numpy()[mine], scores.numpy()[mine]
        matched = np.zeros(len(gt), bool)
        ious = ops.box_iou(ember.tensor(d_boxes.reshape(-1, 4)), ember.tensor(gt.reshape(-1, 4))).numpy() if len(gt) else None
        for k in np.argsort(-d_scores):
            hit = False
            if ious is not None and ious.shape[1]:
                best = int(np.argmax(np.where(matched, -1.0, ious[k])))
                if ious[k, best] >= iou and not matched[best]:
                    matched[best] = hit = True
            records.append((d_scores[k], hit))
    if n_true == 0:
        return float("nan")
    records.sort(key=lambda r: -r[0])
    hits = np.array([h for _, h in records], dtype=np.float64)
    tp, fp = np.cumsum(hits), np.cumsum(1 - hits)
    recall = np.concatenate([[0.0], tp / n_true, [1.0]])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1e-9), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum((recall[1:] - recall[:-1]) * precision[1:]))


def dataset(n, seed):
    rng = np.random.default_rng(seed)
    scenes = [make_scene(rng) for _ in range(n)]
    images = ember.tensor(np.stack([s[0] for s in scenes])).float() / 255
    maps = [targets(s[1], s[2]) for s in scenes]
    heat, reg, mask = (ember.tensor(np.stack([m[k] for m in maps])) for k in range(3))
    return images, heat, reg, mask, [(s[1], s[2]) for s in scenes]


def run(epochs=8, train=1000, test=200, batch_size=32, width=32, out="out", log=print):
    """Train the detector (trunk ``width``) and return mAP@0.5 on the held-out images."""
    ember.manual_seed(0)
    images, heat, reg, mask, _ = dataset(train, seed=0)
    test_images, _, _, _, test_truths = dataset(test, seed=1)
    model = CenterNet(width)
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * ((train + batch_size - 1) // batch_size)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    log(f"{train} training / {test} test scenes of {SIZE}x{SIZE}; CenterNet with "
        f"{sum(p.numel() for p in model.parameters()):,} parameters")
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = ember.randperm(train)
        total = 0.0
        for k in range(0, train, batch_size):
            idx = order[k:k + batch_size]
            heat_logits, box = model(images[idx])
            positives = mask[idx].sum().clamp(min=1)
            cls_loss = ops.sigmoid_focal_loss(heat_logits, heat[idx], alpha=0.75, reduction="sum") / positives
            box_loss = (F.smooth_l1_loss(box, reg[idx], reduction="none").sum(1) * mask[idx]).sum() / positives
            loss = cls_loss + box_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        log(f"epoch {epoch:2d}/{epochs}  loss {total / train:.4f}  ({time.perf_counter() - start:.0f}s)")
    model.eval()
    with ember.no_grad():
        detections = decode(*model(test_images))
    aps = [average_precision(detections, test_truths, c) for c in range(len(CLASSES))]
    m_ap = float(np.nanmean(aps))
    log("AP@0.5: " + ", ".join(f"{name} {ap:.3f}" for name, ap in zip(CLASSES, aps)) + f"  mAP@0.5: {m_ap:.3f}")
    os.makedirs(out, exist_ok=True)
    drawn, zoom = [], 4
    for img, (boxes, scores, labels) in zip(test_images[:8], detections[:8]):
        confident = scores >= 0.3
        boxes, scores, labels = boxes[confident], scores[confident], labels[confident]
        big = resize((img * 255).to(ember.uint8), [SIZE * zoom] * 2, InterpolationMode.NEAREST)
        names = [f"{CLASSES[int(c)][:4]} {float(s):.2f}" for c, s in zip(labels, scores)]
        drawn.append(draw_bounding_boxes(big, boxes * zoom, names, width=2,
                                         colors=[("red" if int(c) == 0 else "cyan") for c in labels]))
    path = os.path.join(out, "detections.png")
    io.write_png((make_grid(ember.stack(drawn).float() / 255, nrow=4) * 255).to(ember.uint8), path)
    log(f"wrote {path}")
    return m_ap


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--out", default="out")
    args = parser.parse_args()
    run(args.epochs, args.train, out=args.out)


if __name__ == "__main__":
    main()
