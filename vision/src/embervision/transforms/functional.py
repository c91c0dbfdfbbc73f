"""The functional form of the transforms (``embervision.transforms.functional``).

Every function takes a PIL image or an Ember tensor image of shape (..., C, H, W) (uint8 in
[0, 255] or float in [0, 1]) and returns the same kind.
"""

from __future__ import annotations

import math
import numbers
from enum import Enum

import numpy as np
from PIL import Image

import ember

from . import _pil as P
from . import _tensor as T


class InterpolationMode(Enum):
    """Resampling filters; tensors support NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC.

    Example:
        >>> from embervision.transforms import InterpolationMode
        >>> InterpolationMode.BILINEAR.value
        'bilinear'
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _mode(interpolation):
    if isinstance(interpolation, InterpolationMode):
        return interpolation.value
    if isinstance(interpolation, str):
        return InterpolationMode(interpolation).value
    raise TypeError(f"Argument interpolation should be of type InterpolationMode instead of {type(interpolation).__name__}")


def _is_tensor(img):
    if isinstance(img, ember.Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image: expected at least 2 dimensions, got shape {tuple(img.shape)}")
        return True
    if isinstance(img, Image.Image):
        return False
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img).__name__}")


def _as_chw(img):
    return img.unsqueeze(0) if img.ndim == 2 else img


# --- conversions ----------------------------------------------------------------------------------
def to_tensor(pic):
    """A PIL image or HxW(xC) numpy array as a CxHxW float32 tensor (uint8 scaled to [0, 1]).

    Example:
        >>> import numpy as np
        >>> from embervision.transforms.functional import to_tensor
        >>> to_tensor(np.full((2, 2, 1), 255, dtype=np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if not isinstance(pic, (Image.Image, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic).__name__}")
    arr = np.array(pic, copy=True)
    if isinstance(pic, Image.Image) and pic.mode == "1":
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
    t = ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if arr.dtype == np.uint8:
        return t.to(ember.get_default_dtype()).div(255)
    return t


def pil_to_tensor(pic):
    """A PIL image as a CxHxW tensor of its own dtype (uint8 for 8-bit modes), unscaled.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms.functional import pil_to_tensor
        >>> pil_to_tensor(Image.new("RGB", (3, 2), (9, 8, 7)))[:, 0, 0].tolist()
        [9, 8, 7]
    """
    if not isinstance(pic, Image.Image):
        raise TypeError(f"pic should be PIL Image. Got {type(pic).__name__}")
    arr = np.array(pic, copy=True)
    if pic.mode == "1":
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


_MODES_BY_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic, mode=None):
    """A CxHxW tensor or HxWxC numpy array as a PIL image (floats are scaled by 255 and truncated).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import to_pil_image
        >>> img = to_pil_image(ember.ones(3, 2, 4))
        >>> img.mode, img.size, img.getpixel((0, 0))
        ('RGB', (4, 2), (255, 255, 255))
    """
    if isinstance(pic, ember.Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = _as_chw(pic).detach().cpu().numpy().transpose(1, 2, 0)
        if pic.is_floating_point() and mode != "F":
            arr = (arr * 255).astype(np.int64).astype(np.uint8)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic).__name__}.")
    channels = arr.shape[2]
    if channels > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {channels} channels.")
    if channels == 1:
        arr = arr[:, :, 0]
        inferred = {np.uint8: "L", np.int16: "I;16", np.uint16: "I;16", np.int32: "I", np.float32: "F"}.get(arr.dtype.type)
        if inferred is None:
            raise TypeError(f"Input type {arr.dtype} is not supported")
        if mode is not None and mode != inferred and not (mode in ("1", "P") and inferred == "L"):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. Should be {inferred}")
        mode = mode or inferred
        if arr.dtype == np.int16:
            arr = arr.astype(np.uint16)
    else:
        if arr.dtype != np.uint8:
            raise TypeError(f"Input type {arr.dtype} is not supported for {channels}-channel images")
        mode = mode or _MODES_BY_CHANNELS[channels]
    img = Image.fromarray(np.ascontiguousarray(arr))
    return img if img.mode == mode else img.convert(mode)


def convert_image_dtype(image, dtype=ember.float32):
    """Convert a tensor image to ``dtype``, rescaling values (uint8 255 <-> float 1.0).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import convert_image_dtype
        >>> convert_image_dtype(ember.tensor([[[0, 255]]], dtype=ember.uint8)).tolist()
        [[[0.0, 1.0]]]
    """
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"Input img should be Tensor Image, got {type(image).__name__}")
    if image.dtype is dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype is ember.float32 and dtype in (ember.int32, ember.int64)) or (
                image.dtype is ember.float64 and dtype is ember.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        return image.mul(ember.iinfo(dtype).max + 1.0 - eps).to(dtype)
    in_max = ember.iinfo(image.dtype).max
    if dtype.is_floating_point:
        return image.to(dtype) / in_max
    out_max = ember.iinfo(dtype).max
    if in_max > out_max:
        factor = (in_max + 1) // (out_max + 1)
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = (out_max + 1) // (in_max + 1)
    return image.to(dtype) * factor


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a (..., C, H, W) float tensor.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import normalize
        >>> normalize(ember.ones(1, 1, 1), [0.5], [0.5]).tolist()
        [[[1.0]]]
    """
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tuple(tensor.shape)}")
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    mean = mean.reshape(-1, 1, 1) if mean.ndim == 1 else mean
    std = std.reshape(-1, 1, 1) if std.ndim == 1 else std
    out = (tensor - mean) / std
    return tensor.copy_(out) if inplace else out


# --- sizes -------------------------------------------------------------------------------------------
def get_dimensions(img):
    """``[channels, height, width]`` of an image.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms.functional import get_dimensions
        >>> get_dimensions(Image.new("RGB", (5, 4)))
        [3, 4, 5]
    """
    if _is_tensor(img):
        c = 1 if img.ndim == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """``[width, height]`` of an image.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import get_image_size
        >>> get_image_size(ember.zeros(3, 4, 5))
        [5, 4]
    """
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    """The number of channels of an image.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import get_image_num_channels
        >>> get_image_num_channels(ember.zeros(3, 4, 5))
        3
    """
    return get_dimensions(img)[0]


# --- geometry ----------------------------------------------------------------------------------------
def _output_size(h, w, size, max_size):
    if isinstance(size, int):
        size = [size]
    size = list(size)
    if len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
        return size
    if len(size) != 1:
        raise ValueError(f"If size is a sequence, it should have 1 or 2 values, got {size}")
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                             f"smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or the smaller edge's length keeping the aspect ratio).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import resize
        >>> resize(ember.rand(3, 20, 40), 10).shape
        ember.Size([3, 10, 20])
    """
    mode = _mode(interpolation)
    _, h, w = get_dimensions(img)
    out = _output_size(h, w, size, max_size)
    if [h, w] == out:
        return img
    if _is_tensor(img):
        if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
            raise ValueError(f"Interpolation mode {mode} is not supported for tensors")
        return T.resize(_as_chw(img), out, mode, antialias).reshape(*img.shape[:-2], *out)
    return P.resize(img, out, mode)


def _pair(size, name="size"):
    if isinstance(size, numbers.Number):
        return [int(size), int(size)]
    size = list(size)
    if len(size) == 1:
        return [int(size[0])] * 2
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {name}.")
    return [int(s) for s in size]


def crop(img, top, left, height, width):
    """The ``height x width`` region at (``top``, ``left``); outside the image is zero.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import crop
        >>> crop(ember.arange(16).reshape(1, 4, 4), 1, 1, 2, 2).tolist()
        [[[5, 6], [9, 10]]]
    """
    if _is_tensor(img):
        return T.crop(img, top, left, height, width)
    return P.crop(img, top, left, height, width)


def center_crop(img, output_size):
    """The central ``output_size`` region (zero padding where the image is smaller).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import center_crop
        >>> center_crop(ember.arange(16).reshape(1, 4, 4), 2).tolist()
        [[[5, 6], [9, 10]]]
    """
    ch, cw = _pair(output_size, "output_size")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        img = pad(img, [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                        (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0], fill=0)
        _, h, w = get_dimensions(img)
        if ch == h and cw == w:
            return img
    return crop(img, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """:func:`crop` then :func:`resize` to ``size``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import resized_crop
        >>> resized_crop(ember.rand(3, 8, 8), 0, 0, 4, 4, [2, 2]).shape
        ember.Size([3, 2, 2])
    """
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _padding(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` is an int, (left/right, top/bottom) or (left, top, right, bottom).

    Modes: ``constant`` (with ``fill``), ``edge``, ``reflect``, ``symmetric``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import pad
        >>> pad(ember.tensor([[[1, 2]]]), [2, 0], padding_mode="reflect").tolist()
        [[[1, 2, 1, 2, 1, 2]]]
    """
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding(padding)
    if _is_tensor(img):
        if not isinstance(fill, numbers.Number):
            raise TypeError("pad: tensors take a single number as fill")
        return T.pad(img, left, top, right, bottom, fill, padding_mode)
    return P.pad(img, left, top, right, bottom, fill, padding_mode)


def hflip(img):
    """Flip left-right.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import hflip
        >>> hflip(ember.tensor([[[1, 2, 3]]])).tolist()
        [[[3, 2, 1]]]
    """
    return img.flip(-1) if _is_tensor(img) else P.hflip(img)


def vflip(img):
    """Flip top-bottom.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import vflip
        >>> vflip(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """
    return img.flip(-2) if _is_tensor(img) else P.vflip(img)


def five_crop(img, size):
    """The four corner crops and the central crop: ``(tl, tr, bl, br, center)``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import five_crop
        >>> [c.flatten().tolist() for c in five_crop(ember.arange(9).reshape(1, 3, 3), 1)]
        [[0], [2], [6], [8], [4]]
    """
    ch, cw = _pair(size)
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        raise ValueError(f"Requested crop size {(ch, cw)} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img, size, vertical_flip=False):
    """:func:`five_crop` of the image and of its flipped version (horizontal unless ``vertical_flip``).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import ten_crop
        >>> len(ten_crop(ember.rand(3, 4, 4), 2))
        10
    """
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _affine_matrix(center, angle, translate, scale, shear):
    """Forward 2x3 map (continuous pixel coordinates): translate . center . rotate-scale-shear . center^-1.

    ``angle`` turns clockwise on screen (y points down); ``shear`` = (x, y) degrees.
    """
    a, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    # R(a) S(scale) SHy(sy) SHx(sx), with the sheared axes kept at unit length
    linear = scale * np.array([
        [math.cos(a - sy) / math.cos(sy), -math.cos(a - sy) * math.tan(sx) / math.cos(sy) - math.sin(a)],
        [math.sin(a - sy) / math.cos(sy), -math.sin(a - sy) * math.tan(sx) / math.cos(sy) + math.cos(a)],
    ])
    cx, cy = center
    offset = np.array([cx + translate[0], cy + translate[1]]) - linear @ np.array([cx, cy])
    return np.concatenate([linear, offset[:, None]], axis=1)


def _inverse(matrix):
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2].ravel().tolist()


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate (degrees, clockwise), translate (pixels), scale and shear (degrees) about ``center``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import affine
        >>> affine(ember.tensor([[[1.0, 2.0], [3.0, 4.0]]]), 0.0, [1, 0], 1.0, [0.0, 0.0]).tolist()
        [[[0.0, 1.0], [0.0, 3.0]]]
    """
    mode = _mode(interpolation)
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear) + [0.0] * (2 - len(shear))
    if len(translate) != 2:
        raise ValueError(f"Argument translate should be a sequence of length 2. Got {translate}")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    _, h, w = get_dimensions(img)
    center = [w * 0.5, h * 0.5] if center is None else list(center)
    inverse = _inverse(_affine_matrix(center, angle, translate, scale, shear))
    if _is_tensor(img):
        return T.warp(_as_chw(img), inverse, (h, w), mode, fill).reshape(img.shape)
    return P.warp(img, inverse, mode, fill)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the image centre).

    ``expand`` enlarges the canvas to hold the whole rotated image.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import rotate
        >>> rotate(ember.tensor([[[1, 2], [3, 4]]]), 90).tolist()
        [[[2, 4], [1, 3]]]
    """
    mode = _mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not _is_tensor(img):
        return P.rotate(img, angle, mode, expand, center, fill)
    _, h, w = get_dimensions(img)
    center = [w * 0.5, h * 0.5] if center is None else list(center)
    forward = _affine_matrix(center, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    oh, ow = h, w
    if expand:
        ow, oh = T.affine_output_size(forward, w, h)
        forward = forward.copy()
        forward[:, 2] += np.array([ow - w, oh - h]) * 0.5
    out = T.warp(_as_chw(img), _inverse(forward), (oh, ow), mode, fill)
    return out.reshape(*img.shape[:-2], oh, ow)


def _perspective_coeffs(startpoints, endpoints):
    """``(a, b, c, d, e, f, g, h)`` taking each end point to its start point,
    ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``: solved in
    float64 and rounded to float32, as torchvision does."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    solution = np.linalg.lstsq(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64), rcond=None)[0]
    return solution.astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp so that the four corners ``startpoints`` move to ``endpoints`` ([top-left, top-right,
    bottom-right, bottom-left] as (x, y)).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import perspective
        >>> corners = [[0, 0], [1, 0], [1, 1], [0, 1]]
        >>> perspective(ember.tensor([[[1.0, 2.0], [3.0, 4.0]]]), corners, corners).tolist()
        [[[1.0, 2.0], [3.0, 4.0]]]
    """
    coeffs = _perspective_coeffs(startpoints, endpoints)
    mode = _mode(interpolation)
    if not _is_tensor(img):
        return P.perspective(img, coeffs, mode, fill)
    _, h, w = get_dimensions(img)
    return T.warp(_as_chw(img), coeffs, (h, w), mode, fill).reshape(img.shape)


def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move each pixel by ``displacement`` (1 x H x W x 2, (dx, dy) in grid units: 2 is the image's
    width or height), sampling from the image.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import elastic_transform
        >>> shift = ember.tensor([1.0, 0.0]).expand(1, 1, 2, 2)  # half the width to the right
        >>> elastic_transform(ember.tensor([[[1.0, 2.0]]]), shift, "nearest").tolist()
        [[[2.0, 0.0]]]
    """
    if not isinstance(displacement, ember.Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    t = img if _is_tensor(img) else pil_to_tensor(img)
    h, w = t.shape[-2:]
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be {(1, h, w, 2)}, but given {tuple(displacement.shape)}")
    d = displacement.cpu().numpy().astype(np.float64)[0]
    ys, xs = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
    out = T.sample(_as_chw(t), xs + d[..., 0] * (w / 2), ys + d[..., 1] * (h / 2), _mode(interpolation), fill)
    out = out.reshape(t.shape)
    return out if t is img else to_pil_image(out, mode=img.mode)


# --- colour --------------------------------------------------------------------------------------
def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` with 1 or 3 output channels.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import rgb_to_grayscale
        >>> rgb_to_grayscale(ember.tensor([[[1.0]], [[0.0]], [[0.0]]])).tolist()
        [[[0.2989000082015991]]]
    """
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_tensor(img):
        return T.rgb_to_grayscale(_as_chw(img), num_output_channels)
    return P.to_grayscale(img, num_output_channels)


to_grayscale = rgb_to_grayscale


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    """Scale the brightness: 0 gives black, 1 the original.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_brightness
        >>> adjust_brightness(ember.full((1, 1, 2), 0.4), 2.0).tolist()
        [[[0.800000011920929, 0.800000011920929]]]
    """
    _check_factor("brightness_factor", brightness_factor)
    return T.adjust_brightness(_as_chw(img), brightness_factor) if _is_tensor(img) else P.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level: 0 gives a uniform grey image, 1 the original.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_contrast
        >>> adjust_contrast(ember.tensor([[[0.0, 1.0]]]), 0.0).tolist()
        [[[0.5, 0.5]]]
    """
    _check_factor("contrast_factor", contrast_factor)
    return T.adjust_contrast(_as_chw(img), contrast_factor) if _is_tensor(img) else P.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 doubles the saturation.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_saturation
        >>> adjust_saturation(ember.tensor([[[1.0]], [[0.0]], [[0.0]]]), 0.0).flatten().tolist()[0]
        0.2989000082015991
    """
    _check_factor("saturation_factor", saturation_factor)
    return T.adjust_saturation(_as_chw(img), saturation_factor) if _is_tensor(img) else P.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV space.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_hue
        >>> [round(v, 4) for v in adjust_hue(ember.tensor([[[1.0]], [[0.0]], [[0.0]]]), 1 / 3).flatten().tolist()]
        [0.0, 1.0, 0.0]
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return T.adjust_hue(_as_chw(img), hue_factor) if _is_tensor(img) else P.adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma, gain=1):
    """Gamma correction: ``gain * x ** gamma`` on the [0, 1] scale, clamped (integer images rescaled and back).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_gamma
        >>> adjust_gamma(ember.tensor([[[0.25, 1.0]]]), 0.5).tolist()
        [[[0.5, 1.0]]]
    """
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if not _is_tensor(img):
        mode = img.mode
        table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
        return img.convert("RGB").point(table).convert(mode)
    x = img if img.is_floating_point() else convert_image_dtype(img, ember.float32)
    return convert_image_dtype((gain * x ** gamma).clamp(0, 1), img.dtype)


def adjust_sharpness(img, sharpness_factor):
    """Blend with a smoothed copy: 0 blurs, 1 is the original, 2 sharpens.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import adjust_sharpness
        >>> adjust_sharpness(ember.ones(1, 4, 4), 2.0).sum().item()
        16.0
    """
    _check_factor("sharpness_factor", sharpness_factor)
    return T.adjust_sharpness(_as_chw(img), sharpness_factor) if _is_tensor(img) else P.adjust_sharpness(img, sharpness_factor)


def invert(img):
    """Negate the colours (``max - x``).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import invert
        >>> invert(ember.tensor([[[0, 200]]], dtype=ember.uint8)).tolist()
        [[[255, 55]]]
    """
    return T.invert(img) if _is_tensor(img) else P.invert(img)


def posterize(img, bits):
    """Keep the ``bits`` most significant bits of each uint8 channel.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import posterize
        >>> posterize(ember.tensor([[[255, 77]]], dtype=ember.uint8), 2).tolist()
        [[[192, 64]]]
    """
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if _is_tensor(img):
        if img.dtype is not ember.uint8:
            raise TypeError(f"posterize: only uint8 tensors are supported, got {img.dtype}")
        return T.posterize(img, bits)
    return P.posterize(img, bits)


def solarize(img, threshold):
    """Invert the pixels at or above ``threshold``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import solarize
        >>> solarize(ember.tensor([[[0.2, 0.8]]]), 0.5).tolist()
        [[[0.20000000298023224, 0.19999998807907104]]]
    """
    return T.solarize(img, threshold) if _is_tensor(img) else P.solarize(img, threshold)


def autocontrast(img):
    """Stretch each channel to the full range (its minimum to 0, its maximum to the top).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import autocontrast
        >>> autocontrast(ember.tensor([[[0.25, 0.5]]])).tolist()
        [[[0.0, 1.0]]]
    """
    return T.autocontrast(img) if _is_tensor(img) else P.autocontrast(img)


def equalize(img):
    """Equalise the histogram of each channel (uint8 images).

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import equalize
        >>> equalize(ember.arange(0, 256, 64, dtype=ember.uint8).reshape(1, 2, 2).repeat(1, 100, 1)).unique().tolist()
        [0, 100, 200, 255]
    """
    return T.equalize(img) if _is_tensor(img) else P.equalize(img)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel (odd ``kernel_size``; ``sigma`` defaults from the size), reflect padding.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import gaussian_blur
        >>> gaussian_blur(ember.ones(1, 5, 5), 3, 1.0).mean().item()
        1.0
    """
    kx, ky = _pair(kernel_size, "kernel_size")
    if kx <= 0 or ky <= 0 or kx % 2 == 0 or ky % 2 == 0:
        raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in (kx, ky)]
    elif isinstance(sigma, numbers.Number):
        sigma = [float(sigma)] * 2
    else:
        sigma = [float(s) for s in sigma] * (2 if len(sigma) == 1 else 1)
    if min(sigma) <= 0:
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return T.gaussian_blur(_as_chw(img), (kx, ky), sigma).reshape(img.shape)
    out = T.gaussian_blur(pil_to_tensor(img), (kx, ky), sigma)
    return to_pil_image(out, mode=img.mode)


def erase(img, i, j, h, w, v, inplace=False):
    """Set the ``h x w`` region at (``i``, ``j``) of a tensor image to ``v``.

    Example:
        >>> import ember
        >>> from embervision.transforms.functional import erase
        >>> erase(ember.ones(1, 2, 2), 0, 0, 1, 1, 0.0).tolist()
        [[[0.0, 1.0], [1.0, 1.0]]]
    """
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img).__name__}")
    return T.erase(img, i, j, h, w, v, inplace)
