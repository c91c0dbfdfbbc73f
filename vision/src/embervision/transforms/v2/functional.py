"""The functional form of the v2 transforms (``embervision.transforms.v2.functional``).

Each function dispatches on its input's type: pure tensors, :class:`~embervision.tv_tensors.Image`,
:class:`~embervision.tv_tensors.Video` and PIL images go to the v1 image kernels; masks are resampled
with nearest interpolation; :class:`~embervision.tv_tensors.BoundingBoxes` and
:class:`~embervision.tv_tensors.KeyPoints` have their coordinates transformed (the enclosing box of
the transformed corners for affine maps), and are clamped to the new canvas as their
``clamping_mode`` says. TVTensors come back as the same type, with updated metadata.

Example:
    >>> import ember
    >>> from embervision import tv_tensors
    >>> from embervision.transforms.v2 import functional as F
    >>> boxes = tv_tensors.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(10, 10))
    >>> F.horizontal_flip(boxes).tolist()
    [[7, 2, 9, 4]]
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from PIL import Image as PILImage

import ember
from ember import Tensor

from ... import tv_tensors
from ...tv_tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, Mask, TVTensor, Video
from .. import functional as _v1
from ..functional import InterpolationMode

_Image = tv_tensors.Image


# --- dispatch ---------------------------------------------------------------------------------------
def _kernel_for(functional, input_type, allow_passthrough=False):
    registry = functional._kernels
    for cls in input_type.__mro__:
        if cls in registry:
            return registry[cls]
        if cls is TVTensor:
            break
    if allow_passthrough:
        return lambda inpt, *args, **kwargs: inpt
    raise TypeError(f"{functional.__name__}() supports inputs of type {', '.join(t.__name__ for t in registry)}, "
                    f"but got {input_type} instead.")


def register_kernel(functional, tv_tensor_cls):
    """Decorator registering ``kernel(inpt, *args, **kwargs)`` for ``functional`` on ``tv_tensor_cls``.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> class Depth(tv_tensors.TVTensor):
        ...     pass
        >>> @F.register_kernel(F.horizontal_flip, Depth)
        ... def _flip_depth(depth):
        ...     return depth.flip(-1)
        >>> F.horizontal_flip(Depth._wrap(ember.tensor([[1, 2]]))).tolist()
        [[2, 1]]
    """
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, TVTensor)):
        raise ValueError(f"Kernels can only be registered for subclasses of TVTensor, got {tv_tensor_cls}")

    def decorate(kernel):
        functional._kernels[tv_tensor_cls] = kernel
        return kernel

    return decorate


def _plain(t):
    """The plain tensor inside a TVTensor (other inputs as they are)."""
    return TVTensor.as_subclass(t, Tensor) if isinstance(t, TVTensor) else t


def _on_plain(fn):
    """``fn`` run on the plain tensor inside a TVTensor, its result wrapped like the input."""
    def kernel(inpt, *args, **kwargs):
        out = fn(_plain(inpt), *args, **kwargs)
        return tv_tensors.wrap(out, like=inpt) if isinstance(out, Tensor) else out
    return kernel


def _functional(image=None, *, mask=None, boxes=None, keypoints=None, video="image", pil="image"):
    """A dispatcher; ``image`` (plain tensors) also serves Image/Video/PIL unless told otherwise;
    mask/boxes/keypoints kernels get the TVTensor itself and wrap their result."""
    def make(fn):
        @functools.wraps(fn)
        def dispatch(inpt, *args, **kwargs):
            return _kernel_for(dispatch, type(inpt))(inpt, *args, **kwargs)

        kernels = {}
        if image is not None:
            kernels[Tensor] = image
            kernels[_Image] = _on_plain(image)
        for cls, k in ((Video, video), (PILImage.Image, pil)):
            if k is not None:
                kernels[cls] = image if cls is PILImage.Image and k == "image" else _on_plain(image if k == "image" else k)
        for cls, k in ((Mask, mask), (BoundingBoxes, boxes), (KeyPoints, keypoints)):
            if k is not None:
                kernels[cls] = k
        dispatch._kernels = kernels
        return dispatch
    return make


def _with_channels(fn):
    """``fn`` on a mask given a channel axis when it has none (torchvision's mask kernels)."""
    def kernel(mask, *args, **kwargs):
        plain = _plain(mask)
        out = fn(plain.unsqueeze(0), *args, **kwargs).squeeze(0) if plain.ndim < 3 else fn(plain, *args, **kwargs)
        return tv_tensors.wrap(out, like=mask)
    return kernel


# --- bounding-box formats -------------------------------------------------------------------------
def _half(t):
    """``t / 2`` (floored for integer boxes)."""
    return t / 2 if t.is_floating_point() else ember.div(t, 2, rounding_mode="floor")


def _centre_corners(b):
    """Corners of centre-size boxes, computed in float and cast back (truncated for integer boxes)."""
    f = b if b.is_floating_point() else b.float()
    lo = f[..., :2] - f[..., 2:] / 2
    return lo.to(b.dtype), (lo + f[..., 2:]).to(b.dtype)


def _to_xyxy(b, fmt):
    a, c = b[..., :2], b[..., 2:]
    if fmt is BoundingBoxFormat.XYWH:
        return ember.cat([a, a + c], -1)
    if fmt is BoundingBoxFormat.CXCYWH:
        return ember.cat(_centre_corners(b), -1)
    return b


def _from_xyxy(b, fmt):
    a, c = b[..., :2], b[..., 2:]
    if fmt is BoundingBoxFormat.XYWH:
        return ember.cat([a, c - a], -1)
    if fmt is BoundingBoxFormat.CXCYWH:
        wh = c - a
        return ember.cat([_half(a * 2 + wh), wh], -1)
    return b


def _convert_format(b, old, new):
    if old is new:
        return b
    if {old, new} == {BoundingBoxFormat.XYWH, BoundingBoxFormat.CXCYWH}:
        if old is BoundingBoxFormat.XYWH:
            return ember.cat([b[..., :2] + _half(b[..., 2:]), b[..., 2:]], -1)
        lo, hi = _centre_corners(b)
        return ember.cat([lo, hi - lo], -1)
    return _from_xyxy(_to_xyxy(b, old), new)


def _fmt(format):
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Boxes in ``new_format`` (XYXY, XYWH, CXCYWH); a BoundingBoxes knows its own ``old_format``.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.convert_bounding_box_format(ember.tensor([[1.0, 1.0, 3.0, 5.0]]), "XYXY", "CXCYWH").tolist()
        [[2.0, 3.0, 2.0, 4.0]]
    """
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    new_format = _fmt(new_format)
    if isinstance(inpt, BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = _convert_format(_plain(inpt), inpt.format, new_format)
        return tv_tensors.wrap(out, like=inpt, format=new_format)
    if old_format is None:
        raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
    out = _convert_format(inpt, _fmt(old_format), new_format)
    return inpt.copy_(out) if inplace else out


def _clamp(b, format, canvas_size, clamping_mode="soft"):
    """Plain boxes clamped to ``canvas_size`` (computed in float, returned in their dtype)."""
    if clamping_mode is None:
        return b.clone()
    xyxy = _to_xyxy(b if b.is_floating_point() else b.float(), format)
    h, w = canvas_size
    xyxy = ember.stack([xyxy[..., 0].clamp(0, w), xyxy[..., 1].clamp(0, h), xyxy[..., 2].clamp(0, w),
                        xyxy[..., 3].clamp(0, h)], -1)
    return _from_xyxy(xyxy, format).to(b.dtype)


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="soft"):
    """Clamp boxes to their canvas (``canvas_size`` = (height, width)).

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> F.clamp_bounding_boxes(tv_tensors.BoundingBoxes([[-2, 1, 12, 5]], format="XYXY", canvas_size=(8, 10))).tolist()
        [[0, 1, 10, 5]]
    """
    if isinstance(inpt, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed.")
        mode = inpt.clamping_mode if clamping_mode == "auto" else clamping_mode
        return tv_tensors.wrap(_clamp(_plain(inpt), inpt.format, inpt.canvas_size, mode), like=inpt)
    if format is None or canvas_size is None:
        raise ValueError("For pure tensor inputs, `format` and `canvas_size` have to be passed.")
    return _clamp(inpt, _fmt(format), canvas_size, clamping_mode)


def _boxes_kernel(geometry):
    """A BoundingBoxes kernel from ``geometry(xyxy float boxes, canvas_size, *args) -> (xyxy, canvas, clamp)``."""
    def kernel(boxes, *args, **kwargs):
        plain = _plain(boxes)
        xyxy = _to_xyxy(plain if plain.is_floating_point() else plain.float(), boxes.format)
        xyxy, canvas, clamp = geometry(xyxy, boxes.canvas_size, *args, **kwargs)
        if clamp:
            xyxy = _clamp(xyxy, BoundingBoxFormat.XYXY, canvas, boxes.clamping_mode)
        out = _from_xyxy(xyxy, boxes.format).to(plain.dtype)
        return tv_tensors.wrap(out, like=boxes, canvas_size=tuple(canvas))
    return kernel


def _points_kernel(geometry):
    """A KeyPoints kernel from the same ``geometry`` (points as degenerate boxes x, y, x, y; keypoints
    are never clamped by the geometric transforms, as in torchvision)."""
    def kernel(points, *args, **kwargs):
        plain = _plain(points)
        xy = plain.reshape(-1, 2).float()
        boxes, canvas, _ = geometry(ember.cat([xy, xy], -1), points.canvas_size, *args, **kwargs)
        return tv_tensors.wrap(boxes[:, :2].reshape(plain.shape).to(plain.dtype), like=points,
                               canvas_size=tuple(canvas))
    return kernel


def _coords(geometry, points_geometry=None):
    """The boxes and keypoints kernels of ``geometry`` (``points_geometry`` where points differ)."""
    return {"boxes": _boxes_kernel(geometry), "keypoints": _points_kernel(points_geometry or geometry)}


def _xyxy_map(xyxy, sx, sy, tx, ty):
    """``x -> sx * x + tx``, ``y -> sy * y + ty`` on xyxy boxes, re-sorted so x1 <= x2, y1 <= y2."""
    x = xyxy[..., 0::2] * sx + tx
    y = xyxy[..., 1::2] * sy + ty
    x1, x2 = (x[..., 0], x[..., 1]) if sx >= 0 else (x[..., 1], x[..., 0])
    y1, y2 = (y[..., 0], y[..., 1]) if sy >= 0 else (y[..., 1], y[..., 0])
    return ember.stack([x1, y1, x2, y2], -1)


# --- geometry ---------------------------------------------------------------------------------------
def _hflip_geometry(xyxy, canvas):
    return _xyxy_map(xyxy, -1, 1, canvas[1], 0), canvas, False


def _vflip_geometry(xyxy, canvas):
    return _xyxy_map(xyxy, 1, -1, 0, canvas[0]), canvas, False


def _hflip_points(xyxy, canvas):  # points are pixel indices: x -> (w - 1) - x
    return _xyxy_map(xyxy, -1, 1, canvas[1] - 1, 0), canvas, False


def _vflip_points(xyxy, canvas):
    return _xyxy_map(xyxy, 1, -1, 0, canvas[0] - 1), canvas, False


@_functional(_v1.hflip, mask=_on_plain(lambda m: m.flip(-1)), **_coords(_hflip_geometry, _hflip_points))
def horizontal_flip(inpt):
    """Flip left-right (images, videos, masks, boxes, keypoints).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.horizontal_flip(ember.tensor([[[1, 2]]])).tolist()
        [[[2, 1]]]
    """


@_functional(_v1.vflip, mask=_on_plain(lambda m: m.flip(-2)), **_coords(_vflip_geometry, _vflip_points))
def vertical_flip(inpt):
    """Flip top-bottom (images, videos, masks, boxes, keypoints).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.vertical_flip(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """


hflip, vflip = horizontal_flip, vertical_flip


def _nearest(interpolation):
    mode = InterpolationMode(_v1._mode(interpolation))
    return mode if mode is InterpolationMode.NEAREST_EXACT else InterpolationMode.NEAREST


def _resize_geometry(xyxy, canvas, size, interpolation=None, max_size=None, antialias=True):
    h, w = canvas
    nh, nw = _v1._output_size(h, w, size, max_size) if size is not None else _size_from_max(h, w, max_size)
    if (nh, nw) == (h, w):
        return xyxy, canvas, False
    ratios = ember.tensor([nw / w, nh / h, nw / w, nh / h], dtype=xyxy.dtype, device=xyxy.device)
    return xyxy * ratios, (nh, nw), False


def _size_from_max(h, w, max_size):
    scale = max_size / max(h, w)
    return [int(h * scale), int(w * scale)]


def _resize_image(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    return _v1.resize(img, size, interpolation, max_size, antialias)


@_functional(_resize_image, mask=_with_channels(
    lambda m, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True:
    _v1.resize(m, size, _nearest(interpolation), max_size)), **_coords(_resize_geometry))
def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or the smaller edge's length); boxes are scaled, masks resampled nearest.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> F.resize(tv_tensors.BoundingBoxes([[2, 2, 4, 4]], format="XYXY", canvas_size=(8, 8)), [16, 16]).canvas_size
        (16, 16)
    """


def _crop_geometry(xyxy, canvas, top, left, height, width):
    return _xyxy_map(xyxy, 1, 1, -left, -top), (height, width), True


@_functional(_v1.crop, mask=_with_channels(_v1.crop), **_coords(_crop_geometry))
def crop(inpt, top, left, height, width):
    """The ``height x width`` region at (``top``, ``left``); boxes are shifted and clamped.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> F.crop(tv_tensors.BoundingBoxes([[2, 2, 6, 6]], format="XYXY", canvas_size=(8, 8)), 3, 1, 4, 4).tolist()
        [[1, 0, 4, 3]]
    """


def _center_anchor(output_size, canvas):
    ch, cw = _v1._pair(output_size, "output_size")
    h, w = canvas
    return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw


def _center_crop_geometry(xyxy, canvas, output_size):
    return _crop_geometry(xyxy, canvas, *_center_anchor(output_size, canvas))


@_functional(_v1.center_crop, mask=_with_channels(_v1.center_crop), **_coords(_center_crop_geometry))
def center_crop(inpt, output_size):
    """The central ``output_size`` region (zero padding where the input is smaller).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.center_crop(ember.arange(16).reshape(1, 4, 4), 2).tolist()
        [[[5, 6], [9, 10]]]
    """


def _resized_crop_geometry(xyxy, canvas, top, left, height, width, size, interpolation=None, antialias=True):
    xyxy, canvas, _ = _crop_geometry(xyxy, canvas, top, left, height, width)
    xyxy = _clamp(xyxy, BoundingBoxFormat.XYXY, canvas)
    return _resize_geometry(xyxy, canvas, size)


def _resized_crop_mask(m, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    return _v1.resize(_v1.crop(m, top, left, height, width), size, _nearest(interpolation))


@_functional(_v1.resized_crop, mask=_with_channels(_resized_crop_mask), **_coords(_resized_crop_geometry))
def resized_crop(inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """:func:`crop` then :func:`resize` to ``size``.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.resized_crop(ember.rand(3, 8, 8), 0, 0, 4, 4, [2, 2]).shape
        ember.Size([3, 2, 2])
    """


def _scalar_fill(img, fill):
    """v2's fill: None is 0; a number or per-channel sequence, as the v1 kernels take it."""
    if fill is None:
        fill = 0
    if isinstance(img, Tensor) and not isinstance(fill, numbers.Number) and len(fill) == 1:
        return fill[0]
    return fill


def _pad_image(img, padding, fill=None, padding_mode="constant"):
    return _v1.pad(img, padding, _scalar_fill(img, fill), padding_mode)


def _pad_geometry(xyxy, canvas, padding, fill=None, padding_mode="constant"):
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, top, right, bottom = _v1._padding(padding)
    return _xyxy_map(xyxy, 1, 1, left, top), (canvas[0] + top + bottom, canvas[1] + left + right), True


def _pad_mask(m, padding, fill=None, padding_mode="constant"):
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return _v1.pad(m, padding, 0 if fill is None else fill, padding_mode)


@_functional(_pad_image, mask=_with_channels(_pad_mask), **_coords(_pad_geometry))
def pad(inpt, padding, fill=None, padding_mode="constant"):
    """Pad the borders; boxes are shifted by the left/top padding.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> b = F.pad(tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(4, 4)), [1, 2])
        >>> b.tolist(), b.canvas_size
        ([[1, 2, 3, 4]], (8, 6))
    """


def _affine_args(shear, center):
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = [float(s) for s in shear] + [0.0] * (2 - len(shear))
    return shear, center


def _affine_geometry(xyxy, canvas, angle, translate, scale, shear, interpolation=None, fill=None, center=None,
                     expand=False):
    """torchvision's box rule: map the four corners, take their enclosing box (and for ``expand``
    shift by the mapped canvas's top-left and grow the canvas)."""
    shear, center = _affine_args(shear, center)
    h, w = canvas
    center = [w * 0.5, h * 0.5] if center is None else list(center)
    forward = _v1._affine_matrix(center, angle, list(translate), scale, shear)
    m = ember.tensor(forward.T, dtype=xyxy.dtype, device=xyxy.device)  # 3 x 2
    corners = xyxy[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 4, 2)
    pts = ember.cat([corners, ember.ones(*corners.shape[:2], 1, dtype=xyxy.dtype, device=xyxy.device)], -1) @ m
    out = ember.cat([pts.amin(1), pts.amax(1)], -1)
    if expand:
        frame = np.array([[0.0, 0.0, 1.0], [0.0, h, 1.0], [w, h, 1.0], [w, 0.0, 1.0]], dtype=np.float32)
        shift = (frame @ forward.T.astype(np.float32)).min(0)
        out = out - ember.tensor(np.tile(shift, 2), dtype=xyxy.dtype, device=xyxy.device)
        canvas = _expanded_canvas(_v1._inverse(forward), w, h)
    return out, canvas, True


def _expanded_canvas(inverse, w, h):
    """torchvision's canvas for expanded boxes: the inverse matrix (translation included) applied to the
    corners taken about the image centre, in float32, truncated at 1e-4 before ceil/floor."""
    f32 = np.float32
    half = np.array([0.5 * w, 0.5 * h], dtype=f32)
    pts = np.array([[-1, -1, 1], [-1, 1, 1], [1, 1, 1], [1, -1, 1]], dtype=f32) * np.append(half, f32(1))
    new = (pts @ np.asarray(inverse, dtype=f32).reshape(2, 3).T).astype(f32)
    lo, hi = new.min(0) + half, new.max(0) + half
    tol, inv_tol = f32(1e-4), f32(1.0 / 1e-4)
    size = np.ceil((np.trunc(hi * inv_tol) * tol).astype(f32)) - np.floor((np.trunc(lo * inv_tol) * tol).astype(f32))
    return int(size[1]), int(size[0])


def _affine_image(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    return _v1.affine(img, angle, translate, scale, shear, interpolation, _channel_fill(img, fill), center)


def _channel_fill(img, fill):
    if fill is None or not isinstance(img, Tensor):
        return fill
    c = 1 if img.ndim == 2 else img.shape[-3]
    return [float(fill)] * c if isinstance(fill, numbers.Number) else [float(f) for f in fill]


def _affine_mask(m, angle, translate, scale, shear, interpolation=None, fill=None, center=None):
    return _affine_image(m, angle, translate, scale, shear, InterpolationMode.NEAREST, fill, center)


@_functional(_affine_image, mask=_with_channels(_affine_mask), **_coords(_affine_geometry))
def affine(inpt, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate (degrees, clockwise), translate, scale and shear; boxes become the enclosing box of their mapped corners.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> b = tv_tensors.BoundingBoxes([[0.0, 0.0, 2.0, 2.0]], format="XYXY", canvas_size=(4, 4))
        >>> F.affine(b, 0.0, [1, 1], 1.0, [0.0, 0.0]).tolist()
        [[1.0, 1.0, 3.0, 3.0]]
    """


def _rotate_image(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    return _v1.rotate(img, angle, interpolation, expand, center, _channel_fill(img, fill))


def _rotate_geometry(xyxy, canvas, angle, interpolation=None, expand=False, center=None, fill=None):
    return _affine_geometry(xyxy, canvas, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center=center, expand=expand)


def _rotate_mask(m, angle, interpolation=None, expand=False, center=None, fill=None):
    return _rotate_image(m, angle, InterpolationMode.NEAREST, expand, center, fill)


@_functional(_rotate_image, mask=_with_channels(_rotate_mask), **_coords(_rotate_geometry))
def rotate(inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise (``expand`` grows the canvas to hold it all).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.rotate(ember.tensor([[[1, 2], [3, 4]]]), 90).tolist()
        [[[2, 4], [1, 3]]]
    """


def _perspective_geometry(xyxy, canvas, startpoints, endpoints, interpolation=None, fill=None, coefficients=None):
    """Map the corners with the forward homography (end points from start points) and enclose them."""
    if coefficients is None:
        coefficients = _v1._perspective_coeffs(startpoints, endpoints)
    a, b, c, d, e, f, g, h = [float(v) for v in coefficients]
    inverse = np.linalg.inv(np.array([[a, b, c], [d, e, f], [g, h, 1.0]]))
    m = ember.tensor(inverse.T, dtype=ember.float64, device=xyxy.device)
    corners = xyxy[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 4, 2).double()
    pts = ember.cat([corners, ember.ones(*corners.shape[:2], 1, dtype=ember.float64, device=xyxy.device)], -1) @ m
    pts = (pts[..., :2] / pts[..., 2:]).to(xyxy.dtype)
    return ember.cat([pts.amin(1), pts.amax(1)], -1), canvas, True


def _perspective_image(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None,
                       coefficients=None):
    if coefficients is not None:
        raise NotImplementedError("perspective: pass startpoints and endpoints (coefficients are not supported)")
    return _v1.perspective(img, startpoints, endpoints, interpolation, _channel_fill(img, fill))


def _perspective_mask(m, startpoints, endpoints, interpolation=None, fill=None, coefficients=None):
    return _perspective_image(m, startpoints, endpoints, InterpolationMode.NEAREST, fill, coefficients)


@_functional(_perspective_image, mask=_with_channels(_perspective_mask), **_coords(_perspective_geometry))
def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None, coefficients=None):
    """Warp so the four ``startpoints`` corners move to ``endpoints``; boxes enclose their mapped corners.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> corners = [[0, 0], [1, 0], [1, 1], [0, 1]]
        >>> F.perspective(ember.tensor([[[1.0, 2.0], [3.0, 4.0]]]), corners, corners).tolist()
        [[[1.0, 2.0], [3.0, 4.0]]]
    """


def _elastic_mask(m, displacement, interpolation=None, fill=None):
    return _v1.elastic_transform(m, displacement, InterpolationMode.NEAREST, fill)


@_functional(_v1.elastic_transform, mask=_with_channels(_elastic_mask))
def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move each pixel by ``displacement`` (1 x H x W x 2, grid units).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.elastic(ember.ones(1, 2, 2), ember.zeros(1, 2, 2, 2)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """


elastic_transform = elastic


@_functional(_v1.five_crop)
def five_crop(inpt, size):
    """The four corner crops and the central crop.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> len(F.five_crop(ember.rand(3, 4, 4), 2))
        5
    """


@_functional(_v1.ten_crop)
def ten_crop(inpt, size, vertical_flip=False):
    """:func:`five_crop` of the input and of its flipped version.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> len(F.ten_crop(ember.rand(3, 4, 4), 2))
        10
    """


# --- colour and other image-only kernels -------------------------------------------------------------
def _image_functional(name, v1fn, doc, pil="image"):
    def fn(inpt, *args, **kwargs):
        pass

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.__module__ = __name__
    return _functional(v1fn, pil=pil)(fn)


def _grayscale_to_rgb(img):
    if isinstance(img, PILImage.Image):
        return img.convert("RGB")
    return img if img.shape[-3] == 3 else img.expand(*img.shape[:-3], 3, *img.shape[-2:])


def _permute_channels(img, permutation):
    if isinstance(img, PILImage.Image):
        return _v1.to_pil_image(_permute_channels(_v1.pil_to_tensor(img), permutation), mode=img.mode)
    return img[..., list(permutation), :, :]


def _to_dtype_image(image, dtype=ember.float32, scale=False):
    if image.dtype is dtype or not scale:
        return image if image.dtype is dtype else image.to(dtype)
    if not image.is_floating_point() and dtype.is_floating_point:
        return image.to(dtype).mul(1.0 / ember.iinfo(image.dtype).max)
    return _v1.convert_image_dtype(image, dtype)


def _gaussian_noise_image(image, mean=0.0, sigma=0.1, clip=True):
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if image.is_floating_point():
        out = image + (mean + ember.randn_like(image) * sigma)
        return out.clamp(0, 1) if clip else out
    if image.dtype is ember.uint8:
        noise = (mean * 255 + ember.randn_like(image, dtype=ember.float32) * (sigma * 255)).to(ember.int16)
        out = image + noise
        return (out.clamp(0, 255) if clip else out).to(ember.uint8)
    raise ValueError(f"Input tensor is expected to be in uint8 or float dtype, got dtype={image.dtype}")


def _gaussian_noise_pil(*args, **kwargs):
    raise ValueError("Gaussian Noise is not implemented for PIL images.")


def _normalize_pil(*args, **kwargs):
    raise TypeError("normalize() does not support PIL images.")


_IMAGE_FUNCTIONALS = [
    ("adjust_brightness", _v1.adjust_brightness, "Scale the brightness (0 gives black, 1 the original)."),
    ("adjust_contrast", _v1.adjust_contrast, "Blend with the mean grey level (0 grey, 1 the original)."),
    ("adjust_saturation", _v1.adjust_saturation, "Blend with the greyscale image (0 grey, 1 the original)."),
    ("adjust_hue", _v1.adjust_hue, "Shift the hue by ``hue_factor`` turns, in [-0.5, 0.5]."),
    ("adjust_gamma", _v1.adjust_gamma, "Gamma correction ``gain * x ** gamma`` on the [0, 1] scale."),
    ("adjust_sharpness", _v1.adjust_sharpness, "Blend with a smoothed copy (0 blurs, 1 the original)."),
    ("invert", _v1.invert, "Negate the colours (``max - x``)."),
    ("posterize", _v1.posterize, "Keep the ``bits`` most significant bits of each uint8 channel."),
    ("solarize", _v1.solarize, "Invert the pixels at or above ``threshold``."),
    ("autocontrast", _v1.autocontrast, "Stretch each channel to the full range."),
    ("equalize", _v1.equalize, "Equalise the histogram of each channel."),
    ("rgb_to_grayscale", _v1.rgb_to_grayscale, "Luma with 1 or 3 output channels."),
    ("grayscale_to_rgb", _grayscale_to_rgb, "One channel repeated to three (RGB images unchanged)."),
    ("permute_channels", _permute_channels, "Reorder the channels by ``permutation``."),
    ("gaussian_blur", _v1.gaussian_blur, "Blur with a Gaussian kernel (odd ``kernel_size``)."),
    ("erase", _v1.erase, "Set a rectangle of a tensor image to ``v``."),
    ("to_dtype", _to_dtype_image, "Cast to ``dtype``; ``scale=True`` rescales the value range."),
    ("gaussian_noise", _gaussian_noise_image, "Add ``mean + sigma * N(0, 1)`` noise (clipped to the range)."),
    ("normalize", _v1.normalize, "``(x - mean) / std`` per channel of a float tensor."),
]
_PIL_KERNELS = {"gaussian_noise": _gaussian_noise_pil, "normalize": _normalize_pil, "erase": _normalize_pil,
                "to_dtype": None}

for _name, _fn, _summary in _IMAGE_FUNCTIONALS:
    _example = (f"\n\n    Example:\n        >>> from embervision.transforms.v2 import functional as F\n"
                f"        >>> F.{_name}.__name__\n        '{_name}'\n    ")
    globals()[_name] = _image_functional(_name, _fn, _summary + _example, pil=_PIL_KERNELS.get(_name, "image"))
    if _name in _PIL_KERNELS and _PIL_KERNELS[_name] is not None:
        globals()[_name]._kernels[PILImage.Image] = _PIL_KERNELS[_name]
to_grayscale = rgb_to_grayscale  # noqa: F821
to_dtype._kernels[Mask] = lambda m, dtype=ember.float32, scale=False: tv_tensors.wrap(_plain(m).to(dtype), like=m)  # noqa: F821
for _cls in (BoundingBoxes, KeyPoints):
    to_dtype._kernels[_cls] = lambda b, dtype=ember.float32, scale=False: tv_tensors.wrap(_plain(b).to(dtype), like=b)  # noqa: F821


def convert_image_dtype(image, dtype=ember.float32):
    """:func:`to_dtype` with ``scale=True`` (v1's name).

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.convert_image_dtype(ember.tensor([[[0, 255]]], dtype=ember.uint8)).tolist()
        [[[0.0, 1.0]]]
    """
    return to_dtype(image, dtype, scale=True)  # noqa: F821


# --- metadata and conversions ---------------------------------------------------------------------
def get_dimensions(inpt):
    """``[channels, height, width]`` of an image or video.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.get_dimensions(ember.zeros(3, 4, 5))
        [3, 4, 5]
    """
    return _v1.get_dimensions(inpt)


def get_size(inpt):
    """``[height, width]`` of an image, video, mask, boxes' or keypoints' canvas.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import functional as F
        >>> F.get_size(tv_tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(6, 7)))
        [6, 7]
    """
    if isinstance(inpt, (BoundingBoxes, KeyPoints)):
        return list(inpt.canvas_size)
    if isinstance(inpt, Mask):
        return list(inpt.shape[-2:])
    return _v1.get_dimensions(inpt)[1:]


def get_num_channels(inpt):
    """The number of channels of an image or video.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.get_num_channels(ember.zeros(3, 4, 5))
        3
    """
    return _v1.get_dimensions(inpt)[0]


def get_num_frames(inpt):
    """The number of frames of a video ``(..., T, C, H, W)``.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.get_num_frames(ember.zeros(5, 3, 2, 2))
        5
    """
    return inpt.shape[-4]


def to_image(inpt):
    """A PIL image, numpy ``H x W x C`` array or tensor as a :class:`~embervision.tv_tensors.Image`.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms.v2 import functional as F
        >>> img = F.to_image(Image.new("RGB", (4, 3)))
        >>> type(img).__name__, img.shape
        ('Image', ember.Size([3, 3, 4]))
    """
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        return _Image(ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))))
    if isinstance(inpt, PILImage.Image):
        return _Image(_v1.pil_to_tensor(inpt))
    if isinstance(inpt, Tensor):
        return _Image(_plain(inpt))
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} instead.")


pil_to_tensor = _v1.pil_to_tensor
to_pil_image = _v1.to_pil_image


def to_tensor(pic):
    """v1's ``to_tensor`` (deprecated in v2: prefer ``to_image`` then ``to_dtype(..., scale=True)``).

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms.v2 import functional as F
        >>> F.to_tensor(Image.new("L", (2, 2))).dtype
        ember.float32
    """
    return _v1.to_tensor(pic)


def _uniform_temporal_subsample(video, num_samples):
    indices = ember.linspace(0, video.shape[-4] - 1, num_samples, device=video.device).long()
    return ember.index_select(video, -4, indices)


@_functional(_uniform_temporal_subsample, pil=None)
def uniform_temporal_subsample(inpt, num_samples):
    """``num_samples`` frames evenly spaced over a video ``(..., T, C, H, W)``.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import functional as F
        >>> F.uniform_temporal_subsample(ember.arange(5.0).reshape(5, 1, 1, 1), 3).flatten().tolist()
        [0.0, 2.0, 4.0]
    """


del uniform_temporal_subsample._kernels[_Image]
