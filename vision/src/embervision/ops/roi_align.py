"""RoIAlign and position-sensitive RoIAlign: bilinear samples averaged over each output bin.

Sampling positions and bilinear weights are computed on the host with torchvision's arithmetic; the
pixels are gathered with ``index_select`` and weighted with one batched matmul, so gradients with
respect to the input (and double backward) come from autograd. As in torchvision, the boxes get no
gradient.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import nn

from ._roi import as_rois, bin_group, gather, host_dtype, pair, pixel_table


def _corners(v, size, dtype):
    """Bilinear corners of sample coordinates ``v`` along an axis of ``size``: ``(index, weight)``, last axis 2.

    Samples beyond one pixel outside the image weigh 0; the rest clamp to the border as torchvision does.
    """
    valid = (v >= -1) & (v <= size)
    v = np.maximum(np.where(valid, v, dtype(0)), dtype(0))  # NaN positions weigh 0 too
    low = np.floor(v).astype(np.int64)
    edge = low >= size - 1
    low = np.where(edge, size - 1, low)
    high = np.where(edge, size - 1, low + 1)
    v = np.where(edge, low.astype(dtype), v)
    frac = (v - low.astype(dtype)).astype(dtype)
    weight = np.stack([dtype(1) - frac, frac], axis=-1) * valid[..., None]
    return np.stack([low, high], axis=-1), weight.astype(dtype)


def _grid(start, bin_size, bins, grid, dtype):
    """Sample coordinates ``(K, bins, grid)``: ``grid`` evenly spaced points inside each of ``bins`` bins."""
    b = np.arange(bins, dtype=dtype)[None, :, None]
    i = (np.arange(grid, dtype=dtype) + dtype(0.5))[None, None, :]
    return start[:, None, None] + b * bin_size[:, None, None] + i * bin_size[:, None, None] / dtype(grid)

_CHUNK = 1 << 24  # gathered values per chunk of boxes (64 MiB of float32)


def _sample_chunk(table, groups, cols, input, sel, batch, geometry, count, grp, sizes, empty, t):
    """Bin averages (n, PH, PW, cols) of boxes ``sel``, which share their ``gy`` x ``gx`` sampling grid."""
    y1, x1, bin_h, bin_w = geometry
    ph, pw, gy, gx = sizes
    _, _, h, w = input.shape
    yi, wy = _corners(_grid(y1[sel], bin_h[sel], ph, gy, t), h, t)  # (n, PH, gy, 2)
    xi, wx = _corners(_grid(x1[sel], bin_w[sel], pw, gx, t), w, t)  # (n, PW, gx, 2)
    b = batch[sel][:, None, None, None, None, None, None]
    rows = ((b * groups + grp[None, :, :, None, None, None, None]) * h
            + yi[:, :, None, :, :, None, None]) * w + xi[:, None, :, None, None, :, :]
    wts = wy[:, :, None, :, :, None, None] * wx[:, None, :, None, None, :, :]
    if empty:
        wts = wts * t(0)
    n = len(sel)
    vals = gather(table, rows, input.device).reshape(n, ph, pw, 4 * gy * gx, cols)
    weights = ember.tensor(wts.reshape(n, ph, pw, 1, 4 * gy * gx), dtype=input.dtype, device=input.device)
    denom = ember.tensor(count[sel].astype(t).reshape(n, 1, 1, 1), dtype=input.dtype, device=input.device)
    return (weights @ vals).reshape(n, ph, pw, cols) / denom


def _sample_bins(input, boxes, output_size, spatial_scale, sampling_ratio, aligned, ps, op):
    """The shared body of :func:`roi_align` (``ps=False``) and :func:`ps_roi_align` (``ps=True``)."""
    out_size = pair(output_size)
    ph, pw = out_size
    rois, batch = as_rois(boxes, input, op)
    table, groups, cols = pixel_table(input, ps, out_size)
    t = host_dtype(input)
    _, _, h, w = input.shape
    r = rois.astype(t)
    scale, offset = t(spatial_scale), t(0.5 if aligned else 0.0)
    x1, y1 = r[:, 1] * scale - offset, r[:, 2] * scale - offset
    rw, rh = r[:, 3] * scale - offset - x1, r[:, 4] * scale - offset - y1
    if not aligned:
        rw, rh = np.maximum(rw, t(1)), np.maximum(rh, t(1))
    bin_h, bin_w = rh / t(ph), rw / t(pw)
    k = len(r)
    if sampling_ratio > 0:
        gh = gw = np.full(k, sampling_ratio, dtype=np.int64)
    else:
        gh, gw = np.ceil(rh / t(ph)).astype(np.int64), np.ceil(rw / t(pw)).astype(np.int64)
    count = np.maximum(gh * gw, 1) if not ps else gh * gw
    grp = bin_group(ps, out_size)
    pieces, order = [], []
    pairs = np.stack([gh, gw], 1) if k else np.ones((1, 2), dtype=np.int64)
    for gy, gx in np.unique(pairs, axis=0).tolist():
        same = np.nonzero((gh == gy) & (gw == gx))[0]
        empty = gy <= 0 or gx <= 0  # no samples: torchvision's sum over nothing
        gy, gx = max(gy, 1), max(gx, 1)
        per_roi = ph * pw * 4 * gy * gx * cols  # gathered values per box: chunks bound the memory
        step = max(1, _CHUNK // per_roi)
        for start in range(0, max(len(same), 1), step):
            sel = same[start:start + step]
            pieces.append(_sample_chunk(table, groups, cols, input, sel, batch, (y1, x1, bin_h, bin_w), count, grp,
                                        (ph, pw, gy, gx), empty, t))
            order.append(sel)
    out = pieces[0] if len(pieces) == 1 else ember.cat(pieces, 0).index_select(
        0, ember.tensor(np.argsort(np.concatenate(order), kind="stable"), device=input.device))
    return out.permute(0, 3, 1, 2)


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoIAlign (Mask R-CNN): average ``sampling_ratio`` x ``sampling_ratio`` bilinear samples per output bin.

    Args:
        input: (N, C, H, W) features.
        boxes: Tensor[K, 5] of ``(image index, x1, y1, x2, y2)`` rows, or a list of per-image Tensor[L, 4].
        output_size: (PH, PW) or an int.
        spatial_scale: maps box coordinates to feature coordinates (e.g. 1/16).
        sampling_ratio: samples per bin along each axis; ``<= 0`` picks ``ceil(roi size / output size)`` per box.
        aligned: shift the boxes by -0.5 pixel (Detectron2's alignment); False keeps the legacy boxes of at
            least one pixel.

    Returns:
        Tensor[K, C, PH, PW].

    Example:
        >>> import ember
        >>> from embervision.ops import roi_align
        >>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
        >>> roi_align(x, ember.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), 1, sampling_ratio=2, aligned=True).tolist()
        [[[[2.5]]]]
    """
    return _sample_bins(input, boxes, output_size, spatial_scale, sampling_ratio, aligned, False, "roi_align")


def ps_roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1):
    """Position-sensitive RoIAlign (R-FCN): bin ``(i, j)`` of output channel ``c`` samples input channel ``(c * PH + i) * PW + j``.

    Takes the arguments of :func:`roi_align` (the boxes are always shifted by -0.5 pixel); the input's
    channels must be a multiple of ``PH * PW``. Returns Tensor[K, C / (PH * PW), PH, PW].

    Example:
        >>> import ember
        >>> from embervision.ops import ps_roi_align
        >>> x = ember.arange(4.0).reshape(1, 4, 1, 1).expand(1, 4, 2, 2)
        >>> ps_roi_align(x, ember.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    return _sample_bins(input, boxes, output_size, spatial_scale, sampling_ratio, True, True, "ps_roi_align")


class RoIAlign(nn.Module):
    """:func:`roi_align` as a module.

    Example:
        >>> import ember
        >>> from embervision.ops import RoIAlign
        >>> m = RoIAlign((2, 2), spatial_scale=0.5, sampling_ratio=2)
        >>> m(ember.rand(1, 3, 8, 8), [ember.tensor([[0.0, 0.0, 8.0, 8.0]])]).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self):
        return (f"{type(self).__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")


class PSRoIAlign(nn.Module):
    """:func:`ps_roi_align` as a module.

    Example:
        >>> import ember
        >>> from embervision.ops import PSRoIAlign
        >>> PSRoIAlign(2, 1.0, 2)(ember.rand(1, 8, 4, 4), ember.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]])).shape
        ember.Size([1, 2, 2, 2])
    """

    def __init__(self, output_size, spatial_scale, sampling_ratio):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input, rois):
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio)

    def __repr__(self):
        return (f"{type(self).__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio})")
