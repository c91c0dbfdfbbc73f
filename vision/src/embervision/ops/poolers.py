"""Multi-scale RoIAlign: pool each box from the FPN level that suits its size (FPN paper, eq. 1)."""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import nn

from ._roi import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align


class LevelMapper:
    """Maps boxes to pyramid levels: ``floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps)``, clamped.

    Calling it on a list of per-image boxes gives each box's level index counted from ``k_min``.

    Example:
        >>> import ember
        >>> from embervision.ops.poolers import LevelMapper
        >>> LevelMapper(2, 5)([ember.tensor([[0.0, 0, 224, 224], [0.0, 0, 20, 20]])]).tolist()
        [2, 0]
    """

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists):
        s = ember.cat([box_area(b) for b in boxlists]).sqrt()
        levels = (self.lvl0 + (s / self.s0).log2() + ember.tensor(self.eps, dtype=s.dtype, device=s.device)).floor()
        return (levels.clamp(min=self.k_min, max=self.k_max).to(ember.int64) - self.k_min).to(ember.int64)


def initLevelMapper(k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):  # noqa: N802 (torchvision's name)
    """A :class:`LevelMapper` (torchvision's factory).

    Example:
        >>> from embervision.ops.poolers import initLevelMapper
        >>> initLevelMapper(2, 5).k_max
        5
    """
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _infer_scale(feature, original_size):
    """The power of two nearest ``feature``'s height over the image's (torchvision rounds its log2 in float32)."""
    return 2 ** float(np.round(np.log2(np.float32(float(feature.shape[-2]) / float(original_size[0])))))


def _setup_scales(features, image_shapes, canonical_scale, canonical_level):
    if not image_shapes:
        raise ValueError("images list should not be empty")
    original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
    scales = [_infer_scale(f, original) for f in features]
    lvl_min = -math.log2(scales[0])
    lvl_max = -math.log2(scales[-1])
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign over several feature maps, each box pooled from the level its size maps to.

    Args:
        featmap_names: the keys of the feature dict to pool from (highest resolution first).
        output_size: pooled (PH, PW) or an int.
        sampling_ratio: passed to :func:`roi_align`.
        canonical_scale, canonical_level: a ``canonical_scale``-sized box maps to level ``canonical_level``.

    ``forward(x, boxes, image_shapes)`` takes the feature dict, a list of per-image Tensor[L, 4] boxes in
    image coordinates and the images' (height, width); scales and levels are inferred on the first call.

    Example:
        >>> import ember
        >>> from collections import OrderedDict
        >>> from embervision.ops import MultiScaleRoIAlign
        >>> m = MultiScaleRoIAlign(["feat1", "feat3"], 3, 2)
        >>> x = OrderedDict(feat1=ember.rand(1, 5, 64, 64), feat2=ember.rand(1, 5, 32, 32), feat3=ember.rand(1, 5, 16, 16))
        >>> boxes = ember.rand(6, 4) * 256; boxes[:, 2:] += boxes[:, :2]
        >>> m(x, [boxes], [(512, 512)]).shape
        ember.Size([6, 5, 3, 3])
    """

    def __init__(self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224, canonical_level=4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x, boxes, image_shapes):
        feats = [v for k, v in x.items() if k in self.featmap_names]
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(feats, image_shapes, self.canonical_scale,
                                                         self.canonical_level)
        rois = convert_boxes_to_roi_format(boxes)
        if len(feats) == 1:
            return roi_align(feats[0], rois, self.output_size, self.scales[0], self.sampling_ratio)
        levels = self.map_levels(boxes)
        pieces, order = [], []
        for level, (feat, scale) in enumerate(zip(feats, self.scales)):
            idx = ember.where(levels == level)[0]
            pieces.append(roi_align(feat, rois[idx], self.output_size, scale, self.sampling_ratio).to(feats[0].dtype))
            order.append(idx)
        beyond = ember.where(levels >= len(feats))[0]  # levels without a feature map stay zero, as in torchvision
        if beyond.numel():
            pieces.append(ember.zeros(beyond.numel(), feats[0].shape[1], *self.output_size, dtype=feats[0].dtype,
                                      device=feats[0].device))
            order.append(beyond)
        inverse = ember.cat(order).argsort()
        return ember.cat(pieces).index_select(0, inverse)

    def __repr__(self):
        return (f"{type(self).__name__}(featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio})")
