"""Transform kernels for Ember tensors of shape (..., C, H, W), on any device.

Geometry (resampling taps, warps) is planned on the host with numpy and applied with Ember ops, so
the pixels stay on the tensor's device. Integer images are processed in float32 and rounded back.
"""

from __future__ import annotations

import math

import numpy as np

import ember
import ember.nn.functional as F

_GRAY = (0.2989, 0.587, 0.114)


def is_float(img):
    return img.is_floating_point()


def max_value(dtype):
    return 1.0 if dtype.is_floating_point else ember.iinfo(dtype).max


def to_float(img):
    """``(float image, original dtype)``: integer images are cast to float32 (same value range)."""
    return (img, img.dtype) if img.is_floating_point() else (img.to(ember.float32), img.dtype)


def from_float(img, dtype):
    """Back to ``dtype``: integer targets are rounded and clamped to their range."""
    if dtype.is_floating_point:
        return img if img.dtype is dtype else img.to(dtype)
    info = ember.iinfo(dtype)
    return img.round().clamp(info.min, info.max).to(dtype)


def batched(img):
    """``(4-D view, restore)``: images of any leading shape as N x C x H x W, and the inverse."""
    lead = tuple(img.shape[:-3])
    x = img.reshape((-1,) + tuple(img.shape[-3:])) if img.ndim != 4 else img
    return x, (lambda y: y.reshape(lead + tuple(y.shape[-3:])) if img.ndim != 4 else y)


# --- resampling -------------------------------------------------------------------------------------
def resize(img, size, interpolation, antialias):
    x, dtype = to_float(img)
    x, restore = batched(x)
    smooth = interpolation in ("bilinear", "bicubic")
    x = F.interpolate(x, size=list(size), mode=interpolation, align_corners=False if smooth else None,
                      antialias=bool(antialias) and smooth)
    if interpolation == "bicubic" and not dtype.is_floating_point:
        x = x.clamp(0, max_value(dtype))
    return from_float(restore(x), dtype)


# --- cropping and padding ---------------------------------------------------------------------------
def pad(img, left, top, right, bottom, fill, mode):
    if mode == "constant":
        return F.pad(img, (left, right, top, bottom), mode="constant", value=fill)
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    out = img
    for axis, (a, b) in ((-2, (top, bottom)), (-1, (left, right))):
        n = out.shape[axis]
        index = np.pad(np.arange(n), (max(a, 0), max(b, 0)), mode=np_mode)
        index = index[max(-a, 0): len(index) - max(-b, 0)]
        out = out.index_select(axis, ember.tensor(index, device=img.device))
    return out


def crop(img, top, left, height, width):
    h, w = img.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = (max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0))
        img = pad(img, *pads, 0, "constant")
        top, left = top + pads[1], left + pads[0]
    return img[..., top:top + height, left:left + width]


# --- colour --------------------------------------------------------------------------------------------
def rgb_to_grayscale(img, num_output_channels):
    c = img.shape[-3]
    if c == 1:
        gray = img
    elif c == 3:
        x, dtype = to_float(img)
        r, g, b = x.unbind(-3)
        gray = (_GRAY[0] * r + _GRAY[1] * g + _GRAY[2] * b).unsqueeze(-3)
        gray = gray.to(dtype) if not dtype.is_floating_point else gray
    else:
        raise TypeError(f"rgb_to_grayscale: input image must have 1 or 3 channels, got {c}")
    return gray.expand(*gray.shape[:-3], num_output_channels, *gray.shape[-2:]) if num_output_channels == 3 else gray


def blend(img1, img2, ratio):
    bound = max_value(img1.dtype)
    out = (ratio * img1.to(ember.float32) + (1.0 - ratio) * img2).clamp(0, bound)
    return out if img1.is_floating_point() else out.to(img1.dtype)


def adjust_brightness(img, factor):
    return blend(img, ember.zeros_like(img, dtype=ember.float32), factor)


def adjust_contrast(img, factor):
    gray = rgb_to_grayscale(img, 1) if img.shape[-3] == 3 else img
    mean = gray.to(ember.float32).mean(dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, factor)


def adjust_saturation(img, factor):
    if img.shape[-3] == 1:
        return img
    return blend(img, rgb_to_grayscale(img, 1).to(ember.float32), factor)


def _rgb_to_hsv(img):
    r, g, b = img.unbind(-3)
    maxc, minc = img.amax(dim=-3), img.amin(dim=-3)
    cr = maxc - minc
    gray = cr == 0
    s = cr / ember.where(maxc == 0, ember.ones_like(maxc), maxc)
    crd = ember.where(gray, ember.ones_like(cr), cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = ember.where(maxc == r, bc - gc, ember.zeros_like(cr))
    hg = ember.where((maxc == g) & (maxc != r), 2.0 + rc - bc, ember.zeros_like(cr))
    hb = ember.where((maxc != g) & (maxc != r), 4.0 + gc - rc, ember.zeros_like(cr))
    h = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    return ember.stack([ember.where(gray, ember.zeros_like(h), h), s, maxc], dim=-3)


def _hsv_to_rgb(img):
    h, s, v = img.unbind(-3)
    i = (h * 6.0).floor()
    f = h * 6.0 - i
    i = i.to(ember.int64) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [ember.zeros_like(v) for _ in range(3)]
    for k, channels in enumerate(table):
        hit = i == k
        out = [ember.where(hit, c, o) for c, o in zip(channels, out)]
    return ember.stack(out, dim=-3)


def adjust_hue(img, factor):
    if img.shape[-3] == 1:
        return img
    x, dtype = to_float(img)
    if not dtype.is_floating_point:
        x = x / max_value(dtype)
    hsv = _rgb_to_hsv(x)
    h, s, v = hsv.unbind(-3)
    out = _hsv_to_rgb(ember.stack([(h + factor) % 1.0, s, v], dim=-3))
    if not dtype.is_floating_point:  # back as convert_image_dtype does: scale by max + 1 - eps, truncate
        return (out * (max_value(dtype) + 1.0 - 1e-3)).to(dtype)
    return out


# --- warps -------------------------------------------------------------------------------------------
def warp(img, inverse, out_hw, interpolation, fill):
    """Sample ``img`` at ``inverse @ (x + 0.5, y + 0.5, 1)`` for each output pixel (zeros outside).

    ``inverse`` is ``(a, b, c, d, e, f)`` (affine) or ``(a, b, c, d, e, f, g, h)`` (projective: both
    coordinates divided by ``g x + h y + 1``). With ``fill`` given, pixels mapped from outside the
    image get ``fill`` (blended by coverage for bilinear sampling).
    """
    oh, ow = out_hw
    ys, xs = np.meshgrid(np.arange(oh) + 0.5, np.arange(ow) + 0.5, indexing="ij")
    a, b, c, d, e, f, *gh = inverse
    den = gh[0] * xs + gh[1] * ys + 1.0 if gh else 1.0
    return sample(img, (a * xs + b * ys + c) / den, (d * xs + e * ys + f) / den, interpolation, fill)


def sample(img, sx, sy, interpolation, fill):
    """Sample ``img`` at the continuous coordinates ``(sx, sy)`` (host arrays of the output's H x W;
    pixel ``(i, j)`` covers ``[j, j + 1) x [i, i + 1)``), zeros or ``fill`` outside (see :func:`warp`)."""
    x, dtype = to_float(img)
    h, w = x.shape[-2:]
    oh, ow = sx.shape
    if interpolation == "nearest":
        corners = [(np.floor(sx), np.floor(sy), np.ones_like(sx))]
    elif interpolation == "bilinear":
        u, v = sx - 0.5, sy - 0.5
        x0, y0 = np.floor(u), np.floor(v)
        fx, fy = u - x0, v - y0
        corners = [(x0 + dx, y0 + dy, (fx if dx else 1 - fx) * (fy if dy else 1 - fy)) for dy in (0, 1) for dx in (0, 1)]
    else:
        raise ValueError(f"warp: interpolation must be nearest or bilinear for tensors, got {interpolation}")
    flat = x.reshape(tuple(x.shape[:-2]) + (h * w,))
    out, coverage = None, np.zeros((oh, ow))
    for cx, cy, weight in corners:
        valid = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        weight = np.where(valid, weight, 0.0)
        coverage += weight
        index = (np.clip(cy, 0, h - 1) * w + np.clip(cx, 0, w - 1)).astype(np.int64).ravel()
        part = flat.index_select(-1, ember.tensor(index, device=img.device)).reshape(tuple(x.shape[:-2]) + (oh, ow))
        part = part * ember.tensor(weight.astype(np.float32), device=img.device).to(x.dtype)
        out = part if out is None else out + part
    if fill is not None:
        fill_t = ember.tensor(np.asarray(fill, dtype=np.float32).reshape(-1, 1, 1), device=img.device).to(x.dtype)
        if interpolation == "nearest":
            cov = ember.tensor(coverage < 0.5, device=img.device)
            out = ember.where(cov, fill_t.expand_as(out), out)
        else:
            cov = ember.tensor(coverage.astype(np.float32), device=img.device).to(x.dtype)
            out = out * cov + (1.0 - cov) * fill_t
    return from_float(out, dtype)


# --- filters and erasing -------------------------------------------------------------------------------
def gaussian_kernel1d(size, sigma):
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    x, dtype = to_float(img)
    x, restore = batched(x)
    kx, ky = kernel_size
    k2d = np.outer(gaussian_kernel1d(ky, sigma[1]), gaussian_kernel1d(kx, sigma[0])).astype(np.float32)
    c = x.shape[1]
    weight = ember.tensor(np.broadcast_to(k2d, (c, 1, ky, kx)).copy(), device=img.device).to(x.dtype)
    x = F.pad(x, (kx // 2, kx // 2, ky // 2, ky // 2), mode="reflect")
    return from_float(restore(F.conv2d(x, weight, groups=c)), dtype)


def erase(img, i, j, h, w, v, inplace):
    out = img if inplace else img.clone()
    out[..., i:i + h, j:j + w] = v
    return out


def invert(img):
    return (1.0 - img) if img.is_floating_point() else (max_value(img.dtype) - img).to(img.dtype)


def posterize(img, bits):
    mask = -int(2 ** (8 - bits))
    return (img.to(ember.int32) & mask).to(img.dtype)


def solarize(img, threshold):
    return ember.where(img >= threshold, invert(img), img)


def autocontrast(img):
    x, dtype = to_float(img)
    bound = max_value(dtype)
    lo = x.amin(dim=(-2, -1), keepdim=True)
    hi = x.amax(dim=(-2, -1), keepdim=True)
    flat = hi == lo
    scale = ember.where(flat, ember.ones_like(hi), bound / ember.where(flat, ember.ones_like(hi), hi - lo))
    lo = ember.where(flat, ember.zeros_like(lo), lo)
    out = ((x - lo) * scale).clamp(0, bound)
    return out if dtype.is_floating_point else out.to(dtype)


def adjust_sharpness(img, factor):
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    x, dtype = to_float(img)
    x, restore = batched(x)
    c = x.shape[1]
    k = np.ones((3, 3), np.float32)
    k[1, 1] = 5.0
    weight = ember.tensor(np.broadcast_to(k / k.sum(), (c, 1, 3, 3)).copy(), device=img.device).to(x.dtype)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = from_float(restore(F.conv2d(x, weight, groups=c)), dtype)
    return blend(img, degenerate.to(ember.float32), factor)


def equalize(img):
    if img.dtype is not ember.uint8:
        raise TypeError(f"equalize: only uint8 tensors are supported, got {img.dtype}")
    arr = img.detach().cpu().numpy()
    flat = arr.reshape(-1, arr.shape[-2] * arr.shape[-1])
    out = np.empty_like(flat)
    for k, channel in enumerate(flat):
        hist = np.bincount(channel, minlength=256)
        nonzero = hist[hist > 0]
        step = (nonzero[:-1].sum()) // 255 if nonzero.size else 0
        if step == 0:
            out[k] = channel
            continue
        lut = np.clip((np.cumsum(hist) + step // 2) // step, 0, 255)
        lut = np.concatenate([[0], lut[:-1]]).astype(np.uint8)
        out[k] = lut[channel]
    return ember.tensor(out.reshape(arr.shape), device=img.device)


def affine_output_size(matrix, w, h):
    """Canvas ``(width, height)`` holding the whole image after the forward ``matrix`` (rotate's expand)."""
    pts = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], dtype=np.float64).T
    xy = (np.asarray(matrix).reshape(2, 3) @ pts).round(8)
    return int(math.ceil(xy[0].max()) - math.floor(xy[0].min())), int(math.ceil(xy[1].max()) - math.floor(xy[1].min()))
