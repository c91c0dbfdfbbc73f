"""nn.functional: interpolation (resizing), pixel shuffle and unshuffle.

Every interpolation mode is separable: each spatial axis is resampled in turn with a few
weighted taps per output (1 for nearest, 2 for linear, 4 for cubic, a window for area and for the
antialiased filters, whose width grows with the downscale factor).
"""

from __future__ import annotations

import math

import numpy as _np  # host-side tap tables

from ... import _dtype
from ...ops.pool import adaptive_avg_pool, adaptive_taps, resample_axis

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle"]

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}
_NAMED_DIMS = ("linear", "bilinear", "trilinear")  # modes whose wrong-rank error names the rank they need
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area")


def _keys(x, A):
    """Keys' cubic convolution kernel with parameter ``A`` at offsets ``x`` (zero beyond 2)."""
    x = _np.abs(x)
    near = ((A + 2) * x - (A + 3)) * x * x + 1
    far = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return _np.where(x <= 1, near, _np.where(x < 2, far, 0.0))


def _cubic(t, A=-0.75):
    """Keys' cubic convolution weights for the 4 taps around a fractional offset ``t``."""
    return _keys(t[:, None] - _np.arange(-1, 3), A)


# antialiased filters: mode -> (half-width at scale 1, kernel); the width grows with the downscale factor
_AA_FILTERS = {
    "bilinear": (1.0, lambda x: _np.maximum(1.0 - _np.abs(x), 0.0)),
    "bicubic": (2.0, lambda x: _keys(x, -0.5)),
    "lanczos": (3.0, lambda x: _np.where(_np.abs(x) < 3, _np.sinc(x) * _np.sinc(x / 3), 0.0)),
}


def _ratio(n_in, n_out, scale, align_corners):
    """Input pixels per output pixel (torch's area_pixel_compute_scale)."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def antialias_taps(mode, n_in, n_out, ratio):
    """``(index, weight)`` tables ``(n_out, taps)`` of an antialiased resampling of one axis.

    Output pixel ``i`` averages the inputs under the filter centred at ``ratio * (i + 0.5)``, stretched by
    the downscale factor ``max(ratio, 1)``; the weights of each output are normalised to sum to one.

    Example:
        >>> idx, w = antialias_taps("bilinear", 4, 2, 2.0)
        >>> idx.tolist(), (w * 7).round(6).tolist()
        ([[0, 1, 2], [1, 2, 3]], [[3.0, 3.0, 1.0], [1.0, 3.0, 3.0]])
    """
    half, kernel = _AA_FILTERS[mode]
    stretch = max(ratio, 1.0)
    center = ratio * (_np.arange(n_out) + 0.5)
    start = _np.maximum(_np.floor(center - half * stretch + 0.5), 0.0)
    stop = _np.minimum(_np.floor(center + half * stretch + 0.5), n_in)
    index = start[:, None] + _np.arange(max(int((stop - start).max()), 1))
    weight = _np.where(index < stop[:, None], kernel((index - center[:, None] + 0.5) * (1.0 / stretch)), 0.0)
    total = weight.sum(axis=1, keepdims=True)
    return _np.minimum(index, n_in - 1).astype(_np.int64), weight / _np.where(total != 0, total, 1.0)


def axis_taps(mode, n_in, n_out, scale, align_corners, antialias=False):
    """``(index, weight)`` tables ``(n_out, taps)`` resampling one axis of length ``n_in`` to ``n_out``.

    ``scale`` is the user's scale factor or None (then ``n_in / n_out``); weight None means a plain gather.

    Example:
        >>> idx, w = axis_taps("linear", 2, 4, None, False)
        >>> idx.tolist(), w.tolist()
        ([[0, 1], [0, 1], [0, 1], [1, 1]], [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.75, 0.25]])
    """
    if mode == "area":
        return adaptive_taps(n_in, n_out)
    dst = _np.arange(n_out, dtype=_np.float64)
    if mode in ("nearest", "nearest-exact"):  # torch's roundings: a float32 ratio; i * ratio in float32,
        f32 = _np.float32                      # (i + 0.5) * ratio in double, rounded to float32
        ratio = f32(1.0 / scale) if scale is not None and scale > 0 else f32(n_in) / f32(n_out)
        pos = dst.astype(f32) * ratio if mode == "nearest" else ((dst + 0.5) * _np.float64(ratio)).astype(f32)
        return _np.minimum(_np.floor(pos), n_in - 1).astype(_np.int64)[:, None], None
    ratio = _ratio(n_in, n_out, scale, align_corners)
    if antialias:
        return antialias_taps(mode, n_in, n_out, ratio)
    src = dst * ratio if align_corners else (dst + 0.5) * ratio - 0.5
    if mode == "bicubic":
        i0 = _np.floor(src)
        index = _np.clip(i0[:, None] + _np.arange(-1, 3), 0, n_in - 1).astype(_np.int64)
        return index, _cubic(src - i0)
    src = _np.maximum(src, 0.0)
    i0 = _np.minimum(_np.floor(src), n_in - 1)
    i1 = _np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    return _np.stack([i0, i1], axis=1).astype(_np.int64), _np.stack([1.0 - lam, lam], axis=1)


def _extent(sizes):
    """``'H: 5, W: 7'``: spatial sizes named as in torch's messages."""
    return ", ".join(f"{d}: {v}" for d, v in zip("DHW"[-len(sizes):], sizes))


def _unsupported(input, mode):
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                               f"modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                               f"nearest-exact (got {mode})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims (all but the first two) by ``size`` or ``scale_factor``.

    Modes: nearest, nearest-exact, linear (3-D), bilinear / bicubic (4-D), trilinear (5-D), area, and
    lanczos (4-D, needs ``antialias=True``). ``antialias=True`` (bilinear, bicubic, lanczos; 4-D) widens the
    filter by the downscale factor, as torch (and Pillow, with ``align_corners=False``) do.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.interpolate(ember.tensor([[[1.0, 3.0]]]), scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.5000, 2.5000, 3.0000]]])
        >>> F.interpolate(ember.tensor([[[[0.0, 1.0, 2.0, 3.0]]]]), size=(1, 2), mode="bilinear", antialias=True)
        tensor([[[[0.7143, 2.2857]]]])
    """
    nd = input.ndim - 2
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    sp = tuple(input.shape[2:])
    scales = [None] * nd
    if size is not None:
        out = (int(size),) * nd if isinstance(size, int) else tuple(int(s) for s in size)
        if not isinstance(size, int) and len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(sp)} and output size of {list(out)}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
    else:
        sf = (float(scale_factor),) * nd if isinstance(scale_factor, (int, float)) else tuple(map(float, scale_factor))
        if not isinstance(scale_factor, (int, float)) and len(sf) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(sp)} and scale_factor of shape {list(sf)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, "
                             f"...,sK) format.")
        out = tuple(int(math.floor(n * s)) for n, s in zip(sp, sf))
        if not recompute_scale_factor:
            scales = list(sf)
    if antialias and not (mode in _AA_FILTERS and nd == 2):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    needed = _DIMS.get(mode, nd)
    if mode in _NAMED_DIMS and nd in (1, 2, 3) and nd != needed:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {needed + 2}D input")
    if mode not in _MODES or nd not in (1, 2, 3) or nd != needed:
        raise _unsupported(input, mode)
    if mode == "lanczos" and (align_corners or not antialias):
        raise ValueError("Lanczos mode does not support align_corners=True" if align_corners
                         else "Lanczos mode requires antialias=True")
    if mode == "area":
        return adaptive_avg_pool(nd, input, out)
    if min(sp + out) <= 0:
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({_extent(sp)})"
                           f"{' and' if nd == 1 else ''} output ({_extent(out)})")
    # integer images: torch resamples uint8 (only) in the smooth modes, rounding half up and clamping
    integral = mode not in ("nearest", "nearest-exact") and input.dtype.category < 2
    if integral and (input.dtype is not _dtype.uint8 or nd != 2):
        raise NotImplementedError(f"\"upsample_{mode}{nd}d\" not implemented for '{_dtype.scalar_name(input.dtype)}'")
    x = input.float() if integral else input
    for j, (n, o, s) in enumerate(zip(sp, out, scales)):
        if n == o and s in (None, 1.0) and (mode != "bicubic" or antialias):
            continue
        x = resample_axis(x, 2 + j, *axis_taps(mode, n, o, s, bool(align_corners), antialias))
    return (x + 0.5).floor_().clamp_(0, 255).to(_dtype.uint8) if integral else x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.upsample(ember.ones(1, 1, 1), size=2).shape
        ember.Size([1, 1, 2])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Nearest-neighbour upsampling (deprecated alias of ``interpolate(mode='nearest')``).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.upsample_nearest(ember.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with ``align_corners=True`` (deprecated alias of :func:`interpolate`).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.upsample_bilinear(ember.tensor([[[[0.0, 3.0]]]]), size=(1, 4)).tolist()
        [[[[0.0, 1.0, 2.0, 3.0]]]]
    """
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.pixel_shuffle(ember.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = tuple(input.shape[:-3])
    n = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``: the inverse of :func:`pixel_shuffle`.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.pixel_unshuffle(ember.arange(4.0).reshape(1, 1, 2, 2), 2).flatten().tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    c, h, w = input.shape[-3:]
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input."
                           f"size(-2)={h} and input.size(-1)={w} are not both divisible by {r}")
    lead = tuple(input.shape[:-3])
    n = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """Interleave the channels of ``(N, C, *)`` input across ``groups`` groups (ShuffleNet's shuffle).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.channel_shuffle(ember.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
        [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle
