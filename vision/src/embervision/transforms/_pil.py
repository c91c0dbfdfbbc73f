"""Transform kernels for PIL images (Pillow does the pixel work)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST, "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC, "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING, "lanczos": Image.Resampling.LANCZOS,
}


def parse_fill(fill, img):
    """``fill`` as Pillow wants it for ``img``'s mode: a number for one band, else a tuple per band."""
    if fill is None:
        return None
    bands = len(img.getbands())
    cast = float if img.mode == "F" else int
    values = [fill] * bands if isinstance(fill, (int, float)) else list(fill)
    if len(values) == 1:
        values = values * bands
    if len(values) != bands:
        raise ValueError(f"The number of elements in 'fill' does not match the number of bands of the image "
                         f"({len(values)} != {bands})")
    return cast(values[0]) if bands == 1 else tuple(cast(v) for v in values)


def resize(img, size, interpolation):
    return img.resize((size[1], size[0]), RESAMPLE[interpolation])


def crop(img, top, left, height, width):
    return img.crop((left, top, left + width, top + height))


def pad(img, left, top, right, bottom, fill, mode):
    if mode == "constant" and min(left, top, right, bottom) >= 0:
        return ImageOps.expand(img, border=(left, top, right, bottom), fill=parse_fill(fill, img))
    arr = np.asarray(img)
    if min(left, top, right, bottom) < 0:
        arr = arr[max(-top, 0): arr.shape[0] - max(-bottom, 0), max(-left, 0): arr.shape[1] - max(-right, 0)]
        left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    if mode == "constant":
        arr = np.pad(arr, widths, mode="constant", constant_values=0 if fill is None else fill)
    else:
        arr = np.pad(arr, widths, mode=mode)
    out = Image.fromarray(arr)
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def hflip(img):
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def rotate(img, angle, interpolation, expand, center, fill):
    return img.rotate(angle, RESAMPLE[interpolation], expand, center, fillcolor=parse_fill(fill, img))


def warp(img, inverse, interpolation, fill):
    return img.transform(img.size, Image.Transform.AFFINE, tuple(inverse), RESAMPLE[interpolation],
                         fillcolor=parse_fill(fill, img))


def perspective(img, coeffs, interpolation, fill):
    return img.transform(img.size, Image.Transform.PERSPECTIVE, tuple(coeffs), RESAMPLE[interpolation],
                         fillcolor=parse_fill(fill, img))


def to_grayscale(img, num_output_channels):
    gray = img.convert("L")
    return Image.merge("RGB", [gray, gray, gray]) if num_output_channels == 3 else gray


def _enhance(kind):
    def fn(img, factor):
        return getattr(ImageEnhance, kind)(img).enhance(factor)

    fn.__name__ = kind.lower()
    return fn


adjust_brightness = _enhance("Brightness")
adjust_contrast = _enhance("Contrast")
adjust_saturation = _enhance("Color")
adjust_sharpness = _enhance("Sharpness")


def adjust_hue(img, factor):
    if img.mode in ("L", "1", "I", "F"):
        return img
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    shifted = (np.asarray(h, dtype=np.int64) + int(np.uint8(np.int64(factor * 255) % 256))) % 256
    h = Image.fromarray(shifted.astype(np.uint8))
    return Image.merge("HSV", (h, s, v)).convert(mode)


def invert(img):
    return ImageOps.invert(img)


def posterize(img, bits):
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    return ImageOps.autocontrast(img)


def equalize(img):
    return ImageOps.equalize(img)
