"""RoIPool (max over integer bins) and position-sensitive RoIPool (mean over integer bins).

The bins' pixel windows are computed on the host with torchvision's integer arithmetic; the windows
are gathered (padded to the largest window) with ``index_select``. RoIPool's maximum routes the
gradient to the first maximal pixel of each bin, as torchvision's argmax does.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import nn

from ._roi import as_rois, bin_group, c_round, gather, host_dtype, pair, pixel_table


def _bins(start, end, bins, limit, extra, dtype):
    """Pixel windows ``[lo, hi)`` of ``bins`` bins over boxes ``[start, end]`` (ints), clipped to ``[0, limit]``.

    ``extra`` is 1 for RoIPool (its boxes include their end pixel), 0 for PSRoIPool.
    """
    size = np.maximum(end - start + extra, 1)
    bin_size = size.astype(dtype) / dtype(bins)
    i = np.arange(bins, dtype=dtype)[None, :]
    lo = np.floor(i * bin_size[:, None]).astype(np.int64) + start[:, None]
    hi = np.ceil((i + dtype(1)) * bin_size[:, None]).astype(np.int64) + start[:, None]
    return np.clip(lo, 0, limit), np.clip(hi, 0, limit)


def _windows(input, boxes, output_size, spatial_scale, ps, op):
    """``(values, valid, area)``: each bin's window of pixels ``(K, PH, PW, M, cols)`` and which are inside it."""
    out_size = pair(output_size)
    ph, pw = out_size
    rois, batch = as_rois(boxes, input, op)
    table, groups, cols = pixel_table(input, ps, out_size)
    t = host_dtype(input)
    _, _, h, w = input.shape
    corners = c_round(rois[:, 1:].astype(t) * t(spatial_scale)).astype(np.int64)
    extra, clip = (0, 1) if ps else (1, 0)  # PSRoIPool's kernel clips its windows to size - 1
    hlo, hhi = _bins(corners[:, 1], corners[:, 3], ph, h - clip, extra, t)  # (K, PH)
    wlo, whi = _bins(corners[:, 0], corners[:, 2], pw, w - clip, extra, t)  # (K, PW)
    k = len(rois)
    mh = max(int((hhi - hlo).max(initial=1)), 1)
    mw = max(int((whi - wlo).max(initial=1)), 1)
    ys = hlo[:, :, None] + np.arange(mh)  # (K, PH, mh)
    xs = wlo[:, :, None] + np.arange(mw)  # (K, PW, mw)
    vy, vx = ys < hhi[:, :, None], xs < whi[:, :, None]
    ys, xs = np.minimum(ys, h - 1), np.minimum(xs, w - 1)
    rows = ((batch[:, None, None, None, None] * groups + bin_group(ps, out_size)[None, :, :, None, None]) * h
            + ys[:, :, None, :, None]) * w + xs[:, None, :, None, :]
    valid = (vy[:, :, None, :, None] & vx[:, None, :, None, :]).reshape(k, ph, pw, mh * mw)
    values = gather(table, rows, input.device).reshape(k, ph, pw, mh * mw, cols)
    area = (hhi - hlo)[:, :, None] * (whi - wlo)[:, None, :]  # (K, PH, PW); <= 0 for empty bins
    return values, valid, area


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoIPool (Fast R-CNN): the maximum of each of the ``output_size`` integer bins of every box.

    Box corners are scaled by ``spatial_scale`` and rounded to pixels; empty bins give 0.

    Args:
        input: (N, C, H, W) features.
        boxes: Tensor[K, 5] of ``(image index, x1, y1, x2, y2)`` rows, or a list of per-image Tensor[L, 4].
        output_size: (PH, PW) or an int.

    Returns:
        Tensor[K, C, PH, PW].

    Example:
        >>> import ember
        >>> from embervision.ops import roi_pool
        >>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
        >>> roi_pool(x, ember.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]]), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    values, valid, area = _windows(input, boxes, output_size, spatial_scale, False, "roi_pool")
    dev = input.device
    mask = ember.tensor(valid[..., None], device=dev)
    best = ember.where(mask, values, ember.tensor(float("-inf"), dtype=input.dtype, device=dev)).max(dim=3).values
    empty = ember.tensor((area <= 0)[..., None], device=dev)
    return ember.where(empty, ember.zeros((), dtype=input.dtype, device=dev), best).permute(0, 3, 1, 2)


def ps_roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """Position-sensitive RoIPool (R-FCN): the mean of bin ``(i, j)`` of input channel ``(c * PH + i) * PW + j``.

    The input's channels must be a multiple of ``PH * PW``; returns Tensor[K, C / (PH * PW), PH, PW].

    Example:
        >>> import ember
        >>> from embervision.ops import ps_roi_pool
        >>> x = ember.arange(4.0).reshape(1, 4, 1, 1).expand(1, 4, 3, 3)
        >>> ps_roi_pool(x, ember.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    values, valid, area = _windows(input, boxes, output_size, spatial_scale, True, "ps_roi_pool")
    t = host_dtype(input)
    k, ph, pw = area.shape
    dev = input.device
    ones = ember.tensor(valid.astype(t)[:, :, :, None, :], dtype=input.dtype, device=dev)
    mean = (ones @ values).reshape(k, ph, pw, values.shape[-1]) / ember.tensor(
        np.maximum(area, 1).astype(t)[..., None], dtype=input.dtype, device=dev)
    return mean.permute(0, 3, 1, 2)


class RoIPool(nn.Module):
    """:func:`roi_pool` as a module.

    Example:
        >>> import ember
        >>> from embervision.ops import RoIPool
        >>> RoIPool(2, 1.0)(ember.rand(1, 3, 6, 6), [ember.tensor([[0.0, 0.0, 5.0, 5.0]])]).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return f"{type(self).__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"


class PSRoIPool(RoIPool):
    """:func:`ps_roi_pool` as a module.

    Example:
        >>> import ember
        >>> from embervision.ops import PSRoIPool
        >>> PSRoIPool(2, 1.0)(ember.rand(1, 8, 6, 6), ember.tensor([[0.0, 0.0, 0.0, 5.0, 5.0]])).shape
        ember.Size([1, 2, 2, 2])
    """

    def forward(self, input, rois):
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)
